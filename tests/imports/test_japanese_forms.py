"""Japanese forms of data in imports and exports: dates, numbers, headers, cp932, its refusals."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from common.fiscal import fiscal_year_label, fiscal_year_of
from common.parsing import parse_fiscal_year
from imports.engine import KINDS, Plan, export_table
from imports.formats import read_table, write_table
from imports.models import ImportBatch
from imports.services import import_confirm, import_preview
from policies.models import Goal, Headcount, Indicator, IndicatorValue
from portfolio.models import Activity, Initiative
from tests.factories import (
    ActivityFactory,
    FrameworkFactory,
    GoalFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    InitiativeFactory,
    InstitutionFactory,
    PartnerFactory,
    UnitFactory,
    UserFactory,
    scoped_everywhere,
)
from units.models import Institution


@pytest.mark.parametrize(
    "language, label",
    [
        ("ja", "2025年度"),
        ("ja-jp", "2025年度"),
        ("JA", "2025年度"),
        ("en", "FY2025"),
        ("th", "FY2025"),
    ],
)
def test_fiscal_year_label_in_each_language(language, label):
    assert fiscal_year_label(2025, language) == label


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_fiscal_year_label_reads_back_as_its_year(language):
    assert parse_fiscal_year(fiscal_year_label(2025, language)) == 2025


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


def staff_with(*codenames: str):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return scoped_everywhere(user)


def export_url(kind: str = "activities", file_format: str = "csv") -> str:
    return reverse("admin:imports_importbatch_export", args=[kind, file_format])


@pytest.mark.django_db
def test_cp932_export_reimports_with_no_changes(client):
    partner = PartnerFactory(name="京都大学", local_name="京都大学", city="京都")
    ActivityFactory(title="合同シンポジウム ①", partner=partner, description="髙橋先生の講演")
    ActivityFactory.create_batch(2, partner=partner)
    client.force_login(staff_with("view_activity", "import_sheets"))
    exported = client.get(export_url(), {"encoding": "cp932", "headers": "ja"})
    assert exported.status_code == 200
    assert exported["Content-Type"] == "text/csv; charset=Windows-31J"
    text = exported.content.decode("cp932")
    assert text.startswith("外部参照,件名") and "合同シンポジウム ①" in text and "京都大学" in text
    upload = io.BytesIO(exported.content)
    upload.name = "activities.csv"
    client.post(reverse("admin:imports_importbatch_upload"), {"kind": "activities", "file": upload})
    assert ImportBatch.objects.get().counts == {"new": 0, "updated": 0, "unchanged": 3, "failed": 0}


@pytest.mark.django_db
def test_cp932_export_is_refused_naming_the_cells_it_cannot_hold(client):
    ActivityFactory(external_ref="A-1", title="Orientation")
    ActivityFactory(external_ref="A-2", title="Graduation 🎓", city="Zürich")
    client.force_login(staff_with("view_activity"))
    refused = client.get(export_url(), {"encoding": "cp932", "headers": "ja"})
    assert refused.status_code == 400
    assert refused["Content-Type"] == "text/plain; charset=utf-8"
    lines = refused.content.decode().splitlines()
    assert "Export as UTF-8 instead" in lines[0]
    assert lines[1:] == ["Row 3, column 件名: “🎓” (U+1F393)", "Row 3, column 都市: “ü” (U+00FC)"]
    utf8 = client.get(export_url())
    assert utf8.status_code == 200 and "Graduation 🎓" in utf8.content.decode("utf-8-sig")


@pytest.mark.django_db
def test_an_unknown_export_encoding_is_a_bad_request(client):
    client.force_login(staff_with("view_activity"))
    response = client.get(export_url(), {"encoding": "latin-1"})
    assert response.status_code == 400
    assert "encoding=cp932" in response.content.decode()


# Imports of sheets as Japanese offices write them: each is uploaded, previewed and confirmed, and
# the test looks at what was stored.


@pytest.fixture
def world(db):
    """An office with an initiative, a partner, and an indicator to report figures against."""
    ku = InstitutionFactory(code="KU")
    office = UnitFactory(institution=ku, code="ISO-KU")
    InitiativeFactory(institution=ku, code="ONSITE", lead_unit=office)
    PartnerFactory(name="Chulalongkorn University", country="TH")
    goal = GoalFactory(framework=FrameworkFactory(institution=ku, code="ISO-KU"), code="CONNECT")
    IndicatorFactory(goal=goal, code="INBOUND", name="Inbound students")


@pytest.fixture
def steward(world):
    return staff_with("import_sheets", "view_importbatch")


def imported(kind: str, content: bytes, user, name: str = "sheet.csv") -> Plan:
    """Upload, preview and confirm a sheet as a steward does; the confirmed plan."""
    batch, plan = import_preview(kind=kind, file_name=name, content=content, user=user)
    assert not plan.failed, [error.as_dict() for error in plan.errors]
    return import_confirm(batch=batch, user=user)


def activity(ref: str, **cells) -> dict:
    return {
        "external_ref": ref,
        "title": f"Visit {ref}",
        "activity_type": "delegation_visit",
        "start_date": "2025-04-01",
        "unit": "ISO-KU",
        **cells,
    }


def sheet_of(kind: str, rows: list[dict], language: str = "en") -> bytes:
    sheet = KINDS[kind]()
    cells = [[row.get(column.name, "") for column in sheet.columns] for row in rows]
    return write_table("csv", sheet.headers(language), cells)


# The written date, and the day it stands for (each distinct, so that no form passes by luck).
JAPANESE_DATES = {
    "2025/04/01": dt.date(2025, 4, 1),
    "2024/7/9": dt.date(2024, 7, 9),
    "2023年3月31日": dt.date(2023, 3, 31),
    "令和7年4月2日": dt.date(2025, 4, 2),
    "令和元年5月1日": dt.date(2019, 5, 1),
    "令和6年2月29日": dt.date(2024, 2, 29),
    "R7.1.15": dt.date(2025, 1, 15),
    "H31.4.30": dt.date(2019, 4, 30),
    "Ｈ３０．１２．２５": dt.date(2018, 12, 25),
    "２０２５／１０／０２": dt.date(2025, 10, 2),
    "２０２２年１１月３日": dt.date(2022, 11, 3),
    "令和５年４月１日": dt.date(2023, 4, 1),
}


def test_each_japanese_date_form_is_stored_as_its_day_and_fiscal_year(steward):
    rows = [
        activity(f"D-{n:02d}", start_date=written, end_date=written)
        for n, written in enumerate(JAPANESE_DATES)
    ]
    plan = imported("activities", sheet_of("activities", rows), steward)
    assert plan.summary() == f"{len(rows)} new, 0 updated, 0 unchanged, 0 failed"
    stored = {
        ref: (start, end, fiscal_year)
        for ref, start, end, fiscal_year in Activity.objects.values_list(
            "external_ref", "start_date", "end_date", "fiscal_year"
        )
    }
    assert stored == {
        f"D-{n:02d}": (day, day, fiscal_year_of(day))
        for n, day in enumerate(JAPANESE_DATES.values())
    }
    # 31 March and 1 April 2023 fall in two fiscal years.
    assert (stored["D-02"][2], stored["D-11"][2]) == (2022, 2023)


def test_full_width_numbers_with_separators_are_stored_as_numbers(steward):
    rows = [
        activity("N-1", inbound_participants="１，２３４", outbound_participants="１２，０００")
    ]
    imported("activities", sheet_of("activities", rows), steward)
    assert Activity.objects.values_list("inbound_participants", "outbound_participants").get() == (
        1234,
        12000,
    )
    initiative = {
        "code": "N-2",
        "title": "Labs",
        "institution": "KU",
        "budget_jpy": "￥１，２３４，０００",
    }
    imported("initiatives", sheet_of("initiatives", [initiative]), steward)
    assert Initiative.objects.get(code="N-2").budget_jpy == 1_234_000
    figures = {
        "framework": "ISO-KU",
        "goal": "CONNECT",
        "indicator": "INBOUND",
        "fiscal_year": "２０２５年度",
        "target": "１，２３４",
        "actual": "１，２３４．５",
    }
    imported("indicator-values", sheet_of("indicator-values", [figures]), steward)
    assert IndicatorValue.objects.values_list("fiscal_year", "target", "actual").get() == (
        2025,
        Decimal("1234"),
        Decimal("1234.5"),
    )


JAPANESE_SHEETS = {
    "partners": [
        {
            "name": "チュラーロンコーン大学",
            "local_name": "จุฬาลงกรณ์มหาวิทยาลัย",
            "country": "タイ",
            "city": "バンコク",
            "website": "https://www.chula.ac.th/",
        },
    ],
    "activities": [
        activity(
            "J-1",
            title="合同シンポジウム",
            activity_type="symposium",
            start_date="令和7年4月1日",
            end_date="R7.4.3",
            initiative="ONSITE",
            country="TH",
            city="バンコク",
            partner_institution="Chulalongkorn University",
            inbound_participants="１２",
            outbound_participants="3",
            description="第一回",
        ),
    ],
    "initiatives": [
        {
            "code": "J-2",
            "title": "オンサイトラボ",
            "summary": "海外拠点での共同研究",
            "institution": "KU",
            "lead_unit": "ISO-KU",
            "contributing_units": "ISO-KU",
            "goals": "ISO-KU:CONNECT",
            "partners": "Chulalongkorn University",
            "status": "active",
            "health": "at_risk",
            "start_date": "2025年4月1日",
            "end_date": "令和8年3月31日",
            "budget_jpy": "１，０００，０００",
        },
    ],
    "indicator-values": [
        {
            "framework": "ISO-KU",
            "goal": "CONNECT",
            "indicator": "INBOUND",
            "fiscal_year": "2025年度",
            "target": "120",
            "actual": "98",
        },
    ],
}


@pytest.mark.parametrize("kind", list(JAPANESE_SHEETS))
def test_a_sheet_with_japanese_headers_imports_as_the_english_one_would(steward, kind):
    rows = JAPANESE_SHEETS[kind]
    sheet = KINDS[kind]()
    # The Japanese sheet lists its columns in another order: they are found by their headers.
    columns = list(reversed(sheet.columns))
    japanese = write_table(
        "csv",
        [sheet.header_for(column, "ja") for column in columns],
        [[row.get(column.name, "") for column in columns] for row in rows],
    )
    assert set(sheet.headers("ja")).isdisjoint(sheet.headers("en"))
    plan = imported(kind, japanese, steward)
    assert plan.summary() == f"{len(rows)} new, 0 updated, 0 unchanged, 0 failed"
    assert plan.notes == []  # no Japanese header went unrecognised
    # The English sheet of the same rows finds every value already stored, link for link.
    plan = imported(kind, sheet_of(kind, rows, "en"), steward)
    assert plan.summary() == f"0 new, 0 updated, {len(rows)} unchanged, 0 failed"
    # And what was stored is the content, not blanks both sheets would agree on.
    exported = read_table("export.csv", export_table(KINDS[kind](), "csv"))
    first = rows[0][sheet.columns[0].name]
    stored = next(
        dict(zip(exported.headers, row, strict=False)) for row in exported.rows if row[0] == first
    )
    assert all(stored[name] not in ("", None) for name in rows[0]), stored


def japanese_records() -> None:
    """Records of every kind holding text that cp932 keeps: kanji, ①, 髙, half-width kana."""
    ku = Institution.objects.get(code="KU")
    partner = PartnerFactory(name="京都大学", local_name="京都大学", country="JP", city="京都")
    ActivityFactory(
        title="合同シンポジウム ①", partner=partner, description="髙橋先生の講演\n質疑ｱﾘ"
    )
    initiative = InitiativeFactory(institution=ku, code="京大-1", title="国際共同研究 ⅰ")
    initiative.partners.set([partner])
    initiative.goals.set([Goal.objects.get(code="CONNECT")])
    IndicatorValueFactory(
        indicator=Indicator.objects.get(code="INBOUND"), fiscal_year=2025, target=Decimal("1234.5")
    )
    Headcount.objects.create(
        institution=ku,
        fiscal_year=2025,
        as_of=dt.date(2025, 5, 1),
        level="master",
        group="international",
        country="CN",
        count=412,
    )


# A cycle's figures sheet submits each row it updates, so its export uploaded back submits what
# it lists rather than changing nothing: tests/reporting/test_cycle_sheet.py tests it so.
SUBMITTING_KINDS = {"cycle-figures"}


@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind not in SUBMITTING_KINDS])
def test_a_cp932_export_of_each_kind_reimports_through_the_admin_with_nothing_changed(
    client, steward, kind
):
    japanese_records()
    model = KINDS[kind].model
    client.force_login(
        staff_with("import_sheets", "view_importbatch", f"view_{model._meta.model_name}")
    )
    exported = client.get(export_url(kind), {"encoding": "cp932", "headers": "ja"})
    assert exported.status_code == 200, exported.content.decode()
    assert exported["Content-Type"] == "text/csv; charset=Windows-31J"
    table = read_table("export.csv", exported.content)
    assert table.headers == KINDS[kind]().headers("ja") and table.rows
    rows = table.rows
    history_before = model.history.count()
    upload = io.BytesIO(exported.content)
    upload.name = f"{kind}.csv"
    uploaded = client.post(
        reverse("admin:imports_importbatch_upload"), {"kind": kind, "file": upload}
    )
    batch = ImportBatch.objects.get()
    assert uploaded["Location"] == reverse("admin:imports_importbatch_preview", args=[batch.pk])
    assert batch.counts == {"new": 0, "updated": 0, "unchanged": len(rows), "failed": 0}
    confirmed = client.post(uploaded["Location"])
    assert confirmed.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "applied"
    assert model.history.count() == history_before  # nothing was written again


@pytest.mark.django_db
def test_the_cp932_refusal_names_row_column_and_what_cp932_would_write_instead(client):
    ActivityFactory(external_ref="A-1", title="Orientation")
    ActivityFactory(external_ref="A-2", title="10月〜12月の交流", city="−")
    client.force_login(staff_with("view_activity"))
    refused = client.get(export_url(), {"encoding": "cp932"})
    assert refused.status_code == 400
    assert refused.content.decode().splitlines()[1:] == [
        "Row 3, column title: “〜” (U+301C), which cp932 writes as “～” (U+FF5E)",
        "Row 3, column city: “−” (U+2212), which cp932 writes as “－” (U+FF0D)",
    ]
