"""Spreadsheets as people lay them out: a title above the header, a cover sheet before the data,
hidden rows, merged cells, and Shift_JIS files where a letter was lost as "?". Each is read, and
the preview says what it found."""

import io
import zipfile

import openpyxl
import pytest
from odf.opendocument import OpenDocumentSpreadsheet
from odf.style import Style, TableCellProperties
from odf.table import CoveredTableCell, TableCell, TableRow
from odf.table import Table as OdsTable
from odf.text import P

from imports.engine import KINDS, SheetKind, locate_table, plan_import
from imports.formats import LAST_ROW, SheetRefused, read_workbook, write_table
from imports.layouts import lost_letter_cells
from imports.models import ImportBatch
from imports.services import import_confirm, import_preview, read_kept_table
from portfolio.models import PartnerInstitution
from tests.imports.test_imports_faults import PARTNER_HEADERS, steward_named
from tests.imports.test_readers import LIMITS

PARTNERS = [["Mahidol University", "", "TH"], ["Chulalongkorn University", "", "TH"]]
TITLE = [["2024年度 国際交流実績"], [], ["作成日: 2025-04-01"]]


def texts(notes) -> list[str]:
    """The notes of a plan, or as a batch stores them, as the reader reads them."""
    return [note["message"] if isinstance(note, dict) else str(note) for note in notes]


@pytest.fixture
def steward(db):
    return steward_named("steward")


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"
    return settings.IMPORT_DIR


def xlsx(sheets: dict[str, list[list[object]]], layout=None) -> bytes:
    """A workbook of these sheets in this order; ``layout(workbook)`` may hide and merge."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    if layout:
        layout(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ods(sheets: dict[str, list[TableRow]]) -> bytes:
    document = OpenDocumentSpreadsheet()
    for name, rows in sheets.items():
        table = OdsTable(name=name)
        for row in rows:
            table.addElement(row)
        document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def ods_row(values: list[str], **attributes) -> TableRow:
    row = TableRow(**attributes)
    for value in values:
        cell = TableCell(valuetype="string")
        cell.addElement(P(text=value))
        row.addElement(cell)
    return row


def preview(user, name: str, content: bytes):
    return import_preview(kind="partners", file_name=name, content=content, user=user)


def partners() -> SheetKind:
    return KINDS["partners"]()


# ---- the header below title rows --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["csv", "xlsx", "ods"])
def test_the_header_is_found_below_a_title_a_blank_row_and_a_date_line(file_format, steward):
    rows = [*TITLE, PARTNER_HEADERS, *PARTNERS]
    content = write_table(file_format, rows[0], rows[1:])
    batch, plan = preview(steward, f"p.{file_format}", content)
    assert plan.counts["new"] == 2 and not plan.errors
    assert "Header found in row 4; rows above it were skipped." in texts(plan.notes)
    assert [note["message"] for note in batch.columns["notes"]] == texts(plan.notes)
    assert not any(
        "2024年度" in note for note in texts(plan.notes)
    )  # the title is no unknown column
    table = read_kept_table(batch)
    assert (table.header_row, table.skipped, table.numbers) == (4, 2, [5, 6])


def test_a_header_with_every_required_column_beats_an_earlier_row_with_fewer():
    rows = [["country", "city"], ["name", "country", "city"], ["Mahidol University", "TH", "x"]]
    workbook = read_workbook("p.xlsx", xlsx({"data": rows}), LIMITS)
    table = locate_table(partners(), workbook)
    assert table.headers == ["name", "country", "city"]
    assert table.numbers == [3]


def test_a_header_lower_than_the_first_twenty_rows_is_not_looked_for():
    rows = [[f"line {n}"] for n in range(20)] + [PARTNER_HEADERS, PARTNERS[0]]
    table = locate_table(partners(), read_workbook("p.xlsx", xlsx({"data": rows}), LIMITS))
    assert table.headers[0] == "line 0"


@pytest.mark.django_db
def test_without_any_known_header_the_first_row_is_the_header_and_the_column_is_missing(steward):
    content = write_table("csv", ["2024年度 国際交流実績"], [["Mahidol University"]])
    _batch, plan = preview(steward, "p.csv", content)
    assert [(error.row, error.column) for error in plan.errors] == [(1, "name")]
    assert not any("Header found" in note for note in texts(plan.notes))


# ---- the sheet whose header matches ----------------------------------------------------------


@pytest.mark.django_db
def test_a_workbook_with_a_cover_sheet_imports_its_data_sheet_and_names_it(steward):
    cover = [["How to fill in this workbook"], ["=1+1 is a formula nobody imports"]]
    content = xlsx({"表紙": cover, "Data": [*TITLE, PARTNER_HEADERS, *PARTNERS], "Notes": []})
    batch, plan = preview(steward, "p.xlsx", content)
    assert plan.counts["new"] == 2 and not plan.errors
    assert (
        "The rows were read from sheet “Data”, the first whose header row matches the template; "
        "the workbook's other sheets (“表紙”, “Notes”) were not read."
    ) in texts(plan.notes)
    assert read_kept_table(batch).sheet == "Data"


@pytest.mark.django_db
def test_an_ods_with_a_cover_table_imports_its_data_table(steward):
    content = ods(
        {
            "Cover": [ods_row(["Read me first"])],
            "Data": [ods_row(PARTNER_HEADERS), *(ods_row(row) for row in PARTNERS)],
        }
    )
    _batch, plan = preview(steward, "p.ods", content)
    assert plan.counts["new"] == 2
    assert any("sheet “Data”" in note for note in texts(plan.notes))


def test_a_formula_on_a_cover_sheet_does_not_refuse_the_data_sheet_but_one_in_the_data_does():
    def formula(where: str):
        def layout(workbook):
            workbook[where]["A9"] = "=1+1"

        return layout

    sheets = {"Cover": [["Read me"]], "Data": [PARTNER_HEADERS, PARTNERS[0]]}
    table = locate_table(partners(), read_workbook("p.xlsx", xlsx(sheets, formula("Cover"))))
    assert table.sheet == "Data"
    workbook = read_workbook("p.xlsx", xlsx(sheets, formula("Data")))
    with pytest.raises(SheetRefused, match="Cell A9 holds a formula"):
        locate_table(partners(), workbook)


def test_when_no_sheet_has_the_header_the_refusal_names_the_sheets_and_the_first_row():
    content = xlsx({"表紙": [[], ["Annual report", "2024"]], "Summary": [["total", 3]]})
    with pytest.raises(SheetRefused) as refusal:
        locate_table(partners(), read_workbook("p.xlsx", content, LIMITS))
    message = str(refusal.value)
    assert "its sheets are “表紙”, “Summary”" in message
    assert "the first row of “表紙” reads “Annual report”, “2024”" in message


def test_a_sheet_missing_a_required_column_is_read_when_no_sheet_has_them_all():
    content = xlsx({"Cover": [["Read me"]], "Data": [["country", "city"], ["TH", "Bangkok"]]})
    table = locate_table(partners(), read_workbook("p.xlsx", content, LIMITS))
    assert table.sheet == "Data"
    plan = plan_import(partners(), table)
    assert [error.column for error in plan.errors] == ["name"]


def test_cells_are_counted_across_the_workbook_and_rows_per_sheet():
    eighty_rows = [["name", "city"]] + [[f"U{n}", "x"] for n in range(80)]
    sheets = read_workbook("p.xlsx", xlsx({"a": eighty_rows, "b": eighty_rows}), LIMITS).sheets
    assert [len(sheet.rows) for sheet in sheets] == [81, 81]  # 100 rows a sheet, 162 in all
    many = [["name"] + ["x"] * 9] * 60  # 600 cells a sheet
    with pytest.raises(SheetRefused, match="more than 1,000 cells"):
        read_workbook("p.xlsx", xlsx({"a": many, "b": many}), LIMITS)
    with pytest.raises(SheetRefused, match="more than 1,000 cells"):
        read_workbook("p.ods", ods({"a": ods_many(), "b": ods_many()}), LIMITS)
    assert len(read_workbook("p.ods", ods({"a": ods_many()}), LIMITS).sheets[0].rows) == 60


def ods_many() -> list[TableRow]:
    return [ods_row(["x"] * 10) for _row in range(60)]


# ---- styled empty cells at the last row ---------------------------------------------------------


def test_an_xlsx_whose_used_range_reaches_the_last_row_by_a_styled_empty_cell_is_read():
    def style_last_row(workbook):
        workbook["data"].cell(row=LAST_ROW, column=3).font = openpyxl.styles.Font(bold=True)

    content = xlsx({"data": [PARTNER_HEADERS, PARTNERS[0]]}, style_last_row)
    assert b'r="C1048576"' in content_of(content, "xl/worksheets/sheet1.xml")
    table = locate_table(partners(), read_workbook("p.xlsx", content, LIMITS))
    assert table.numbers == [2]


def test_an_ods_whose_rows_reach_the_last_row_with_styled_empty_cells_is_read():
    document = OpenDocumentSpreadsheet()
    style = Style(name="shaded", family="table-cell")
    style.addElement(TableCellProperties(backgroundcolor="#ffff00"))
    document.automaticstyles.addElement(style)
    table = OdsTable(name="data")
    for values in [PARTNER_HEADERS, PARTNERS[0]]:
        table.addElement(ods_row(values))
    styled = TableRow(numberrowsrepeated=LAST_ROW - 2)
    styled.addElement(TableCell(stylename=style, numbercolumnsrepeated=1024))
    table.addElement(styled)
    document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    read = locate_table(partners(), read_workbook("p.ods", buffer.getvalue(), LIMITS))
    assert read.numbers == [2]


def content_of(content: bytes, part: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read(part)


# ---- hidden rows and merged cells -----------------------------------------------------------


def hide_and_merge(workbook):
    sheet = workbook["data"]
    for number in (3, 5, 6, 7, 8):
        sheet.row_dimensions[number].hidden = True
    sheet.merge_cells("A1:F1")  # the title, above the header: no matter
    sheet.merge_cells("C5:C7")


def many_partners() -> list[list[object]]:
    return [[f"University {n}", "", "TH"] for n in range(3, 10)]


@pytest.mark.django_db
def test_hidden_rows_and_merged_cells_of_an_xlsx_are_imported_and_noted(steward):
    content = xlsx({"data": [["Partners"], PARTNER_HEADERS, *many_partners()]}, hide_and_merge)
    batch, plan = preview(steward, "p.xlsx", content)
    assert plan.counts["new"] == 7  # hidden rows are data
    assert (
        "Rows 3, 5 and 3 more are hidden in the sheet; they were imported like the others — "
        "check them."
    ) in texts(plan.notes)
    assert (
        "Cells C5:C7 are merged; only the first holds the value, the others are read as blank."
    ) in texts(plan.notes)
    kept = read_kept_table(batch)
    assert (kept.hidden, kept.merged) == ([3, 5, 6, 7, 8], ["C5:C7"])
    batch.refresh_from_db()
    import_confirm(batch=batch, user=steward)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLIED
    assert any("are hidden" in note for note in texts(batch.columns["notes"]))  # the confirmation's
    assert PartnerInstitution.objects.count() == 7


@pytest.mark.django_db
def test_hidden_rows_and_merged_cells_of_an_ods_are_noted(steward):
    merged = TableRow()
    cell = TableCell(valuetype="string", numbercolumnsspanned=2, numberrowsspanned=2)
    cell.addElement(P(text="Mahidol University"))
    merged.addElement(cell)
    merged.addElement(CoveredTableCell())
    below = TableRow(visibility="collapse")
    below.addElement(CoveredTableCell(numbercolumnsrepeated=2))
    for value in ["TH"]:
        country = TableCell(valuetype="string")
        country.addElement(P(text=value))
        below.addElement(country)
    content = ods(
        {
            "data": [
                ods_row(PARTNER_HEADERS),
                merged,
                below,
                ods_row(["Chulalongkorn University", "", "TH"], visibility="filter"),
            ]
        }
    )
    _batch, plan = preview(steward, "p.ods", content)
    assert (
        "Rows 3 and 4 are hidden in the sheet; they were imported like the others — check them."
        in texts(plan.notes)
    )
    assert any(note.startswith("Cells A2:B3 are merged") for note in texts(plan.notes))


def test_a_merged_title_above_the_header_is_not_noted():
    def merge_title(workbook):
        workbook["data"].merge_cells("A1:F1")

    content = xlsx({"data": [["Partners"], PARTNER_HEADERS, PARTNERS[0]]}, merge_title)
    table = locate_table(partners(), read_workbook("p.xlsx", content, LIMITS))
    assert table.merged == []


# ---- Shift_JIS "?" ------------------------------------------------------------------------------


def sjis_csv(rows: list[list[str]], encoding: str = "cp932") -> bytes:
    lines = [",".join(PARTNER_HEADERS[:5]), *(",".join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


LOST = [
    ["Universit?t Wien", "", "AT", "Wien", ""],
    ["Universidade de S?o Paulo", "", "BR", "S?o Paulo", ""],
    ["東?大学", "", "JP", "", ""],
    ["Really? Yes", "", "JP", "", "https://example.jp/find?q=kyoto"],
]


@pytest.mark.django_db
def test_a_question_mark_inside_a_word_of_a_shift_jis_csv_is_warned_of(steward):
    _batch, plan = preview(steward, "p.csv", sjis_csv(LOST))
    assert (
        "4 cells have a “?” inside a word (A2, A3, D3 and 1 more), where a letter the file's "
        "writer could not save in Shift_JIS was lost; check them."
    ) in texts(plan.notes)


def test_the_question_marks_that_mean_a_question_or_a_query_are_not_warned_of():
    rows = [["Really? 京都", "", "JP", "why?", "https://example.jp/find?q=kyoto&x=1"]]
    table = locate_table(partners(), read_workbook("p.csv", sjis_csv(rows), LIMITS))
    assert table.encoding == "cp932"
    assert lost_letter_cells(table) == []


def test_a_utf8_csv_is_not_warned_of_its_question_marks():
    table = locate_table(partners(), read_workbook("p.csv", sjis_csv(LOST, "utf-8"), LIMITS))
    assert table.encoding.startswith("utf-8")
    assert lost_letter_cells(table) == []
