"""The initiative's page: what it pursues, who carries it, what it did and how it has gone."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.roles import LEADERSHIP
from portfolio.models import Activity
from tests.factories import (
    ActivityFactory,
    GoalFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    InitiativeFactory,
    InstitutionFactory,
    PartnerFactory,
    ProgressUpdateFactory,
    UnitFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    institution = InstitutionFactory(code="HOME")
    client.force_login(user_with_role(LEADERSHIP, institutions=[institution]))
    return institution


@pytest.fixture
def initiative(home):
    lead = UnitFactory(institution=home, name="Lead Office")
    initiative = InitiativeFactory(
        institution=home,
        lead_unit=lead,
        code="HOME-LAB",
        title="On-site laboratories",
        start_date=dt.date(2025, 4, 1),
    )
    goal = GoalFactory(framework__institution=home, code="CONNECT", title="Connect")
    initiative.goals.add(goal)
    initiative.contributing_units.add(UnitFactory(institution=home, name="Helping Faculty"))
    initiative.partners.add(PartnerFactory(name="Chulalongkorn University"))
    indicator = IndicatorFactory(goal=goal, name="Students sent abroad")
    IndicatorValueFactory(
        indicator=indicator, fiscal_year=2025, target=Decimal("100.00"), actual=Decimal("12.50")
    )
    ProgressUpdateFactory(
        initiative=initiative, fiscal_year=2025, quarter=2, narrative="Two labs opened."
    )
    return initiative


def page_of(client, initiative, **params) -> str:
    response = client.get(reverse("dashboards:initiative", args=[initiative.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def rows_of(html: str, table: str) -> list[str]:
    body = html.split(f'id="{table}-data"')[1].split("</table>")[0]
    return [text_of(row).strip() for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]]


def test_the_page_shows_goals_units_partners_updates_and_indicators(client, initiative):
    page = page_of(client, initiative, fy=2025)
    text = text_of(page)
    goal = initiative.goals.get()
    assert reverse("dashboards:goal", args=[goal.pk]) in page
    assert reverse("dashboards:unit", args=[initiative.lead_unit_id]) in page
    assert "Lead unit Lead Office" in text and "Helping Faculty" in text
    assert "Chulalongkorn University (TH)" in text
    assert "Two labs opened." in text and "FY2025 Q2" in text
    # A whole target prints as 100, not 100.00; a fraction keeps its digits and drops the zero.
    assert rows_of(page, "indicators") == ["Students sent abroad CONNECT FY2025 100 12.5 no"]


def test_activities_are_counted_by_year_and_listed_for_the_year(client, initiative):
    for year, count in ((2024, 2), (2025, 3)):
        for _ in range(count):
            ActivityFactory(initiative=initiative, start_date=dt.date(year, 6, 1))
    ActivityFactory(start_date=dt.date(2025, 6, 1))  # another initiative's
    page = page_of(client, initiative, fy=2025)
    assert rows_of(page, "activities-by-year") == ["FY2024 2 6 4", "FY2025 3 9 6"]
    listed = rows_of(page, "activities")
    assert len(listed) == 3 and all(row.startswith("2025-06-01 ") for row in listed)
    assert "Activities, FY2025 (3 of 3)" in text_of(page)


def test_status_and_health_over_time_come_from_the_history(client, initiative):
    for status, health in (("active", "at_risk"), ("active", "at_risk"), ("on_hold", "off_track")):
        initiative.status, initiative.health = status, health
        initiative.save()
    rows = rows_of(page_of(client, initiative), "status")
    # Saves that changed neither are not listed as changes of state.
    assert [row.split(" ", 1)[1] for row in rows] == [
        "Active On track",
        "Active At risk",
        "On hold Off track",
    ]


def test_dates_are_unambiguous_in_either_language(client, initiative, settings):
    ActivityFactory(initiative=initiative, start_date=dt.date(2025, 4, 3))
    assert "2025-04-03" in page_of(client, initiative, fy=2025)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    page = page_of(client, initiative, fy=2025)
    assert "2025年4月3日" in page and "04/03/2025" not in page


def test_an_initiative_out_of_reach_is_not_found(client, home):
    elsewhere = InitiativeFactory(institution=InstitutionFactory(code="AWAY"))
    response = client.get(reverse("dashboards:initiative", args=[elsewhere.pk]))
    assert response.status_code == 404


def test_initiative_codes_on_the_goal_and_unit_pages_link_to_it(client, initiative):
    url = reverse("dashboards:initiative", args=[initiative.pk])
    link = re.compile(rf'<a href="{re.escape(url)}\?[^"]*">HOME-LAB</a>')
    goal = initiative.goals.get()
    for page in (
        reverse("dashboards:goal", args=[goal.pk]),
        reverse("dashboards:unit", args=[initiative.lead_unit_id]),
    ):
        assert link.search(client.get(page).content.decode()), page


def grow(initiative, n: int, first_year: int) -> None:
    """n more activities, progress updates, saves (history rows) and indicator figures."""
    ActivityFactory.create_batch(n, initiative=initiative, start_date=dt.date(2025, 6, 1))
    indicator = IndicatorFactory(goal=initiative.goals.get())
    for k in range(n):
        ProgressUpdateFactory(
            initiative=initiative, fiscal_year=first_year + k // 4, quarter=1 + k % 4
        )
        IndicatorValueFactory(indicator=indicator, fiscal_year=2000 + k)
        initiative.health = ["on_track", "at_risk"][k % 2]
        initiative.save()
    initiative.partners.add(*PartnerFactory.create_batch(n))


def test_page_queries_do_not_grow_with_the_data(client, initiative, django_assert_num_queries):
    url = reverse("dashboards:initiative", args=[initiative.pk])
    grow(initiative, 2, first_year=2000)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, {"fy": 2025}).status_code == 200
    grow(initiative, 30, first_year=2010)
    assert Activity.objects.filter(initiative=initiative).count() == 32
    # session, user, permissions (2), the reader's access (groups, scope's units and
    # institutions), the filters (first and last year, first indicator year, institutions,
    # regions, units); then the initiative, goals, contributing units, partners, activities by
    # year, the year's activities, progress updates, states over time, indicator figures,
    # recent changes: as many with 32 activities as with 2.
    with django_assert_num_queries(len(few)):
        assert client.get(url, {"fy": 2025}).status_code == 200
    assert len(few) == 23
