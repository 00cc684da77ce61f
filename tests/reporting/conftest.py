"""Fixtures of every test of the reporting cycle: an institution with what a cycle owes
(``home``, ``open_cycle``), and the reminders' real SMTP server on loopback (``smtp``) and a
cycle with owners in two languages (``cycle``), defined in ``test_reminders``."""

import datetime as dt

import pytest

from common.roles import ADMINISTRATOR, EDITOR, REVIEWER
from portfolio.models import Milestone
from reporting.models import Period, ReportingCycle
from reporting.services import cycle_open
from tests.factories import (
    FrameworkFactory,
    GoalFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    InitiativeFactory,
    InstitutionFactory,
    UnitFactory,
    user_with_role,
)
from tests.reporting.test_reminders import cycle, smtp  # noqa: F401 (fixtures, shared)


@pytest.fixture
def home(db):
    """Kyoto's office: an active initiative with two open milestones and an indicator with a
    target for FY2025, an editor who owns the reports, a reviewer and an administrator."""
    institution = InstitutionFactory(code="KYOTO")
    unit = UnitFactory(institution=institution, code="IO")
    initiative = InitiativeFactory(institution=institution, lead_unit=unit, code="EXCHANGE")
    for title, day in (
        ("Sign the MOU", dt.date(2025, 5, 1)),
        ("First cohort", dt.date(2025, 6, 1)),
    ):
        Milestone.objects.create(initiative=initiative, title=title, due_date=day)
    indicator = IndicatorFactory(
        goal=GoalFactory(framework=FrameworkFactory(institution=institution))
    )
    IndicatorValueFactory(indicator=indicator, fiscal_year=2025, target=120, actual=None)
    return {
        "institution": institution,
        "unit": unit,
        "initiative": initiative,
        "indicator": indicator,
        "editor": user_with_role(
            EDITOR, institutions=[institution], username="owner", is_staff=True
        ),
        "reviewer": user_with_role(
            REVIEWER, institutions=[institution], username="reviewer", is_staff=True
        ),
        "admin": user_with_role(ADMINISTRATOR, username="office-admin", is_staff=True),
    }


def open_cycle(institution, admin, *, period=Period.Q1, fiscal_year=2025) -> ReportingCycle:
    unsaved = ReportingCycle(
        institution=institution,
        fiscal_year=fiscal_year,
        period=period,
        due_date=dt.date(fiscal_year, 7, 15),
    )
    return cycle_open(cycle=unsaved, user=admin, reason="FY2025 round")
