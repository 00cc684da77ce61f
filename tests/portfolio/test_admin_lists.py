"""The admin's activity list, built to read no more than it shows (``common.admin_lists``).

Its filters offer choices from the reference tables and from the ends of an index, its date
hierarchy runs from the first date to the last, its search finds English and Japanese words, its
pages follow the list's order, and its queries are as many at 400 activities as at 150. The
speed itself is measured at a million activities by ``bench/admin_bench.py``.
"""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.admin_lists import EstimatedCountPaginator, roughly
from common.roles import EDITOR
from portfolio.models import Activity
from tests.conftest import on_postgresql
from tests.factories import (
    ActivityFactory,
    GoalFactory,
    InitiativeFactory,
    InstitutionFactory,
    PartnerFactory,
    UnitFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db
LIST = reverse("admin:portfolio_activity_changelist")


@pytest.fixture
def initiative():
    return InitiativeFactory(code="LIST", institution=InstitutionFactory(code="HOME"))


def activities(initiative, count: int, *, first: dt.date = dt.date(2025, 6, 1), **fields):
    """``count`` activities of ``initiative``, one a day from ``first`` on, sharing a partner."""
    partner = PartnerFactory()
    return [
        ActivityFactory(
            initiative=initiative,
            partner=partner,
            start_date=first + dt.timedelta(days=n),
            **fields,
        )
        for n in range(count)
    ]


def filter_choices(response, title: str) -> list[str]:
    spec = next(spec for spec in response.context["cl"].filter_specs if spec.title == title)
    return [choice["display"] for choice in spec.choices(response.context["cl"])]


def shown(response) -> list[str]:
    return [activity.external_ref for activity in response.context["cl"].result_list]


def test_the_list_shows_the_newest_activities_first(admin_client, initiative):
    older, newer = activities(initiative, 2)
    response = admin_client.get(LIST)
    assert response.status_code == 200
    assert shown(response) == [newer.external_ref, older.external_ref]
    assert "Thailand" in response.content.decode()  # the country column names the country


def test_the_fiscal_years_offered_run_from_the_first_to_the_last(admin_client, initiative):
    activities(initiative, 1, first=dt.date(2022, 3, 31))  # FY2021
    activities(initiative, 1, first=dt.date(2024, 4, 1))  # FY2024
    response = admin_client.get(LIST)
    # FY2022 and FY2023 have no activity and are offered all the same: no row is read for them.
    expected = ["All", "FY2021", "FY2022", "FY2023", "FY2024"]
    assert filter_choices(response, "fiscal year") == expected
    assert len(shown(admin_client.get(LIST, {"fiscal_year": "2024"}))) == 1
    assert shown(admin_client.get(LIST, {"fiscal_year": "2023"})) == []


def test_the_fiscal_years_are_written_as_japanese_fiscal_years_in_japanese(
    admin_client, initiative
):
    activities(initiative, 1, first=dt.date(2025, 4, 1))
    response = admin_client.get(LIST, headers={"accept-language": "ja"})
    assert "2025年度" in filter_choices(response, "年度")


def test_the_institution_filter_lists_institutions_not_the_activities_institutions(
    admin_client, initiative
):
    InstitutionFactory(code="NONE", name="University without activities")
    activities(initiative, 1)
    choices = filter_choices(admin_client.get(LIST), "institution")
    assert "University without activities" in choices
    assert str(initiative.institution) in choices


def test_an_editor_is_offered_only_their_own_institutions(client, initiative):
    second = InstitutionFactory(code="SECOND", name="Second University")
    other = InstitutionFactory(code="AWAY", name="Another University")
    activities(initiative, 1)
    ActivityFactory(initiative=InitiativeFactory(institution=other))
    editor = user_with_role(EDITOR, institutions=[initiative.institution, second], is_staff=True)
    client.force_login(editor)
    response = client.get(LIST)
    choices = filter_choices(response, "institution")
    assert sorted(choices) == sorted(["All", str(initiative.institution), str(second)])
    assert len(shown(response)) == 1


def test_the_date_hierarchy_runs_from_the_first_year_to_the_last(admin_client, initiative):
    activities(initiative, 1, first=dt.date(2021, 5, 1))
    activities(initiative, 1, first=dt.date(2024, 2, 1))
    years = admin_client.get(LIST).content.decode()
    for year in (2021, 2022, 2023, 2024):
        assert f"?start_date__year={year}" in years
    months = admin_client.get(LIST, {"start_date__year": "2024"}).content.decode()
    assert "start_date__month=2" in months and "start_date__month=3" not in months


def test_a_list_within_one_month_opens_at_its_days(admin_client, initiative):
    activities(initiative, 3, first=dt.date(2025, 6, 10))
    page = admin_client.get(LIST).content.decode()
    days = re.findall(r"start_date__day=(\d+)", page)
    assert days == ["10", "11", "12"]


def test_a_chosen_day_lists_its_activities(admin_client, initiative):
    activities(initiative, 3, first=dt.date(2025, 6, 10))
    response = admin_client.get(
        LIST, {"start_date__year": "2025", "start_date__month": "6", "start_date__day": "11"}
    )
    assert len(shown(response)) == 1


@pytest.mark.parametrize(
    "term", ["symposium", "SYMPOSIUM", "共同研究", "研究", "シンポジウム", "京都"], ids=str
)
def test_the_search_finds_english_and_japanese_words(admin_client, initiative, term):
    wanted = ActivityFactory(initiative=initiative, title="Joint symposium 共同研究シンポジウム")
    ActivityFactory(initiative=initiative, title="Summer school", city="京都市")
    ActivityFactory(initiative=initiative, title="Delegation visit")
    found = shown(admin_client.get(LIST, {"q": term}))
    if term == "京都":
        assert len(found) == 1 and found != [wanted.external_ref]  # the city is searched too
    else:
        assert found == [wanted.external_ref]


def test_the_search_finds_an_activity_by_its_reference(admin_client, initiative):
    wanted, *_ = activities(initiative, 3)
    assert shown(admin_client.get(LIST, {"q": wanted.external_ref})) == [wanted.external_ref]


def test_the_pages_follow_the_lists_order(admin_client, initiative):
    made = activities(initiative, 150)
    newest_first = [activity.external_ref for activity in reversed(made)]
    first = admin_client.get(LIST)
    second = admin_client.get(LIST, {"p": "2"})
    assert shown(first) == newest_first[:100]
    assert shown(second) == newest_first[100:]
    assert "150 activities" in first.content.decode()
    assert admin_client.get(LIST, {"p": "3"}).status_code == 302  # past the end: the list again


def test_the_list_queries_do_not_grow_with_the_activities(
    admin_client, initiative, django_assert_num_queries
):
    activities(initiative, 150)
    admin_client.get(LIST, {"p": "2"})
    with CaptureQueriesContext(connection) as few:
        admin_client.get(LIST, {"p": "2"})
    activities(initiative, 250, first=dt.date(2026, 6, 1))
    # session, user; the fiscal years' MIN/MAX, the institutions; on PostgreSQL the planner's
    # estimate of the count; the count (exact below 10,000 rows); the page's ids, its rows with
    # their initiative, unit and partner; the date hierarchy's MIN/MAX: 9, and 10 on PostgreSQL.
    with django_assert_num_queries(len(few)):
        response = admin_client.get(LIST, {"p": "2"})
    assert len(shown(response)) == 100
    assert len(few) == 9 + on_postgresql()


def test_a_scoped_editors_list_queries_do_not_grow_with_the_activities(
    client, initiative, django_assert_num_queries
):
    editor = user_with_role(EDITOR, institutions=[initiative.institution], is_staff=True)
    client.force_login(editor)
    activities(initiative, 150)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    activities(initiative, 250, first=dt.date(2026, 6, 1))
    # as the administrator's, with the editor's permissions (2) and scope (groups, institutions,
    # units) read once
    with django_assert_num_queries(len(few)):
        assert len(shown(client.get(LIST))) == 100


def test_a_large_count_is_estimated_on_postgresql_and_counted_on_sqlite(
    admin_client, initiative, monkeypatch
):
    activities(initiative, 150)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE portfolio_activity")
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_above", 50)
    response = admin_client.get(LIST)
    paginator = response.context["cl"].paginator
    page = response.content.decode()
    if on_postgresql():
        assert paginator.estimated
        assert f"about {paginator.shown_count} activities" in page
    else:
        assert not paginator.estimated
        assert "150 activities" in page
    assert len(shown(response)) == 100


def test_an_estimated_count_says_about_in_japanese(admin_client, initiative, monkeypatch):
    activities(initiative, 3)
    monkeypatch.setattr(EstimatedCountPaginator, "estimated", True)
    monkeypatch.setattr(EstimatedCountPaginator, "shown_count", 3)
    page = admin_client.get(LIST, {"q": "Activity"}, headers={"accept-language": "ja"})
    assert "約 3 件の活動" in page.content.decode()
    assert "結果 約 3 件" in page.content.decode()


@pytest.mark.parametrize(
    ("count", "rough"), [(7, 7), (99, 99), (83_180, 83_000), (41_842, 42_000), (10**6, 10**6)]
)
def test_an_estimate_is_shown_to_two_figures(count, rough):
    assert roughly(count) == rough


def test_the_initiatives_goal_count_counts_each_goal_once(admin_client):
    initiative = InitiativeFactory()
    goals = GoalFactory.create_batch(2, framework__institution=initiative.institution)
    initiative.goals.add(*goals)
    initiative.partners.add(*PartnerFactory.create_batch(3))
    initiative.contributing_units.add(UnitFactory(institution=initiative.institution))
    response = admin_client.get(reverse("admin:portfolio_initiative_changelist"))
    (row,) = response.context["cl"].result_list
    assert row._goals == 2


@pytest.mark.postgresql
@pytest.mark.parametrize(
    ("column", "term"), [("title", "共同研究"), ("title", "symposium"), ("external_ref", "A-0001")]
)
def test_the_trigram_indexes_serve_the_search_on_postgresql(admin_client, column, term):
    """The index's expression is the one Django's ``icontains`` writes (``UPPER(col::text)``):
    the planner, kept from reading the whole table or an index in order (a test's table is
    tiny), finds the rows through the trigram index."""
    queryset = Activity.objects.filter(**{f"{column}__icontains": term}).order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = queryset.explain()
    assert f"portfolio_act_{column}_trgm" in plan
