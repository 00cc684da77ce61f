"""Imports as data stewards run them: complete, all or nothing, attributed, reversible, fast."""

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from imports.engine import KINDS, export_table
from imports.formats import SheetRefused, read_table, write_table
from imports.models import ImportBatch
from imports.services import UndoRefused, import_confirm, import_preview, import_undo
from policies.models import Goal
from portfolio.dashboards import services
from portfolio.models import Activity, ActivityType, Initiative, PartnerInstitution
from tests.factories import (
    ActivityFactory,
    IndicatorFactory,
    InitiativeFactory,
    PartnerFactory,
    UnitFactory,
    UserFactory,
    scoped_everywhere,
)
from units.models import Institution

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parent.parent / "data"
ACTIVITY_HEADERS = KINDS["activities"]().headers()


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


@pytest.fixture
def steward(sources):
    user = UserFactory(username="steward", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=["import_sheets", "view_importbatch", "view_activity", "undo_importbatch"]
        )
    )
    return scoped_everywhere(user)


@pytest.fixture
def world(sources):
    """The sources' goals, a TMU unit, an initiative of Kyoto, and two partners named alike."""
    ku = Institution.objects.get(code="KU")
    tmu = Institution.objects.get(code="TMU")
    UnitFactory(institution=tmu, code="TMU-INTL")
    InitiativeFactory(institution=ku, code="ONSITE", lead_unit=ku.units.get(code="ISO-KU"))
    PartnerFactory(name="Chulalongkorn University", country="TH", city="Bangkok")
    PartnerFactory(name="Global University", country="DE")
    PartnerFactory(name="Global University", country="US")


def activity_row(n: int, **changes) -> list[object]:
    row = {
        "external_ref": f"KU-2025-{n:04d}",
        "title": f"Joint symposium {n}",
        "activity_type": "symposium",
        "start_date": "2025/4/1",
        "end_date": "",
        "unit": "ISO-KU",
        "initiative": "ONSITE",
        "country": "TH",
        "city": "Bangkok",
        "partner_institution": "Chulalongkorn University",
        "inbound_participants": "1,200",
        "outbound_participants": "３",
        "description": "",
        "mode": "",
    }
    row.update(changes)
    return [row[name] for name in ACTIVITY_HEADERS]


def sheet(rows, file_format="csv", headers=ACTIVITY_HEADERS) -> bytes:
    return write_table(file_format, headers, rows)


def run(kind: str, name: str, content: bytes, user):
    batch, plan = import_preview(kind=kind, file_name=name, content=content, user=user)
    if not plan.failed:
        plan = import_confirm(batch=batch, user=user)
    batch.refresh_from_db()
    return batch, plan


def test_activities_are_created_with_history_naming_user_file_and_batch(world, steward):
    batch, plan = run(
        "activities", "fy2025.csv", sheet([activity_row(n) for n in range(5)]), steward
    )
    assert plan.summary() == "5 new, 0 updated, 0 unchanged, 0 failed"
    assert batch.status == "applied"
    first = Activity.objects.get(external_ref="KU-2025-0000")
    assert (first.inbound_participants, first.outbound_participants, first.fiscal_year) == (
        1200,
        3,
        2025,
    )
    assert first.partner.name == "Chulalongkorn University"
    history = Activity.history.filter(history_change_reason=batch.reason)
    assert history.count() == Activity.objects.count() == 5
    assert set(history.values_list("history_user", "history_type")) == {(steward.pk, "+")}
    assert "fy2025.csv" in batch.reason and str(batch.pk) in batch.reason


def test_reimporting_the_same_file_changes_nothing(world, steward):
    content = sheet([activity_row(n) for n in range(5)], "xlsx")
    run("activities", "a.xlsx", content, steward)
    history_before = Activity.history.count()
    _batch, plan = run("activities", "a.xlsx", content, steward)
    assert plan.summary() == "0 new, 0 updated, 5 unchanged, 0 failed"
    assert Activity.history.count() == history_before


def test_a_changed_cell_updates_that_row_only(world, steward):
    run("activities", "a.csv", sheet([activity_row(n) for n in range(3)]), steward)
    rows = [activity_row(0), activity_row(1, title="Renamed"), activity_row(2)]
    batch, plan = run("activities", "b.csv", sheet(rows), steward)
    assert plan.summary() == "0 new, 1 updated, 2 unchanged, 0 failed"
    changed = Activity.history.get(history_change_reason=batch.reason)
    assert (changed.history_type, changed.title) == ("~", "Renamed")


def test_a_failing_last_row_writes_nothing_and_names_row_and_column(world, steward):
    rows = [activity_row(n) for n in range(4)] + [activity_row(9, start_date="2025/13/45")]
    batch, plan = run("activities", "bad.csv", sheet(rows), steward)
    assert Activity.objects.count() == 0 and Activity.history.count() == 0
    assert batch.status == "previewed"
    assert [(e.row, e.column) for e in plan.errors] == [(6, "start_date")]
    assert "2025/13/45" in plan.errors[0].message
    assert plan.counts["failed"] == 1 and plan.counts["new"] == 4


@pytest.mark.parametrize(
    "change, column, message",
    [
        ({"unit": "NOPE"}, "unit", "No unit “NOPE”"),
        (
            {"partner_institution": "Global University", "country": ""},
            "partner_institution",
            "more than one partner",
        ),
        ({"country": "Atlantis"}, "country", "not a country"),
        ({"inbound_participants": "-1"}, "inbound_participants", "below 0"),
        ({"end_date": "2025/3/1"}, "end_date", "before the start"),
        ({"activity_type": "party"}, "activity_type", "not one of"),
        ({"title": ""}, "title", "must not be empty"),
        ({"title": "x" * 301}, "title", "at most 300"),
        ({"unit": "TMU-INTL"}, "unit", "different institutions"),
    ],
)
def test_row_errors_are_readable(world, steward, change, column, message):
    _batch, plan = run("activities", "e.csv", sheet([activity_row(1, **change)]), steward)
    assert [e.column for e in plan.errors] == [column]
    assert message in plan.errors[0].message


def test_the_country_tells_partners_with_one_name_apart(world, steward):
    rows = [
        activity_row(1, partner_institution="Global University", country="DE"),
        activity_row(2, partner_institution="Global University [US]", country="JP"),
    ]
    run("activities", "p.csv", sheet(rows), steward)
    assert Activity.objects.get(external_ref="KU-2025-0001").partner.country.code == "DE"
    assert Activity.objects.get(external_ref="KU-2025-0002").partner.country.code == "US"


def test_a_record_twice_in_one_file_is_an_error(world, steward):
    _batch, plan = run("activities", "d.csv", sheet([activity_row(1), activity_row(1)]), steward)
    assert [(e.row, e.column) for e in plan.errors] == [(3, "external_ref")]
    assert "row 2" in plan.errors[0].message


def test_japanese_headers_and_cp932_csv(world, steward):
    headers = KINDS["activities"]().headers("ja")
    text = write_table("csv", headers, [activity_row(1, title="京都・バンコク合同シンポジウム")])
    cp932 = text.decode("utf-8-sig").encode("cp932")
    _batch, plan = run("activities", "shift_jis.csv", cp932, steward)
    assert plan.summary() == "1 new, 0 updated, 0 unchanged, 0 failed"
    assert Activity.objects.get().title == "京都・バンコク合同シンポジウム"


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "ods"])
def test_every_format_round_trips_through_export(world, steward, file_format):
    run("activities", "a.csv", sheet([activity_row(n) for n in range(3)]), steward)
    content = export_table(KINDS["activities"](), file_format)
    _batch, plan = run("activities", f"export.{file_format}", content, steward)
    assert plan.summary() == "0 new, 0 updated, 3 unchanged, 0 failed"


def initiative_sheet(goals: str, code: str = "NEW-1", **changes) -> bytes:
    kind = KINDS["initiatives"]()
    row = {
        "code": code,
        "title": "Crisis drills",
        "summary": "",
        "title_ja": "",
        "summary_ja": "",
        "institution": "KU",
        "lead_unit": "ISO-KU",
        "contributing_units": "ASEAN-CENTER; EUROPEAN-CENTER",
        "goals": goals,
        "partners": "Chulalongkorn University",
        "status": "Active",
        "health": "at_risk",
        "start_date": "2025年4月1日",
        "end_date": "",
        "budget_jpy": "¥1,000,000",
    }
    row.update(changes)
    return write_table("xlsx", kind.headers(), [[row[name] for name in kind.headers()]])


def test_initiatives_import_links_and_their_history(world, steward):
    batch, plan = run(
        "initiatives", "i.xlsx", initiative_sheet("ISO-KU:PROMOTE.3; ISO-KU:CONNECT"), steward
    )
    assert plan.summary() == "1 new, 0 updated, 0 unchanged, 0 failed"
    initiative = Initiative.objects.get(code="NEW-1")
    assert {g.code for g in initiative.goals.all()} == {"PROMOTE.3", "CONNECT"}
    assert initiative.contributing_units.count() == 2 and initiative.budget_jpy == 1_000_000
    record = initiative.history.get()
    assert record.history_change_reason == batch.reason and record.history_user == steward
    assert {link.goal.code for link in record.goals.all()} == {"PROMOTE.3", "CONNECT"}
    assert record.partners.count() == 1

    batch2, plan = run("initiatives", "i2.xlsx", initiative_sheet("ISO-KU:PROMOTE.3"), steward)
    assert plan.summary() == "0 new, 1 updated, 0 unchanged, 0 failed"
    latest = initiative.history.latest()
    assert latest.history_change_reason == batch2.reason
    assert [link.goal.code for link in latest.goals.all()] == ["PROMOTE.3"]
    assert [g.code for g in initiative.goals.all()] == ["PROMOTE.3"]


def test_an_import_that_moves_an_initiatives_goals_recounts_its_figures(world, steward):
    """Goals changed by a sheet, its status and title as they were: the dashboards' figures of
    the initiative's activities move to the new goals."""
    run("initiatives", "i.xlsx", initiative_sheet("ISO-KU:PROMOTE.3"), steward)
    initiative = Initiative.objects.get(code="NEW-1")
    ActivityFactory(initiative=initiative, start_date=dt.date(2025, 6, 1))
    services.refresh()
    assert services.stale() == []
    run("initiatives", "i2.xlsx", initiative_sheet("ISO-KU:CONNECT"), steward)
    assert services.stale() == [(initiative.institution_id, 2025)]


def test_initiative_goal_of_another_institution_is_a_row_error(world, steward):
    _batch, plan = run("initiatives", "i.xlsx", initiative_sheet("TMU-IBP:2.1"), steward)
    assert [e.column for e in plan.errors] == ["goals"]
    assert "not a goal of KU's frameworks" in plan.errors[0].message
    assert not Initiative.objects.filter(code="NEW-1").exists()


def test_undo_removes_created_and_restores_updated_rows_with_history(world, steward):
    run("activities", "a.csv", sheet([activity_row(1)]), steward)
    batch, _plan = run(
        "activities", "b.csv", sheet([activity_row(1, title="Changed"), activity_row(2)]), steward
    )
    counts = import_undo(batch=batch, user=steward)
    assert (counts["removed"], counts["restored"]) == (1, 1)
    assert list(Activity.objects.values_list("external_ref", "title")) == [
        ("KU-2025-0001", "Joint symposium 1")
    ]
    undo_rows = Activity.history.filter(history_change_reason=batch.undo_reason)
    assert sorted(undo_rows.values_list("history_type", flat=True)) == ["-", "~"]
    # The removed record's deletion is one history row, with the undoing user and the reason.
    removed = Activity.history.filter(external_ref="KU-2025-0002", history_type="-")
    assert list(removed.values_list("history_user", "history_change_reason")) == [
        (steward.pk, batch.undo_reason)
    ]
    batch.refresh_from_db()
    assert batch.status == "undone" and batch.undone_by == steward


def test_undo_of_initiatives_restores_links(world, steward):
    run("initiatives", "i.xlsx", initiative_sheet("ISO-KU:CONNECT"), steward)
    batch, _plan = run("initiatives", "i2.xlsx", initiative_sheet("ISO-KU:BOOST"), steward)
    import_undo(batch=batch, user=steward)
    initiative = Initiative.objects.get(code="NEW-1")
    assert [g.code for g in initiative.goals.all()] == ["CONNECT"]
    assert [link.goal.code for link in initiative.history.latest().goals.all()] == ["CONNECT"]


def test_undo_is_refused_when_a_record_changed_since(world, steward):
    batch, _plan = run("activities", "a.csv", sheet([activity_row(1)]), steward)
    activity = Activity.objects.get()
    activity.title = "Edited by hand later"
    activity.save()
    with pytest.raises(UndoRefused, match="changed after it"):
        import_undo(batch=batch, user=steward)
    assert Activity.objects.get().title == "Edited by hand later"


def test_error_workbook_holds_every_row_with_an_error_column(world, steward, client):
    rows = [activity_row(1), activity_row(2, country="Atlantis"), activity_row(3, unit="NOPE")]
    batch, _plan = run("activities", "bad.xlsx", sheet(rows, "xlsx"), steward)
    client.force_login(steward)
    response = client.get(f"/admin/imports/importbatch/{batch.pk}/errors/")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in workbook.iter_rows()]
    assert values[0][-1] == "errors" and values[0][:2] == ["external_ref", "title"]
    # The whole sheet, the good row too, so that the fixed workbook imports every row.
    assert [row[0] for row in values[1:]] == ["KU-2025-0001", "KU-2025-0002", "KU-2025-0003"]
    assert values[1][-1] is None
    assert "country: “Atlantis” is not a country" in values[2][-1]
    # The error workbook is itself a sheet a steward can fix and upload again.
    fixed = read_table("bad-errors.xlsx", response.content)
    assert fixed.headers[: len(ACTIVITY_HEADERS)] == ACTIVITY_HEADERS


def test_indicator_values_import(world, steward):
    indicator = IndicatorFactory(code="INBOUND", goal=Goal.objects.get(code="CONNECT"))
    kind = KINDS["indicator-values"]()
    rows = [
        ["ISO-KU", "CONNECT", "inbound", "2025年度", "1,200", "１，１５０"],
        ["ISO-KU", "connect", "INBOUND", "FY2024", "1000", ""],
        ["ISO-KU", "CONNECT", "OUTBOUND", "2024", "5", "5"],
    ]
    content = write_table("xlsx", kind.headers(), rows)
    _batch, plan = run("indicator-values", "v.xlsx", content, steward)
    assert [(e.row, e.column) for e in plan.errors] == [(4, "indicator")]
    _batch, plan = run(
        "indicator-values", "v.xlsx", write_table("xlsx", kind.headers(), rows[:2]), steward
    )
    assert plan.summary() == "2 new, 0 updated, 0 unchanged, 0 failed"
    assert list(indicator.values.values_list("fiscal_year", "target", "actual")) == [
        (2024, Decimal(1000), None),
        (2025, Decimal(1200), Decimal(1150)),
    ]


def test_preview_writes_nothing_and_confirm_writes_all(world, steward):
    batch, plan = import_preview(
        kind="activities", file_name="a.csv", content=sheet([activity_row(1)]), user=steward
    )
    assert plan.counts["new"] == 1 and Activity.objects.count() == 0
    import_confirm(batch=batch, user=steward)
    assert Activity.objects.count() == 1


def test_query_count_grows_per_batch_not_per_row(world, steward, settings):
    def queries(count: int, offset: int) -> int:
        content = sheet([activity_row(offset + n) for n in range(count)])
        with CaptureQueriesContext(connection) as captured:
            run("activities", f"q{count}.csv", content, steward)
        assert Activity.objects.count() >= count
        return len(captured)

    small, large = queries(20, 0), queries(600, 1000)
    # 580 more rows may cost a few more batches (of up to 500 rows, fewer on SQLite), never a
    # query per row.
    assert large - small <= 600 / 20


def test_world_universities_sample_imports_then_reports_no_changes(steward, tmp_path):
    target = tmp_path / "partners.xlsx"
    call_command(
        "partners_sheet_from_universities",
        DATA / "world_universities_sample.json",
        target,
        stdout=io.StringIO(),
    )
    _batch, first = run("partners", "partners.xlsx", target.read_bytes(), steward)
    assert first.counts["failed"] == 0, first.errors[:3]
    assert first.counts["new"] == PartnerInstitution.objects.count() > 130
    assert PartnerInstitution.objects.filter(country="XK").count() == 3
    _batch, second = run("partners", "partners.xlsx", target.read_bytes(), steward)
    assert second.summary() == f"0 new, 0 updated, {first.counts['new']} unchanged, 0 failed"


def test_command_imports_and_exits_non_zero_on_failure(world, steward, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(sheet([activity_row(1)]))
    bad.write_bytes(sheet([activity_row(2), activity_row(3, unit="NOPE")]))
    out = io.StringIO()
    call_command(
        "import_sheet", "activities", str(good), "--user", "steward", "--dry-run", stdout=out
    )
    assert "Would import 1 new, 0 updated, 0 unchanged, 0 failed" in out.getvalue()
    assert Activity.objects.count() == 0
    call_command("import_sheet", "activities", str(good), "--user", "steward", stdout=out)
    assert Activity.objects.count() == 1
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 rows failed; nothing was imported"):
        call_command(
            "import_sheet",
            "activities",
            str(bad),
            "--user",
            "steward",
            stdout=io.StringIO(),
            stderr=err,
        )
    assert "Row 3, column unit: No unit “NOPE” is known." in err.getvalue()
    assert Activity.objects.count() == 1


def test_command_refuses_a_user_without_the_import_permission(world, tmp_path):
    UserFactory(username="viewer", is_staff=True)
    path = tmp_path / "a.csv"
    path.write_bytes(sheet([activity_row(1)]))
    with pytest.raises(CommandError, match="may not import"):
        call_command("import_sheet", "activities", str(path), "--user", "viewer")


def test_refused_file_writes_no_batch(world, steward):
    with pytest.raises(SheetRefused):
        import_preview(
            kind="activities", file_name="x.xlsx", content=b"not a workbook", user=steward
        )
    assert ImportBatch.objects.count() == 0


def test_undo_of_a_batch_that_changed_nothing_and_undo_twice(world, steward):
    run("activities", "a.csv", sheet([activity_row(1)]), steward)
    batch, plan = run("activities", "a.csv", sheet([activity_row(1)]), steward)
    assert plan.counts["unchanged"] == 1 and batch.status == "applied"
    assert import_undo(batch=batch, user=steward) == {"removed": 0, "restored": 0}
    with pytest.raises(UndoRefused, match="only once"):
        import_undo(batch=batch, user=steward)
    assert Activity.objects.count() == 1


# --- A column the sheet leaves out leaves its field alone --------------------------------


def partner_sheet(headers: list[str], *rows: list[object]) -> bytes:
    return write_table("csv", headers, list(rows))


def test_a_partner_sheet_without_the_city_column_keeps_every_city(world, steward):
    bangkok = PartnerInstitution.objects.get(name="Chulalongkorn University")
    assert bangkok.city == "Bangkok"
    PartnerInstitution.objects.filter(pk=bangkok.pk).update(name_ja="チュラーロンコーン大学")
    batch, plan = run(
        "partners",
        "websites.csv",
        partner_sheet(
            ["name", "country", "website"],
            ["Chulalongkorn University", "TH", "https://www.chula.ac.th/"],
        ),
        steward,
    )
    assert plan.summary() == "0 new, 1 updated, 0 unchanged, 0 failed"
    bangkok.refresh_from_db()
    assert bangkok.website == "https://www.chula.ac.th/"
    assert bangkok.city == "Bangkok"  # the sheet has no city column: left as it was
    assert bangkok.name_ja == "チュラーロンコーン大学"  # nor a Japanese name column
    assert plan.column_changes == {"website": 1}
    assert "city" in plan.untouched and "local_name" in plan.untouched
    assert batch.columns["changed"] == {"website": 1}
    assert batch.columns["untouched"] == plan.untouched


def test_a_blank_cell_in_a_present_column_clears_the_field(world, steward):
    _batch, plan = run(
        "partners",
        "cities.csv",
        partner_sheet(["name", "country", "city"], ["Chulalongkorn University", "TH", ""]),
        steward,
    )
    assert plan.summary() == "0 new, 1 updated, 0 unchanged, 0 failed"
    assert PartnerInstitution.objects.get(name="Chulalongkorn University").city == ""
    assert plan.column_changes == {"city": 1}


def test_an_activity_sheet_without_unit_partner_and_participants_keeps_them(world, steward):
    run("activities", "full.csv", write_table("csv", ACTIVITY_HEADERS, [activity_row(1)]), steward)
    before = Activity.objects.get()
    assert before.partner is not None and before.unit is not None
    headers = ["external_ref", "title", "start_date", "initiative"]
    _batch, plan = run(
        "activities",
        "titles.csv",
        write_table("csv", headers, [["KU-2025-0001", "Renamed symposium", "2025/4/1", "ONSITE"]]),
        steward,
    )
    assert plan.summary() == "0 new, 1 updated, 0 unchanged, 0 failed"
    after = Activity.objects.get()
    assert after.title == "Renamed symposium"
    assert (after.unit_id, after.partner_id, after.city, after.inbound_participants) == (
        before.unit_id,
        before.partner_id,
        "Bangkok",
        1200,
    )
    assert after.activity_type == before.activity_type
    assert plan.column_changes == {"title": 1}


def test_an_initiative_sheet_without_the_links_columns_keeps_the_links(world, steward):
    run("initiatives", "i.xlsx", initiative_sheet("ISO-KU:PROMOTE.3; ISO-KU:CONNECT"), steward)
    initiative = Initiative.objects.get(code="NEW-1")
    goals = set(initiative.goals.values_list("code", flat=True))
    units = set(initiative.contributing_units.values_list("code", flat=True))
    assert goals == {"PROMOTE.3", "CONNECT"} and len(units) == 2
    headers = ["code", "title", "institution", "health"]
    batch, plan = run(
        "initiatives",
        "health.csv",
        write_table("csv", headers, [["NEW-1", "Crisis drills", "KU", "on_track"]]),
        steward,
    )
    assert plan.summary() == "0 new, 1 updated, 0 unchanged, 0 failed"
    initiative.refresh_from_db()
    assert initiative.health == "on_track"
    assert set(initiative.goals.values_list("code", flat=True)) == goals
    assert set(initiative.contributing_units.values_list("code", flat=True)) == units
    assert initiative.partners.count() == 1 and initiative.lead_unit.code == "ISO-KU"
    # The history row of the update holds the links the record kept.
    latest = initiative.history.latest()
    assert latest.history_change_reason == batch.reason
    assert {link.goal.code for link in latest.goals.all()} == goals
    assert plan.column_changes == {"health": 1}


# --- The same sheet reads the same in either interface language ---------------------------


def labels_of(choices, language: str) -> list[str]:
    with translation.override(language):
        return [str(label) for _value, label in choices.choices]


@pytest.mark.parametrize(("interface", "sheet_language"), [("ja", "en"), ("en", "ja")])
def test_choice_labels_of_either_language_import_under_either_interface(
    world, steward, interface, sheet_language
):
    types = labels_of(ActivityType, sheet_language)
    assert types != labels_of(ActivityType, interface)  # the labels really differ
    rows = [
        activity_row(n, activity_type=label, external_ref=f"LABEL-{n:03d}")
        for n, label in enumerate(types)
    ]
    with translation.override(interface):
        _batch, plan = run("activities", "labels.csv", sheet(rows), steward)
    assert plan.summary() == f"{len(types)} new, 0 updated, 0 unchanged, 0 failed"
    stored = dict(Activity.objects.values_list("external_ref", "activity_type"))
    assert [stored[f"LABEL-{n:03d}"] for n in range(len(types))] == list(ActivityType.values)


def test_an_unknown_choice_names_the_labels_in_the_readers_language(world, steward):
    with translation.override("ja"):
        _batch, plan = run(
            "activities", "x.csv", sheet([activity_row(1, activity_type="gala")]), steward
        )
        japanese = labels_of(ActivityType, "ja")[0]
        [error] = plan.errors
        assert error.column == "activity_type" and japanese in error.message
    # The reader, not the importer, decides: read in English, the labels are English.
    assert labels_of(ActivityType, "en")[0] in error.message and japanese not in error.message


def test_the_command_counts_the_rows_of_each_distinct_error(world, steward, tmp_path):
    rows = [activity_row(n, country="Atlantis") for n in range(250)]
    rows += [activity_row(300, unit="NOPE")]
    bad = tmp_path / "countries.csv"
    bad.write_bytes(sheet(rows))
    err = io.StringIO()
    with pytest.raises(CommandError, match="251 rows failed"):
        call_command(
            "import_sheet", "activities", str(bad), "--user", "steward",
            stdout=io.StringIO(), stderr=err,
        )  # fmt: skip
    grouped = err.getvalue().split("The errors, each distinct one once:")[1].splitlines()
    assert grouped[1].startswith("250 rows (from row 2), column country: “Atlantis” is not a")
    assert grouped[2].startswith("1 row (from row 252), column unit: No unit “NOPE”")


# --- Text as it arrives --------------------------------------------------------------------


def test_punctuation_turned_into_c1_controls_is_repaired_and_counted(world, steward):
    broken = "Universit\u00e9 d\u0092Orl\u00e9ans \u0093Campus\u0094 \u0096 Centre"
    content = partner_sheet(["name", "country"], [broken, "FR"], ["Plain University", "FR"])
    batch, plan = run("partners", "broken.csv", content, steward)
    assert plan.summary() == "2 new, 0 updated, 0 unchanged, 0 failed"
    assert PartnerInstitution.objects.filter(name="Université d’Orléans “Campus” – Centre").exists()
    assert "1 cell held punctuation an encoding mix-up had turned into control characters" in (
        " ".join(note["message"] for note in batch.columns["notes"])
    )


def test_other_control_characters_still_fail_the_row(world, steward):
    content = partner_sheet(["name", "country"], ["Bell\u0007 University", "FR"])
    _batch, plan = run("partners", "bell.csv", content, steward)
    assert plan.failed and "U+0007" in plan.errors[0].message
    undefined = partner_sheet(["name", "country"], ["Gap\u0081 University", "FR"])
    _batch, plan = run("partners", "gap.csv", undefined, steward)
    assert plan.failed and "U+0081" in plan.errors[0].message


def test_the_universities_command_writes_the_punctuation_meant(tmp_path, steward):
    source = tmp_path / "universities.json"
    source.write_text(
        '[{"name": "Universit\\u00e9 d\\u0092Orl\\u00e9ans", "alpha_two_code": "FR",'
        ' "web_pages": ["https://www.univ-orleans.fr/"]}]',
        encoding="utf-8",
    )
    target = tmp_path / "partners.csv"
    call_command("partners_sheet_from_universities", str(source), str(target), stdout=io.StringIO())
    _batch, plan = run("partners", "partners.csv", target.read_bytes(), steward)
    assert plan.summary() == "1 new, 0 updated, 0 unchanged, 0 failed"
    assert PartnerInstitution.objects.get().name == "Université d’Orléans"
