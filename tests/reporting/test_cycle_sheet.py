"""A cycle's figures by spreadsheet: a steward downloads what is owed, fills in the actuals and
uploads it; each figure is then submitted in the steward's name, for the same review."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation

from common.access import access_for
from common.roles import DATA_STEWARD, REVIEWER
from imports.engine import KINDS, export_table
from imports.formats import read_table, write_table
from imports.services import import_confirm, import_preview, import_undo
from policies.models import IndicatorValue
from reporting.models import FigureReport, Period, ReportingCycle, State
from reporting.services import figure_approve, figure_save, figure_submit
from tests.factories import IndicatorFactory, IndicatorValueFactory, user_with_role
from tests.reporting.conftest import open_cycle

pytestmark = pytest.mark.django_db
KIND = "cycle-figures"
HEADERS = KINDS[KIND]().headers()
JA_CLOSED = "報告サイクル KYOTO FY2024 Q4 は締め切られています。その数値はもう提出できません。"


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


@pytest.fixture
def owed(home):
    """Kyoto's Q4 cycle of FY2025, owing the figures of two indicators, one of them a draft."""
    second = IndicatorFactory(goal=home["indicator"].goal, code="OUTBOUND")
    IndicatorValueFactory(indicator=second, fiscal_year=2025, target=40, actual=None)
    cycle = open_cycle(home["institution"], home["admin"], period=Period.Q4)
    draft = cycle.figures.get(indicator=second)
    draft.note = "Counted at the end of March."
    figure_save(figure=draft, user=home["editor"], reason="Started")
    steward = user_with_role(
        DATA_STEWARD, institutions=[home["institution"]], username="steward", is_staff=True
    )
    return {**home, "cycle": cycle, "second": second, "steward": steward}


def export_rows(user) -> list[list[object]]:
    table = read_table("owed.csv", export_table(KINDS[KIND](access_for(user)), "csv"))
    assert table.headers == HEADERS
    return [[*row, *[""] * (len(HEADERS) - len(row))] for row in table.rows]


def upload(rows, user, name="figures.csv"):
    content = write_table("csv", HEADERS, rows)
    return import_preview(kind=KIND, file_name=name, content=content, user=user)


def row_for(owed, indicator, actual="", cycle="", note=""):
    goal = indicator.goal
    return [
        goal.framework.code,
        goal.code,
        indicator.code,
        cycle or f"{owed['institution'].code} FY2025 Q4",
        actual,
        note,
    ]


def test_a_steward_submits_what_the_cycle_owes_and_a_reviewer_approves_it(owed):
    steward, cycle = owed["steward"], owed["cycle"]
    rows = export_rows(steward)
    codes = sorted(row[2] for row in rows)
    assert codes == sorted([owed["indicator"].code, "OUTBOUND"])
    assert {row[3] for row in rows} == {"KYOTO FY2025 Q4"}
    assert "Counted at the end of March." in [row[5] for row in rows]
    for row in rows:
        row[4] = "130" if row[2] == "OUTBOUND" else "1,150"

    batch, plan = upload(rows, steward)
    assert plan.summary() == "0 new, 2 updated, 0 unchanged, 0 failed"
    assert set(cycle.figures.values_list("state", flat=True)) == {State.NOT_STARTED, State.DRAFT}

    before = timezone.now()
    import_confirm(batch=batch, user=steward)
    batch.refresh_from_db()
    assert batch.status == "applied"
    figures = {figure.indicator.code: figure for figure in cycle.figures.all()}
    assert {code: figure.actual for code, figure in figures.items()} == {
        owed["indicator"].code: Decimal("1150"),
        "OUTBOUND": Decimal("130"),
    }
    for figure in figures.values():
        assert (figure.state, figure.submitted_by) == (State.SUBMITTED, steward)
        assert figure.submitted_at >= before
    assert figures["OUTBOUND"].note == "Counted at the end of March."
    history = FigureReport.history.filter(history_change_reason=batch.reason)
    assert set(history.values_list("history_user", "history_type", "state")) == {
        (steward.pk, "~", State.SUBMITTED)
    }
    # Nothing is left to download: the export lists what is still owed.
    assert export_rows(steward) == []

    # Whoever submitted a figure may not approve it, even as a reviewer too.
    steward.groups.add(Group.objects.get(name=REVIEWER))
    steward = type(steward).objects.get(pk=steward.pk)  # its permissions afresh
    with pytest.raises(PermissionDenied):
        figure_approve(figure=figures["OUTBOUND"], user=steward)
    figure_approve(figure=figures["OUTBOUND"], user=owed["reviewer"])
    approved = FigureReport.objects.get(pk=figures["OUTBOUND"].pk)
    assert (approved.state, approved.reviewed_by) == (State.APPROVED, owed["reviewer"])
    value = IndicatorValue.objects.get(indicator=owed["second"], fiscal_year=2025)
    assert value.actual == Decimal("130")


def errors_of(plan) -> list[tuple[int, str]]:
    return [(error.row, error.column) for error in plan.errors]


def test_rows_that_cannot_be_submitted_fail_naming_row_and_column(owed):
    steward, home = owed["steward"], owed["institution"]
    submitted = owed["cycle"].figures.get(indicator=owed["second"])
    submitted.actual = Decimal("12")
    figure_submit(figure=submitted, user=owed["editor"])
    closed = open_cycle(home, owed["admin"], period=Period.Q4, fiscal_year=2024)
    ReportingCycle.objects.filter(pk=closed.pk).update(closed_at=timezone.now())
    earlier = open_cycle(home, owed["admin"], period=Period.Q1)  # owes no figure
    rows = [
        row_for(owed, owed["indicator"], "10", cycle="kyoto 2025年度 第4四半期"),  # row 2: fine
        row_for(owed, owed["second"], "20"),  # row 3: submitted already
        row_for(owed, owed["indicator"], "30", cycle="KYOTO FY2024 Q4"),  # row 4: closed
        row_for(owed, owed["indicator"], "40", cycle="KYOTO FY2031 Q4"),  # row 5: unknown
        row_for(owed, owed["indicator"], "50", cycle="KYOTO FY2025 q1"),  # row 6: not owed
        row_for(owed, owed["indicator"], ""),  # row 7: no actual
        row_for(owed, owed["indicator"], "70", cycle="Kyoto in the spring"),  # row 8: no cycle
    ]
    batch, plan = upload(rows, steward)
    assert errors_of(plan) == [
        (3, "actual"),
        (4, "cycle"),
        (5, "cycle"),
        (6, "indicator"),
        (7, "actual"),
        (8, "cycle"),
    ]
    assert plan.counts["updated"] == 1 and plan.counts["failed"] == 6
    messages = {(error.row, error.column): error.message for error in plan.errors}
    assert "submitted already" in messages[(3, "actual")]
    assert "KYOTO FY2024 Q4 is closed" in messages[(4, "cycle")]
    assert "No reporting cycle “KYOTO FY2031 Q4” is known" in messages[(5, "cycle")]
    assert f"{earlier.institution.code} FY2025 Q1 owes no figure" in messages[(6, "indicator")]
    assert "cannot be submitted without" in messages[(7, "actual")]
    assert "names no reporting cycle" in messages[(8, "cycle")]
    with translation.override("ja"):
        assert plan.errors[1].message == JA_CLOSED
    plan = import_confirm(batch=batch, user=steward)
    assert plan.failed
    assert not FigureReport.history.filter(history_change_reason=batch.reason).exists()


def test_a_figure_of_another_institution_is_not_known_to_the_steward(owed):
    from tests.factories import InstitutionFactory

    other = user_with_role(
        DATA_STEWARD, institutions=[InstitutionFactory(code="TMU")], username="other-steward"
    )
    assert export_rows(other) == []
    _batch, plan = upload([row_for(owed, owed["indicator"], "10")], other)
    assert errors_of(plan) == [(2, "cycle")]
    assert "No reporting cycle" in plan.errors[0].message


def test_the_cp932_export_with_japanese_headers_uploads_through_the_admin_and_submits(client, owed):
    steward = owed["steward"]
    client.force_login(steward)
    exported = client.get(
        reverse("admin:imports_importbatch_export", args=[KIND, "csv"]),
        {"encoding": "cp932", "headers": "ja"},
    )
    assert exported.status_code == 200, exported.content.decode()
    table = read_table("owed.csv", exported.content)
    assert table.headers == KINDS[KIND]().headers("ja") and len(table.rows) == 2
    rows = [[*row, *[""] * (len(HEADERS) - len(row))] for row in table.rows]
    for row in rows:
        row[4] = "５"  # full width, as typed in Japanese
    upload = io.BytesIO(write_table("csv", table.headers, rows, encoding="cp932"))
    upload.name = "figures.csv"
    uploaded = client.post(
        reverse("admin:imports_importbatch_upload"), {"kind": KIND, "file": upload}
    )
    assert uploaded.status_code == 302, uploaded.content.decode()
    assert client.post(uploaded["Location"]).status_code == 302
    assert set(owed["cycle"].figures.values_list("state", "actual", "submitted_by")) == {
        (State.SUBMITTED, Decimal("5"), steward.pk)
    }


def test_undoing_the_batch_puts_each_figure_back_as_it_was(owed):
    steward, cycle = owed["steward"], owed["cycle"]
    rows = [row_for(owed, owed["indicator"], "10"), row_for(owed, owed["second"], "20", note="")]
    batch, _plan = upload(rows, steward)
    import_confirm(batch=batch, user=steward)
    assert set(cycle.figures.values_list("state", flat=True)) == {State.SUBMITTED}
    batch.refresh_from_db()

    counts = import_undo(batch=batch, user=steward)

    assert counts["restored"] == 2
    restored = {figure.indicator_id: figure for figure in cycle.figures.all()}
    first, second = restored[owed["indicator"].pk], restored[owed["second"].pk]
    assert (first.state, first.actual, first.submitted_by, first.submitted_at) == (
        State.NOT_STARTED,
        None,
        None,
        None,
    )
    assert (second.state, second.note, second.submitted_by) == (
        State.DRAFT,
        "Counted at the end of March.",
        None,
    )
