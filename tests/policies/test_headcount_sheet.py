"""The headcount sheet: enrolment and faculty by level on a snapshot day (international students
by country or region too, as JASSO counts them), imported from a Japanese cp932 CSV or a
workbook, each bad cell named, and read by the computed ratio."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from disclosure.computed import computed_counts
from imports.engine import KINDS, export_table
from imports.formats import read_table
from imports.services import import_confirm, import_preview
from policies.models import Computation, Headcount
from tests.factories import UserFactory, scoped_everywhere
from units.models import Institution


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


@pytest.fixture
def steward(sources):
    user = UserFactory(username="steward", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["import_sheets", "view_importbatch"])
    )
    return scoped_everywhere(user)


def japanese_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([KINDS["headcounts"]().headers("ja"), *rows])
    return out.getvalue().encode("cp932")


def run(content: bytes, user, name="在籍者数.csv"):
    batch, plan = import_preview(kind="headcounts", file_name=name, content=content, user=user)
    if not plan.failed:
        plan = import_confirm(batch=batch, user=user)
    return plan


def test_a_japanese_sheet_in_cp932_imports_levels_groups_and_countries(steward):
    rows = [
        ["KU", "2025年度", "2025/5/1", "学部", "合計", "", "12,950"],
        ["KU", "2025", "", "修士課程", "外国人留学生", "", "１，１２０"],
        ["KU", "2025", "", "master", "international", "中国", "520"],
        ["KU", "2025", "", "Undergraduate", "international", "", "430"],
        ["KU", "2025", "", "修士課程", "合計", "", "4,900"],
    ]
    plan = run(japanese_csv(rows), steward)
    assert plan.summary() == "5 new, 0 updated, 0 unchanged, 0 failed"
    ku = Institution.objects.get(code="KU")
    china = Headcount.objects.get(country="CN")
    assert (china.level, china.group, china.count) == ("master", "international", 520)
    assert china.as_of == dt.date(2025, 5, 1)  # no snapshot day: 1 May of the year
    history = china.history.get()
    assert history.history_user == steward
    ratio = computed_counts(Computation.INTERNATIONAL_STUDENT_RATIO, [ku.pk])[(ku.pk, 2025)]
    assert ratio.value == Decimal("8.68")  # 1550 of 17850; the country row is a breakdown
    # The same sheet again changes nothing.
    assert run(japanese_csv(rows), steward).summary() == "0 new, 0 updated, 5 unchanged, 0 failed"


def test_bad_cells_are_named_and_nothing_is_written(steward):
    rows = [
        ["KU", "2025", "", "学部", "合計", "", "100"],
        ["XX", "2025", "", "学部", "合計", "", "100"],
        ["KU", "20255", "", "学部", "合計", "", "100"],
        ["KU", "2025", "", "博士前期", "合計", "", "100"],
        ["KU", "2025", "", "学部", "合計", "タイ", "100"],
        ["KU", "2025", "", "faculty", "international", "", "100"],
        ["KU", "2025", "", "学部", "合計", "", "-4"],
        ["KU", "2025", "", "学部", "合計", "", ""],
    ]
    plan = run(japanese_csv(rows), steward)
    assert [(e.row, e.column) for e in plan.errors] == [
        (3, "institution"),
        (4, "fiscal_year"),
        (5, "level"),
        (6, "country"),
        (7, "group"),
        (8, "count"),
        (9, "count"),
    ]
    assert Headcount.objects.count() == 0


def test_the_export_reads_back_as_the_sheet(steward):
    ku = Institution.objects.get(code="KU")
    Headcount.objects.create(
        institution=ku,
        fiscal_year=2024,
        as_of=dt.date(2024, 5, 1),
        level="doctoral",
        group="international",
        country="VN",
        count=37,
    )
    kind = KINDS["headcounts"]()
    table = read_table("h.xlsx", export_table(kind, "xlsx"))
    assert table.headers == kind.headers()
    institution, year, as_of, level, group, country, count = table.rows[0][:7]
    assert (institution, year, level, group, country, count) == (
        "KU",
        2024,
        "doctoral",
        "international",
        "VN",
        37,
    )
    assert as_of == dt.date(2024, 5, 1)
