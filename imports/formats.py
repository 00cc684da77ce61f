"""Reading spreadsheets (CSV, XLSX, ODS) that people upload, safely.

Nothing in an upload is trusted. Every limit is checked as the file is read, before the thing it
limits is held in memory: rows, cells, characters per cell and per sheet, columns, and for the
zipped formats the parts, the bytes they really unpack to and the XML elements they hold (see
``imports.workbooks``). Formula and error cells are refused: an import takes values, never
formulas. On top of that, the reading runs in a child process with a memory and CPU limit
(``imports.isolation``), so that a kind of bomb nobody thought of costs a refusal, never a server
worker.
"""

import codecs
import csv
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.utils.translation import gettext as _

# The writer is re-exported here for the callers that read and write sheets together.
from imports.writing import (  # noqa: F401
    CSV_ENCODINGS,
    FORMULA_PREFIXES,
    ExportRefused,
    column_letter,
    escape_cell,
    write_table,
)

FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 files and encrypted workbooks
# Blank lines a CSV may hold beside its rows; more is a file made to be slow to read.
CSV_BLANK_LINES_PER_ROW = 1
LAST_ROW = 1_048_576  # of Excel and LibreOffice Calc
MERGED_KEPT = 1_000  # merged ranges kept per sheet, for the preview to name; the rest are not
ROWS_TOLD = 1_000  # a reader that is asked tells the rows it has read every this many


class SheetRefused(Exception):
    """The file is refused as a whole, before any row is written; the message says why."""


@dataclass(frozen=True)
class Limits:
    """How much an uploaded sheet may hold; each is a setting (README, "Configuration")."""

    max_bytes: int
    max_rows: int
    max_unpacked_bytes: int
    max_zip_entries: int
    max_columns: int = 200
    max_cells: int = 250_000
    max_cell_chars: int = 32_767
    max_sheet_chars: int = 20_000_000
    # Told the rows read so far, every ``ROWS_TOLD`` of them (a background import's progress).
    told: Callable[[int], None] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(
            max_bytes=settings.IMPORT_MAX_BYTES,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_unpacked_bytes=settings.IMPORT_MAX_UNPACKED_BYTES,
            max_zip_entries=settings.IMPORT_MAX_ZIP_ENTRIES,
            max_columns=settings.IMPORT_MAX_COLUMNS,
            max_cells=settings.IMPORT_MAX_CELLS,
            max_cell_chars=settings.IMPORT_MAX_CELL_CHARS,
            max_sheet_chars=settings.IMPORT_MAX_SHEET_CHARS,
        )


@dataclass
class Table:
    """A sheet's header and data rows; ``numbers[i]`` is the sheet row number of ``rows[i]``.

    The rest says where the table was found and what the sheet's layout hid, for the preview to
    tell: the sheet and the workbook's sheets, the header's row and how many rows above it (a
    title, a date line) were skipped, the data rows hidden in the sheet, the merged ranges that
    reach the header or the data.
    """

    headers: list[str]
    rows: list[list[object]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    encoding: str = ""
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)
    header_row: int = 0
    skipped: int = 0
    hidden: list[int] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)


@dataclass
class Sheet:
    """One sheet as a reader found it: its rows with their numbers, in the sheet's order.

    ``hidden`` are the numbers of hidden rows that hold a value, ``merged`` the merged ranges
    (``A3:A5``; at most ``MERGED_KEPT``). ``refusal`` says why this sheet cannot be imported (a
    formula or an error value, read as blank meanwhile): a cover sheet's formula must not refuse
    the data sheet after it, so it refuses only when the sheet is the one read.
    """

    name: str
    rows: list[tuple[int, list[object]]] = field(default_factory=list)
    hidden: list[int] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    refusal: str = ""


@dataclass
class Workbook:
    """Every sheet of an upload, in the workbook's order (a CSV is one sheet without a name)."""

    sheets: list[Sheet]
    encoding: str = ""


def cell_name(column: int, row: int) -> str:
    """``B3`` for the second column of the third row (both counted from 0 and 1)."""
    return f"{column_letter(column)}{row}"


class Tally:
    """What a sheet has held so far, checked against the limits as each row and cell is read."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.rows = self.cells = self.chars = 0
        self.cell_elements = 0  # of an XLSX, empty cells included (``imports.workbooks``)
        self.read = self.read_told = 0  # rows of every sheet so far, and as last told

    def next_sheet(self) -> None:
        """Rows are counted per sheet; cells and characters across the workbook."""
        self.rows = 0

    def row(self, number: int, copies: int = 1) -> None:
        """A row with a value (blank rows cost nothing and are never held)."""
        if number + copies - 1 > LAST_ROW:
            raise SheetRefused(
                _(
                    "The sheet has a value in row %(row)s, beyond the last row a spreadsheet has "
                    "(%(last)s); the file is damaged or made to mislead."
                )
                % {"row": f"{number + copies - 1:,}", "last": f"{LAST_ROW:,}"}
            )
        self.rows += copies
        self.read += copies
        if self.limits.told is not None and self.read - self.read_told >= ROWS_TOLD:
            self.read_told = self.read
            self.limits.told(self.read)
        if self.rows > self.limits.max_rows + 1:  # the header, then the rows of data
            raise SheetRefused(
                _(
                    "The sheet has more than %(limit)s rows (row %(row)s is beyond the limit). "
                    "Split it into smaller files."
                )
                % {"limit": f"{self.limits.max_rows:,}", "row": f"{number:,}"}
            )

    def column(self, column: int, row: int) -> None:
        """A cell with a value in this column (counted from 0) of this row."""
        if column < self.limits.max_columns:
            return
        raise SheetRefused(
            _(
                "The sheet's cells span %(rows)s rows and %(columns)s columns, more than an "
                "import can take (cell %(cell)s is beyond the %(limit)s columns an import "
                "reads). Delete the columns beyond the table, then upload again."
            )
            % {
                "rows": f"{row:,}",
                "columns": f"{column + 1:,}",
                "cell": cell_name(min(column, 16_383), row),
                "limit": f"{self.limits.max_columns:,}",
            }
        )

    def cell(self, value: object, column: int, row: int, copies: int = 1) -> None:
        """A cell with a value, ``copies`` times along its row or column."""
        size = len(value) if isinstance(value, str) else 0
        if size > self.limits.max_cell_chars:
            raise SheetRefused(
                _(
                    "Cell %(cell)s holds %(count)s characters; a cell may hold at most %(limit)s. "
                    "Shorten it, then upload again."
                )
                % {
                    "cell": cell_name(column, row),
                    "count": f"{size:,}",
                    "limit": f"{self.limits.max_cell_chars:,}",
                }
            )
        self.cells += copies
        if self.cells > self.limits.max_cells:
            raise SheetRefused(
                _(
                    "The sheet holds more than %(limit)s cells with a value (the limit is passed "
                    "at cell %(cell)s). Split it into smaller files."
                )
                % {"limit": f"{self.limits.max_cells:,}", "cell": cell_name(column, row)}
            )
        self.chars += size * copies
        if self.chars > self.limits.max_sheet_chars:
            raise SheetRefused(
                _(
                    "The sheet's cells hold more than %(limit)s characters in all (the limit is "
                    "passed at cell %(cell)s). Split it into smaller files."
                )
                % {"limit": f"{self.limits.max_sheet_chars:,}", "cell": cell_name(column, row)}
            )


def format_of(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in FORMATS:
        raise SheetRefused(
            _("“%(name)s” is not a CSV, XLSX or ODS file. Save the sheet in one of these formats.")
            % {"name": name}
        )
    return extension


def read_workbook(
    name: str,
    content: bytes,
    limits: Limits | None = None,
    told: Callable[[int], None] | None = None,
) -> Workbook:
    """Every sheet of a file, after every check; raises ``SheetRefused`` with a clear message.

    The file is read in a child process with a memory and CPU limit (``imports.isolation``). The
    limits hold for the whole workbook (cells and characters across its sheets), except rows,
    which are counted per sheet: a cover sheet does not shorten the data sheet after it, and a
    row held has a cell, so the cells bound them all the same. Which sheet holds the table, and
    in which row its header lies, depends on the kind of sheet: the caller chooses
    (``imports.engine.locate_table``), in this process. ``told`` is told the rows read so far,
    every ``ROWS_TOLD`` of them, as the child reads.
    """
    from imports.isolation import run_confined

    limits = limits or Limits.from_settings()
    kind = format_of(name)
    if len(content) > limits.max_bytes:
        raise SheetRefused(
            _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
            % {"size": f"{len(content) / 1e6:.1f}", "limit": f"{limits.max_bytes / 1e6:.0f}"}
        )
    return run_confined(read_workbook_here, kind, content, limits, told=told)


def read_table(name: str, content: bytes, limits: Limits | None = None) -> Table:
    """The table of a file's first sheet, its header the first non-blank row.

    For files this product wrote (exports, templates, error workbooks); an upload is read with
    ``read_workbook`` and its table located by the kind of sheet it should hold.
    """
    workbook = read_workbook(name, content, limits)
    return table_of(workbook, workbook.sheets[0])


def read_workbook_here(
    kind: str, content: bytes, limits: Limits, told: Callable[[int], None] | None = None
) -> Workbook:
    """The sheets, read in this process: ``read_workbook`` calls it in a confined child."""
    if told is not None:
        limits = replace(limits, told=told)
    if kind == "csv":
        return _read_csv(content, limits)
    from imports.workbooks import read_ods, read_xlsx

    reader = read_xlsx if kind == "xlsx" else read_ods
    return Workbook(reader(content, limits))


def read_table_here(kind: str, content: bytes, limits: Limits) -> Table:
    """The first sheet's table, read in this process."""
    workbook = read_workbook_here(kind, content, limits)
    return table_of(workbook, workbook.sheets[0])


def _blank(row: Sequence[object]) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in row)


def filled_rows(sheet: Sheet, most: int | None = None) -> list[tuple[int, list[object]]]:
    """The sheet's rows that hold something other than blanks (the first ``most``)."""
    rows = ((number, row) for number, row in sheet.rows if not _blank(row))
    return list(itertools.islice(rows, most))


def header_cells(row: Sequence[object]) -> list[str]:
    return ["" if value is None else str(value).strip() for value in row]


MERGED_RANGE = re.compile(r"([A-Z]{1,3})([0-9]{1,7})(?::([A-Z]{1,3})([0-9]{1,7}))?")


def merged_last_row(reference: str) -> int:
    """The last row a merged range (``A3:A5``) covers; 0 for a reference that names none."""
    match = MERGED_RANGE.fullmatch(reference)
    return int(match[4] or match[2]) if match else 0


def table_of(workbook: Workbook, sheet: Sheet, header_at: int = 0) -> Table:
    """The sheet's table, its header the ``header_at``-th non-blank row (from 0).

    Rows above the header are not data (a title, a date line); blank rows are skipped but keep
    their numbers. A sheet with a formula or an error value is refused here, as it is the one read.
    """
    if sheet.refusal:
        raise SheetRefused(sheet.refusal)
    filled = filled_rows(sheet)
    if not filled:
        raise SheetRefused(_("The sheet is empty: it has no header row."))
    header_row, header = filled[header_at]
    data = filled[header_at + 1 :]
    numbers = [number for number, _row in data]
    imported = set(numbers)
    return Table(
        headers=header_cells(header),
        rows=[row for _number, row in data],
        numbers=numbers,
        encoding=workbook.encoding,
        sheet=sheet.name,
        sheets=[each.name for each in workbook.sheets],
        header_row=header_row,
        skipped=header_at,
        hidden=[number for number in sheet.hidden if number in imported],
        merged=[ref for ref in sheet.merged if merged_last_row(ref) >= header_row],
    )


def unescape_cell(value: object) -> object:
    """Undo ``escape_cell``, so that an export re-imports unchanged."""
    if (
        isinstance(value, str)
        and value.startswith("'")
        and value.lstrip("'").startswith(FORMULA_PREFIXES)
    ):
        return value[1:]
    return value


def _unescaped(rows: Iterable[tuple[int, Sequence[object]]]) -> list[tuple[int, list[object]]]:
    """A CSV's cells with ``escape_cell`` undone; XLSX and ODS keep text exactly as typed."""
    return [(number, [unescape_cell(value) for value in row]) for number, row in rows]


# The byte-order marks a CSV may start with, and the encoding each one means. Excel's "Unicode
# text" is UTF-16 (little-endian) with a mark, its cells separated by tabs.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def csv_encodings(content: bytes) -> tuple[str, ...]:
    """The encodings to try, in order: the one a byte-order mark names, else UTF-8 then cp932."""
    for mark, encoding in BYTE_ORDER_MARKS:
        if content.startswith(mark):
            return (encoding,)
    if content.startswith((ZIP_MAGIC, OLE_MAGIC)):
        raise SheetRefused(
            _(
                "The file is named .csv but is not text (it looks like a workbook). "
                "Use the extension that matches its content."
            )
        )
    if b"\x00" in content:
        raise SheetRefused(
            _(
                "The CSV file holds NUL characters, which text never does. Save it as "
                "“CSV UTF-8”, or as “Unicode text”."
            )
        )
    return ("utf-8-sig", "cp932")


def decode_csv(content: bytes) -> tuple[str, str]:
    """Text and encoding of a CSV: as its byte-order mark says, else UTF-8, else cp932."""
    for encoding in csv_encodings(content):
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise SheetRefused(
        _("The CSV file is neither UTF-8 nor Shift_JIS (cp932) text. Save it as “CSV UTF-8”.")
    )


def _delimiter(text: str) -> str:
    """Tab for "Unicode text" and tab-separated files, semicolon where the header has only those."""
    header = text[: text.find("\n")] if "\n" in text[:65536] else text[:65536]
    counts = {delimiter: header.count(delimiter) for delimiter in (",", "\t", ";")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > counts[","] else ","


def _read_csv(content: bytes, limits: Limits) -> Workbook:
    text, encoding = decode_csv(content)
    # The longest cell a CSV may hold is checked by the tally, with the cell named; this bound
    # only keeps the csv module from holding more than that while it reads one field.
    csv.field_size_limit(max(limits.max_cell_chars + 1, 1024))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        return Workbook([Sheet("", _unescaped(_csv_rows(reader, limits)))], encoding)
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            Tally(limits).cell("x" * (limits.max_cell_chars + 1), 0, reader.line_num)
        raise SheetRefused(
            _("The CSV file cannot be read: %(error)s.") % {"error": error}
        ) from error


def _csv_rows(reader, limits: Limits) -> Iterator[tuple[int, list[object]]]:
    tally = Tally(limits)
    lines_allowed = (limits.max_rows + 1) * (1 + CSV_BLANK_LINES_PER_ROW)
    for number, row in enumerate(reader, start=1):
        if number > lines_allowed:
            raise SheetRefused(
                _(
                    "The CSV file has more than %(limit)s lines, blank lines included. Split it "
                    "into smaller files."
                )
                % {"limit": f"{lines_allowed:,}"}
            )
        last = len(row)
        while last and not row[last - 1]:
            last -= 1  # trailing empty cells, as spreadsheets pad a row, are not held
        if _blank(row[:last]):
            continue
        tally.row(number)
        tally.column(last - 1, number)
        for column in range(last):
            if row[column]:
                tally.cell(row[column], column, number)
        yield number, row[:last]
