"""Opening a cycle creates what each office owes in it, and nothing for anyone else."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from policies.models import Indicator, IndicatorValue
from portfolio.models import Initiative, InitiativeStatus, Milestone
from reporting.models import FigureReport, MilestoneProgress, Period, Report, ReportingCycle
from tests.factories import (
    FrameworkFactory,
    GoalFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    InitiativeFactory,
    InstitutionFactory,
)
from tests.reporting.conftest import open_cycle


def owed_codes(cycle: ReportingCycle) -> set[str]:
    return set(cycle.reports.values_list("initiative__code", flat=True))


def test_a_report_is_owed_by_each_initiative_under_way_in_the_period(home):
    institution = home["institution"]
    under_way = {
        "PLANNED": dict(status=InitiativeStatus.PLANNED, start_date=dt.date(2025, 6, 1)),
        "ON-HOLD": dict(status=InitiativeStatus.ON_HOLD),
        "ENDED-IN-MAY": dict(status=InitiativeStatus.COMPLETED, end_date=dt.date(2025, 5, 31)),
    }
    not_owing = {
        "PROPOSED": dict(status=InitiativeStatus.PROPOSED),
        "CANCELLED": dict(status=InitiativeStatus.CANCELLED),
        "ENDED-LAST-YEAR": dict(status=InitiativeStatus.COMPLETED, end_date=dt.date(2025, 3, 31)),
        "STARTS-IN-AUTUMN": dict(status=InitiativeStatus.PLANNED, start_date=dt.date(2025, 10, 1)),
        "ACTIVE-UNTIL-MARCH": dict(end_date=dt.date(2025, 3, 31)),
    }
    for code, fields in {**under_way, **not_owing}.items():
        InitiativeFactory(institution=institution, code=code, **fields)
    InitiativeFactory(institution=InstitutionFactory(code="TMU"), code="ELSEWHERE")

    cycle = open_cycle(institution, home["admin"])

    assert owed_codes(cycle) == {"EXCHANGE", *under_way}


def test_each_report_lists_its_initiatives_open_milestones(home):
    initiative = home["initiative"]
    Milestone.objects.create(
        initiative=initiative, title="Done already", due_date=dt.date(2025, 4, 1), done=True
    )

    cycle = open_cycle(home["institution"], home["admin"])

    report = cycle.reports.get(initiative=initiative)
    assert sorted(report.milestones.values_list("milestone__title", flat=True)) == [
        "First cohort",
        "Sign the MOU",
    ]


def test_figures_are_owed_in_the_cycle_that_ends_the_fiscal_year(home):
    institution = home["institution"]
    no_target = IndicatorFactory(goal=home["indicator"].goal)
    IndicatorValueFactory(indicator=no_target, fiscal_year=2025, target=None)
    other_year = IndicatorFactory(goal=home["indicator"].goal)
    IndicatorValueFactory(indicator=other_year, fiscal_year=2024, target=10)
    IndicatorValueFactory(fiscal_year=2025, target=10)  # another institution's indicator

    first_quarter = open_cycle(institution, home["admin"], period=Period.Q1)
    last_quarter = open_cycle(institution, home["admin"], period=Period.Q4)

    assert not first_quarter.figures.exists()
    assert list(last_quarter.figures.values_list("indicator", flat=True)) == [home["indicator"].pk]


def test_what_a_cycle_creates_is_in_its_history_with_who_opened_it(home):
    cycle = open_cycle(home["institution"], home["admin"], period=Period.YEAR)

    for model in (Report, MilestoneProgress, FigureReport, ReportingCycle):
        rows = model.history.filter(history_type="+")
        assert rows.count() >= 1
        assert set(rows.values_list("history_user", "history_change_reason")) == {
            (home["admin"].pk, "FY2025 round")
        }
    assert cycle.opened_by == home["admin"]


def institution_with_initiatives(count: int, code: str):
    """An institution with ``count`` initiatives, each with an open milestone and an indicator
    with a target for FY2025 (written in bulk: the test measures the opening, not this)."""
    institution = InstitutionFactory(code=code)
    goal = GoalFactory(framework=FrameworkFactory(institution=institution))
    initiatives = Initiative.objects.bulk_create(
        Initiative(institution=institution, code=f"{code}-{n}", title="Exchange", status="active")
        for n in range(count)
    )
    Milestone.objects.bulk_create(
        Milestone(initiative=initiative, title="Step", due_date=dt.date(2025, 6, 1))
        for initiative in initiatives
    )
    indicators = Indicator.objects.bulk_create(
        Indicator(goal=goal, code=f"{code}-{n}", name="Students", unit_of_measure="students")
        for n in range(count)
    )
    IndicatorValue.objects.bulk_create(
        IndicatorValue(indicator=indicator, fiscal_year=2025, target=5) for indicator in indicators
    )
    return institution


def test_opening_a_cycle_takes_as_many_queries_for_50_initiatives_as_for_5(
    home, django_assert_num_queries
):
    few, many = institution_with_initiatives(5, "FEW"), institution_with_initiatives(50, "MANY")
    with CaptureQueriesContext(connection) as queries:
        open_cycle(few, home["admin"], period=Period.Q4)

    with django_assert_num_queries(len(queries)):
        cycle = open_cycle(many, home["admin"], period=Period.Q4)

    assert cycle.reports.count() == cycle.figures.count() == 50
    assert MilestoneProgress.objects.filter(report__cycle=cycle).count() == 50


def test_opening_a_cycle_for_2000_initiatives_writes_in_batches(
    home, django_assert_max_num_queries
):
    institution = institution_with_initiatives(2000, "BIG")

    # 2,000 reports, 2,000 milestone lines, 2,000 figures and their 6,000 history rows go in
    # batches (of 500, or as many as SQLite's 999 parameters a query allow): some dozens of
    # queries, where a write a row would be 12,000.
    with django_assert_max_num_queries(200):
        cycle = open_cycle(institution, home["admin"], period=Period.Q4)

    assert cycle.reports.count() == cycle.figures.count() == 2000
    assert Report.history.filter(cycle=cycle, history_user=home["admin"]).count() == 2000
