"""Edits in the admin leave history with the user and the reason; revert needs its permission."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from policies.models import Goal
from portfolio.models import Initiative
from tests.admin_forms import form_data
from tests.factories import (
    GoalFactory,
    InitiativeFactory,
    ProgressUpdateFactory,
    UserFactory,
)
from units.models import Institution, UserScope

pytestmark = pytest.mark.django_db


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def history_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_history", args=[obj.pk])


@pytest.fixture
def initiative():
    initiative = InitiativeFactory(title="On-site Laboratory")
    first = GoalFactory(framework__institution=initiative.institution, code="CONNECT.3")
    initiative.goals.add(first)
    return initiative


def test_editing_goals_in_the_admin_records_user_reason_and_links(
    admin_client, superuser, initiative
):
    added = GoalFactory(framework=initiative.goals.get().framework, code="BOOST.2")
    data = form_data(admin_client.get(change_url(initiative)))
    data["goals"] = [str(goal.pk) for goal in [*initiative.goals.all(), added]]
    data["change_reason"] = "Board decision of 12 May"

    response = admin_client.post(change_url(initiative), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    latest = initiative.history.latest()
    assert latest.history_user == superuser
    assert latest.history_change_reason == "Board decision of 12 May"
    assert {link.goal.code for link in latest.goals.all()} == {"CONNECT.3", "BOOST.2"}
    page = admin_client.get(history_url(initiative)).content.decode()
    assert "Board decision of 12 May" in page
    assert "BOOST.2" in page  # the changed links are shown in the diff


def test_editing_fields_shows_field_by_field_differences(admin_client, initiative):
    data = form_data(admin_client.get(change_url(initiative)))
    data["title"] = "On-site Laboratory (renamed)"
    data["health"] = "at_risk"
    admin_client.post(change_url(initiative), data)

    latest, previous = initiative.history.all()[:2]
    changed = {change.field for change in latest.diff_against(previous).changes}
    assert changed == {"title", "health"}
    page = admin_client.get(history_url(initiative)).content.decode()
    assert "On-site Laboratory (renamed)" in page
    assert "at_risk" in page or "At risk" in page


def test_inline_rows_saved_with_the_parent_carry_the_reason(admin_client, superuser, initiative):
    update = ProgressUpdateFactory(initiative=initiative, narrative="First draft")
    data = form_data(admin_client.get(change_url(initiative)))
    data["progress_updates-0-narrative"] = "Revised narrative"
    data["change_reason"] = "Quarterly review"
    assert admin_client.post(change_url(initiative), data).status_code == 302
    latest = update.history.latest()
    assert latest.narrative == "Revised narrative"
    assert (latest.history_user, latest.history_change_reason) == (superuser, "Quarterly review")


def test_without_a_typed_reason_the_history_still_says_where_the_change_came_from(
    admin_client, initiative
):
    data = form_data(admin_client.get(change_url(initiative)))
    data["title"] = "Renamed"
    admin_client.post(change_url(initiative), data)
    assert initiative.history.latest().history_change_reason == "Changed in the admin"


def editor_with(*codenames: str):
    """A staff user with just these permissions, scoped to every institution."""
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    UserScope.objects.create(user=user).institutions.set(Institution.objects.all())
    return user


def revert_url(obj, version) -> str:
    return reverse(
        f"admin:{obj._meta.app_label}_{obj._meta.model_name}_simple_history",
        args=[obj.pk, version.history_id],
    )


def test_revert_is_refused_without_the_history_permission(client, initiative):
    original = initiative.history.earliest()
    Initiative.objects.filter(pk=initiative.pk).update(title="Changed later")
    client.force_login(
        editor_with("view_initiative", "change_initiative", "view_historicalinitiative")
    )
    page = client.get(revert_url(initiative, original))
    assert page.status_code == 200
    assert b"Revert" not in page.content
    data = form_data(page)
    assert client.post(revert_url(initiative, original), data).status_code == 403
    initiative.refresh_from_db()
    assert initiative.title == "Changed later"


def test_revert_with_the_permission_restores_and_leaves_history(client, initiative):
    original = initiative.history.earliest()
    Initiative.objects.filter(pk=initiative.pk).update(title="Changed later")
    user = editor_with(
        "view_initiative",
        "change_initiative",
        "view_historicalinitiative",
        "change_historicalinitiative",
    )
    client.force_login(user)
    page = client.get(revert_url(initiative, original))
    assert b"Revert" in page.content
    response = client.post(revert_url(initiative, original), form_data(page))
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert initiative.title == "On-site Laboratory"
    latest = initiative.history.latest()
    assert latest.history_user == user
    assert latest.history_change_reason == f"Reverted to history version {original.history_id}"


def test_rule_violations_are_readable_form_errors(admin_client, initiative):
    foreign_goal = GoalFactory()
    data = form_data(admin_client.get(change_url(initiative)))
    data["goals"] = [str(foreign_goal.pk)]
    response = admin_client.post(change_url(initiative), data)
    assert response.status_code == 200
    assert "only goals of its own institution" in response.content.decode()
    assert foreign_goal.reference in response.content.decode()
    assert list(initiative.goals.values_list("pk", flat=True)) != [foreign_goal.pk]


def test_goal_parent_in_another_framework_is_a_form_error(admin_client):
    goal, stranger = GoalFactory(), GoalFactory()
    data = form_data(admin_client.get(change_url(goal)))
    data["parent"] = str(stranger.pk)
    response = admin_client.post(change_url(goal), data)
    assert response.status_code == 200
    assert "The parent goal must belong to the same framework." in response.content.decode()
    assert Goal.objects.get(pk=goal.pk).parent is None


def test_duplicate_full_width_code_is_a_form_error(admin_client):
    goal = GoalFactory(code="CONNECT")
    data = form_data(admin_client.get(reverse("admin:policies_goal_add")))
    data.update(
        framework=str(goal.framework_id), code="ＣＯＮＮＥＣＴ", kind="mission", title="Twin"
    )
    response = admin_client.post(reverse("admin:policies_goal_add"), data)
    assert response.status_code == 200
    assert "Another goal of this framework already has this code." in response.content.decode()
