"""Edits in the admin leave history with the user and the reason; revert needs its permission."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from common.roles import EDITOR
from policies.models import Goal
from portfolio.models import Initiative, ProgressUpdate
from tests.admin_forms import form_data
from tests.factories import (
    GoalFactory,
    InitiativeFactory,
    ProgressUpdateFactory,
    UserFactory,
    user_with_role,
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


@pytest.mark.parametrize(("language", "label"), [("en", "At risk"), ("ja", "要注意")])
def test_a_diff_shows_a_choices_label_in_the_readers_language(
    admin_client, initiative, language, label
):
    data = form_data(admin_client.get(change_url(initiative)))
    data["health"] = "at_risk"
    admin_client.post(change_url(initiative), data)

    page = admin_client.get(history_url(initiative), HTTP_ACCEPT_LANGUAGE=language)

    newest = page.context["page_obj"][0]
    assert [change["new"] for change in newest.history_delta_changes] == [label]
    assert "at_risk" not in page.content.decode()


def test_inline_rows_saved_with_the_parent_carry_the_reason(admin_client, superuser, initiative):
    update = ProgressUpdateFactory(initiative=initiative, narrative="First draft")
    data = form_data(admin_client.get(change_url(initiative)))
    data["progress_updates-0-narrative"] = "Revised narrative"
    data["change_reason"] = "Quarterly review"
    assert admin_client.post(change_url(initiative), data).status_code == 302
    latest = update.history.latest()
    assert latest.narrative == "Revised narrative"
    assert (latest.history_user, latest.history_change_reason) == (superuser, "Quarterly review")


def test_an_inline_row_deleted_with_the_parent_leaves_its_deletion_with_the_reason(
    admin_client, superuser, initiative
):
    update = ProgressUpdateFactory(initiative=initiative, narrative="Superseded")
    data = form_data(admin_client.get(change_url(initiative)))
    data["progress_updates-0-DELETE"] = "on"
    data["change_reason"] = "Duplicate of Q2"
    assert admin_client.post(change_url(initiative), data).status_code == 302
    assert not ProgressUpdate.objects.filter(pk=update.pk).exists()
    deleted = ProgressUpdate.history.filter(id=update.pk).latest()
    assert deleted.history_type == "-"
    assert (deleted.history_user, deleted.history_change_reason) == (superuser, "Duplicate of Q2")


def test_a_record_deleted_in_the_admin_leaves_its_deletion_with_the_user(
    admin_client, superuser, initiative
):
    url = reverse("admin:portfolio_initiative_delete", args=[initiative.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Initiative.objects.filter(pk=initiative.pk).exists()
    deleted = Initiative.history.filter(id=initiative.pk).latest()
    assert deleted.history_type == "-"
    assert (deleted.history_user, deleted.history_change_reason) == (
        superuser,
        "Deleted in the admin",
    )


def test_a_save_without_a_reason_is_recorded_as_having_none(admin_client, initiative):
    data = form_data(admin_client.get(change_url(initiative)))
    data["title"] = "Renamed"
    assert admin_client.post(change_url(initiative), data).status_code == 302
    assert initiative.history.latest().history_change_reason is None
    page = admin_client.get(history_url(initiative))
    newest = page.context["page_obj"][0]
    assert newest.shown_reason == "No reason given"
    assert "Changed in the admin" not in page.content.decode()


def test_an_installation_may_require_a_reason_for_every_change(admin_client, initiative, settings):
    settings.REQUIRE_CHANGE_REASON = True
    versions = initiative.history.count()
    data = form_data(admin_client.get(change_url(initiative)))
    data["title"] = "Renamed"

    refused = admin_client.post(change_url(initiative), data)

    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["change_reason"] == ["This field is required."]
    assert Initiative.objects.get(pk=initiative.pk).title == "On-site Laboratory"
    assert initiative.history.count() == versions
    data["change_reason"] = "Renamed by the board"
    assert admin_client.post(change_url(initiative), data).status_code == 302
    assert initiative.history.latest().history_change_reason == "Renamed by the board"


def test_a_reason_is_optional_unless_the_installation_requires_one(admin_client, initiative):
    page = admin_client.get(change_url(initiative))
    assert page.context["adminform"].form.fields["change_reason"].required is False


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


def test_an_editor_reads_the_author_of_a_change_without_a_link_to_a_page_they_may_not_open(
    admin_client, superuser, initiative
):
    data = form_data(admin_client.get(change_url(initiative)))
    data["title"] = "Renamed by the administrator"
    admin_client.post(change_url(initiative), data)
    user_page = reverse("admin:auth_user_change", args=[superuser.pk])
    client = Client()
    client.force_login(user_with_role(EDITOR, institutions=[initiative.institution], is_staff=True))
    assert client.get(user_page).status_code == 403

    page = client.get(history_url(initiative)).content.decode()

    assert superuser.username in page
    assert user_page not in page
    assert user_page in admin_client.get(history_url(initiative)).content.decode()


def test_a_revert_with_a_typed_reason_keeps_the_version_and_the_reason(admin_client, initiative):
    original = initiative.history.earliest()
    Initiative.objects.filter(pk=initiative.pk).update(title="Changed later")
    data = form_data(admin_client.get(revert_url(initiative, original)))
    data["change_reason"] = "The rename was a mistake"
    assert admin_client.post(revert_url(initiative, original), data).status_code == 302
    assert initiative.history.latest().history_change_reason == (
        f"Reverted to history version {original.history_id}: The rename was a mistake"
    )
