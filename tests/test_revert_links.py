"""A save in the admin is one history entry, fields and links together; a revert restores both.

An initiative's goals, contributing units and partners are kept in its history beside its fields
(as are a goal's units). One save writes one history row whose diff lists the fields and the
links it changed; a revert to an old version brings back that version's fields and its three
lists of links in one save, and every page of an old version shows that version's links.
"""

import pytest
from django.urls import reverse

from common.roles import EDITOR
from portfolio.models import Initiative
from tests.admin_forms import form_data
from tests.factories import (
    FrameworkFactory,
    GoalFactory,
    InitiativeFactory,
    InstitutionFactory,
    PartnerFactory,
    UnitFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def history_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_history", args=[obj.pk])


def version_url(obj, version) -> str:
    return reverse(
        f"admin:{obj._meta.app_label}_{obj._meta.model_name}_simple_history",
        args=[obj.pk, version.history_id],
    )


def ids(*objs) -> list[str]:
    return [str(obj.pk) for obj in objs]


def save_in_admin(client, obj, **changes) -> None:
    data = {**form_data(client.get(change_url(obj))), **changes}
    response = client.post(change_url(obj), data)
    assert response.status_code == 302, response.context and response.context["errors"]


@pytest.fixture
def world():
    institution = InstitutionFactory(code="HOME")
    framework = FrameworkFactory(institution=institution)
    return {
        "institution": institution,
        "goals": [GoalFactory(framework=framework, code=code) for code in ("CONNECT", "BOOST")],
        "units": [
            UnitFactory(institution=institution, name=name) for name in ("Kyoto Desk", "Bonn Desk")
        ],
        "partners": [PartnerFactory(name=name) for name in ("Chula Univ", "Mahidol Univ")],
    }


@pytest.fixture
def initiative(admin_client, world):
    """An initiative saved twice in the admin: first with the first goal, unit and partner,
    proposed and on track; then active, at risk, with the second of each."""
    initiative = InitiativeFactory(
        institution=world["institution"], title="Joint Lab", status="proposed", health="on_track"
    )
    (goal, other_goal), (unit, other_unit) = world["goals"], world["units"]
    (partner, other_partner) = world["partners"]
    save_in_admin(
        admin_client,
        initiative,
        goals=ids(goal),
        contributing_units=ids(unit),
        partners=ids(partner),
        change_reason="First plan",
    )
    initiative.first_version = initiative.history.latest()
    save_in_admin(
        admin_client,
        initiative,
        status="active",
        health="at_risk",
        goals=ids(other_goal),
        contributing_units=ids(other_unit),
        partners=ids(other_partner),
    )
    return initiative


def links(initiative: Initiative) -> tuple[set, set, set]:
    return (
        set(initiative.goals.values_list("code", flat=True)),
        set(initiative.contributing_units.values_list("name", flat=True)),
        set(initiative.partners.values_list("name", flat=True)),
    )


def test_reverting_restores_the_versions_fields_and_links_in_one_entry(admin_client, initiative):
    first = initiative.first_version
    rows_before = initiative.history.count()
    page = admin_client.get(version_url(initiative, first))

    response = admin_client.post(version_url(initiative, first), form_data(page))

    assert response.status_code == 302, response.context and response.context["errors"]
    initiative.refresh_from_db()
    assert (initiative.status, initiative.health) == ("proposed", "on_track")
    assert links(initiative) == ({"CONNECT"}, {"Kyoto Desk"}, {"Chula Univ"})
    assert initiative.history.count() == rows_before + 1
    revert = initiative.history.latest()
    assert revert.history_change_reason == f"Reverted to history version {first.history_id}"
    assert {link.goal.code for link in revert.goals.all()} == {"CONNECT"}
    assert {link.unit.name for link in revert.contributing_units.all()} == {"Kyoto Desk"}
    assert {link.partnerinstitution.name for link in revert.partners.all()} == {"Chula Univ"}


def test_the_revert_page_shows_the_versions_links_not_todays(admin_client, world, initiative):
    page = admin_client.get(version_url(initiative, initiative.first_version))
    form = page.context["adminform"].form
    assert [str(pk) for pk in form["goals"].value()] == ids(world["goals"][0])
    assert [str(pk) for pk in form["contributing_units"].value()] == ids(world["units"][0])
    assert [str(pk) for pk in form["partners"].value()] == ids(world["partners"][0])
    content = page.content.decode()
    assert "Kyoto Desk" in content and "Chula Univ" in content
    assert "Bonn Desk" not in content and "Mahidol Univ" not in content


def test_an_editors_read_only_view_of_a_version_shows_its_links(client, world, initiative):
    client.force_login(user_with_role(EDITOR, institutions=[world["institution"]], is_staff=True))
    page = client.get(version_url(initiative, initiative.first_version))
    assert page.status_code == 200
    assert b"Revert" not in page.content  # an editor reads old versions but does not revert
    content = page.content.decode()
    assert "Kyoto Desk" in content and "Chula Univ" in content
    assert "Bonn Desk" not in content and "Mahidol Univ" not in content


def test_one_save_of_fields_and_links_is_one_history_entry(admin_client, world, initiative):
    rows_before = initiative.history.count()

    save_in_admin(
        admin_client,
        initiative,
        title="Joint Lab (renamed)",
        health="off_track",
        goals=ids(*world["goals"]),
        partners=ids(world["partners"][0]),
    )

    assert initiative.history.count() == rows_before + 1
    latest, previous = initiative.history.all()[:2]
    changed = {change.field for change in latest.diff_against(previous).changes}
    assert changed == {"title", "health", "goals", "partners"}
    page = admin_client.get(history_url(initiative))
    newest = page.context["page_obj"][0]
    shown = {change["field"]: change["new"] for change in newest.history_delta_changes}
    assert shown["Title (English)"] == "Joint Lab (renamed)"
    assert shown["Goals"].count("CONNECT") == shown["Goals"].count("BOOST") == 1
    assert "Chula Univ" in shown["Partners"]


def test_three_saves_are_three_entries(admin_client, world, initiative):
    rows_before = initiative.history.count()
    (first_goal, other_goal), (first_unit, other_unit) = world["goals"], world["units"]
    saves = [(first_goal, first_unit), (other_goal, first_unit), (first_goal, other_unit)]
    for number, (goal, unit) in enumerate(saves):
        save_in_admin(
            admin_client,
            initiative,
            title=f"Joint Lab {number}",
            goals=ids(goal),
            contributing_units=ids(unit),
        )
    assert initiative.history.count() == rows_before + 3
    assert admin_client.get(history_url(initiative)).context["page_obj"].paginator.count == (
        rows_before + 3
    )


def test_a_goals_units_are_saved_in_the_same_entry_as_its_fields(admin_client, world):
    goal = world["goals"][0]
    rows_before = goal.history.count()

    save_in_admin(admin_client, goal, title="Connect the world", units=ids(*world["units"]))

    assert goal.history.count() == rows_before + 1
    latest = goal.history.latest()
    assert latest.title == "Connect the world"
    assert {link.unit.name for link in latest.units.all()} == {"Kyoto Desk", "Bonn Desk"}


def test_adding_an_initiative_with_links_is_one_entry(admin_client, world):
    data = form_data(admin_client.get(reverse("admin:portfolio_initiative_add")))
    data.update(
        institution=str(world["institution"].pk),
        code="NEW-1",
        title="New Lab",
        status="planned",
        health="on_track",
        goals=ids(world["goals"][1]),
        contributing_units=[],
        partners=ids(*world["partners"]),
    )
    response = admin_client.post(reverse("admin:portfolio_initiative_add"), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    created = Initiative.objects.get(code="NEW-1")
    assert created.history.count() == 1
    row = created.history.get()
    assert row.history_type == "+"
    assert {link.goal.code for link in row.goals.all()} == {"BOOST"}
    assert {link.partnerinstitution.name for link in row.partners.all()} == {
        "Chula Univ",
        "Mahidol Univ",
    }
