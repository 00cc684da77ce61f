"""The reporting cycle in the admin: opening, writing, reviewing, and who may do which."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.roles import EDITOR, REVIEWER, UNIT_EDITOR
from portfolio.models import ProgressUpdate
from reporting.models import Evidence, Report, ReportingCycle, State
from reporting.services import (
    comment_add,
    evidence_add,
    figure_save,
    report_save,
    report_submit,
)
from tests.admin_forms import form_data
from tests.factories import IndicatorValueFactory, InstitutionFactory, user_with_role
from tests.reporting.conftest import open_cycle


@pytest.fixture
def report(home, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return open_cycle(home["institution"], home["admin"]).reports.get()


def url(report: Report, step: str = "change") -> str:
    if step == "change":
        return reverse("admin:reporting_report_change", args=[report.pk])
    return reverse(f"admin:reporting_report_{step}", args=[report.pk])


def submitted(report: Report, home, *, writer=None) -> Report:
    report.health, report.narrative = "on_track", "Both partners signed."
    report_save(report=report, user=writer or home["editor"], reason="Draft")
    report_submit(report=report, user=home["editor"])
    return report


def test_an_administrator_opens_a_cycle_from_the_add_page(client, home):
    client.force_login(home["admin"])
    response = client.post(
        reverse("admin:reporting_reportingcycle_add"),
        {
            "institution": home["institution"].pk,
            "fiscal_year": "2025",
            "period": "q2",
            "due_date": "2025-10-15",
            "remind_days_before": "7",
            "escalate_after_days": "7",
            "change_reason": "Second quarter",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    cycle = ReportingCycle.objects.get()
    assert (cycle.period, cycle.opened_by) == ("q2", home["admin"])
    assert cycle.reports.get().initiative == home["initiative"]
    assert cycle.reports.get().history.get().history_change_reason == "Second quarter"


def test_only_administrators_open_cycles(client, home):
    client.force_login(home["editor"])

    assert client.get(reverse("admin:reporting_reportingcycle_add")).status_code == 403


def test_an_owner_writes_the_report_and_its_milestones_and_adds_evidence(client, home, report):
    client.force_login(home["editor"])
    data = form_data(client.get(url(report)))
    data |= {"health": "at_risk", "narrative": "The cohort is late.", "change_reason": "Q1"}
    data["milestones-0-done"] = "on"
    data["evidence-2-TOTAL_FORMS"] = "1"
    data["evidence-2-0-file"] = SimpleUploadedFile("minutes.pdf", b"%PDF-1.7 minutes")

    response = client.post(url(report), data)

    assert response.status_code == 302, response.context["errors"]
    report.refresh_from_db()
    assert (report.state, report.health) == (State.DRAFT, "at_risk")
    assert report.milestones.filter(done=True).count() == 1
    evidence = report.evidence.get()
    assert (evidence.file_name, evidence.added_by) == ("minutes.pdf", home["editor"])
    page = client.get(url(report)).content.decode()
    assert "minutes.pdf" in page and "owner" in page


def test_a_reviewer_opens_the_evidence_as_a_download_and_a_stranger_does_not(client, home, report):
    evidence = evidence_add(
        report=report, upload=SimpleUploadedFile("minutes.pdf", b"%PDF-1.7"), user=home["editor"]
    )
    download = reverse("admin:reporting_report_evidence", args=[report.pk, evidence.pk])
    client.force_login(home["reviewer"])

    assert download in client.get(url(report)).content.decode()
    response = client.get(download)

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="minutes.pdf"'
    assert b"".join(response.streaming_content) == b"%PDF-1.7"
    stranger = user_with_role(
        REVIEWER, institutions=[InstitutionFactory(code="TMU")], username="tmu", is_staff=True
    )
    client.force_login(stranger)
    assert client.get(download).status_code == 404


def test_an_owner_removes_a_file_from_the_report_page(client, home, report):
    evidence_add(
        report=report, upload=SimpleUploadedFile("wrong.pdf", b"%PDF-1.7"), user=home["editor"]
    )
    client.force_login(home["editor"])
    data = form_data(client.get(url(report))) | {"health": "on_track", "narrative": "x"}
    data["evidence-0-DELETE"] = "on"

    assert client.post(url(report), data).status_code == 302

    assert not report.evidence.exists()
    assert Evidence.history.filter(history_type="-", history_user=home["editor"]).exists()


def test_an_html_page_named_pdf_is_refused_on_the_report_page(client, home, report):
    client.force_login(home["editor"])
    data = form_data(client.get(url(report))) | {"health": "on_track", "narrative": "x"}
    data["evidence-2-TOTAL_FORMS"] = "1"
    data["evidence-2-0-file"] = SimpleUploadedFile("minutes.pdf", b"<html><script></script>")

    response = client.post(url(report), data)

    assert response.status_code == 200
    assert "“minutes.pdf” is not a PDF" in response.content.decode()
    assert not report.evidence.exists()


def test_the_owner_submits_and_the_page_is_locked(client, home, report):
    report.health, report.narrative = "on_track", "Signed."
    report_save(report=report, user=home["editor"], reason="Draft")
    client.force_login(home["editor"])

    assert client.post(url(report, "submit"), {"comment": "Ready"}).status_code == 302

    report.refresh_from_db()
    assert report.state == State.SUBMITTED
    assert client.post(url(report), {}).status_code == 403
    assert b"Submit for review" not in client.get(url(report)).content


def test_a_reviewer_sees_approve_and_return_only_on_submitted_reports(client, home, report):
    client.force_login(home["reviewer"])
    assert b"Return to the owners" not in client.get(url(report)).content

    submitted(report, home)

    page = client.get(url(report)).content
    assert b"Return to the owners" in page and b"Approve" in page


def test_a_reviewer_approves_from_the_page_and_the_update_is_published(client, home, report):
    submitted(report, home)
    client.force_login(home["reviewer"])

    response = client.post(url(report, "approve"), {"comment": "Good"})

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == State.APPROVED
    assert ProgressUpdate.objects.get().narrative == "Both partners signed."


def test_a_return_without_a_comment_is_refused_with_a_message(client, home, report):
    submitted(report, home)
    client.force_login(home["reviewer"])

    response = client.post(url(report, "return"), {"comment": ""}, follow=True)

    assert "a return needs a comment" in response.content.decode()
    report.refresh_from_db()
    assert report.state == State.SUBMITTED


def test_approving_a_report_one_wrote_is_forbidden(client, home, report):
    both = user_with_role(EDITOR, institutions=[home["institution"]], username="both")
    both.groups.add(*home["reviewer"].groups.all())
    both.is_staff = True
    both.save()
    submitted(report, home, writer=both)
    client.force_login(both)

    assert b"another reviewer reviews it" in client.get(url(report)).content
    assert client.post(url(report, "approve")).status_code == 403
    assert client.post(url(report, "return"), {"comment": "No"}).status_code == 403
    report.refresh_from_db()
    assert report.state == State.SUBMITTED


def test_a_reviewer_of_another_institution_does_not_find_the_report(client, home, report):
    submitted(report, home)
    stranger = user_with_role(
        REVIEWER, institutions=[InstitutionFactory(code="TMU")], username="tmu", is_staff=True
    )
    client.force_login(stranger)

    assert client.get(url(report)).status_code == 404
    assert client.post(url(report, "approve")).status_code == 404


def test_comments_and_replies_are_threaded_on_the_report(client, home, report):
    client.force_login(home["reviewer"])
    client.post(url(report, "comment"), {"body": "Which partners?"})
    question = report.comments.get()
    client.force_login(home["editor"])

    client.post(url(report, "comment"), {"body": "Chulalongkorn.", "parent": question.pk})

    reply = report.comments.get(parent=question)
    assert reply.author == home["editor"]
    page = client.get(url(report)).content.decode()
    # The reply follows the comment it answers, set in by one level.
    assert page.index("Which partners?") < page.index('class="comment depth-1"')


@pytest.mark.parametrize("model", ["reportingcycle", "report", "figurereport"])
def test_the_lists_take_no_more_queries_for_three_rows_than_for_one(
    client, home, django_assert_max_num_queries, model
):
    client.force_login(home["reviewer"])
    open_cycle(home["institution"], home["admin"], period="year")
    changelist = reverse(f"admin:reporting_{model}_changelist")
    client.get(changelist)  # warm the caches of content types and sessions
    with CaptureQueriesContext(connection) as one:
        client.get(changelist)
    for fiscal_year in (2026, 2027):
        IndicatorValueFactory(indicator=home["indicator"], fiscal_year=fiscal_year, target=1)
        open_cycle(home["institution"], home["admin"], period="year", fiscal_year=fiscal_year)

    with django_assert_max_num_queries(len(one)):
        response = client.get(changelist)

    assert response.context["cl"].result_count == 3


def test_a_unit_editor_of_the_goals_unit_writes_and_submits_its_figure(client, home):
    home["indicator"].goal.units.add(home["unit"])
    unit_editor = user_with_role(UNIT_EDITOR, units=[home["unit"]], username="ue", is_staff=True)
    figure = open_cycle(home["institution"], home["admin"], period="q4").figures.get()
    change = reverse("admin:reporting_figurereport_change", args=[figure.pk])
    client.force_login(unit_editor)
    data = form_data(client.get(change)) | {"actual": "118", "change_reason": "Registrar's count"}

    assert client.post(change, data).status_code == 302
    client.post(reverse("admin:reporting_figurereport_submit", args=[figure.pk]))

    figure.refresh_from_db()
    assert (figure.state, figure.actual, figure.submitted_by) == ("submitted", 118, unit_editor)


def test_a_reviewer_approves_a_figure_from_its_page(client, home):
    figure = open_cycle(home["institution"], home["admin"], period="year").figures.get()
    figure.actual = 125
    figure_save(figure=figure, user=home["editor"])
    client.force_login(home["editor"])
    client.post(reverse("admin:reporting_figurereport_submit", args=[figure.pk]))
    client.force_login(home["reviewer"])
    change = reverse("admin:reporting_figurereport_change", args=[figure.pk])

    assert b"Return to the owners" in client.get(change).content
    client.post(reverse("admin:reporting_figurereport_approve", args=[figure.pk]))

    value = home["indicator"].values.get(fiscal_year=2025)
    assert (value.target, value.actual) == (120, 125)


def test_a_reports_page_takes_no_more_queries_for_more_comments_and_files(
    client, home, report, django_assert_max_num_queries
):
    # (Each milestone line carries its version for the edit-conflict check, a query a line.)
    def add_rows(count: int) -> None:
        for number in range(count):
            comment_add(report=report, author=home["reviewer"], body=f"Question {number}")
            evidence_add(
                report=report,
                upload=SimpleUploadedFile(f"{number}.pdf", b"%PDF-1.7"),
                user=home["editor"],
            )

    add_rows(1)
    client.force_login(home["editor"])
    client.get(url(report))
    with CaptureQueriesContext(connection) as few:
        client.get(url(report))
    add_rows(5)

    with django_assert_max_num_queries(len(few)):
        response = client.get(url(report))

    assert len(response.context["comments"]) == 6
