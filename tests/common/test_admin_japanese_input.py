"""Staff type dates and numbers into the admin as they write them: 令和7年4月1日, １，２００."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from policies.models import Indicator
from portfolio.models import Activity, Initiative
from tests.admin_forms import form_data
from tests.factories import ActivityFactory, IndicatorFactory, IndicatorValueFactory

pytestmark = pytest.mark.django_db

APRIL_FIRST = dt.date(2025, 4, 1)


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def post_change(client, obj, **typed: str):
    """The change page's own form, as the browser sends it, with ``typed`` in place."""
    return client.post(change_url(obj), {**form_data(client.get(change_url(obj))), **typed})


def field_errors(response, name: str) -> list[str]:
    return list(response.context["adminform"].form.errors.get(name, []))


@pytest.mark.parametrize("typed", ["令和7年4月1日", "2025年4月1日", "R7.4.1", "２０２５／４／１"])
def test_a_date_typed_in_a_japanese_form_is_stored_as_that_day(admin_client, typed):
    activity = ActivityFactory()
    response = post_change(admin_client, activity, start_date=typed)
    assert response.status_code == 302, field_errors(response, "start_date")
    activity.refresh_from_db()
    assert activity.start_date == APRIL_FIRST
    assert activity.fiscal_year == 2025


def test_participants_typed_in_full_width_digits_with_separators_are_stored(admin_client):
    activity = ActivityFactory()
    response = post_change(
        admin_client,
        activity,
        start_date="令和7年4月1日",
        end_date="2025年4月3日",
        inbound_participants="１，２００",
        outbound_participants="1,234",
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.start_date, activity.end_date) == (APRIL_FIRST, dt.date(2025, 4, 3))
    assert (activity.inbound_participants, activity.outbound_participants) == (1200, 1234)


def test_an_add_form_reads_japanese_dates_and_numbers_too(admin_client):
    template = ActivityFactory()
    typed = {
        **form_data(admin_client.get(change_url(template))),
        "external_ref": "ACT-JA-1",
        "start_date": "令和7年4月1日",
        "inbound_participants": "１，２００",
    }
    response = admin_client.post(reverse("admin:portfolio_activity_add"), typed)
    assert response.status_code == 302
    added = Activity.objects.get(external_ref="ACT-JA-1")
    assert (added.start_date, added.inbound_participants) == (APRIL_FIRST, 1200)


def test_a_budget_in_yen_reads_full_width_digits_and_the_yen_sign(admin_client):
    initiative = ActivityFactory().initiative
    response = post_change(
        admin_client, initiative, budget_jpy="１，２００，０００円", start_date="R7.4.1"
    )
    assert response.status_code == 302
    initiative = Initiative.objects.get(pk=initiative.pk)
    assert (initiative.budget_jpy, initiative.start_date) == (1_200_000, APRIL_FIRST)


def test_decimals_of_a_form_and_of_its_inline_rows_read_separators(admin_client):
    indicator = IndicatorFactory()
    value = IndicatorValueFactory(indicator=indicator)
    page = admin_client.get(change_url(indicator))
    formset = page.context["inline_admin_formsets"][0].formset
    target = formset.forms[0]["target"].html_name
    response = admin_client.post(
        change_url(indicator),
        {**form_data(page), "baseline": "１，２３４．５", target: "1,000"},
    )
    assert response.status_code == 302
    assert Indicator.objects.get(pk=indicator.pk).baseline == Decimal("1234.5")
    value.refresh_from_db()
    assert value.target == Decimal("1000")


def test_the_dates_django_reads_are_still_read(admin_client):
    activity = ActivityFactory()
    response = post_change(admin_client, activity, start_date="2025-04-01", end_date="04/03/2025")
    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.start_date, activity.end_date) == (APRIL_FIRST, dt.date(2025, 4, 3))


def test_an_unreadable_date_names_the_forms_that_are_read(admin_client):
    activity = ActivityFactory()
    response = post_change(admin_client, activity, start_date="来週の月曜")
    assert response.status_code == 200
    assert field_errors(response, "start_date") == [
        "“来週の月曜” is not a date. "
        "Write dates as 2025-04-01, 2025/4/1, 2025年4月1日 or 令和7年4月1日."
    ]
    activity.refresh_from_db()
    assert activity.start_date == dt.date(2025, 6, 1)


@pytest.mark.parametrize(
    "typed, problem",
    [
        ("2025年2月30日", "“2025年2月30日” is not a day of the calendar."),
        ("平成32年4月1日", "“平成32年4月1日” is not a day of 平成: 平成 (Heisei) runs from"),
    ],
)
def test_a_date_that_is_no_day_is_refused_saying_why(admin_client, typed, problem):
    activity = ActivityFactory()
    response = post_change(admin_client, activity, start_date=typed)
    assert response.status_code == 200
    assert field_errors(response, "start_date")[0].startswith(problem)


def test_an_unreadable_number_names_the_forms_that_are_read(admin_client):
    activity = ActivityFactory()
    response = post_change(admin_client, activity, inbound_participants="千二百")
    assert field_errors(response, "inbound_participants") == [
        "“千二百” is not a whole number. Write whole numbers as 1200, 1,200 or １，２００."
    ]


def test_a_japanese_reader_is_told_the_readable_forms_in_japanese(admin_client, settings):
    activity = ActivityFactory()
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    response = post_change(admin_client, activity, inbound_participants="千二百")
    assert field_errors(response, "inbound_participants") == [
        "「千二百」は整数ではありません。整数は 1200、1,200、１，２００ のように書いてください。"
    ]


def test_a_negative_count_is_still_refused_by_the_model_field(admin_client):
    activity = ActivityFactory()
    response = post_change(admin_client, activity, inbound_participants="－５")
    assert response.status_code == 200
    assert field_errors(response, "inbound_participants")


def test_the_date_keeps_the_admin_calendar_and_numbers_take_typed_text(admin_client):
    page = admin_client.get(change_url(ActivityFactory())).content.decode()
    assert 'class="vDateField"' in page and "admin/js/admin/DateTimeShortcuts.js" in page
    # A browser's number box would drop １，２００ before sending it.
    assert 'name="inbound_participants"' in page
    assert 'type="number"' not in page
    assert 'inputmode="numeric"' in page
