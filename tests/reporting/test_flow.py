"""A report and a figure from draft to approval: every step names its user and its comment."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from common.roles import EDITOR, REVIEWER
from policies.models import IndicatorValue
from portfolio.models import Milestone, ProgressUpdate
from reporting.models import Period, State
from reporting.services import (
    figure_approve,
    figure_return,
    figure_save,
    figure_submit,
    report_approve,
    report_return,
    report_save,
    report_submit,
)
from tests.factories import user_with_role
from tests.reporting.conftest import open_cycle


@pytest.fixture
def report(home):
    cycle = open_cycle(home["institution"], home["admin"])
    return cycle.reports.get(initiative=home["initiative"])


def write_draft(report, user, *, health="at_risk"):
    report.health, report.narrative = health, "Two partners signed; the cohort is late."
    report.narrative_ja = "2校と締結。派遣は遅れている。"
    return report_save(report=report, user=user, reason="First draft")


def test_a_report_goes_from_draft_through_a_return_to_approval(home, report):
    owner, reviewer = home["editor"], home["reviewer"]
    write_draft(report, owner)
    assert report.state == State.DRAFT
    report_submit(report=report, user=owner)

    report_return(report=report, user=reviewer, comment="Say which partners.")
    assert report.state == State.RETURNED
    assert report.comments.get().body == "Say which partners."

    report.narrative = "Chulalongkorn and VNU signed; the cohort is late."
    report_save(report=report, user=owner, reason="As asked")
    report_submit(report=report, user=owner, comment="Partners named")
    report_approve(report=report, user=reviewer, comment="Thank you")

    assert report.state == State.APPROVED
    steps = list(
        report.history.order_by("history_id").values_list(
            "state", "history_user__username", "history_change_reason"
        )
    )
    assert steps == [
        ("not_started", "office-admin", "FY2025 round"),
        ("draft", "owner", "First draft"),
        ("submitted", "owner", "Submitted for review"),
        ("returned", "reviewer", "Returned: Say which partners."),
        ("returned", "owner", "As asked"),
        ("submitted", "owner", "Partners named"),
        ("approved", "reviewer", "Approved: Thank you"),
    ]


def test_approval_publishes_the_progress_update_and_the_milestones_done(home, report):
    write_draft(report, home["editor"])
    signed = report.milestones.get(milestone__title="Sign the MOU")
    signed.done = True
    signed.save()
    report_submit(report=report, user=home["editor"])

    report_approve(report=report, user=home["reviewer"])

    update = ProgressUpdate.objects.get(initiative=home["initiative"])
    assert (update.fiscal_year, update.quarter, update.health) == (2025, 1, "at_risk")
    assert update.narrative_ja == "2校と締結。派遣は遅れている。"
    assert update.history.latest().history_user == home["reviewer"]
    done = dict(Milestone.objects.values_list("title", "done"))
    assert done == {"Sign the MOU": True, "First cohort": False}


def test_a_second_approval_of_the_quarter_rewrites_its_update(home, report):
    write_draft(report, home["editor"])
    report_submit(report=report, user=home["editor"])
    report_approve(report=report, user=home["reviewer"])
    second = open_cycle(home["institution"], home["admin"], period=Period.YEAR)
    # Q4 and the whole year file under the same quarter; Q1 stays as it was.
    annual = second.reports.get()
    write_draft(annual, home["editor"], health="on_track")
    report_submit(report=annual, user=home["editor"])
    report_approve(report=annual, user=home["reviewer"])

    assert set(ProgressUpdate.objects.values_list("quarter", "health")) == {
        (1, "at_risk"),
        (4, "on_track"),
    }


def test_a_return_needs_a_comment(home, report):
    write_draft(report, home["editor"])
    report_submit(report=report, user=home["editor"])

    with pytest.raises(ValidationError, match="a return needs a comment"):
        report_return(report=report, user=home["reviewer"], comment="   ")
    report.refresh_from_db()
    assert report.state == State.SUBMITTED


def test_a_report_needs_its_health_and_a_narrative_to_be_submitted(home, report):
    with pytest.raises(ValidationError, match="health and a narrative"):
        report_submit(report=report, user=home["editor"])


def test_nobody_approves_what_they_wrote(home, report):
    both = user_with_role(EDITOR, institutions=[home["institution"]], username="both")
    both.groups.add(*home["reviewer"].groups.all())
    write_draft(report, both)
    report_submit(report=report, user=home["editor"])

    with pytest.raises(PermissionDenied):
        report_approve(report=report, user=both)  # wrote a draft
    submitter = user_with_role(REVIEWER, institutions=[home["institution"]], username="sub")
    report.refresh_from_db()
    report.submitted_by = submitter
    with pytest.raises(PermissionDenied):
        report_approve(report=report, user=submitter)  # submitted it
    with pytest.raises(PermissionDenied):
        report_approve(report=report, user=home["editor"])  # no reviewer at all


def test_an_approved_figure_is_the_indicators_actual_for_the_year(home):
    cycle = open_cycle(home["institution"], home["admin"], period=Period.Q4)
    figure = cycle.figures.get()
    figure.actual = Decimal("131.5")
    figure_save(figure=figure, user=home["editor"], reason="From the registrar")
    figure_submit(figure=figure, user=home["editor"])
    with pytest.raises(ValidationError):
        figure_return(figure=figure, user=home["reviewer"], comment="")
    figure_return(figure=figure, user=home["reviewer"], comment="Count the summer school too.")
    figure.actual = Decimal("140")
    figure_submit(figure=figure, user=home["editor"])

    figure_approve(figure=figure, user=home["reviewer"])

    value = IndicatorValue.objects.get(indicator=home["indicator"], fiscal_year=2025)
    assert (value.target, value.actual) == (Decimal("120"), Decimal("140"))
    assert value.history.latest().history_user == home["reviewer"]
    reasons = list(figure.history.values_list("history_change_reason", flat=True))
    assert "Returned: Count the summer school too." in reasons


def test_a_report_approved_meanwhile_is_not_approved_again(home, report):
    write_draft(report, home["editor"])
    report_submit(report=report, user=home["editor"])
    stale = type(report).objects.get(pk=report.pk)  # a second reviewer's page, opened before
    report_approve(report=report, user=home["reviewer"])
    second = user_with_role(REVIEWER, institutions=[home["institution"]], username="second")

    with pytest.raises(ValidationError, match="Only a submitted item"):
        report_approve(report=stale, user=second)
    assert ProgressUpdate.objects.get().history.count() == 1
