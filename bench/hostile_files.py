"""Hostile spreadsheets, built in memory: what an upload may be, other than a spreadsheet.

Every file is written by hand (zip entries, XML as strings), so that its quoting, prefixes,
encodings and zip headers are exactly what the case needs; nothing here goes through a library
that would tidy them. ``catalogue()`` returns the hostile files, each to be refused with a
message naming what is too large or wrong; ``benign()`` the files that look odd but are ordinary
spreadsheets and must be read. Each is a ``Sample(name, description, content)``; the
description starts with the class (``"span: ..."``), which says what a refusal must name
(``KEYWORDS``).

``catalogue(small=True)`` builds the variants the tests and smoke runs use: still over the
product's default limits (``config/settings.py``) wherever a small file can be, and under 3 MB
each. The full catalogue adds the large variants the benchmark measures (up to 19.9 MB, within
``IMPORT_MAX_BYTES``). Used by ``bench/hostile.py`` and the tests; as a script it lists the
catalogue, or writes it to a folder for trying the files elsewhere:

    .venv/bin/python bench/hostile_files.py [--smoke] [--write DIR]
"""

import argparse
import functools
import io
import struct
import sys
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

SMOKE_TABLE = "Hostile spreadsheets"

# What a refusal of each class must name (any one of the words, case-insensitive).
KEYWORDS: dict[str, tuple[str, ...]] = {
    "span": ("span", "column", "rows", "cells"),
    # A value far below the table: a bomb for a reader that holds the sheet from A1 to its last
    # cell, nothing for one that streams. Refused by the specification; the reader may call it
    # a span, too many rows, a reference beyond the grid, or damaged.
    "far row": ("span", "rows", "beyond", "damaged", "names no"),
    "amplification": ("characters", "repeat"),
    "long cell": ("characters",),
    "cells": ("cells", "repeat"),
    "rows": ("rows", "repeat"),
    "columns": ("columns",),
    "repeat": ("repeat", "cells", "rows", "columns", "span", "beyond"),
    "width at the caps": ("cells", "columns", "rows"),
    "lying zip": ("unpacks", "damaged"),
    "zip bomb": ("unpacks", "damaged", "overlap"),
    "nested": ("nested", "archive"),
    "parts": ("parts",),
    "dtd": ("dtd", "entit"),
    "error value": ("error value",),
    "formula": ("formula",),
    "malformed": ("damaged", "cannot be read", "invalid", "not a number", "not a date", "repeat"),
}

MB = 1_000_000
PARTNER_HEADERS = ["name", "local_name", "country", "city", "website", "name_ja"]
# The row every benign file holds (twice, with a blank row between in some), as a steward typed it.
PARTNER_ROW = [
    "Chulalongkorn University",
    "จุฬาลงกรณ์มหาวิทยาลัย",
    "TH",
    "Bangkok",
    "https://www.chula.ac.th/",
    "チュラーロンコーン大学",
]


class Sample(NamedTuple):
    name: str
    description: str
    content: bytes

    def __repr__(self) -> str:
        return f"Sample({self.name!r}, {self.description!r}, <{len(self.content):,} bytes>)"

    @property
    def kind(self) -> str:
        """The class: the description up to its colon."""
        return self.description.split(":", 1)[0]

    @property
    def keywords(self) -> tuple[str, ...]:
        return KEYWORDS.get(self.kind, ())

    def names_what_is_wrong(self, message: str) -> bool:
        folded = message.casefold()
        return any(word.casefold() in folded for word in self.keywords)


# --- Zip, by zipfile and by hand ------------------------------------------------------------

STAMP = (1980, 1, 1, 0, 0, 0)


def zipped(parts: Iterable[tuple[str, bytes]], stored: tuple[str, ...] = ("mimetype",)) -> bytes:
    """A zip of ``parts`` in order, as zipfile writes it (deflated, but ``stored`` names)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=STAMP)
            info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


@dataclass
class RawEntry:
    """One zip entry written by hand: its compressed bytes and what its headers declare."""

    name: str
    payload: bytes  # the bytes stored (raw deflate when method is 8)
    crc: int
    size: int  # the true unpacked size
    method: int = 8
    local_size: int | None = None  # what the local header declares, if not the truth
    central_size: int | None = None  # what the central directory declares, if not the truth
    local_name: str | None = None  # the local header's name, if not the directory's
    same_data_as: int | None = None  # index of an earlier entry whose local header this reuses


def raw_entry(name: str, data: bytes, method: int = 8) -> RawEntry:
    payload = deflated(data) if method == 8 else data
    return RawEntry(name, payload, zlib.crc32(data), len(data), method)


def raw_zip(entries: list[RawEntry]) -> bytes:
    """A zip whose headers say what each entry's fields say, true or not."""
    out = io.BytesIO()
    offsets: list[int] = []
    for entry in entries:
        if entry.same_data_as is not None:
            offsets.append(offsets[entry.same_data_as])
            continue
        offsets.append(out.tell())
        name = (entry.local_name or entry.name).encode()
        size = entry.size if entry.local_size is None else entry.local_size
        out.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                0,
                entry.method,
                0,
                0x21,  # 1980-01-01
                entry.crc,
                len(entry.payload),
                size,
                len(name),
                0,
            )
        )
        out.write(name)
        out.write(entry.payload)
    directory = out.tell()
    for entry, offset in zip(entries, offsets, strict=True):
        name = entry.name.encode()
        source = entry if entry.same_data_as is None else entries[entry.same_data_as]
        size = source.size if entry.central_size is None else entry.central_size
        out.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                source.method,
                0,
                0x21,
                source.crc,
                len(source.payload),
                size,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
        )
        out.write(name)
    end = out.tell()
    out.write(
        struct.pack(
            "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), end - directory, directory, 0
        )
    )
    return out.getvalue()


def deflated(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


@functools.cache
def _flushed_segment(unit: bytes, repeat: int) -> bytes:
    """``unit * repeat`` deflated and fully flushed: a piece any deflate stream may repeat.

    After a full flush a deflate stream refers to nothing before it, so the same compressed
    segment can be laid end to end: 300 MB of zeros is built in a moment, not compressed.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(unit * repeat) + compressor.flush(zlib.Z_FULL_FLUSH)


def huge_entry(name: str, prefix: bytes, fill: bytes, size: int, suffix: bytes = b"") -> RawEntry:
    """An entry that unpacks to ``prefix``, ``fill`` repeated to ``size`` bytes, ``suffix``."""
    block = 1 << 20
    unit = fill * (block // len(fill))
    blocks, rest = divmod(size, len(unit))
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = b"".join(
        [
            head.compress(prefix) + head.flush(zlib.Z_FULL_FLUSH),
            _flushed_segment(unit, 1) * blocks,
            tail.compress(unit[:rest] + suffix) + tail.flush(),
        ]
    )
    crc = zlib.crc32(prefix)
    for _block in range(blocks):
        crc = zlib.crc32(unit, crc)
    crc = zlib.crc32(unit[:rest] + suffix, crc)
    return RawEntry(name, payload, crc, len(prefix) + blocks * len(unit) + rest + len(suffix))


# --- XLSX -----------------------------------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
SHEET_PATH = "xl/worksheets/sheet1.xml"


def content_types(sheet_path: str = SHEET_PATH, extra: str = "", shared: bool = False) -> str:
    sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    strings = (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    )
    return (
        f'{XML_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        f'ContentType="application/xml"/>{extra}<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main'
        f'+xml"/><Override PartName="/{sheet_path}" ContentType="{sheet}"/>'
        f"{strings if shared else ''}</Types>"
    )


def xlsx(
    sheet: str | bytes,
    shared: str | bytes | None = None,
    *,
    extra: Iterable[tuple[str, bytes]] = (),
    sheet_path: str = SHEET_PATH,
    workbook_rels: str | None = None,
) -> bytes:
    """A workbook of one sheet (and a shared-strings part when given), as Excel lays it out."""
    target = sheet_path.removeprefix("xl/")
    strings = (
        f'<Relationship Id="rId2" Type="{OFFICE_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
    )
    rels = workbook_rels or (
        f'{XML_DECLARATION}<Relationships xmlns="{RELS}">'
        f'<Relationship Id="rId1" Type="{OFFICE_RELS}/worksheet" Target="{target}"/>'
        f"{strings if shared is not None else ''}</Relationships>"
    )
    parts = [
        ("[Content_Types].xml", content_types(sheet_path, shared=shared is not None)),
        (
            "_rels/.rels",
            f'{XML_DECLARATION}<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{OFFICE_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        ),
        (
            "xl/workbook.xml",
            f'{XML_DECLARATION}<workbook xmlns="{MAIN}" xmlns:r="{OFFICE_RELS}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        ),
        ("xl/_rels/workbook.xml.rels", rels),
        (sheet_path, sheet),
    ]
    if shared is not None:
        parts.append(("xl/sharedStrings.xml", shared))
    parts.extend(extra)
    return zipped((name, as_bytes(data)) for name, data in parts)


def as_bytes(data: str | bytes) -> bytes:
    return data.encode() if isinstance(data, str) else data


def worksheet(rows: str, prefix: str = "", head: str = XML_DECLARATION) -> str:
    """A sheet whose ``<sheetData>`` holds ``rows``; every element with ``prefix`` if given."""
    p = f"{prefix}:" if prefix else ""
    namespace = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    return f"{head}<{p}worksheet {namespace}><{p}sheetData>{rows}</{p}sheetData></{p}worksheet>"


def column_letters(number: int) -> str:
    """1 → A, 16384 → XFD."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def inline(text: str, reference: str = "", q: str = '"', p: str = "") -> str:
    r = f" r={q}{reference}{q}" if reference else ""
    return f"<{p}c{r} t={q}inlineStr{q}><{p}is><{p}t>{text}</{p}t></{p}is></{p}c>"


def header_row(q: str = '"', p: str = "", headers: list[str] = PARTNER_HEADERS) -> str:
    cells = "".join(
        inline(text, f"{column_letters(n)}1", q, p) for n, text in enumerate(headers, 1)
    )
    return f"<{p}row r={q}1{q}>{cells}</{p}row>"


def partner_row(number: int, q: str = '"', p: str = "") -> str:
    cells = "".join(
        inline(escape(text), f"{column_letters(n)}{number}", q, p)
        for n, text in enumerate(PARTNER_ROW, 1)
    )
    return f"<{p}row r={q}{number}{q}>{cells}</{p}row>"


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def partners_sheet(tail: str = "", q: str = '"', p: str = "") -> str:
    """The header and one partner row, then ``tail`` (rows from 3 on)."""
    return worksheet(header_row(q, p) + partner_row(2, q, p) + tail, p)


def shared_strings(strings: list[str], count: int | None = None) -> str:
    items = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    total = len(strings) if count is None else count
    return (
        f'{XML_DECLARATION}<sst xmlns="{MAIN}" count="{total}" uniqueCount="{len(strings)}">'
        f"{items}</sst>"
    )


# --- ODS ------------------------------------------------------------------------------------

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)
MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="urn:oasis:names:'
    'tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry '
    'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def ods(content: str | bytes, extra: Iterable[tuple[str, bytes]] = ()) -> bytes:
    """An OpenDocument spreadsheet: mimetype first and stored, the manifest, ``content.xml``."""
    parts = [
        ("mimetype", ODS_MIMETYPE),
        ("META-INF/manifest.xml", MANIFEST.encode()),
        ("content.xml", as_bytes(content)),
        *extra,
    ]
    return zipped(parts)


def ods_content(rows: str, head: str = '<?xml version="1.0" encoding="UTF-8"?>\n') -> str:
    return (
        f'{head}<office:document-content {ODS_NAMESPACES} office:version="1.2"><office:body>'
        '<office:spreadsheet><table:table table:name="Sheet1">'
        f"{rows}</table:table></office:spreadsheet></office:body></office:document-content>"
    )


def ods_text(text: str, attributes: str = "") -> str:
    return (
        f'<table:table-cell office:value-type="string"{attributes}>'
        f"<text:p>{escape(text)}</text:p></table:table-cell>"
    )


def ods_row(values: list[str], attributes: str = "") -> str:
    return f"<table:table-row{attributes}>{''.join(ods_text(v) for v in values)}</table:table-row>"


def ods_partners(tail: str = "") -> str:
    """content.xml: the header and one partner row, then ``tail``."""
    return ods_content(ods_row(PARTNER_HEADERS) + ods_row(PARTNER_ROW) + tail)


# --- CSV ------------------------------------------------------------------------------------


def csv_line(values: list[str], delimiter: str = ",") -> str:
    return delimiter.join(values) + "\r\n"


def csv_to_size(header: str, line: str, size: int) -> bytes:
    """``header`` then ``line`` as often as fits in ``size`` bytes."""
    return (header + line * ((size - len(header)) // len(line))).encode()


def wide_csv(rows: int, columns: int, size: int | None = None) -> bytes:
    """A header of ``columns`` names and ``rows`` rows of one-letter cells, filled to ``size``."""
    headers = PARTNER_HEADERS + [f"extra_{n}" for n in range(len(PARTNER_HEADERS) + 1, columns + 1)]
    header = ",".join(headers) + "\n"
    width = columns * 2  # "a," per cell, the last comma being the newline
    spare = 0 if size is None else max(0, (size - len(header)) // rows - width)
    cells = ["a"] * columns
    for n in range(min(spare, columns)):
        cells[n] = "ab"
    return (header + (",".join(cells) + "\n") * rows).encode()


# --- The hostile files ----------------------------------------------------------------------

BILLION_LAUGHS = '<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
    for n in range(1, 10)
)
XXE = '<!ENTITY xxe SYSTEM "file:///etc/passwd">'


def _span(small: bool) -> list[Sample]:
    far = inline("x", "XFD1048576")
    empty_cells = 20_000 if small else 2_000_000
    return [
        Sample(
            "span-xfd1048576-single-quotes.xlsx",
            "span: one value at XFD1048576, every attribute in single quotes",
            xlsx(
                partners_sheet(
                    f"<row r='1048576'>{inline('x', 'XFD1048576', q=chr(39))}</row>", q="'"
                )
            ),
        ),
        Sample(
            "span-xfd1048576-double-quotes.xlsx",
            "span: one value at XFD1048576, attributes in double quotes",
            xlsx(partners_sheet(f'<row r="1048576">{far}</row>')),
        ),
        Sample(
            "span-a99999999-eight-digits.xlsx",
            "far row: one value at A99999999, a row number of eight digits (beyond any sheet)",
            xlsx(partners_sheet(f'<row r="99999999">{inline("x", "A99999999")}</row>')),
        ),
        # Row 1,048,576 is the last row of a sheet, and the streaming reader holds only rows
        # with a value, so a value there costs one row; the row after it is no sheet's.
        Sample(
            "far-row-1048577-single-quotes.xlsx",
            "far row: a value in <row r='1048577'>, beyond a sheet's last row, its cell "
            "without a reference",
            xlsx(partners_sheet(f"<row r='1048577'>{inline('x', q=chr(39))}</row>")),
        ),
        Sample(
            "span-spaces-around-equals.xlsx",
            'span: one value at XFD1048576 written r = "XFD1048576" (spaces around =)',
            xlsx(
                partners_sheet(
                    '<row r = "1048576"><c r = "XFD1048576" t = "inlineStr"><is><t>x</t></is>'
                    "</c></row>"
                )
            ),
        ),
        Sample(
            "span-character-reference.xlsx",
            'span: one value at XFD1048576 written r="&#88;FD1048576" (a character reference)',
            xlsx(partners_sheet(f'<row r="&#49;048576">{inline("x", "&#88;FD1048576")}</row>')),
        ),
        Sample(
            "span-newline-before-r.xlsx",
            "span: one value at XFD1048576, a newline instead of a space before r",
            xlsx(
                partners_sheet(
                    '<row\nr="1048576"><c\nr="XFD1048576"\nt="inlineStr"><is><t>x</t></is></c></row>'
                )
            ),
        ),
        Sample(
            f"span-{empty_cells}-empty-cells-no-references.xlsx",
            f"span: a row of {empty_cells:,} <c/> without references, then a value",
            xlsx(partners_sheet(f"<row>{'<c/>' * empty_cells}{inline('x')}</row>")),
        ),
    ]


def _amplification(small: bool) -> list[Sample]:
    text = ("0123456789abcdefghijklmnopqrstuvwxyz" * 900)[:32_000]
    row = "<row>" + '<c t="s"><v>0</v></c>' * 100 + "</row>"
    ods_cell = (
        '<table:table-cell office:value-type="string" table:number-columns-repeated="100">'
        f"<text:p>{text}</text:p></table:table-cell>"
    )
    return [
        Sample(
            "shared-string-32000-chars-x-50100-cells.xlsx",
            "amplification: one shared string of 32,000 characters in 50,100 cells (501 x 100)",
            xlsx(worksheet(row * 501), shared_strings([text], count=50_100)),
        ),
        Sample(
            "ods-32000-chars-repeated-50000-cells.ods",
            "amplification: a cell of 32,000 characters repeated to 100 columns x 500 rows",
            ods(
                ods_partners(
                    '<table:table-row table:number-rows-repeated="500">'
                    f"{ods_cell}</table:table-row>"
                )
            ),
        ),
        Sample(
            "ods-text-s-1e9-spaces.ods",
            'amplification: <text:s text:c="1000000000"/>, a run of a billion spaces in one cell',
            ods(
                ods_partners(
                    '<table:table-row><table:table-cell office:value-type="string"><text:p>a'
                    '<text:s text:c="1000000000"/>b</text:p></table:table-cell></table:table-row>'
                )
            ),
        ),
    ]


def _long_cell() -> list[Sample]:
    text = "x" * 40_000
    return [
        Sample(
            "long-cell-40000-chars.xlsx",
            "long cell: one inline string of 40,000 characters (the cap is 32,767)",
            xlsx(partners_sheet(f'<row r="3">{inline(text, "A3")}</row>')),
        ),
        Sample(
            "long-cell-40000-chars-shared.xlsx",
            "long cell: one shared string of 40,000 characters",
            xlsx(
                partners_sheet('<row r="3"><c r="A3" t="s"><v>0</v></c></row>'),
                shared_strings([text]),
            ),
        ),
        Sample(
            "long-cell-40000-chars.ods",
            "long cell: one cell of 40,000 characters",
            ods(ods_partners(ods_row([text]))),
        ),
        Sample(
            "long-cell-40000-chars.csv",
            "long cell: one field of 40,000 characters",
            (csv_line(PARTNER_HEADERS) + csv_line(PARTNER_ROW) + csv_line([text])).encode(),
        ),
    ]


def _cells(small: bool) -> list[Sample]:
    xlsx_rows, ods_rows = (5_001, 5_001) if small else (10_000, 5_001)
    cells = "<row>" + "<c><v>1</v></c>" * 200 + "</row>"
    ods_cells = '<table:table-cell office:value-type="float" office:value="1"/>' * 200
    samples = [
        Sample(
            f"cells-{xlsx_rows * 200}-numbers.xlsx",
            f"cells: {xlsx_rows:,} rows x 200 columns of the number 1 ({xlsx_rows * 200:,} cells)",
            xlsx(worksheet(header_row() + cells * xlsx_rows)),
        ),
        Sample(
            "cells-1000200-repeated.ods",
            "cells: one number repeated to 200 columns x 5,001 rows (1,000,200 cells)",
            ods(
                ods_partners(
                    '<table:table-row table:number-rows-repeated="5001"><table:table-cell '
                    'office:value-type="float" office:value="1" '
                    'table:number-columns-repeated="200"/>'
                    "</table:table-row>"
                )
            ),
        ),
    ]
    if not small:
        samples.append(
            Sample(
                f"cells-{ods_rows * 200}-numbers.ods",
                f"cells: {ods_rows:,} rows x 200 columns of the number 1, each cell written out",
                ods(ods_partners(f"<table:table-row>{ods_cells}</table:table-row>" * ods_rows)),
            )
        )
    return samples


def _rows(small: bool) -> list[Sample]:
    xlsx_rows = 50_001 if small else 1_000_000
    ods_rows = 50_001 if small else 1_000_000
    csv_size = 120_000 if small else int(19.9 * MB)
    csv = csv_to_size(",".join(PARTNER_HEADERS) + "\n", "a\n", csv_size)
    csv_rows = csv.count(b"\n") - 1
    return [
        Sample(
            f"rows-{xlsx_rows}.xlsx",
            f"rows: {xlsx_rows:,} rows of one number each, after the header",
            xlsx(worksheet(header_row() + "<row><c><v>1</v></c></row>" * xlsx_rows)),
        ),
        Sample(
            f"rows-{ods_rows}.ods",
            f"rows: {ods_rows:,} rows of one number each, each row written out",
            ods(
                ods_partners(
                    '<table:table-row><table:table-cell office:value-type="float" '
                    'office:value="1"/></table:table-row>' * ods_rows
                )
            ),
        ),
        Sample(
            "rows-repeated-60000.ods",
            'rows: one row holding a value with table:number-rows-repeated="60000"',
            ods(ods_partners(ods_row(PARTNER_ROW, ' table:number-rows-repeated="60000"'))),
        ),
        Sample(
            f"rows-{csv_rows}-tiny.csv",
            f'rows: {len(csv) / MB:.1f} MB of "a" lines, {csv_rows:,} rows',
            csv,
        ),
    ]


def _columns(small: bool) -> list[Sample]:
    wide = 201 if small else 16_384
    headers = PARTNER_HEADERS + [f"extra_{n}" for n in range(len(PARTNER_HEADERS) + 1, wide + 1)]
    cells = "".join(inline(h, f"{column_letters(n)}1") for n, h in enumerate(headers, 1))
    samples = [
        Sample(
            f"columns-{wide}.xlsx",
            f"columns: a header of {wide:,} columns",
            xlsx(worksheet(f'<row r="1">{cells}</row>' + partner_row(2))),
        ),
        Sample(
            "columns-201.ods",
            "columns: a header of 201 columns",
            ods(ods_content(ods_row(headers[:201]) + ods_row(PARTNER_ROW))),
        ),
        Sample(
            "columns-201.csv",
            "columns: a header of 201 columns",
            (csv_line(headers[:201]) + csv_line(PARTNER_ROW)).encode(),
        ),
    ]
    if not small:
        content = wide_csv(990, 10_000)
        samples.append(
            Sample(
                "columns-10000-x-990.csv",
                f"columns: 990 rows of 10,000 columns ({len(content) / MB:.1f} MB)",
                content,
            )
        )
    return samples


def _repeat() -> list[Sample]:
    def cell(repeat: str = "", text: str = "x", tag: str = "table-cell") -> str:
        attributes = f' table:number-columns-repeated="{repeat}"' if repeat else ""
        return (
            f'<table:{tag} office:value-type="string"{attributes}><text:p>{text}</text:p>'
            f"</table:{tag}>"
        )

    def row(cells: str, repeat: str = "") -> str:
        attributes = f' table:number-rows-repeated="{repeat}"' if repeat else ""
        return f"<table:table-row{attributes}>{cells}</table:table-row>"

    billion = "1000000000"
    empty_columns = f'<table:table-cell table:number-columns-repeated="{billion}"/>'
    return [
        Sample(
            "repeat-columns-1e9-with-value.ods",
            f'repeat: a cell holding a value with table:number-columns-repeated="{billion}"',
            ods(ods_partners(row(cell(billion)))),
        ),
        Sample(
            "repeat-rows-1e9-with-value.ods",
            f'repeat: a row holding a value with table:number-rows-repeated="{billion}"',
            ods(ods_partners(ods_row(PARTNER_ROW, f' table:number-rows-repeated="{billion}"'))),
        ),
        Sample(
            "repeat-covered-cells-1e9.ods",
            f"repeat: a covered (merged) cell holding a value, columns repeated {billion} times",
            ods(ods_partners(row(cell(billion, tag="covered-table-cell")))),
        ),
        Sample(
            "repeat-value-after-1e9-empty-columns.ods",
            f"repeat: {billion} empty columns (one repeated cell), then a cell holding a value",
            ods(ods_partners(row(empty_columns + cell()))),
        ),
        Sample(
            "repeat-value-after-1e9-empty-rows.ods",
            f"far row: {billion} empty rows (one repeated row), then a row holding a value",
            ods(ods_partners(row("<table:table-cell/>", billion) + ods_row(PARTNER_ROW))),
        ),
        Sample(
            "repeat-rows-and-columns-1e5.ods",
            "repeat: a value repeated to 100,000 columns in a row repeated 100,000 times",
            ods(ods_partners(row(cell("100000"), "100000"))),
        ),
    ]


def _width_at_the_caps(small: bool) -> list[Sample]:
    if small:
        return [
            Sample(
                "csv-5001-rows-x-200-columns.csv",
                "width at the caps: 5,001 rows of 200 columns (1,000,200 cells)",
                wide_csv(5_001, 200),
            )
        ]
    return [
        Sample(
            "csv-50000-rows-x-200-columns.csv",
            "width at the caps: 50,000 rows (the row cap) of 200 columns (the column cap)",
            wide_csv(50_000, 200, int(19.9 * MB)),
        ),
        Sample(
            "csv-50001-rows-x-200-columns.csv",
            "width at the caps: 50,001 rows (one over the cap) of 200 columns",
            wide_csv(50_001, 200, int(19.9 * MB)),
        ),
    ]


def _lying_zip(small: bool) -> list[Sample]:
    size = 1 * MB if small else 300 * MB
    sheet_head = f'{XML_DECLARATION}<worksheet xmlns="{MAIN}"><sheetData>'.encode()
    sheet_tail = b"</sheetData></worksheet>"
    xlsx_parts = [(name, as_bytes(data)) for name, data in _xlsx_frame()]
    entries = [raw_entry(name, data) for name, data in xlsx_parts]
    lying = huge_entry(SHEET_PATH, sheet_head, b" ", size, sheet_tail)
    lying.local_size = lying.central_size = 1_000
    content_head, content_tail = (part.encode() for part in ods_content("\0").split("\0"))
    ods_lying = huge_entry("content.xml", content_head, b" ", size, content_tail)
    ods_lying.central_size = 1_000
    ods_entries = [
        raw_entry("mimetype", ODS_MIMETYPE, method=0),
        raw_entry("META-INF/manifest.xml", MANIFEST.encode()),
        ods_lying,
    ]
    renamed = [raw_entry(name, data) for name, data in xlsx_parts]
    renamed.append(raw_entry(SHEET_PATH, partners_sheet().encode()))
    renamed[-1].local_name = "xl/worksheets/other.xml"
    return [
        Sample(
            "lying-sizes-sheet.xlsx",
            f"lying zip: the sheet unpacks to {size / MB:,.0f} MB; both of its headers say "
            "1,000 bytes",
            raw_zip([*entries, lying]),
        ),
        Sample(
            "lying-size-central-directory.ods",
            f"lying zip: content.xml unpacks to {size / MB:,.0f} MB; the central directory "
            "says 1,000 bytes",
            raw_zip(ods_entries),
        ),
        Sample(
            "lying-names-differ.xlsx",
            "lying zip: the sheet's local header names another file than its directory entry",
            raw_zip(renamed),
        ),
    ]


def _xlsx_frame() -> list[tuple[str, str]]:
    """The parts of ``xlsx()`` but the sheet, for workbooks built by hand."""
    with zipfile.ZipFile(io.BytesIO(xlsx(partners_sheet()))) as archive:
        return [
            (info.filename, archive.read(info).decode())
            for info in archive.infolist()
            if info.filename != SHEET_PATH
        ]


def _zip_bomb() -> list[Sample]:
    frame = [(name, as_bytes(data)) for name, data in _xlsx_frame()]
    sheet = raw_entry(SHEET_PATH, partners_sheet().encode())
    zeros = huge_entry("xl/media/zeros.bin", b"", b"\0", 300 * MB)
    overlapping = [raw_entry(name, data) for name, data in frame]
    overlapping.append(sheet)
    base = len(overlapping)
    overlapping.append(huge_entry("xl/media/image1.bin", b"", b"\0", 10 * MB))
    for n in range(2, 31):
        overlapping.append(RawEntry(f"xl/media/image{n}.bin", b"", 0, 0, same_data_as=base))
    ods_zeros = huge_entry("Pictures/zeros.bin", b"", b"\0", 300 * MB)
    return [
        Sample(
            "bomb-300mb-zeros.xlsx",
            "zip bomb: a part of 300 MB of zeros, its size declared truthfully",
            raw_zip([*[raw_entry(n, d) for n, d in frame], sheet, zeros]),
        ),
        Sample(
            "bomb-300mb-zeros.ods",
            "zip bomb: a part of 300 MB of zeros, its size declared truthfully",
            raw_zip(
                [
                    raw_entry("mimetype", ODS_MIMETYPE, method=0),
                    raw_entry("META-INF/manifest.xml", MANIFEST.encode()),
                    raw_entry("content.xml", ods_partners().encode()),
                    ods_zeros,
                ]
            ),
        ),
        Sample(
            "bomb-overlapping-entries.xlsx",
            "zip bomb: 30 directory entries share one 10 MB part's data (300 MB in all)",
            raw_zip(overlapping),
        ),
    ]


def _nested() -> list[Sample]:
    inner = xlsx(partners_sheet())
    bomb_inside = raw_zip([huge_entry("zeros.bin", b"", b"\0", 300 * MB)])
    embedding = (
        '<Default Extension="xlsx" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet"/>'
    )
    nested = [
        (name, as_bytes(content_types(extra=embedding)) if name == "[Content_Types].xml" else data)
        for name, data in _zip_parts(
            xlsx(partners_sheet(), extra=[("xl/embeddings/inner.xlsx", inner)])
        )
    ]
    return [
        Sample(
            "nested-embedded-workbook.xlsx",
            "nested: a workbook inside the workbook (xl/embeddings/inner.xlsx)",
            zipped(nested),
        ),
        Sample(
            "nested-sheet-is-a-zip.xlsx",
            "nested: the sheet part xl/worksheets/sheet1.xml is itself a zip (a workbook)",
            xlsx(inner),
        ),
        Sample(
            "nested-zip-bomb-inside.xlsx",
            "nested: a zip inside the workbook whose part unpacks to 300 MB of zeros",
            xlsx(partners_sheet(), extra=[("xl/embeddings/bomb.zip", bomb_inside)]),
        ),
        Sample(
            "nested-zip-inside.ods",
            "nested: a zip inside the spreadsheet (Pictures/inner.zip)",
            ods(ods_partners(), extra=[("Pictures/inner.zip", inner)]),
        ),
    ]


def _zip_parts(content: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def _parts() -> list[Sample]:
    padding = [(f"xl/media/part{n}.bin", b"") for n in range(1, 997)]
    ods_padding = [(f"Pictures/part{n}.bin", b"") for n in range(1, 999)]
    return [
        Sample(
            "parts-1001.xlsx",
            "parts: 1,001 parts (996 empty ones besides the workbook's own five)",
            xlsx(partners_sheet(), extra=padding),
        ),
        Sample(
            "parts-1001.ods",
            "parts: 1,001 parts (998 empty ones besides mimetype, manifest and content)",
            ods(ods_partners(), extra=ods_padding),
        ),
    ]


def _dtd() -> list[Sample]:
    laughs_row = f'<row r="3">{inline("&lol9;", "A3")}</row>'
    xxe_row = f'<row r="3">{inline("&xxe;", "A3")}</row>'

    def doctype(root: str, entities: str) -> str:
        return f"{XML_DECLARATION}<!DOCTYPE {root} [{entities}]>"

    utf16_sheet = worksheet(
        header_row() + partner_row(2) + laughs_row,
        head=f'<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE worksheet [{BILLION_LAUGHS}]>',
    ).encode("utf-16")
    ods_laughs = ods_row(["&lol9;"]).replace("&amp;", "&")
    ods_xxe = ods_row(["&xxe;"]).replace("&amp;", "&")
    ods_head = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE office:document-content [{}]>'
    rels_xxe = (
        f'{doctype("Relationships", XXE)}<Relationships xmlns="{RELS}">'
        f'<Relationship Id="rId1" Type="{OFFICE_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>"
    )
    return [
        Sample(
            "dtd-billion-laughs-sheet.xlsx",
            "dtd: billion laughs (<!ENTITY lol9 ...>) in the sheet",
            xlsx(
                worksheet(
                    header_row() + partner_row(2) + laughs_row,
                    head=doctype("worksheet", BILLION_LAUGHS),
                )
            ),
        ),
        Sample(
            "dtd-billion-laughs-shared-strings.xlsx",
            "dtd: billion laughs in xl/sharedStrings.xml, used by a cell",
            xlsx(
                partners_sheet('<row r="3"><c r="A3" t="s"><v>0</v></c></row>'),
                f'{doctype("sst", BILLION_LAUGHS)}<sst xmlns="{MAIN}" count="1" uniqueCount="1">'
                "<si><t>&lol9;</t></si></sst>",
            ),
        ),
        Sample(
            "dtd-external-entity-sheet.xlsx",
            'dtd: an external entity (<!ENTITY xxe SYSTEM "file:///etc/passwd">) in the sheet',
            xlsx(
                worksheet(header_row() + partner_row(2) + xxe_row, head=doctype("worksheet", XXE))
            ),
        ),
        Sample(
            "dtd-external-entity-workbook-rels.xlsx",
            "dtd: an external entity declared in xl/_rels/workbook.xml.rels",
            xlsx(partners_sheet(), workbook_rels=rels_xxe),
        ),
        Sample(
            "dtd-utf16-sheet.xlsx",
            "dtd: billion laughs in a sheet encoded as UTF-16 (no ASCII '<!DOCTYPE' in its bytes)",
            xlsx(utf16_sheet),
        ),
        Sample(
            "dtd-sheet-part-not-named-xml.xlsx",
            "dtd: billion laughs in a sheet part named xl/worksheets/sheet1.bin",
            xlsx(
                worksheet(
                    header_row() + partner_row(2) + laughs_row,
                    head=doctype("worksheet", BILLION_LAUGHS),
                ),
                sheet_path="xl/worksheets/sheet1.bin",
            ),
        ),
        Sample(
            "dtd-billion-laughs-content.ods",
            "dtd: billion laughs in content.xml",
            ods(
                ods_content(
                    ods_row(PARTNER_HEADERS) + ods_laughs, head=ods_head.format(BILLION_LAUGHS)
                )
            ),
        ),
        Sample(
            "dtd-external-entity-content.ods",
            'dtd: an external entity (SYSTEM "file:///etc/passwd") in content.xml',
            ods(ods_content(ods_row(PARTNER_HEADERS) + ods_xxe, head=ods_head.format(XXE))),
        ),
        Sample(
            "dtd-utf16-content.ods",
            "dtd: billion laughs in content.xml encoded as UTF-16",
            ods(
                ods_content(
                    ods_row(PARTNER_HEADERS) + ods_laughs,
                    head='<?xml version="1.0" encoding="UTF-16"?>\n'
                    f"<!DOCTYPE office:document-content [{BILLION_LAUGHS}]>",
                ).encode("utf-16")
            ),
        ),
    ]


def _error_values() -> list[Sample]:
    prefixed_error = '<x:row r="3"><x:c r="A3" t="e"><x:v>#N/A</x:v></x:c></x:row>'
    return [
        Sample(
            "error-single-quotes.xlsx",
            "error value: <c r=\"A3\" t='e'><v>#N/A</v></c>, t in single quotes",
            xlsx(partners_sheet('<row r="3"><c r="A3" t=\'e\'><v>#N/A</v></c></row>')),
        ),
        Sample(
            "error-prefixed.xlsx",
            'error value: <x:c t="e">, the sheet written with a namespace prefix',
            xlsx(worksheet(header_row(p="x") + partner_row(2, p="x") + prefixed_error, "x")),
        ),
        Sample(
            "error-spaces-around-equals.xlsx",
            'error value: <c r="A3" t = "e">, spaces around =',
            xlsx(partners_sheet('<row r="3"><c r="A3" t = "e"><v>#DIV/0!</v></c></row>')),
        ),
        Sample(
            "error-character-reference.xlsx",
            'error value: <c r="A3" t="&#101;">, the e written as a character reference',
            xlsx(partners_sheet('<row r="3"><c r="A3" t="&#101;"><v>#REF!</v></c></row>')),
        ),
        Sample(
            "error-no-reference.xlsx",
            'error value: <c t="e"> without a cell reference',
            xlsx(partners_sheet('<row><c t="e"><v>#VALUE!</v></c></row>')),
        ),
    ]


def _formulas() -> list[Sample]:
    prefixed = '<x:row r="3"><x:c r="B3"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row>'
    return [
        Sample(
            "formula-prefixed.xlsx",
            "formula: <x:f>1+1</x:f>, the sheet written with a namespace prefix",
            xlsx(worksheet(header_row(p="x") + partner_row(2, p="x") + prefixed, "x")),
        ),
        Sample(
            "formula-single-quotes-shared.xlsx",
            "formula: <f t='shared' ref='B3:B4' si='0'>, attributes in single quotes",
            xlsx(
                partners_sheet(
                    "<row r='3'><c r='B3'><f t='shared' ref='B3:B4' si='0'>A3+1</f><v>1</v></c>"
                    "</row><row r='4'><c r='B4'><f t='shared' si='0'/><v>1</v></c></row>"
                )
            ),
        ),
        Sample(
            "formula-shared-child-only.xlsx",
            'formula: only <f t="shared" si="0"/>, the child of a shared formula',
            xlsx(partners_sheet('<row r="3"><c r="B3"><f t="shared" si="0"/><v>1</v></c></row>')),
        ),
        Sample(
            "formula-single-quotes.ods",
            "formula: table:formula='of:=1+1' in single quotes",
            ods(
                ods_partners(
                    "<table:table-row><table:table-cell table:formula='of:=1+1' "
                    "office:value-type='float' office:value='2'/></table:table-row>"
                )
            ),
        ),
        Sample(
            "formula-other-prefix.ods",
            "formula: t:formula, the table namespace bound to another prefix",
            ods(
                ods_partners(
                    '<table:table-row><t:table-cell xmlns:t="urn:oasis:names:tc:opendocument:'
                    'xmlns:table:1.0" t:formula="of:=1+1" office:value-type="float" '
                    'office:value="2"/></table:table-row>'
                )
            ),
        ),
    ]


def _malformed() -> list[Sample]:
    def ods_cell(attributes: str) -> str:
        return ods(
            ods_partners(f"<table:table-row><table:table-cell {attributes}/></table:table-row>")
        )

    truncated_ods = ods_partners(ods_row(PARTNER_ROW))
    truncated_sheet = partners_sheet(partner_row(3))
    return [
        Sample(
            "malformed-float-abc.ods",
            'malformed: a float cell with office:value="abc"',
            ods_cell('office:value-type="float" office:value="abc"'),
        ),
        Sample(
            "malformed-date-2025-13-45.ods",
            'malformed: a date cell with office:date-value="2025-13-45"',
            ods_cell('office:value-type="date" office:date-value="2025-13-45"'),
        ),
        Sample(
            "malformed-repeat-negative.ods",
            'malformed: a cell holding a value with table:number-columns-repeated="-3"',
            ods(
                ods_partners(
                    ods_row(["x"]).replace(
                        "<table:table-cell", '<table:table-cell table:number-columns-repeated="-3"'
                    )
                )
            ),
        ),
        Sample(
            "malformed-repeat-abc.ods",
            'malformed: a row with table:number-rows-repeated="abc"',
            ods(ods_partners(ods_row(PARTNER_ROW, ' table:number-rows-repeated="abc"'))),
        ),
        Sample(
            "malformed-repeat-1e9.ods",
            'malformed: a row with table:number-rows-repeated="1e9"',
            ods(ods_partners(ods_row(PARTNER_ROW, ' table:number-rows-repeated="1e9"'))),
        ),
        Sample(
            "malformed-truncated-content.ods",
            "malformed: content.xml cut off in the middle of a row",
            ods(truncated_ods[: len(truncated_ods) * 2 // 3]),
        ),
        Sample(
            "malformed-no-content.ods",
            "malformed: no content.xml in the package",
            zipped([("mimetype", ODS_MIMETYPE), ("META-INF/manifest.xml", MANIFEST.encode())]),
        ),
        Sample(
            "malformed-truncated-sheet.xlsx",
            "malformed: the sheet XML cut off in the middle of a row",
            xlsx(truncated_sheet[: len(truncated_sheet) * 2 // 3]),
        ),
        Sample(
            "malformed-number-abc.xlsx",
            'malformed: <c r="B3"><v>abc</v></c>, a number cell holding "abc"',
            xlsx(
                partners_sheet(
                    '<row r="3"><c r="A3" t="inlineStr"><is><t>Name</t></is></c>'
                    '<c r="B3"><v>abc</v></c></row>'
                )
            ),
        ),
        Sample(
            "malformed-shared-index-out-of-range.xlsx",
            'malformed: <c t="s"><v>99</v></c> with one shared string',
            xlsx(
                partners_sheet('<row r="3"><c r="A3" t="s"><v>99</v></c></row>'),
                shared_strings(["only"]),
            ),
        ),
        Sample(
            "malformed-shared-index-abc.xlsx",
            'malformed: <c t="s"><v>abc</v></c>, a shared-string index that is no number',
            xlsx(
                partners_sheet('<row r="3"><c r="A3" t="s"><v>abc</v></c></row>'),
                shared_strings(["only"]),
            ),
        ),
        Sample(
            "malformed-zip-magic-then-garbage.xlsx",
            "malformed: the zip signature, then 4 KB of garbage",
            b"PK\x03\x04" + bytes(range(256)) * 16,
        ),
    ]


@functools.cache
def _catalogue(small: bool) -> tuple[Sample, ...]:
    return (
        *_span(small),
        *_amplification(small),
        *_long_cell(),
        *_cells(small),
        *_rows(small),
        *_columns(small),
        *_repeat(),
        *_width_at_the_caps(small),
        *_lying_zip(small),
        *_zip_bomb(),
        *_nested(),
        *_parts(),
        *_dtd(),
        *_error_values(),
        *_formulas(),
        *_malformed(),
    )


def catalogue(small: bool = False) -> list[Sample]:
    """Every hostile file: each must be refused with a message naming what is wrong."""
    return list(_catalogue(small))


# --- Benign files ---------------------------------------------------------------------------

# The rows every benign file reads as, after its header PARTNER_HEADERS.
BENIGN_ROWS = [PARTNER_ROW, ["Global University", "", "DE", "", "", ""]]


@functools.cache
def _benign() -> tuple[Sample, ...]:
    rows = [PARTNER_HEADERS, *BENIGN_ROWS]
    text_tab = "".join(csv_line(row, "\t") for row in rows)
    text_comma = "".join(csv_line(row) for row in rows)
    empty_tail = '<table:table-cell table:number-columns-repeated="16378"/>'
    lo_columns = (
        '<table:table-column table:number-columns-repeated="6"/>'
        '<table:table-column table:number-columns-repeated="16378"/>'
    )

    def lo_row(values: list[str]) -> str:
        cells = "".join(ods_text(v) if v else "<table:table-cell/>" for v in values)
        return f"<table:table-row>{cells}{empty_tail}</table:table-row>"

    libreoffice = ods_content(
        lo_columns
        + lo_row(rows[0])
        + lo_row(rows[1])
        + '<table:table-row table:number-rows-repeated="3">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
        + lo_row(rows[2])
        + '<table:table-row table:number-rows-repeated="1048000">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
        '<table:table-row><table:table-cell table:number-columns-repeated="16384"/>'
        "</table:table-row>"
    )
    strings = sorted({value for row in rows for value in row if value})
    index = {value: n for n, value in enumerate(strings)}

    def excel_row(number: int, values: list[str]) -> str:
        cells = "".join(
            f'<c r="{column_letters(n)}{number}" t="s"><v>{index[v]}</v></c>'
            for n, v in enumerate(values, 1)
            if v
        )
        return f'<row r="{number}" spans="1:6">{cells}</row>'

    excel = worksheet(
        "".join(excel_row(n, row) for n, row in ((1, rows[0]), (2, rows[1]), (5, rows[2])))
    ).replace("<sheetData>", '<dimension ref="A1:F5"/><sheetData>')
    single_quoted = worksheet(
        "".join(
            f"<row r='{number}'>"
            + "".join(
                inline(escape(v), f"{column_letters(n)}{number}", q="'")
                for n, v in enumerate(row, 1)
                if v
            )
            + "</row>"
            for number, row in ((1, rows[0]), (2, rows[1]), (3, rows[2]))
        )
    )
    return (
        Sample(
            "benign-utf16le-bom-tab.csv",
            "benign: UTF-16 (little-endian, with BOM), tab-separated, as Excel saves "
            '"Unicode Text"',
            text_tab.encode("utf-16"),
        ),
        Sample(
            "benign-utf16le-bom-comma.csv",
            "benign: UTF-16 (little-endian, with BOM), comma-separated",
            text_comma.encode("utf-16"),
        ),
        Sample(
            "benign-utf16be-bom-comma.csv",
            "benign: UTF-16 (big-endian, with BOM), comma-separated",
            b"\xfe\xff" + text_comma.encode("utf-16-be"),
        ),
        Sample(
            "benign-libreoffice-trailing-repeats.ods",
            "benign: empty rows and columns repeated to the sheet's end (1,048,000 rows, 16,384 "
            "columns), as LibreOffice writes them",
            ods(libreoffice),
        ),
        Sample(
            "benign-excel-shared-strings.xlsx",
            "benign: shared strings, references, spans and a dimension, as Excel writes them",
            xlsx(excel, shared_strings(strings, count=len(strings))),
        ),
        Sample(
            "benign-single-quotes.xlsx",
            "benign: the same sheet with every attribute in single quotes",
            xlsx(single_quoted),
        ),
    )


def benign() -> list[Sample]:
    """Files that look odd but are ordinary spreadsheets: each must be read, as BENIGN_ROWS."""
    return list(_benign())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="the small catalogue")
    parser.add_argument("--write", type=Path, help="write every file into this folder")
    args = parser.parse_args()
    samples = catalogue(small=args.smoke) + benign()
    print(f"{SMOKE_TABLE} ({'small' if args.smoke else 'full'} catalogue, and the benign files)")
    print(f"{'file':48} {'bytes':>11}  class")
    for sample in samples:
        print(f"{sample.name:48} {len(sample.content):>11,}  {sample.kind}")
    if args.write:
        args.write.mkdir(parents=True, exist_ok=True)
        for sample in samples:
            (args.write / sample.name).write_bytes(sample.content)
        print(f"Written to {args.write}")
    if not all(sample.kind in KEYWORDS or sample.kind == "benign" for sample in samples):
        sys.exit("a sample's class has no keywords")


if __name__ == "__main__":
    main()
