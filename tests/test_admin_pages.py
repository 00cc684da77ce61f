"""Every admin page of the portfolio answers, and its query count does not grow with the data."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.roles import EDITOR
from tests import factories

FACTORIES = {
    "units.institution": factories.InstitutionFactory,
    "units.region": factories.RegionFactory,
    "units.unit": factories.UnitFactory,
    "units.person": factories.PersonFactory,
    "units.appointment": factories.AppointmentFactory,
    "policies.framework": factories.FrameworkFactory,
    "policies.goal": factories.GoalFactory,
    "policies.alignment": factories.AlignmentFactory,
    "policies.indicator": factories.IndicatorFactory,
    "policies.indicatorvalue": factories.IndicatorValueFactory,
    "policies.libraryindicator": factories.LibraryIndicatorFactory,
    "policies.headcount": factories.HeadcountFactory,
    "portfolio.partnerinstitution": factories.PartnerFactory,
    "portfolio.agreement": factories.AgreementFactory,
    "portfolio.initiative": factories.InitiativeFactory,
    "portfolio.activity": factories.ActivityFactory,
    "portfolio.progressupdate": factories.ProgressUpdateFactory,
}
# Records kept only as rows of another record's page (an initiative's milestones).
INLINE_FACTORIES = {"portfolio.milestone": factories.MilestoneFactory}
OUR_APPS = {"units", "policies", "portfolio"}
MODELS = sorted(
    model._meta.label_lower for model in admin.site._registry if model._meta.app_label in OUR_APPS
)


def test_every_model_of_the_portfolio_has_an_admin_and_a_factory():
    assert set(MODELS) == set(FACTORIES)


def admin_url(label: str, view: str, *args) -> str:
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


def queries_for(client, url: str) -> int:
    client.get(url)  # warms the content-type cache, which later requests no longer query
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def make(label: str, count: int):
    return FACTORIES[label].create_batch(count)


@pytest.mark.django_db
@pytest.mark.parametrize("label", MODELS)
def test_changelist_queries_do_not_grow_with_rows(admin_client, django_assert_num_queries, label):
    url = admin_url(label, "changelist")
    make(label, 2)
    # session, user, then the list's own: count, page of rows with their related names joined,
    # and one query per list filter's choices; measured on 2 rows and held at 25.
    expected = queries_for(admin_client, url)
    make(label, 23)
    with django_assert_num_queries(expected):
        response = admin_client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 25


@pytest.mark.django_db
@pytest.mark.parametrize("label", MODELS)
def test_change_and_history_pages_do_not_grow_with_other_rows(
    admin_client, django_assert_num_queries, label
):
    obj = make(label, 1)[0]
    change, history = admin_url(label, "change", obj.pk), admin_url(label, "history", obj.pk)
    # session, user, the object, its selected autocomplete choices and inline rows.
    expected_change = queries_for(admin_client, change)
    expected_history = queries_for(admin_client, history)
    make(label, 20)
    with django_assert_num_queries(expected_change):
        assert admin_client.get(change).status_code == 200
    with django_assert_num_queries(expected_history):
        assert admin_client.get(history).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("label", MODELS)
def test_add_page_answers(admin_client, label):
    response = admin_client.get(admin_url(label, "add"))
    assert response.status_code == 200
    assert b'name="change_reason"' in response.content


@pytest.mark.django_db
def test_search_finds_a_goal_by_title(admin_client, sources):
    response = admin_client.get(admin_url("policies.goal", "changelist"), {"q": "multicultural"})
    assert [goal.code for goal in response.context["cl"].result_list] == ["3.3"]


@pytest.mark.django_db
def test_autocomplete_for_goals_answers(admin_client, sources):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "portfolio",
            "model_name": "initiative",
            "field_name": "goals",
            "term": "1.3",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == [
        "1.3 To enhance the learning and living environment for increased acceptance of "
        "international students"
    ]


@pytest.mark.parametrize("label", MODELS)
def test_every_constraint_has_a_readable_message(label):
    model = apps.get_model(label)
    for constraint in model._meta.constraints:
        message = constraint.get_violation_error_message()
        assert "violated" not in message, f"{constraint.name} has Django's default message"


@pytest.mark.django_db
@pytest.mark.parametrize("label", MODELS)
def test_a_scoped_editors_lists_do_not_grow_with_rows(client, django_assert_num_queries, label):
    editor = factories.user_with_role(EDITOR, is_staff=True)
    client.force_login(editor)
    url = admin_url(label, "changelist")
    make(label, 2)
    factories.scoped_everywhere(editor)
    # as above, plus the editor's roles, units and institutions (their scope), read once
    expected = queries_for(client, url)
    make(label, 23)
    factories.scoped_everywhere(editor)
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 25


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_reader_who_may_not_change_a_record_is_asked_for_no_reason(client, db, language):
    """A data steward reads an initiative (they import, never edit by hand): the page shows the
    record, read-only, without the audit section's empty reason a save would carry."""
    from common.roles import DATA_STEWARD
    from tests.factories import user_with_role

    initiative = factories.InitiativeFactory()
    steward = user_with_role(
        DATA_STEWARD, institutions=[initiative.institution], username="steward", is_staff=True
    )
    client.force_login(steward)
    url = reverse("admin:portfolio_initiative_change", args=[initiative.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert initiative.code in page
    assert "change_reason" not in page
    assert "Change reason" not in page and "変更理由" not in page
