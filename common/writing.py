"""Every file the product writes (exports, templates, error workbooks, dashboards' tables).

One writer, so that every file is safe to open: in CSV a cell that a spreadsheet would run as a
formula is written with a leading ``'``; XLSX and ODS store text as text, numbers as numbers and
dates as dates.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# CSV encodings an export may be written in, by the name a steward asks for: UTF-8 with a
# byte-order mark (the default, which Excel opens without mojibake), or cp932 for older Excel on
# Japanese Windows, which opens only Shift_JIS by double-click.
CSV_ENCODINGS = {"utf-8": "utf-8-sig", "cp932": "cp932"}
UNWRITABLE_CELLS_SHOWN = 50


class ExportRefused(Exception):
    """An export that cannot be written as asked; the message lists the cells in the way."""


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def escape_cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula is written with a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_table(
    kind: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    encoding: str = "utf-8-sig",
) -> bytes:
    """A file of the given format with a header row; every text cell is formula-escaped.

    ``encoding`` applies to CSV (workbooks hold any character). A CSV whose cells hold characters
    the encoding cannot carry unchanged raises ``ExportRefused``, naming those cells.
    """
    escaped = ([escape_cell(value) for value in row] for row in rows)
    if kind == "csv":
        return _write_csv(headers, escaped, encoding)
    if kind == "xlsx":
        return _write_xlsx(headers, escaped)
    if kind == "ods":
        return _write_ods(headers, escaped)
    raise ValueError(f"unknown format {kind}")


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _write_csv(headers: Sequence[str], rows: Iterable[list[object]], encoding: str) -> bytes:
    if encoding not in CSV_ENCODINGS.values():
        raise ValueError(f"unknown CSV encoding {encoding}")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    unwritable: list[str] = []
    for number, row in enumerate(rows, start=2):
        cells = [_csv_cell(value) for value in row]
        if encoding != "utf-8-sig":
            unwritable.extend(_unwritable_cells(cells, headers, number, encoding))
        writer.writerow(cells)
    if unwritable:
        raise ExportRefused(_unwritable_message(unwritable, encoding))
    return buffer.getvalue().encode(encoding)


def _unwritable_cells(
    cells: Sequence[object], headers: Sequence[str], number: int, encoding: str
) -> Iterator[str]:
    """``Row 12, column title: “🎓” (U+1F393)`` for each cell the encoding would not keep as is.

    An encoding may not hold a character at all (🎓, é in cp932), or hold it only as another one
    (cp932 writes 〜 U+301C as ～ U+FF5E): either way the cell would not read back as it is.
    """
    for index, value in enumerate(cells):
        if not isinstance(value, str) or value.isascii() or _keeps(value, encoding):
            continue
        column = headers[index] if index < len(headers) else column_letter(index)
        characters = ", ".join(
            _describe_character(character, encoding)
            for character in dict.fromkeys(value)
            if not _keeps(character, encoding)
        )
        yield _("Row %(row)s, column %(column)s: %(characters)s") % {
            "row": number,
            "column": column,
            "characters": characters,
        }


def _keeps(value: str, encoding: str) -> bool:
    try:
        return value.encode(encoding).decode(encoding) == value
    except UnicodeEncodeError:
        return False


def _describe_character(character: str, encoding: str) -> str:
    described = {"character": character, "code": f"U+{ord(character):04X}"}
    try:
        written = character.encode(encoding).decode(encoding)
    except UnicodeEncodeError:
        return _("“%(character)s” (%(code)s)") % described
    return _(
        "“%(character)s” (%(code)s), which %(encoding)s writes as “%(written)s” (%(written_code)s)"
    ) % {
        **described,
        "encoding": encoding,
        "written": written,
        "written_code": f"U+{ord(written):04X}",
    }


def _unwritable_message(cells: list[str], encoding: str) -> str:
    shown = cells[:UNWRITABLE_CELLS_SHOWN]
    name = "cp932 (Shift_JIS)" if encoding == "cp932" else encoding
    lines = [
        ngettext(
            "The export cannot be written in %(encoding)s: %(count)s cell holds characters it "
            "cannot keep, which would be lost or changed. Export as UTF-8 instead, or change this "
            "cell:",
            "The export cannot be written in %(encoding)s: %(count)s cells hold characters it "
            "cannot keep, which would be lost or changed. Export as UTF-8 instead, or change "
            "these cells:",
            len(cells),
        )
        % {"encoding": name, "count": f"{len(cells):,}"},
        *shown,
    ]
    if len(cells) > len(shown):
        more = len(cells) - len(shown)
        lines.append(
            ngettext("… and %(count)s more cell.", "… and %(count)s more cells.", more)
            % {"count": f"{more:,}"}
        )
    return "\n".join(lines)


def _write_xlsx(headers: Sequence[str], rows: Iterable[list[object]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(list(headers))
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_ods(headers: Sequence[str], rows: Iterable[list[object]]) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table as OdsTable
    from odf.table import TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = OdsTable(name="Sheet1")

    def ods_row(values: Sequence[object]) -> TableRow:
        row = TableRow()
        for value in values:
            if value is None or value == "":
                cell = TableCell()
            elif isinstance(value, bool):
                cell = TableCell(valuetype="boolean", booleanvalue=str(value).lower())
                cell.addElement(P(text=str(value)))
            elif isinstance(value, (int, float)) or _is_decimal(value):
                cell = TableCell(valuetype="float", value=str(value))
                cell.addElement(P(text=str(value)))
            elif isinstance(value, dt.date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
                cell.addElement(P(text=value.isoformat()))
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
            row.addElement(cell)
        return row

    table.addElement(ods_row(headers))
    for values in rows:
        table.addElement(ods_row(values))
    document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def _is_decimal(value: object) -> bool:
    from decimal import Decimal

    return isinstance(value, Decimal)
