"""The readers of uploads: each guard of the streaming XLSX, ODS and CSV readers, and the confined
child they run in. Every spelling that XML allows reaches the same check."""

import codecs
import contextlib
import datetime as dt
import io
import random
import zipfile
from pathlib import Path

import pytest
from django.test import override_settings

from imports import isolation
from imports.formats import Limits, SheetRefused, read_table, write_table

LIMITS = Limits(
    max_bytes=2_000_000,
    max_rows=100,
    max_unpacked_bytes=5_000_000,
    max_zip_entries=50,
    max_columns=20,
    max_cells=1_000,
    max_cell_chars=500,
    max_sheet_chars=5_000,
)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def workbook(
    sheet_data: str,
    *,
    shared: list[str] | None = None,
    styles: str = "",
    extra: dict[str, bytes] | None = None,
    prefix: str = "",
    quote: str = '"',
) -> bytes:
    """An XLSX written by hand, so that quoting, prefixes and structure are the test's to choose."""
    q, p = quote, f"{prefix}:" if prefix else ""
    xmlns = f"xmlns:{prefix}={q}{MAIN}{q}" if prefix else f"xmlns={q}{MAIN}{q}"
    parts = {
        "[Content_Types].xml": b"<Types/>",
        "_rels/.rels": b"<Relationships/>",
        "xl/workbook.xml": (
            f"<{p}workbook {xmlns} xmlns:r={q}{RELS}{q}><{p}sheets>"
            f"<{p}sheet name={q}data{q} sheetId={q}1{q} r:id={q}rId1{q}/></{p}sheets></{p}workbook>"
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="x/worksheet"/>'
            b'<Relationship Id="rId2" Target="sharedStrings.xml" Type="x/sharedStrings"/>'
            b'<Relationship Id="rId3" Target="styles.xml" Type="x/styles"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f"<{p}worksheet {xmlns}><{p}sheetData>{sheet_data}</{p}sheetData></{p}worksheet>"
        ).encode(),
    }
    if shared is not None:
        items = "".join(f"<si>{item}</si>" for item in shared)
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}">{items}</sst>'.encode()
    if styles:
        parts["xl/styles.xml"] = f'<styleSheet xmlns="{MAIN}">{styles}</styleSheet>'.encode()
    parts.update(extra or {})
    return zipped(parts)


def zipped(parts: dict[str, bytes], first: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if first:
            archive.writestr(first, parts.pop(first), compress_type=zipfile.ZIP_STORED)
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


HEADER_ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row>'


def ods(rows_xml: str) -> bytes:
    content = (
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
        f'<office:spreadsheet><table:table table:name="data">{rows_xml}</table:table>'
        '<table:table table:name="second"><table:table-row><table:table-cell table:formula="of:=1">'
        "</table:table-cell></table:table-row></table:table>"
        "</office:spreadsheet></office:body></office:document-content>"
    )
    return zipped(
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "content.xml": content.encode(),
            "META-INF/manifest.xml": b"<manifest/>",
        },
        first="mimetype",
    )


def text_cell(value: str, extra: str = "") -> str:
    return (
        f'<table:table-cell office:value-type="string"{extra}>'
        f"<text:p>{value}</text:p></table:table-cell>"
    )


ODS_HEADER = f"<table:table-row>{text_cell('name')}</table:table-row>"


def read(name: str, content: bytes):
    return read_table(name, content, LIMITS)


# ---- spellings XML allows reach the same checks --------------------------------------------------


@pytest.mark.parametrize("quote", ['"', "'"])
@pytest.mark.parametrize("prefix", ["", "x"])
def test_an_error_cell_is_refused_however_its_xml_is_spelt(quote, prefix):
    p = f"{prefix}:" if prefix else ""
    data = (
        f"<{p}row r={quote}1{quote}><{p}c r={quote}A1{quote} t={quote}inlineStr{quote}><{p}is>"
        f"<{p}t>name</{p}t></{p}is></{p}c></{p}row><{p}row r={quote}2{quote}>"
        f"<{p}c r={quote}A2{quote}  t = {quote}e{quote}><{p}v>#N/A</{p}v></{p}c></{p}row>"
    )
    with pytest.raises(SheetRefused, match="Cell A2 holds an error value"):
        read("e.xlsx", workbook(data, prefix=prefix, quote=quote))


@pytest.mark.parametrize("quote", ['"', "'"])
@pytest.mark.parametrize("prefix", ["", "x"])
def test_a_formula_is_refused_however_its_xml_is_spelt(quote, prefix):
    p = f"{prefix}:" if prefix else ""
    data = (
        f"<{p}row><{p}c t={quote}inlineStr{quote}><{p}is><{p}t>name</{p}t></{p}is></{p}c></{p}row>"
        f"<{p}row><{p}c/><{p}c><{p}f>1+1</{p}f><{p}v>2</{p}v></{p}c></{p}row>"
    )
    with pytest.raises(SheetRefused, match="Cell B2 holds a formula"):
        read("f.xlsx", workbook(data, prefix=prefix, quote=quote))


@pytest.mark.parametrize(
    "far",
    [
        "<row r='3'><c r='XFD3'><v>1</v></c></row>",  # single quotes
        '<row r="3"><c r="Z3"><v>1</v></c></row>',  # just beyond the column limit
        "<row>" + "<c><v>1</v></c>" * 30 + "</row>",  # no references at all
    ],
)
def test_a_cell_beyond_the_column_limit_is_refused_naming_it(far):
    with pytest.raises(SheetRefused, match=r"span .* rows and .* columns.*beyond the 20 columns"):
        read("far.xlsx", workbook(HEADER_ROW + far))


@pytest.mark.parametrize("reference", ["A99999999", "1A", "AAAA1", "A-1", "A1.5"])
def test_a_reference_that_names_no_cell_is_damage(reference):
    with pytest.raises(SheetRefused, match="names no cell; the file is damaged"):
        read("r.xlsx", workbook(HEADER_ROW + f'<row><c r="{reference}"><v>1</v></c></row>'))


def test_a_far_row_with_one_value_costs_one_row():
    table = read(
        "far-row.xlsx", workbook(HEADER_ROW + '<row r="1048576"><c r="A1048576"><v>7</v></c></row>')
    )
    assert table.rows == [[7]]
    assert table.numbers == [1_048_576]


# ---- counts --------------------------------------------------------------------------------------


def test_one_long_shared_text_used_by_many_cells_is_refused_by_the_characters_it_adds_up_to():
    cells = "".join('<row><c t="s"><v>1</v></c></row>' for _ in range(20))
    content = workbook(HEADER_ROW + cells, shared=["<t>name</t>", f"<t>{'x' * 400}</t>"])
    with pytest.raises(SheetRefused, match="more than 5,000 characters in all"):
        read("amplified.xlsx", content)


def test_a_cell_longer_than_the_cell_limit_is_refused_naming_it():
    content = workbook(
        HEADER_ROW + f'<row><c r="A2" t="inlineStr"><is><t>{"y" * 501}</t></is></c></row>'
    )
    with pytest.raises(
        SheetRefused, match="Cell A2 holds 501 characters; a cell may hold at most 500"
    ):
        read("long.xlsx", content)


def test_more_cells_than_the_limit_are_refused_before_the_rest_is_read():
    rows = "".join("<row>" + "<c><v>1</v></c>" * 15 + "</row>" for _ in range(90))
    with pytest.raises(SheetRefused, match="more than 1,000 cells with a value"):
        read("cells.xlsx", workbook(HEADER_ROW + rows))


def test_more_rows_than_the_limit_are_refused_naming_the_first_beyond():
    rows = "".join(f"<row><c><v>{n}</v></c></row>" for n in range(120))
    with pytest.raises(SheetRefused, match=r"more than 100 rows \(row 102 is beyond"):
        read("rows.xlsx", workbook(HEADER_ROW + rows))


def test_elements_by_the_million_are_refused_by_their_count():
    limits = Limits(**{**LIMITS.__dict__, "max_cells": 10, "max_rows": 10})
    rows = "<row>" + "<x/>" * 20_000 + "</row>"
    with pytest.raises(SheetRefused, match=r"more than .* XML elements"):
        read_table("junk.xlsx", workbook(HEADER_ROW + rows), limits)


def test_empty_cells_by_the_million_are_refused_by_their_count():
    limits = Limits(**{**LIMITS.__dict__, "max_cells": 10, "max_rows": 10})
    rows = "<row>" + "<c/>" * 20_000 + "</row>"
    with pytest.raises(SheetRefused, match="more than 20 cells, most of them empty"):
        read_table("empty.xlsx", workbook(HEADER_ROW + rows), limits)


def test_shared_texts_are_read_without_their_phonetic_guides():
    # Japanese Excel keeps the reading of a name (フリガナ) beside its text.
    shared = [
        "<t>name</t>",
        "<r><t>京都</t></r><r><t>大学</t></r><rPh sb='0' eb='2'><t>キョウト</t></rPh>",
    ]
    table = read(
        "kana.xlsx", workbook(HEADER_ROW + '<row><c t="s"><v>1</v></c></row>', shared=shared)
    )
    assert table.rows == [["京都大学"]]


def test_a_shared_text_out_of_range_is_damage():
    content = workbook(
        HEADER_ROW + '<row><c r="A2" t="s"><v>9</v></c></row>', shared=["<t>name</t>"]
    )
    with pytest.raises(SheetRefused, match="Cell A2 refers to text number 9"):
        read("sst.xlsx", content)


@pytest.mark.parametrize("value", ["abc", "1e999999", "nan", "1_000", "0x10"])
def test_a_number_cell_that_holds_no_number_is_damage_named_by_cell(value):
    with pytest.raises(SheetRefused, match="Cell A2 should hold a number"):
        read("n.xlsx", workbook(HEADER_ROW + f"<row><c r='A2'><v>{value}</v></c></row>"))


def test_truncated_sheet_xml_is_damage_naming_the_part():
    content = workbook(HEADER_ROW)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"][:-30]
    with pytest.raises(SheetRefused, match=r"xl/worksheets/sheet1.xml is not well-formed XML"):
        read("cut.xlsx", zipped(parts))


def test_dates_follow_the_cell_style_and_the_workbooks_calendar():
    styles = (
        '<numFmts><numFmt numFmtId="164" '
        'formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
        '<numFmt numFmtId="165" formatCode="&quot;FY&quot;0"/></numFmts>'
        '<cellXfs><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/>'
        '<xf numFmtId="165"/></cellXfs>'
    )
    data = HEADER_ROW + (
        '<row><c s="1"><v>45748</v></c><c s="2"><v>45748.5</v></c><c s="3"><v>2025</v></c>'
        '<c t="d"><v>2025-04-01</v></c><c s="0"><v>45748</v></c></row>'
    )
    table = read("dates.xlsx", workbook(data, styles=styles))
    assert table.rows[0] == [
        dt.date(2025, 4, 1),
        dt.datetime(2025, 4, 1, 12, 0),
        2025,
        dt.date(2025, 4, 1),
        45748,
    ]


def test_characters_that_xml_cannot_carry_come_back_from_their_ooxml_escape():
    data = HEADER_ROW + '<row><c t="inlineStr"><is><t>line_x000D_end</t></is></c></row>'
    assert read("x.xlsx", workbook(data)).rows == [["line\rend"]]


# ---- the archive ---------------------------------------------------------------------------------


def test_a_part_that_unpacks_to_more_than_its_directory_declares_is_refused():
    bomb = b"<a>" + b" " * 6_000_000 + b"</a>"
    content = workbook(HEADER_ROW, extra={"xl/styles.xml": bomb})
    # Make the directory (and the local header) claim the part is tiny.
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo("xl/styles.xml")
    patched = bytearray(content)
    size = info.file_size.to_bytes(4, "little")
    for at in range(len(patched) - 4):
        if patched[at : at + 4] == size:
            patched[at : at + 4] = (1000).to_bytes(4, "little")
    with pytest.raises(SheetRefused, match=r"damaged|unpacks to more than"):
        read("lying.xlsx", bytes(patched))


def test_a_part_that_really_unpacks_beyond_the_limit_is_refused_as_it_unpacks():
    bomb = b"<styleSheet>" + b"<a/>" * 1_500_000 + b"</styleSheet>"
    limits = Limits(**{**LIMITS.__dict__, "max_unpacked_bytes": 10_000_000})
    content = workbook(HEADER_ROW, extra={"xl/styles.xml": bomb})
    with pytest.raises(SheetRefused, match="unpacks to"):
        read_table(
            "bomb.xlsx", content, Limits(**{**limits.__dict__, "max_unpacked_bytes": 1_000_000})
        )


@pytest.mark.parametrize(
    "name, data",
    [
        ("xl/embeddings/inner.xlsx", b"anything"),
        ("xl/media/image1.png", zipped({"inner.xml": b"<a/>"})),  # an archive by content
    ],
)
def test_an_archive_inside_the_workbook_is_refused(name, data):
    with pytest.raises(SheetRefused, match="is itself an archive"):
        read("nested.xlsx", workbook(HEADER_ROW, extra={name: data}))


@pytest.mark.parametrize("name", ["payload.exe", "xl/vbaProject.bin", "../outside.xml"])
def test_a_part_no_spreadsheet_writes_is_refused_naming_it(name):
    with pytest.raises(SheetRefused, match="a part that spreadsheets do not write"):
        read("odd.xlsx", workbook(HEADER_ROW, extra={name: b"<a/>"}))


@pytest.mark.parametrize(
    "declaration",
    [
        '<!DOCTYPE lol [<!ENTITY lol "lol">]>',
        '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE x SYSTEM "http://127.0.0.1/evil.dtd">',
    ],
)
def test_a_dtd_is_refused_in_every_part_that_is_read(declaration):
    shared = workbook(HEADER_ROW, shared=["<t>a</t>"])
    with zipfile.ZipFile(io.BytesIO(shared)) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts["xl/sharedStrings.xml"] = declaration.encode() + parts["xl/sharedStrings.xml"]
    with pytest.raises(SheetRefused, match=r"sharedStrings.xml declares a DTD"):
        read("dtd.xlsx", zipped(parts))


def test_an_old_excel_file_or_a_password_protected_one_is_named_as_such():
    with pytest.raises(SheetRefused, match=r"password-protected workbook or an Excel 97–2003"):
        read("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)


# ---- ODS -----------------------------------------------------------------------------------------


def test_an_ods_cell_repeated_a_billion_times_is_refused_before_it_is_expanded():
    repeated = text_cell("x", ' table:number-columns-repeated="1000000000"')
    row = f"<table:table-row>{repeated}</table:table-row>"
    with pytest.raises(SheetRefused, match="beyond the 20 columns"):
        read("wide.ods", ods(ODS_HEADER + row))


@pytest.mark.parametrize(
    "repeat, message",
    [("200", "more than 100 rows"), ("1000000000", "in row 1,000,000,001, beyond the last row")],
)
def test_an_ods_row_repeated_many_times_is_refused_before_it_is_expanded(repeat, message):
    cell = text_cell("x")
    row = f'<table:table-row table:number-rows-repeated="{repeat}">{cell}</table:table-row>'
    with pytest.raises(SheetRefused, match=message):
        read("tall.ods", ods(ODS_HEADER + row))


def test_empty_trailing_repeats_as_spreadsheets_write_them_are_read():
    rows = (
        ODS_HEADER
        + f"<table:table-row>{text_cell('Kyoto')}"
        + '<table:table-cell table:number-columns-repeated="16383"/></table:table-row>'
        + '<table:table-row table:number-rows-repeated="1048000">'
        + '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
    )
    table = read("padded.ods", ods(rows))
    assert table.rows == [["Kyoto"]]


@pytest.mark.parametrize(
    "cell, message",
    [
        (
            '<table:table-cell office:value-type="float" office:value="abc"/>',
            "should hold a number",
        ),
        (
            '<table:table-cell office:value-type="date" office:date-value="2025-13-45"/>',
            "should hold a date",
        ),
        (
            '<table:table-cell table:number-columns-repeated="-3" office:value-type="float"'
            ' office:value="1"/>',
            "repeat count",
        ),
        (
            '<table:table-cell table:number-columns-repeated="1e9" office:value-type="float"'
            ' office:value="1"/>',
            "repeat count",
        ),
        (
            "<table:table-cell table:formula='of:=1+1' office:value-type='float'"
            " office:value='2'/>",
            "holds a formula",
        ),
    ],
)
def test_a_malformed_ods_cell_is_refused_naming_it(cell, message):
    with pytest.raises(SheetRefused, match=f"Cell A2 .*{message}|Cell A2 {message}"):
        read("bad.ods", ods(ODS_HEADER + f"<table:table-row>{cell}</table:table-row>"))


def test_an_ods_row_repeat_count_that_is_no_number_is_damage_naming_the_row():
    row = f'<table:table-row table:number-rows-repeated="many">{text_cell("x")}</table:table-row>'
    with pytest.raises(SheetRefused, match="Row 2 has a repeat count “many”"):
        read("bad-row.ods", ods(ODS_HEADER + row))


def test_ods_text_keeps_spaces_tabs_and_breaks_and_leaves_comments_out():
    cell = (
        '<table:table-cell office:value-type="string"><office:annotation><text:p>a comment</text:p>'
        '</office:annotation><text:p>Kyoto<text:s text:c="2"/>Univ<text:tab/>x</text:p>'
        "<text:p>second</text:p></table:table-cell>"
    )
    table = read("text.ods", ods(ODS_HEADER + f"<table:table-row>{cell}</table:table-row>"))
    assert table.rows == [["Kyoto  Univ\tx\nsecond"]]


def test_a_space_run_of_a_billion_is_refused_by_the_cell_limit():
    cell = '<table:table-cell><text:p>a<text:s text:c="1000000000"/></text:p></table:table-cell>'
    with pytest.raises(SheetRefused, match=r"Cell A2 holds .* characters"):
        read("spaces.ods", ods(ODS_HEADER + f"<table:table-row>{cell}</table:table-row>"))


def test_malformed_ods_xml_is_damage_naming_the_part():
    content = zipped(
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "content.xml": b"<office:document-content><table:table",
        },
        first="mimetype",
    )
    with pytest.raises(SheetRefused, match=r"content.xml is not well-formed XML"):
        read("broken.ods", content)


# ---- CSV -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", ["\t", ","])
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_csv_with_a_byte_order_mark_is_read(encoding, delimiter):
    mark = codecs.BOM_UTF16_LE if encoding == "utf-16-le" else codecs.BOM_UTF16_BE
    text = (
        delimiter.join(["name", "city"]) + "\r\n" + delimiter.join(["京都大学", "Kyoto"]) + "\r\n"
    )
    table = read("unicode.csv", mark + text.encode(encoding))
    assert table.headers == ["name", "city"]
    assert table.rows == [["京都大学", "Kyoto"]]


def test_a_csv_of_tiny_rows_is_refused_for_its_rows_as_it_is_read():
    with pytest.raises(SheetRefused, match="more than 100 rows"):
        read("tiny.csv", b"name\n" + b"a\n" * 900_000)


def test_a_csv_of_blank_lines_is_refused_for_its_lines():
    with pytest.raises(SheetRefused, match=r"more than .* lines, blank lines included"):
        read("blank.csv", b"name\n" + b"\n" * 900_000)


def test_a_csv_wider_than_the_column_limit_is_refused():
    with pytest.raises(SheetRefused, match="beyond the 20 columns"):
        read("wide.csv", b"name\n" + b",".join([b"x"] * 25) + b"\n")


def test_trailing_empty_cells_of_a_csv_cost_nothing():
    table = read("padded.csv", b"name\nKyoto" + b"," * 5000 + b"\n")
    assert table.rows == [["Kyoto"]]


def test_a_csv_cell_longer_than_the_limit_is_refused_naming_it():
    with pytest.raises(SheetRefused, match="Cell B2 holds 501 characters"):
        read("long.csv", b"name,notes\nx," + b"y" * 501 + b"\n")


def test_a_csv_field_longer_than_the_csv_module_holds_is_refused_as_a_long_cell():
    with pytest.raises(SheetRefused, match=r"holds .* characters; a cell may hold at most"):
        read("huge.csv", b'name\n"' + b"y" * 200_000 + b'"\n')


def test_a_workbook_named_csv_is_named_as_a_workbook_and_nul_text_as_not_text():
    with pytest.raises(SheetRefused, match="looks like a workbook"):
        read("book.csv", write_table("xlsx", ["name"], [["x"]]))
    with pytest.raises(SheetRefused, match="holds NUL characters"):
        read("nul.csv", b"name\nab\x00cd\n")


# ---- the confined child --------------------------------------------------------------------------


def hungry(*_args):
    hoard = []
    while True:
        hoard.append(bytearray(50_000_000))


def spinning(*_args):
    while True:
        pass


def crashing(*_args):
    import os
    import signal

    os.kill(os.getpid(), signal.SIGSEGV)


@override_settings(IMPORT_READ_MEMORY_BYTES=300_000_000)
def test_a_reader_that_runs_out_of_memory_is_a_refusal_and_the_process_lives_on():
    with pytest.raises(SheetRefused, match="within the memory and time an import may use"):
        isolation.run_confined(hungry)


@override_settings(IMPORT_READ_SECONDS=1)
def test_a_reader_that_spins_is_stopped_by_its_cpu_limit():
    with pytest.raises(SheetRefused, match="within the memory and time an import may use"):
        isolation.run_confined(spinning)


def test_a_reader_that_crashes_is_a_refusal():
    with pytest.raises(SheetRefused, match="within the memory and time"):
        isolation.run_confined(crashing)


def test_the_child_sends_back_the_table_and_refusals_in_the_readers_language():
    from django.utils import translation

    content = "名前\r\n京都\r\n".encode("cp932")
    table = read_table("a.csv", content, LIMITS)
    assert table.rows == [["京都"]] and table.encoding == "cp932"
    with translation.override("ja"), pytest.raises(SheetRefused) as refused:
        read_table("a.csv", b"name\n" + b"a\n" * 200, LIMITS)
    assert "シートの行数が上限の 100 行を超えています" in str(refused.value)


# ---- damage of every kind is a refusal ---------------------------------------------------------


def mutations(content: bytes, kind: str, seed: int) -> bytes:
    """The file with a few bytes of one XML part changed, dropped or inserted."""
    rnd = random.Random(seed)
    if kind == "csv":
        data = bytearray(content)
        for _ in range(rnd.randint(1, 5)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        return bytes(data)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    name = rnd.choice([part for part in parts if part.endswith(".xml")])
    xml = bytearray(parts[name])
    for _ in range(rnd.randint(1, 4)):
        at = rnd.randrange(len(xml))
        choice = rnd.random()
        if choice < 0.4:
            xml[at] = rnd.randrange(32, 127)
        elif choice < 0.7:
            del xml[at : at + rnd.randint(1, 20)]
        else:
            xml[at:at] = rnd.choice(SPLICES)
    parts[name] = bytes(xml)
    return zipped(parts, first="mimetype" if kind == "ods" else "")


SPLICES = [
    b'"',
    b"'",
    b"<",
    b"&",
    b' r="ZZZZ9"',
    b' t="s"',
    b' t="e"',
    b"<v>abc</v>",
    b"</row>",
    b' table:number-columns-repeated="0"',
    b'office:value="x"',
    b' s="99"',
    b"<?xml",
]


@pytest.mark.parametrize("kind", ["xlsx", "ods", "csv"])
def test_a_damaged_file_of_any_kind_is_a_refusal_never_an_error(kind):
    # Read in this process, so that an error would surface here rather than as a refusal.
    from imports.formats import read_table_here

    rows = [["KU-1", "京都 & <x>", dt.date(2025, 4, 1), 12, 1.5, True, None]] * 3
    content = write_table(kind, list("abcdefg"), rows)
    for seed in range(150):
        with contextlib.suppress(SheetRefused):
            read_table_here(kind, mutations(content, kind, seed), LIMITS)


@pytest.mark.parametrize("name", ["written-by-libreoffice.xlsx", "written-by-libreoffice.ods"])
def test_a_sheet_as_libreoffice_saves_it_reads_with_numbers_as_numbers_and_dates_as_dates(name):
    content = (Path(__file__).parent.parent / "data" / name).read_bytes()
    table = read(name, content)
    assert table.headers == ["code", "title", "date", "n", "f", "when"]
    assert table.rows == [
        [
            "KU-1",
            "京都大学 フリガナ",
            dt.date(2025, 4, 1),
            12,
            1.5,
            dt.datetime(2025, 4, 1, 10, 30),
        ],
        ["KU-2", "=not formula?", dt.date(1999, 12, 31), -3, 0.1, None],
    ]


def test_a_value_after_a_billion_empty_rows_is_refused_as_beyond_the_last_row():
    empty = '<table:table-row table:number-rows-repeated="1000000000"><table:table-cell/>'
    rows = (
        ODS_HEADER
        + empty
        + f"</table:table-row><table:table-row>{text_cell('x')}</table:table-row>"
    )
    with pytest.raises(SheetRefused, match="in row 1,000,000,002, beyond the last row"):
        read("far.ods", ods(rows))
