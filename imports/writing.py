"""Every file the product writes (exports, templates, error workbooks, dashboards' tables).

One writer, so that every file is safe to open and says what the records say:

- CSV holds only text, so a text cell that a spreadsheet would run as a formula (one starting with
  one of ``FORMULA_PREFIXES``) is written with a leading ``'``; the reader (``imports.formats``)
  takes it off again, so that an export re-imports unchanged. Numbers are written as numbers: -5
  is a number, not a formula.
- XLSX and ODS store each value as what it is: text as text, exactly as it is (a text cell never
  runs, whatever it starts with), numbers as numbers, dates, date-times and times with a style
  that shows them as such, booleans as booleans, and None as an empty cell.

A workbook of several sheets (a template and its codes) is written by ``write_workbook``; an XLSX
sheet may mark cells (a failing cell, a template's example) and offer a drop-down of the values a
column of another sheet lists.
"""

import csv
import datetime as dt
import functools
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape as xml_escape

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# What makes a spreadsheet run a cell: the signs that start a formula, a tab or a carriage return
# before one, and the full-width forms of the signs (＝ ＋ － ＠), which Excel with Japanese input
# may read as the signs themselves. The reader (imports.formats) takes the ``'`` off by this list.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# CSV encodings an export may be written in, by the name a steward asks for: UTF-8 with a
# byte-order mark (the default, which Excel opens without mojibake), or cp932 for older Excel on
# Japanese Windows, which opens only Shift_JIS by double-click.
CSV_ENCODINGS = {"utf-8": "utf-8-sig", "cp932": "cp932"}
UNWRITABLE_CELLS_SHOWN = 50
# Characters that XML, and so an XLSX or ODS file, cannot hold: control characters other than tab,
# line feed and carriage return, and the two non-characters.
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# What an XLSX string writes as _xHHHH_ (ECMA-376 ST_Xstring), as Excel does: the characters XML
# cannot hold, the carriage return (which XML reads back as a line feed), and the underscore of a
# text that itself reads like such an escape (“_x0041_” would otherwise be read as “A”).
XLSX_ESCAPED = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
# By value type, a datetime before a date (it is one too).
XLSX_NUMBER_FORMATS = {
    dt.datetime: "yyyy-mm-dd hh:mm:ss",
    dt.date: "yyyy-mm-dd",
    dt.time: "hh:mm:ss",
}

# How a marked cell looks, by the mark's name: a failing cell as Excel's own "Bad" style (light
# red fill, dark red text), a template's example in grey italics. Font, then fill colour.
XLSX_MARKS = {
    "error": ({"color": "9C0006"}, "FFC7CE"),
    "example": ({"color": "808080", "italic": True}, None),
}
LAST_ROW = 1_048_576  # of Excel and LibreOffice Calc
# What Excel does not allow in a sheet's name, which is at most 31 characters long.
NOT_IN_SHEET_TITLE = re.compile(r"[\\/?*\[\]:]")
SHEET_TITLE_MAX = 31


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
    """A text cell that a spreadsheet would run as a formula is written with a leading ``'``.

    So is text that already starts with such a ``'`` (``'=1``), so that reading back takes off
    exactly the one this added.
    """
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def cell_value(value: object) -> object:
    """The value as one of the types a cell holds (None, bool, int, float, Decimal, str, date,
    datetime, time); anything else (a lazy translation, a country) as its text.

    A date-time with a time zone is written as the local time: spreadsheets hold no time zones.
    """
    if value is None or isinstance(value, (Decimal, dt.date, dt.time)):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    for kind in (bool, int, float):  # bool first: True is an int too
        if isinstance(value, kind):
            return kind(value)  # an IntegerChoices member as the plain number
    return str(value)


def _temporal_kind(value: object) -> type | None:
    """datetime, date or time for a value of that kind (a datetime is a date too), else None."""
    return next((kind for kind in XLSX_NUMBER_FORMATS if isinstance(value, kind)), None)


Marks = Mapping[tuple[int, int], str]


@dataclass(frozen=True)
class DropDown:
    """Cells of a column that offer, as a drop-down, the values a column of another sheet lists.

    A value not in the list is warned about, not refused: a sheet's cell may name a record in
    another way the import reads (``INSTITUTION:CODE``, a country's name).
    """

    column: int  # of the sheet offering the values, from 0; every row below the header
    sheet: str  # the title of the sheet that lists them,
    values_column: int  # in this column (from 0),
    first_row: int  # from this row to the last (from 1, as a spreadsheet counts)
    last_row: int


@dataclass
class Sheet:
    """One sheet of a workbook: a header row, then the rows.

    ``marks`` name a look for some cells (``XLSX_MARKS``), by the index of the row in ``rows``
    and of the column, both from 0; ``drop_downs`` offer values listed on another sheet.
    """

    title: str
    headers: Sequence[object]
    rows: Iterable[Sequence[object]]
    marks: Marks = field(default_factory=dict)
    drop_downs: Sequence[DropDown] = ()


def write_table(
    kind: str,
    headers: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    encoding: str = "utf-8-sig",
    notes: Sequence[str] = (),
    marks: Marks | None = None,
) -> bytes:
    """A file of the given format (csv, xlsx or ods) with a header row.

    ``notes`` are lines a CSV starts with, one cell each, then a blank line before the header
    (a dashboard's table says the filters it was made with). ``encoding`` applies to CSV
    (workbooks hold any character). A CSV whose cells hold characters
    the encoding cannot carry unchanged raises ``ExportRefused``, naming those cells; so does an
    ODS whose cells hold control characters, which XML cannot carry. ``marks`` give some cells
    of an XLSX a look (see ``Sheet``); CSV and ODS are written without them.
    """
    if kind == "xlsx":
        return write_workbook([Sheet("Sheet1", headers, rows, marks or {})])
    header = [cell_value(value) for value in headers]
    cells = ([cell_value(value) for value in row] for row in rows)
    if kind == "csv":
        return _write_csv(header, cells, encoding, notes)
    if kind == "ods":
        return _write_ods(header, cells)
    raise ValueError(f"unknown format {kind}")


def write_workbook(sheets: Sequence[Sheet]) -> bytes:
    """An XLSX workbook of these sheets, each written as ``write_table`` writes one."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    looks = _xlsx_looks()
    for spec in sheets:
        sheet = workbook.create_sheet(sheet_title(spec.title))
        for drop_down in spec.drop_downs:
            sheet.data_validations.append(_xlsx_drop_down(drop_down))
        marked: dict[int, list[tuple[int, str]]] = {}
        for (index, column), mark in spec.marks.items():
            marked.setdefault(index, []).append((column, mark))
        sheet.append([_xlsx_cell(sheet, cell_value(value)) for value in spec.headers])
        for index, row in enumerate(spec.rows):
            cells = [_xlsx_cell(sheet, cell_value(value)) for value in row]
            for column, mark in marked.get(index, ()):
                cells += [_xlsx_cell(sheet, None) for _ in range(column + 1 - len(cells))]
                font, fill = looks[mark]
                cells[column].font = font
                if fill is not None:
                    cells[column].fill = fill
            sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_title(title: str) -> str:
    """A sheet's name as Excel allows it: without ``[]:*?/\\``, at most 31 characters."""
    return NOT_IN_SHEET_TITLE.sub(" ", str(title)).strip()[:SHEET_TITLE_MAX] or "Sheet1"


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return escape_cell(value)


def _write_csv(
    headers: list[object], rows: Iterable[list[object]], encoding: str, notes: Sequence[str] = ()
) -> bytes:
    if encoding not in CSV_ENCODINGS.values():
        raise ValueError(f"unknown CSV encoding {encoding}")
    keeps = functools.partial(_keeps, encoding=encoding)
    describe = functools.partial(_describe_character, encoding=encoding)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    if notes:
        writer.writerows([[_csv_cell(note)] for note in notes] + [[]])
    writer.writerow([_csv_cell(value) for value in headers])
    unwritable: list[str] = []
    for number, row in enumerate(rows, start=2):
        cells = [_csv_cell(value) for value in row]
        if encoding != "utf-8-sig":
            unwritable.extend(_unwritable_cells(cells, headers, number, keeps, describe))
        writer.writerow(cells)
    if unwritable:
        name = "cp932 (Shift_JIS)" if encoding == "cp932" else encoding
        lead = ngettext(
            "The export cannot be written in %(encoding)s: %(count)s cell holds characters it "
            "cannot keep, which would be lost or changed. Export as UTF-8 instead, or change this "
            "cell:",
            "The export cannot be written in %(encoding)s: %(count)s cells hold characters it "
            "cannot keep, which would be lost or changed. Export as UTF-8 instead, or change "
            "these cells:",
            len(unwritable),
        ) % {"encoding": name, "count": f"{len(unwritable):,}"}
        raise ExportRefused(_unwritable_message(lead, unwritable))
    return buffer.getvalue().encode(encoding)


def _unwritable_cells(
    cells: Sequence[object],
    headers: Sequence[object],
    number: int,
    keeps: Callable[[str], bool],
    describe: Callable[[str], str],
) -> Iterator[str]:
    """``Row 12, column title: “🎓” (U+1F393)`` for each text cell the file would not keep as is."""
    for index, value in enumerate(cells):
        if not isinstance(value, str) or keeps(value):
            continue
        column = headers[index] if index < len(headers) else column_letter(index)
        characters = ", ".join(
            describe(character) for character in dict.fromkeys(value) if not keeps(character)
        )
        yield _("Row %(row)s, column %(column)s: %(characters)s") % {
            "row": number,
            "column": column,
            "characters": characters,
        }


def _keeps(value: str, encoding: str) -> bool:
    """Whether the encoding keeps the text as it is.

    An encoding may not hold a character at all (🎓, é in cp932), or hold it only as another one
    (cp932 writes 〜 U+301C as ～ U+FF5E): either way the cell would not read back as it is.
    """
    if value.isascii():
        return True
    try:
        return value.encode(encoding).decode(encoding) == value
    except UnicodeEncodeError:
        return False


def _describe_character(character: str, encoding: str = "") -> str:
    described = {"character": character, "code": f"U+{ord(character):04X}"}
    try:
        written = character.encode(encoding).decode(encoding) if encoding else character
    except UnicodeEncodeError:
        written = character
    if written == character:
        return _("“%(character)s” (%(code)s)") % described
    return _(
        "“%(character)s” (%(code)s), which %(encoding)s writes as “%(written)s” (%(written_code)s)"
    ) % {
        **described,
        "encoding": encoding,
        "written": written,
        "written_code": f"U+{ord(written):04X}",
    }


def _unwritable_message(lead: str, cells: list[str]) -> str:
    shown = cells[:UNWRITABLE_CELLS_SHOWN]
    lines = [lead, *shown]
    if len(cells) > len(shown):
        more = len(cells) - len(shown)
        lines.append(
            ngettext("… and %(count)s more cell.", "… and %(count)s more cells.", more)
            % {"count": f"{more:,}"}
        )
    return "\n".join(lines)


@functools.cache
def _xlsx_looks() -> dict[str, tuple[object, object]]:
    """Each mark's font and fill (None: the cell's own), as openpyxl styles them."""
    from openpyxl.styles import Font, PatternFill

    return {
        name: (Font(**font), PatternFill("solid", start_color=fill) if fill else None)
        for name, (font, fill) in XLSX_MARKS.items()
    }


def _xlsx_drop_down(drop_down: DropDown):
    from openpyxl.worksheet.datavalidation import DataValidation

    letter = column_letter(drop_down.values_column)
    source = sheet_title(drop_down.sheet).replace("'", "''")
    cells = column_letter(drop_down.column)
    return DataValidation(
        type="list",
        formula1=f"'{source}'!${letter}${drop_down.first_row}:${letter}${drop_down.last_row}",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        error=_(
            "This value is not one of those listed on the sheet “%(sheet)s”. Keep it only if it "
            "names one in another way the import reads."
        )
        % {"sheet": sheet_title(drop_down.sheet)},
        sqref=f"{cells}2:{cells}{LAST_ROW}",
    )


def _xlsx_cell(sheet, value: object):
    from openpyxl.cell import WriteOnlyCell

    if value is None or value == "":
        return WriteOnlyCell(sheet)
    if not isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=value)
        if kind := _temporal_kind(value):
            cell.number_format = XLSX_NUMBER_FORMATS[kind]
        return cell
    cell = WriteOnlyCell(sheet, value=XLSX_ESCAPED.sub(_xlsx_escape, value))
    # openpyxl takes a text starting with = for a formula and one such as #N/A for an error
    # value; the cell holds the text itself. The quote prefix keeps it text when it is edited.
    cell.data_type = "s"
    cell.quotePrefix = value.startswith(FORMULA_PREFIXES)
    return cell


def _xlsx_escape(match: re.Match) -> str:
    return f"_x{ord(match[0]):04X}_"


def _write_ods(headers: list[object], rows: Iterable[list[object]]) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableRow

    document = OpenDocumentSpreadsheet()
    styles = _ods_styles(document)
    table = Table(name="Sheet1")
    unwritable: list[str] = []
    for number, values in enumerate(itertools.chain([headers], rows), start=1):
        unwritable.extend(_unwritable_cells(values, headers, number, _in_xml, _describe_character))
        row = TableRow()
        for value in values:
            row.addElement(_ods_cell(value, styles))
        table.addElement(row)
    if unwritable:
        lead = ngettext(
            "The file cannot be written as ODS: %(count)s cell holds control characters, which "
            "an ODS file cannot hold. Export as XLSX or CSV instead, or change this cell:",
            "The file cannot be written as ODS: %(count)s cells hold control characters, which "
            "an ODS file cannot hold. Export as XLSX or CSV instead, or change these cells:",
            len(unwritable),
        ) % {"count": f"{len(unwritable):,}"}
        raise ExportRefused(_unwritable_message(lead, unwritable))
    document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def _in_xml(value: str) -> bool:
    return NOT_IN_XML.search(value) is None


def _ods_styles(document) -> dict[type, object]:
    """Cell styles that show dates, date-times, times and booleans as such, by value type.

    A date cell without one shows its serial number (45768 for 2025-04-21) in LibreOffice.
    """
    from odf import number
    from odf.style import Style

    fields = {
        **{"Y": number.Year, "M": number.Month, "D": number.Day},
        **{"h": number.Hours, "m": number.Minutes, "s": number.Seconds},
    }

    def data_style(style: type, name: str, pattern: str) -> object:
        element = style(name=name)
        for piece in pattern:
            field = fields[piece](style="long") if piece in fields else number.Text(text=piece)
            element.addElement(field)
        return element

    boolean = number.BooleanStyle(name="N_BOOLEAN")
    boolean.addElement(number.Boolean())
    data_styles = {
        dt.datetime: data_style(number.DateStyle, "N_DATETIME", "Y-M-D h:m:s"),
        dt.date: data_style(number.DateStyle, "N_DATE", "Y-M-D"),
        dt.time: data_style(number.TimeStyle, "N_TIME", "h:m:s"),
        bool: boolean,
    }
    cell_styles = {}
    for kind, number_style in data_styles.items():
        document.automaticstyles.addElement(number_style)
        cell_style = Style(
            name=f"ce_{kind.__name__}",
            family="table-cell",
            datastylename=number_style.getAttribute("name"),
        )
        document.automaticstyles.addElement(cell_style)
        cell_styles[kind] = cell_style
    return cell_styles


def _ods_cell(value: object, styles: dict[type, object]):
    from odf.table import TableCell
    from odf.text import P

    if value is None or value == "":
        return TableCell()
    if isinstance(value, bool):
        shown = "TRUE" if value else "FALSE"
        cell = TableCell(valuetype="boolean", booleanvalue=shown.lower(), stylename=styles[bool])
    elif isinstance(value, (int, float, Decimal)):
        shown = str(value)
        cell = TableCell(valuetype="float", value=shown)
    elif isinstance(value, dt.datetime):
        shown = value.isoformat(sep=" ")
        cell = TableCell(
            valuetype="date", datevalue=value.isoformat(), stylename=styles[dt.datetime]
        )
    elif isinstance(value, dt.date):
        shown = value.isoformat()
        cell = TableCell(valuetype="date", datevalue=shown, stylename=styles[dt.date])
    elif isinstance(value, dt.time):
        shown = value.isoformat()
        cell = TableCell(valuetype="time", timevalue=_duration(value), stylename=styles[dt.time])
    else:
        shown = value
        cell = TableCell(valuetype="string")
    paragraph = P()
    paragraph.appendChild(_exact_text_class()(shown))
    cell.addElement(paragraph)
    return cell


def _duration(value: dt.time) -> str:
    """A time of day as ODF writes it: PT09H30M00S."""
    seconds = f"{value.second:02d}" + (f".{value.microsecond:06d}" if value.microsecond else "")
    return f"PT{value.hour:02d}H{value.minute:02d}M{seconds}S"


@functools.cache
def _exact_text_class() -> type:
    from odf.element import Text

    class ExactText(Text):
        """A paragraph's text as it is: odfpy writes a carriage return as is, which XML reads
        back as a line feed, so it is written as a character reference."""

        def toXml(self, level: int, f) -> None:
            f.write(xml_escape(self.data).replace("\r", "&#13;"))

    return ExactText
