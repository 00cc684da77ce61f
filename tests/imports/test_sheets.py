"""Reading and writing sheets: formats, encodings, and every refusal, before any row is written."""

import csv
import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from imports.formats import ExportRefused, Limits, SheetRefused, read_table, write_table

LIMITS = Limits(max_bytes=1_000_000, max_rows=100, max_unpacked_bytes=5_000_000, max_zip_entries=50)
HEADERS = ["external_ref", "title", "start_date"]
ROWS = [["KU-1", "京都シンポジウム", dt.date(2025, 4, 1)], ["KU-2", "Visit ～ Bangkok", None]]


def xlsx(rows, headers=HEADERS) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_text(rows) -> str:
    return "\r\n".join(",".join(row) for row in rows) + "\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_in_each_encoding_reads_the_same_japanese_text(encoding):
    content = csv_text([HEADERS, ["KU-1", "京都シンポジウム", "2025/4/1"]]).encode(encoding)
    table = read_table("activities.csv", content, LIMITS)
    assert table.headers == HEADERS
    assert table.rows == [["KU-1", "京都シンポジウム", "2025/4/1"]]
    assert table.numbers == [2]


def test_csv_that_is_neither_utf8_nor_cp932_is_refused():
    with pytest.raises(SheetRefused, match="neither UTF-8 nor Shift_JIS"):
        read_table("a.csv", b"name\n\x82\x20broken", LIMITS)


def test_xlsx_keeps_date_cells_and_row_numbers_past_blank_rows():
    content = xlsx([ROWS[0], [None, None, None], ROWS[1]])
    table = read_table("a.xlsx", content, LIMITS)
    assert table.rows[0][2] in (dt.date(2025, 4, 1), dt.datetime(2025, 4, 1))
    assert table.numbers == [2, 4]


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "ods"])
def test_what_we_write_we_read_back(file_format):
    content = write_table(file_format, HEADERS, ROWS)
    table = read_table(f"a.{file_format}", content, LIMITS)
    assert table.headers == HEADERS
    assert [row[:2] for row in table.rows] == [row[:2] for row in ROWS]
    start = table.rows[0][2]
    assert str(start)[:10] == "2025-04-01"


def test_csv_is_utf8_with_a_byte_order_mark_unless_cp932_is_asked_for():
    assert write_table("csv", HEADERS, ROWS).startswith(b"\xef\xbb\xbf")
    rows = [["KU-1", "京都大学 ① 髙橋", dt.date(2025, 4, 1)]]
    content = write_table("csv", HEADERS, rows, encoding="cp932")
    assert content.decode("cp932").startswith(
        "external_ref,title,start_date\r\nKU-1,京都大学 ① 髙橋"
    )
    table = read_table("a.csv", content, LIMITS)
    assert (table.encoding, table.rows) == ("cp932", [["KU-1", "京都大学 ① 髙橋", "2025-04-01"]])


def test_cp932_csv_is_refused_naming_each_cell_it_cannot_hold():
    rows = [
        ["KU-1", "Graduation 🎓", None],
        ["KU-2", "Université ～ Kyoto", None],
        ["KU-3", "Visit 〜 Bangkok", None],
    ]
    with pytest.raises(ExportRefused) as refused:
        write_table("csv", HEADERS, rows, encoding="cp932")
    lines = str(refused.value).splitlines()
    assert lines[0].startswith("The export cannot be written in cp932 (Shift_JIS): 3 cells")
    assert lines[1:] == [
        "Row 2, column title: “🎓” (U+1F393)",
        "Row 3, column title: “é” (U+00E9)",
        "Row 4, column title: “〜” (U+301C), which cp932 writes as “～” (U+FF5E)",
    ]


def test_cp932_refusal_lists_the_first_fifty_cells_and_counts_the_rest():
    rows = [[f"KU-{n}", "Zürich", "Malmö"] for n in range(40)]
    with pytest.raises(ExportRefused) as refused:
        write_table("csv", HEADERS, rows, encoding="cp932")
    lines = str(refused.value).splitlines()
    assert "80 cells" in lines[0]
    assert len(lines) == 1 + 50 + 1
    assert lines[50] == "Row 26, column start_date: “ö” (U+00F6)"
    assert lines[-1] == "… and 30 more cells."


def test_over_the_size_cap_is_refused():
    content = csv_text([HEADERS] + [["x" * 50, "y", "2025-04-01"]] * 30_000).encode()
    with pytest.raises(SheetRefused, match="the limit is 1 MB"):
        read_table("big.csv", content, LIMITS)


def test_over_the_row_cap_is_refused():
    content = csv_text([HEADERS] + [["r", "t", "2025-04-01"]] * 101).encode()
    with pytest.raises(SheetRefused, match="more than 100 rows"):
        read_table("rows.csv", content, LIMITS)


def zip_with(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_bomb_by_unpacked_size_is_refused():
    bomb = zip_with(
        {
            "[Content_Types].xml": b"<a/>",
            "xl/workbook.xml": b"<a/>",
            "xl/worksheets/sheet1.xml": b"0" * 20_000_000,
        }
    )
    assert len(bomb) < 100_000
    with pytest.raises(SheetRefused, match="unpacks to 20 MB"):
        read_table("bomb.xlsx", bomb, LIMITS)


def test_zip_bomb_by_entry_count_is_refused():
    many = zip_with({f"part{n}.xml": b"<a/>" for n in range(60)})
    with pytest.raises(SheetRefused, match="60 parts; the limit is 50"):
        read_table("many.xlsx", many, LIMITS)


@pytest.mark.parametrize(
    "name, content",
    [
        ("looks.csv", xlsx(ROWS)),
        ("looks.xlsx", b"external_ref,title\nKU-1,x\n"),
        ("looks.ods", xlsx(ROWS)),
        ("looks.xlsx", write_table("ods", HEADERS, ROWS)),
    ],
)
def test_content_that_does_not_match_the_extension_is_refused(name, content):
    with pytest.raises(SheetRefused, match="extension that matches its content"):
        read_table(name, content, LIMITS)


def test_other_extensions_are_refused():
    with pytest.raises(SheetRefused, match="not a CSV, XLSX or ODS file"):
        read_table("old.xls", b"whatever", LIMITS)


def test_xlsx_formula_cell_is_refused_with_its_address():
    content = xlsx([["KU-1", "=1+1", "2025-04-01"]])
    with pytest.raises(SheetRefused, match="Cell B2 holds a formula"):
        read_table("f.xlsx", content, LIMITS)


def test_xlsx_reads_the_first_sheet_in_workbook_order_and_ignores_formulas_elsewhere():
    workbook = openpyxl.Workbook()
    workbook.active.title = "notes"
    workbook.active["A1"] = "=1+1"  # a formula on a sheet the import does not read
    data = workbook.create_sheet("activities", 0)  # first in order, stored as sheet2.xml
    data.append(HEADERS)
    data.append(["KU-1", "Visit", dt.date(2025, 4, 1)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table("two-sheets.xlsx", buffer.getvalue(), LIMITS)
    assert table.headers == HEADERS
    assert table.rows[0][:2] == ["KU-1", "Visit"]


def test_xlsx_whole_numbers_read_as_integers_and_empty_cells_as_none():
    table = read_table("n.xlsx", xlsx([[12345, 1.5, None]]), LIMITS)
    assert table.rows == [[12345, 1.5, None]]
    assert isinstance(table.rows[0][0], int)


def sheet_with(sheet_data: bytes) -> bytes:
    """A workbook whose first sheet's <sheetData> is given as XML."""
    with zipfile.ZipFile(io.BytesIO(xlsx([]))) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    head, rest = parts[sheet].split(b"<sheetData", 1)
    tail = rest.split(b"</sheetData>", 1)[1] if b"</sheetData>" in rest else rest.split(b"/>", 1)[1]
    parts[sheet] = head.replace(b'<dimension ref="A1:C1" />', b"") + sheet_data + tail
    return zip_with(parts)


def inline(text: str) -> bytes:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def test_xlsx_cells_without_references_are_placed_one_after_another():
    content = sheet_with(
        b"<sheetData><row>" + b"".join(inline(h) for h in HEADERS) + b"</row>"
        b'<row><c t="inlineStr"><is><t>KU-1</t></is></c><c><v>7</v></c></row></sheetData>'
    )
    table = read_table("plain.xlsx", content, LIMITS)
    assert table.headers == HEADERS
    assert table.rows == [["KU-1", 7, None]]
    assert table.numbers == [2]


@pytest.mark.parametrize(
    "far_cell",
    [
        b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',  # referenced
        b"<row>" + b"<c><v>1</v></c>" * 6000 + b"</row>",  # a wide row without references
    ],
)
def test_xlsx_whose_cells_span_a_huge_area_is_refused_before_it_is_loaded(far_cell):
    content = sheet_with(
        b'<sheetData><row r="1">'
        + b"".join(inline(h) for h in HEADERS)
        + b"</row>"
        + far_cell
        + b"</sheetData>"
    )
    assert len(content) < 100_000
    with pytest.raises(SheetRefused, match=r"span .* rows and .* columns"):
        read_table("far.xlsx", content, LIMITS)


def test_xlsx_error_value_is_refused_with_its_address_rather_than_read_as_blank():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append(["KU-1", "Visit", dt.date(2025, 4, 1)])
    sheet.append(["KU-2", "#N/A", dt.date(2025, 4, 2)])
    sheet["B3"].data_type = "e"  # a pasted error value, as Excel keeps it
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(SheetRefused, match="Cell B3 holds an error value"):
        read_table("e.xlsx", buffer.getvalue(), LIMITS)


def test_ods_formula_cell_is_refused():
    content = write_table("ods", HEADERS, ROWS)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts["content.xml"] = parts["content.xml"].replace(
        b"<table:table-cell", b'<table:table-cell table:formula="of:=1+1"', 1
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", parts.pop("mimetype"), compress_type=zipfile.ZIP_STORED)
        for name, data in parts.items():
            archive.writestr(name, data)
    with pytest.raises(SheetRefused, match="holds a formula"):
        read_table("f.ods", buffer.getvalue(), LIMITS)


def test_a_dtd_in_the_workbook_is_refused():
    content = xlsx(ROWS)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = b'<!DOCTYPE lol [<!ENTITY lol "lol">]>' + parts[sheet]
    with pytest.raises(SheetRefused, match="declares a DTD"):
        read_table("dtd.xlsx", zip_with(parts), LIMITS)


DANGEROUS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def test_escaped_cells_read_back_as_written_so_exports_reimport_unchanged():
    for file_format in ("csv", "xlsx", "ods"):
        values = ["=A1", "-5 km", "'quoted'", "'=kept as typed", "＝１＋１"]
        content = write_table(file_format, ["title"], [[value] for value in values])
        table = read_table(f"x.{file_format}", content, LIMITS)
        assert [row[0] for row in table.rows] == values


def test_formula_like_cells_are_written_as_text_exactly_in_xlsx():
    content = write_table("xlsx", ["title"], [[value] for value in DANGEROUS])
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert {cell.data_type for cell in cells} == {"s"}
    # openpyxl shows a carriage return in its OOXML escape (_x000D_); the rest exactly as typed.
    assert [cell.value for cell in cells[:-1]] == DANGEROUS[:-1]
    assert [row[0] for row in read_table("x.xlsx", content, LIMITS).rows] == DANGEROUS


def test_formula_like_cells_are_prefixed_in_csv():
    content = write_table("csv", ["title"], [[value] for value in DANGEROUS])
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert [row[0] for row in rows[1:]] == ["'" + value for value in DANGEROUS]


def test_formula_like_cells_are_written_as_text_exactly_in_ods():
    from odf import table as ods_table
    from odf.opendocument import load

    content = write_table("ods", ["title"], [[value] for value in DANGEROUS])
    document = load(io.BytesIO(content))
    cells = document.spreadsheet.getElementsByType(ods_table.TableCell)[1:]
    assert {str(cell.getAttribute("valuetype")) for cell in cells} == {"string"}
    assert not any(cell.getAttribute("formula") for cell in cells)
    assert [row[0] for row in read_table("x.ods", content, LIMITS).rows] == DANGEROUS


def test_csv_export_is_utf8_with_bom_for_excel():
    assert write_table("csv", ["件名"], [["京都"]]).startswith("\ufeff件名".encode())
