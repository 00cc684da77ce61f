"""Reading and writing spreadsheets (CSV, XLSX, ODS) safely.

A file is checked before any row is read: its size, that its content is what its extension says,
and for the zipped formats the number and unpacked size of its entries (zip bombs) and any DTD in
its XML (entity expansion). Formula cells are refused: an import takes values, never formulas.
Written cells that a spreadsheet program would take for a formula are prefixed with ``'``.
"""

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from defusedxml import ElementTree as SafeET
from django.conf import settings
from django.utils.translation import gettext as _

# The writer is re-exported here for the callers that read and write sheets together.
from common.writing import (  # noqa: F401
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
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
ZIP_MAGIC = b"PK\x03\x04"


class SheetRefused(Exception):
    """The file is refused as a whole, before any row is written; the message says why."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int
    max_unpacked_bytes: int
    max_zip_entries: int

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(
            max_bytes=settings.IMPORT_MAX_BYTES,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_unpacked_bytes=settings.IMPORT_MAX_UNPACKED_BYTES,
            max_zip_entries=settings.IMPORT_MAX_ZIP_ENTRIES,
        )


@dataclass
class Table:
    """A sheet's header and data rows; ``numbers[i]`` is the sheet row number of ``rows[i]``."""

    headers: list[str]
    rows: list[list[object]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    encoding: str = ""


def format_of(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in FORMATS:
        raise SheetRefused(
            _("“%(name)s” is not a CSV, XLSX or ODS file. Save the sheet in one of these formats.")
            % {"name": name}
        )
    return extension


def read_table(name: str, content: bytes, limits: Limits | None = None) -> Table:
    """The table in a file, after every check; raises ``SheetRefused`` with a clear message."""
    limits = limits or Limits.from_settings()
    kind = format_of(name)
    if len(content) > limits.max_bytes:
        raise SheetRefused(
            _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
            % {"size": f"{len(content) / 1e6:.1f}", "limit": f"{limits.max_bytes / 1e6:.0f}"}
        )
    if kind == "csv":
        table = _read_csv(content)
    else:
        archive = _open_archive(content, kind, limits)
        table = _read_xlsx(archive, content, limits) if kind == "xlsx" else _read_ods(archive)
    if len(table.rows) > limits.max_rows:
        raise SheetRefused(
            _("The sheet has %(rows)s rows; the limit is %(limit)s. Split it into smaller files.")
            % {"rows": f"{len(table.rows):,}", "limit": f"{limits.max_rows:,}"}
        )
    return table


def _blank(row: Sequence[object]) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in row)


def unescape_cell(value: object) -> object:
    """Undo ``escape_cell``, so that an export re-imports unchanged."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def _table(rows: Iterable[tuple[int, Sequence[object]]], encoding: str = "") -> Table:
    """Header from the first non-blank row; blank rows are skipped but keep their numbers."""
    table: Table | None = None
    for number, raw_row in rows:
        row = [unescape_cell(value) for value in raw_row]
        if _blank(row):
            continue
        if table is None:
            headers = ["" if value is None else str(value).strip() for value in row]
            table = Table(headers=headers, encoding=encoding)
            continue
        table.rows.append(list(row))
        table.numbers.append(number)
    if table is None:
        raise SheetRefused(_("The sheet is empty: it has no header row."))
    return table


def decode_csv(content: bytes) -> tuple[str, str]:
    """Text and encoding of a CSV: UTF-8 (with or without BOM), else cp932 as Excel writes it."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise SheetRefused(
        _("The CSV file is neither UTF-8 nor Shift_JIS (cp932) text. Save it as “CSV UTF-8”.")
    )


def _read_csv(content: bytes) -> Table:
    if content.startswith(ZIP_MAGIC) or b"\x00" in content[:65536]:
        raise SheetRefused(
            _(
                "The file is named .csv but is not text (it looks like a workbook). "
                "Use the extension that matches its content."
            )
        )
    text, encoding = decode_csv(content)
    try:
        return _table(enumerate(csv.reader(io.StringIO(text, newline="")), start=1), encoding)
    except csv.Error as error:
        raise SheetRefused(
            _("The CSV file cannot be read: %(error)s.") % {"error": error}
        ) from error


def _open_archive(content: bytes, kind: str, limits: Limits) -> zipfile.ZipFile:
    if not content.startswith(ZIP_MAGIC):
        raise SheetRefused(
            _(
                "The file is named .%(extension)s but its content is not a %(format)s workbook. "
                "Use the extension that matches its content."
            )
            % {"extension": kind, "format": kind.upper()}
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as error:
        raise SheetRefused(
            _("The %(format)s file is damaged and cannot be opened.") % {"format": kind.upper()}
        ) from error
    if len(entries) > limits.max_zip_entries:
        raise SheetRefused(
            _("The workbook holds %(parts)s parts; the limit is %(limit)s.")
            % {"parts": f"{len(entries):,}", "limit": f"{limits.max_zip_entries:,}"}
        )
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > limits.max_unpacked_bytes:
        raise SheetRefused(
            _("The workbook unpacks to %(size)s MB; the limit is %(limit)s MB.")
            % {"size": f"{unpacked / 1e6:.0f}", "limit": f"{limits.max_unpacked_bytes / 1e6:.0f}"}
        )
    names = {entry.filename for entry in entries}
    if kind == "xlsx" and not {"[Content_Types].xml", "xl/workbook.xml"} <= names:
        raise SheetRefused(
            _(
                "The file is named .xlsx but is not an Excel workbook. "
                "Use the extension that matches its content."
            )
        )
    if kind == "ods" and not (
        "mimetype" in names and archive.read("mimetype").strip() == ODS_MIMETYPE
    ):
        raise SheetRefused(
            _(
                "The file is named .ods but is not an OpenDocument spreadsheet. "
                "Use the extension that matches its content."
            )
        )
    for entry in entries:
        if entry.filename.endswith((".xml", ".rels")) and _has_dtd(archive, entry):
            raise SheetRefused(
                _(
                    "The workbook's part %(part)s declares a DTD, which spreadsheets never need; "
                    "the file is refused."
                )
                % {"part": entry.filename}
            )
    return archive


def _has_dtd(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bool:
    tail = b""
    with archive.open(entry) as stream:
        while chunk := stream.read(1 << 20):
            window = (tail + chunk).upper()
            if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                return True
            tail = chunk[-16:]
    return False


XLSX_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
XLSX_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XLSX_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
# A cell reference (r="AB12"), a row number (<row r="12">), a cell and a formula element, with or
# without a namespace prefix. Cells without a reference follow the one before them.
XLSX_CELL_REF = re.compile(rb'<(?:[\w.-]+:)?c\b[^>]*?\sr="([A-Z]{1,3})([0-9]{1,7})"')
XLSX_ROW_REF = re.compile(rb'<(?:[\w.-]+:)?row\b[^>]*?\sr="([0-9]{1,7})"')
XLSX_CELL = re.compile(rb"<(?:[\w.-]+:)?c[\s>/]")
XLSX_ROW = re.compile(rb"<(?:[\w.-]+:)?row[\s>/]")
XLSX_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f[\s>/]")
XLSX_ERROR_CELL = re.compile(rb'<(?:[\w.-]+:)?c\b[^>]*?\st="e"')
CELLS_PER_ROW_ALLOWED = 100  # the area a sheet may span: rows allowed x this many cells


def _read_xlsx(archive: zipfile.ZipFile, content: bytes, limits: Limits) -> Table:
    """The first sheet, read by calamine once its XML has been checked.

    calamine holds a sheet as one block from A1 to its last cell, so the span of the cells is
    checked first: a small file with one value in XFD1048576 would otherwise take the memory
    of seventeen billion cells.
    """
    from python_calamine import CalamineError, CalamineWorkbook

    xml = archive.read(_first_sheet_part(archive))
    _refuse_formulas(xml)
    _refuse_error_cells(xml)
    _refuse_wide_area(xml, limits)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError) as error:
        raise SheetRefused(_("The XLSX file is damaged and cannot be opened.")) from error
    return _table(
        (number, [_xlsx_value(value) for value in row]) for number, row in enumerate(rows, start=1)
    )


def _xlsx_value(value: object) -> object:
    # Every number is stored as a float; 12 is the integer a steward typed.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None if value == "" else value


def _first_sheet_part(archive: zipfile.ZipFile) -> str:
    """The path of the workbook's first sheet, as its workbook part and relationships name it."""
    try:
        workbook = SafeET.fromstring(archive.read("xl/workbook.xml"))
        relationships = SafeET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, SafeET.ParseError) as error:
        raise SheetRefused(_("The XLSX file is damaged and cannot be opened.")) from error
    sheet = workbook.find(f"{{{XLSX_MAIN}}}sheets/{{{XLSX_MAIN}}}sheet")
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in relationships.iter(f"{{{XLSX_PACKAGE_RELS}}}Relationship")
    }
    target = targets.get(sheet.get(f"{{{XLSX_RELATIONSHIP}}}id")) if sheet is not None else None
    if not target:
        raise SheetRefused(_("The XLSX file has no sheet."))
    path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    if path not in archive.namelist():
        raise SheetRefused(_("The XLSX file is damaged: its first sheet is missing."))
    return path


def _refuse_error_cells(xml: bytes) -> None:
    """An error value (#N/A, #DIV/0!) would be read as a blank cell and clear the field."""
    if b' t="e"' not in xml:
        return
    cell = XLSX_ERROR_CELL.search(xml)
    if cell is None:
        return
    reference = XLSX_CELL_REF.match(xml, cell.start())
    if reference is None:
        raise SheetRefused(
            _(
                "A cell holds an error value such as #N/A or #DIV/0!. Type the value, or clear "
                "the cell, then upload again."
            )
        )
    raise SheetRefused(
        _(
            "Cell %(cell)s holds an error value such as #N/A or #DIV/0!. Type the value, or clear "
            "the cell, then upload again."
        )
        % {"cell": reference[1].decode() + reference[2].decode()}
    )


def _refuse_formulas(xml: bytes) -> None:
    formula = XLSX_FORMULA.search(xml)
    if formula is None:
        return
    cells = list(XLSX_CELL_REF.finditer(xml, 0, formula.start()))
    if not cells:
        raise SheetRefused(
            _(
                "A cell holds a formula. Imports take values only: copy the cells and paste them "
                "as values, then upload again."
            )
        )
    raise SheetRefused(
        _(
            "Cell %(cell)s holds a formula. Imports take values only: copy the cells and paste "
            "them as values, then upload again."
        )
        % {"cell": cells[-1][1].decode() + cells[-1][2].decode()}
    )


def _refuse_wide_area(xml: bytes, limits: Limits) -> None:
    allowed = limits.max_rows * CELLS_PER_ROW_ALLOWED
    if _span_bound(xml) <= allowed:
        return
    rows, columns = _span(xml)
    if rows * columns > allowed:
        raise SheetRefused(
            _(
                "The sheet's cells span %(rows)s rows and %(columns)s columns, more than an "
                "import can take. Delete the rows and columns beyond the table, then upload again."
            )
            % {"rows": f"{rows:,}", "columns": f"{columns:,}"}
        )


def _span_bound(xml: bytes) -> float:
    """A quick upper bound of the span, from the longest cell reference; infinite if unsure.

    Sure only when every cell and row carries its reference (as Excel, LibreOffice and this
    product write them): then no reference with more digits or letters means no larger span.
    """
    cells = xml.count(b"<c ") + xml.count(b"<c>") + xml.count(b"<c/>")
    rows = xml.count(b"<row ") + xml.count(b"<row>") + xml.count(b"<row/>")
    if not cells or xml.count(b' r="') != cells + rows:
        return float("inf")
    digits = next((n for n in range(7, 0, -1) if _has_reference(xml, rb"[A-Z]{0,3}", n)), 1)
    letters = next((n for n in (3, 2) if _has_reference(xml, rb"[A-Z]{%d}" % n, 0)), 1)
    return 10**digits * 26**letters


def _has_reference(xml: bytes, letters: bytes, digits: int) -> bool:
    pattern = rb' r="' + letters + (rb"[0-9]{%d}\"" % digits if digits else rb"[0-9]")
    return re.search(pattern, xml) is not None


def _span(xml: bytes) -> tuple[int, int]:
    """Rows and columns from A1 to the last cell, as calamine will hold them."""
    last_row = last_column = cell_references = row_references = 0
    for match in XLSX_CELL_REF.finditer(xml):
        cell_references += 1
        last_column = max(last_column, _column_number(match[1]))
        last_row = max(last_row, int(match[2]))
    for match in XLSX_ROW_REF.finditer(xml):
        row_references += 1
        last_row = max(last_row, int(match[1]))
    # Rows and cells without a reference each add at most one to the span.
    rows = last_row + len(XLSX_ROW.findall(xml)) - row_references
    columns = last_column + len(XLSX_CELL.findall(xml)) - cell_references
    return rows, columns


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


ODS_NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}
TABLE, OFFICE, TEXT = (f"{{{ODS_NS[prefix]}}}" for prefix in ("table", "office", "text"))


def _ods_value(cell) -> object:
    kind = cell.get(f"{OFFICE}value-type")
    if kind in ("float", "percentage", "currency"):
        number = float(cell.get(f"{OFFICE}value"))
        return int(number) if number.is_integer() else number
    if kind == "date":
        value = cell.get(f"{OFFICE}date-value")
        return dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    if kind == "boolean":
        return cell.get(f"{OFFICE}boolean-value") == "true"
    paragraphs = cell.findall(f"{TEXT}p")
    if not paragraphs:
        return None
    return "\n".join("".join(paragraph.itertext()) for paragraph in paragraphs)


def _read_ods(archive: zipfile.ZipFile) -> Table:
    return _table(_ods_rows(archive))


def _ods_rows(archive: zipfile.ZipFile) -> Iterator[tuple[int, list[object]]]:
    number = 0
    with archive.open("content.xml") as stream:
        for _event, element in SafeET.iterparse(stream, events=("end",)):
            if element.tag == f"{TABLE}table":
                return  # the first sheet only
            if element.tag != f"{TABLE}table-row":
                continue
            row: list[object] = []
            for cell in element:
                if cell.tag not in (f"{TABLE}table-cell", f"{TABLE}covered-table-cell"):
                    continue
                if cell.get(f"{TABLE}formula"):
                    raise SheetRefused(
                        _(
                            "Cell %(cell)s holds a formula. Imports take values only: paste the "
                            "cells as values, then upload again."
                        )
                        % {"cell": f"{column_letter(len(row))}{number + 1}"}
                    )
                value = _ods_value(cell)
                repeat = int(cell.get(f"{TABLE}number-columns-repeated", "1"))
                # Sheets pad each row with a long run of empty cells to the last column.
                row.extend([value] * (repeat if value is not None or repeat < 64 else 0))
            repeat_rows = int(element.get(f"{TABLE}number-rows-repeated", "1"))
            element.clear()
            if _blank(row):
                number += repeat_rows  # trailing blank rows come as one repeated row
                continue
            for _copy in range(repeat_rows):
                number += 1
                yield number, row
