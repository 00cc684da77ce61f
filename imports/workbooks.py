"""XLSX and ODS workbooks, read part by part with a streaming XML parser that counts as it reads.

A workbook is a zip archive of XML parts, and every layer is a place to hide a bomb: the archive
(parts that unpack to far more than their directory declares, archives inside it, thousands of
parts), the XML (entity expansion, external entities) and the cells (one value at XFD1048576, a
repeat count of a billion, one long text shared by every cell). So nothing is trusted: each part is
unpacked through a counter of the bytes it really yields, parsed by expat as a stream of events
with every DTD refused, and every row, cell, character and element is counted against the limits
(``imports.formats.Limits``) before it is held. Attribute quoting, namespace prefixes and the other
spellings XML allows are the parser's business, so no check can be walked past by a second one.

Why not python-calamine, which reads XLSX several times faster: it takes a whole part before
any limit can be checked, holds a sheet as one block from A1 to its last cell, and aborted the
process on span bombs that a regular-expression pre-check missed (30 of 80 hostile files passed
it, against every one with this reader: ``docs/BENCHMARKS.md``, hostile spreadsheets).
"""

import datetime as dt
import functools
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from xml.parsers import expat

from django.utils.translation import gettext as _

from imports.formats import (
    LAST_ROW,
    MERGED_KEPT,
    MERGED_RANGE,
    OLE_MAGIC,
    ZIP_MAGIC,
    Limits,
    Sheet,
    SheetRefused,
    Tally,
    cell_name,
)
from imports.writing import column_letter

CHUNK = 1 << 16
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# XML elements a part may hold per cell it may hold: a cell with a value is two or three of them
# (<c><v>, or <c><is><t>); anything far beyond is a file made to be slow to parse.
ELEMENTS_PER_CELL = 4
EMPTY_CELLS_PER_CELL = 2  # cell elements a sheet may hold, empty or not, per cell with a value
# Parts of a workbook as Excel, LibreOffice and other programs write them; any other part (a
# macro project, an archive inside the archive, a file of another kind) refuses the file.
XLSX_PARTS = re.compile(
    r"\[Content_Types\]\.xml|_rels/\.rels|(docProps|docMetadata|customXml)/[\w./ -]+\.(xml|rels)"
    r"|xl/(?!.*vbaProject)[\w./ -]+\.(xml|rels|vml|bin|png|jpe?g|gif|emf|wmf|tiff?|bmp|svg)"
)
ODS_PARTS = re.compile(
    r"mimetype|(content|styles|meta|settings)\.xml|manifest\.rdf|layout-cache"
    r"|META-INF/[\w.-]+\.xml|Thumbnails/[\w.-]+\.png|Configurations2/[\w./-]*"
    r"|Pictures/[\w.-]+|(Object|ObjectReplacements/Object) \d+(/[\w./-]*)?"
)
ARCHIVE_NAMES = (".zip", ".xlsx", ".xlsm", ".xlsb", ".ods", ".odt", ".docx", ".pptx", ".jar")


class Finished(Exception):
    """The reader has all it needs from a part; the rest of it is not read."""


def damaged(kind: str) -> SheetRefused:
    return SheetRefused(
        _("The %(format)s file is damaged and cannot be opened.") % {"format": kind.upper()}
    )


def wrong_content(kind: str) -> SheetRefused:
    return SheetRefused(
        _(
            "The file is named .%(extension)s but its content is not a %(format)s workbook. "
            "Use the extension that matches its content."
        )
        % {"extension": kind, "format": kind.upper()}
    )


class Archive:
    """A workbook's zip archive, its parts checked by name and kind, read through a counter.

    The sizes an archive's directory declares are only used to refuse early; what counts is what
    each part really unpacks to, counted as it is read.
    """

    def __init__(self, content: bytes, kind: str, limits: Limits) -> None:
        self.kind, self.limits, self.unpacked = kind, limits, 0
        if content.startswith(OLE_MAGIC):
            raise SheetRefused(
                _(
                    "The file is a password-protected workbook or an Excel 97–2003 (.xls) file. "
                    "Save it without a password as .%(extension)s, then upload again."
                )
                % {"extension": kind}
            )
        if not content.startswith(ZIP_MAGIC):
            raise wrong_content(kind)
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(content))
            entries = self.zip.infolist()
        except (zipfile.BadZipFile, ValueError, EOFError, OSError) as error:
            raise damaged(kind) from error
        if len(entries) > limits.max_zip_entries:
            raise SheetRefused(
                _("The workbook holds %(parts)s parts; the limit is %(limit)s.")
                % {"parts": f"{len(entries):,}", "limit": f"{limits.max_zip_entries:,}"}
            )
        declared = sum(entry.file_size for entry in entries)
        if declared > limits.max_unpacked_bytes:
            raise self.too_large(declared)
        self.parts = {entry.filename: entry for entry in entries if not entry.is_dir()}
        self._check_kind()
        for entry in self.parts.values():
            self._check_part(entry)

    def _check_kind(self) -> None:
        """The parts that make a file the kind of workbook its extension says."""
        if (
            self.kind == "xlsx"
            and not {"[Content_Types].xml", "xl/workbook.xml"} <= self.parts.keys()
        ):
            raise SheetRefused(
                _(
                    "The file is named .xlsx but is not an Excel workbook. "
                    "Use the extension that matches its content."
                )
            )
        if self.kind == "ods" and (
            "mimetype" not in self.parts or self.read_small("mimetype", 200).strip() != ODS_MIMETYPE
        ):
            raise SheetRefused(
                _(
                    "The file is named .ods but is not an OpenDocument spreadsheet. "
                    "Use the extension that matches its content."
                )
            )

    def _check_part(self, entry: zipfile.ZipInfo) -> None:
        if entry.flag_bits & 0x1 or entry.compress_type not in (zipfile.ZIP_STORED, 8):
            raise damaged(self.kind)  # encrypted, or packed in a way no spreadsheet packs
        if entry.filename.lower().endswith(ARCHIVE_NAMES) or self.head(entry) == ZIP_MAGIC:
            raise SheetRefused(
                _(
                    "The workbook's part %(part)s is itself an archive; a workbook with files "
                    "inside it is refused."
                )
                % {"part": entry.filename[:200]}
            )
        allowed = XLSX_PARTS if self.kind == "xlsx" else ODS_PARTS
        if not allowed.fullmatch(entry.filename):
            raise SheetRefused(
                _(
                    "The workbook holds a part that spreadsheets do not write (%(part)s); the "
                    "file is refused. Save it again from the spreadsheet program as a plain "
                    "%(format)s workbook."
                )
                % {"part": entry.filename[:200], "format": self.kind.upper()}
            )

    def head(self, entry: zipfile.ZipInfo) -> bytes:
        try:
            with self.zip.open(entry) as stream:
                return stream.read(len(ZIP_MAGIC))
        except (zipfile.BadZipFile, ValueError, EOFError, OSError) as error:
            raise damaged(self.kind) from error

    def too_large(self, size: int) -> SheetRefused:
        """What the archive declares is refused as it says; a part that lies, as it unpacks."""
        limit = f"{self.limits.max_unpacked_bytes / 1e6:.0f}"
        if size <= self.limits.max_unpacked_bytes:
            return SheetRefused(
                _(
                    "The workbook unpacks to more than %(limit)s MB, far more than its directory "
                    "declares; the file is refused."
                )
                % {"limit": limit}
            )
        return SheetRefused(
            _("The workbook unpacks to %(size)s MB; the limit is %(limit)s MB.")
            % {"size": f"{size / 1e6:.0f}", "limit": limit}
        )

    def chunks(self, name: str) -> Iterator[bytes]:
        """The part's bytes as it unpacks, counted against the limit of the whole workbook."""
        try:
            with self.zip.open(self.parts[name]) as stream:
                while chunk := stream.read(CHUNK):
                    self.unpacked += len(chunk)
                    if self.unpacked > self.limits.max_unpacked_bytes:
                        raise self.too_large(0)
                    yield chunk
        except (zipfile.BadZipFile, ValueError, EOFError, OSError) as error:
            raise damaged(self.kind) from error

    def read_small(self, name: str, most: int) -> bytes:
        data = b""
        for chunk in self.chunks(name):
            data += chunk
            if len(data) > most:
                break
        return data

    def parse(self, name: str, handler: "PartHandler") -> None:
        """Stream the part through expat, calling the handler's methods; DTDs are refused."""
        parser = expat.ParserCreate(namespace_separator="}")
        parser.buffer_text = True
        parser.buffer_size = CHUNK
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

        def refuse_dtd(*_args: object) -> None:
            raise SheetRefused(
                _(
                    "The workbook's part %(part)s declares a DTD, which spreadsheets never need; "
                    "the file is refused."
                )
                % {"part": name}
            )

        parser.StartDoctypeDeclHandler = refuse_dtd
        parser.EntityDeclHandler = refuse_dtd
        parser.ExternalEntityRefHandler = refuse_dtd
        parser.StartElementHandler = handler.start
        parser.EndElementHandler = handler.end
        parser.CharacterDataHandler = handler.text
        try:
            for chunk in self.chunks(name):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except Finished:
            return
        except (LookupError, UnicodeError, ValueError) as error:  # an encoding no one knows
            raise SheetRefused(
                _(
                    "The workbook's part %(part)s is written in an encoding that cannot be read "
                    "(%(error)s); the file is damaged."
                )
                % {"part": name, "error": str(error)[:80]}
            ) from error
        except expat.ExpatError as error:
            if error.code == expat.errors.codes[expat.errors.XML_ERROR_NO_MEMORY]:
                raise MemoryError from error
            raise SheetRefused(
                _(
                    "The workbook's part %(part)s is not well-formed XML (line %(line)s, column "
                    "%(column)s: %(error)s); the file is damaged."
                )
                % {
                    "part": name,
                    "line": error.lineno,
                    "column": error.offset,
                    "error": expat.errors.messages[error.code],
                }
            ) from error


class PartHandler:
    """Receives a part's elements and text; counts every element against the part's budget.

    A subclass names the methods that handle the start and the end of the elements it cares
    about (``starts`` and ``ends``, by the element's namespaced name), so each element costs one
    look-up.
    """

    starts: dict[str, str] = {}
    ends: dict[str, str] = {}

    def __init__(self, part: str, most_elements: int) -> None:
        self.part, self.most_elements, self.elements = part, most_elements, 0
        self.on_start = {name: getattr(self, method) for name, method in self.starts.items()}
        self.on_end = {name: getattr(self, method) for name, method in self.ends.items()}

    def start(self, name: str, attributes: dict[str, str]) -> None:
        self.elements += 1
        if self.elements > self.most_elements:
            raise SheetRefused(
                _(
                    "The workbook's part %(part)s holds more than %(limit)s XML elements, far "
                    "more than its cells need; the file is refused."
                )
                % {"part": self.part, "limit": f"{self.most_elements:,}"}
            )
        handle = self.on_start.get(name)
        if handle is not None:
            handle(attributes)

    def end(self, name: str) -> None:
        handle = self.on_end.get(name)
        if handle is not None:
            handle()

    def text(self, data: str) -> None: ...


def element_budget(limits: Limits) -> int:
    return ELEMENTS_PER_CELL * limits.max_cells + 2 * limits.max_rows + 10_000


def not_a_number(cell: str, value: str) -> SheetRefused:
    return SheetRefused(
        _("Cell %(cell)s should hold a number but holds “%(value)s”; the file is damaged.")
        % {"cell": cell, "value": value[:50]}
    )


def not_a_date(cell: str, value: str) -> SheetRefused:
    return SheetRefused(
        _("Cell %(cell)s should hold a date but holds “%(value)s”; the file is damaged.")
        % {"cell": cell, "value": value[:50]}
    )


def formula_in(cell: str) -> SheetRefused:
    return SheetRefused(
        _(
            "Cell %(cell)s holds a formula. Imports take values only: copy the cells and paste "
            "them as values, then upload again."
        )
        % {"cell": cell}
    )


NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?\s*")


def number(value: str, at: "PartHandler") -> int | float:
    """A number as a workbook stores it; a whole number is the integer a steward typed."""
    if value.isdigit() and len(value) < 16:
        return int(value)
    if len(value) > 400 or not NUMBER.fullmatch(value):
        raise not_a_number(at.where(), value)
    parsed = float(value)
    if parsed in (float("inf"), float("-inf")):
        raise not_a_number(at.where(), value)
    return int(parsed) if parsed.is_integer() else parsed


def iso_date(value: str, cell: str) -> dt.date | dt.datetime:
    try:
        if len(value) > 40:
            raise ValueError
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise not_a_date(cell, value) from None
    if "T" not in value and " " not in value.strip():
        return moment.date()
    return moment


# ---- XLSX --------------------------------------------------------------------------------------

XLSX_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # ISO 29500 strict
)
RELATIONSHIP_NAMESPACES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"


def xlsx_names(local: str) -> frozenset[str]:
    return frozenset(f"{namespace}}}{local}" for namespace in XLSX_NAMESPACES)


SHEET_DATA, ROW, CELL, VALUE, FORMULA = map(xlsx_names, ("sheetData", "row", "c", "v", "f"))
INLINE, TEXT, PHONETIC, SHARED_ITEM = map(xlsx_names, ("is", "t", "rPh", "si"))
MERGE_CELL, MERGE_CELLS = xlsx_names("mergeCell"), xlsx_names("mergeCells")
# What a worksheet holds after its merged cells, in the schema's order: once one of these starts,
# the sheet has nothing more the import reads.
AFTER_MERGES = frozenset().union(
    *map(
        xlsx_names,
        ("phoneticPr", "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions",
         "pageMargins", "pageSetup", "headerFooter", "drawing", "tableParts", "extLst"),
    )
)  # fmt: skip
DROPPED = "formula"  # the kind of a cell read as blank: a formula or an error value
WORKBOOK_SHEET, WORKBOOK_PROPERTIES = xlsx_names("sheet"), xlsx_names("workbookPr")
NUMBER_FORMAT, CELL_FORMATS, FORMAT = xlsx_names("numFmt"), xlsx_names("cellXfs"), xlsx_names("xf")
RELATIONSHIP = f"{PACKAGE_RELS}}}Relationship"
DIGITS = "0123456789"
COLUMNS = {column_letter(index): index for index in range(16_384)}  # A to XFD
ESCAPED_CHARACTER = re.compile(r"_x([0-9A-Fa-f]{4})_")
# Excel's built-in number formats that show a date or a time (those of Japanese Excel included).
DATE_FORMAT_IDS = frozenset((*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)))
DATE_CODE = re.compile(r"(?<![_\\])[dmhysDMHYS]")
QUOTED_OR_BRACKETED = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
EXCEL_1900, EXCEL_1904 = dt.datetime(1899, 12, 30), dt.datetime(1904, 1, 1)


def unescape_ooxml(value: str) -> str:
    """``_x000D_`` is how OOXML writes a character XML cannot carry (here a carriage return)."""
    if "_x" not in value:
        return value
    return ESCAPED_CHARACTER.sub(lambda match: chr(int(match[1], 16)), value)


def by_name(**methods: str) -> dict[str, str]:
    """``{"c": "start_cell"}`` for every namespace a spreadsheet's XML may use."""
    return {name: method for local, method in methods.items() for name in xlsx_names(local)}


class Collect(PartHandler):
    """Collects the attributes of the elements of interest in a small part (workbook, rels)."""

    def __init__(self, part: str, names: frozenset[str], limits: Limits) -> None:
        super().__init__(part, element_budget(limits))
        self.found: list[tuple[str, dict[str, str]]] = []
        self.on_start = {name: functools.partial(self.found_one, name) for name in names}

    def found_one(self, name: str, attributes: dict[str, str]) -> None:
        self.found.append((name, attributes))


class SharedStrings(PartHandler):
    """The workbook's shared texts (``<si>``), without their phonetic guides (``<rPh>``)."""

    starts = by_name(si="start_item", t="start_text", rPh="start_phonetic")
    ends = by_name(si="end_item", t="end_text", rPh="end_phonetic")

    def __init__(self, part: str, limits: Limits) -> None:
        super().__init__(part, element_budget(limits))
        self.limits, self.strings = limits, []
        self.pieces: list[str] | None = None
        self.in_text = False
        self.phonetic = self.size = self.chars = 0

    def start_item(self, _attributes: dict[str, str]) -> None:
        self.pieces, self.size = [], 0

    def start_phonetic(self, _attributes: dict[str, str]) -> None:
        self.phonetic += 1

    def end_phonetic(self) -> None:
        self.phonetic -= 1

    def start_text(self, _attributes: dict[str, str]) -> None:
        self.in_text = self.pieces is not None and not self.phonetic

    def end_text(self) -> None:
        self.in_text = False

    def text(self, data: str) -> None:
        if self.in_text:
            self.size += len(data)
            if self.size > self.limits.max_cell_chars:
                raise SheetRefused(
                    _(
                        "Text number %(index)s of the workbook holds more than %(limit)s "
                        "characters, more than a cell may hold; the file is refused."
                    )
                    % {"index": len(self.strings) + 1, "limit": f"{self.limits.max_cell_chars:,}"}
                )
            self.pieces.append(data)

    def end_item(self) -> None:
        if self.pieces is None:
            return
        self.strings.append(unescape_ooxml("".join(self.pieces)))
        self.chars += self.size
        self.pieces = None
        if len(self.strings) > self.limits.max_cells:
            raise SheetRefused(
                _(
                    "The workbook holds more than %(limit)s shared texts, more than its cells "
                    "may hold; the file is refused."
                )
                % {"limit": f"{self.limits.max_cells:,}"}
            )
        if self.chars > self.limits.max_sheet_chars:
            raise SheetRefused(
                _(
                    "The workbook's shared texts hold more than %(limit)s characters; the file "
                    "is refused."
                )
                % {"limit": f"{self.limits.max_sheet_chars:,}"}
            )


class XlsxSheet(PartHandler):
    """The rows of one worksheet, each cell's value decoded as it ends.

    The busiest code of an import: it runs for every element of the sheet, so ``start`` and
    ``end`` test the commonest names first and keep the counts in plain attributes.
    """

    def __init__(
        self, part: str, limits: Limits, shared: list[str], dates: "DateStyles", tally: Tally
    ) -> None:
        super().__init__(part, element_budget(limits))
        self.tally, self.shared, self.dates = tally, shared, dates
        self.most_chars, self.most_columns = limits.max_cell_chars, limits.max_columns
        self.most_cells, self.most_sheet_chars = limits.max_cells, limits.max_sheet_chars
        # The workbook's counts so far: the limits hold for all its sheets together.
        self.cells, self.chars, self.cell_elements = tally.cells, tally.chars, tally.cell_elements
        self.hidden: list[int] = []
        self.merged: list[str] = []
        self.refusal = ""
        self.row_hidden = self.after_data = False
        # Empty cells cost time too: a styled cell is written empty, but not by the million.
        self.most_cell_elements = EMPTY_CELLS_PER_CELL * limits.max_cells
        self.rows: list[tuple[int, list[object]]] = []
        self.row_number, self.row = 0, None
        self.column = -1
        self.kind = self.style = None
        self.pieces: list[str] | None = None
        self.in_inline = self.collecting = False
        self.phonetic = self.size = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        self.elements += 1
        if self.elements > self.most_elements:
            super().start(name, attributes)  # refuses
        if name in CELL:
            if self.row is None:
                return
            self.cell_elements += 1
            if self.cell_elements > self.most_cell_elements:
                raise SheetRefused(
                    _(
                        "The sheet holds more than %(limit)s cells, most of them empty, far more "
                        "than its values need; the file is refused."
                    )
                    % {"limit": f"{self.most_cell_elements:,}"}
                )
            reference = attributes.get("r")
            if reference is None:
                self.column += 1
            else:
                column = COLUMNS.get(reference.rstrip(DIGITS))
                if column is None or not 0 < len(reference) - len(reference.rstrip(DIGITS)) < 8:
                    raise self.bad_reference(reference)
                self.column = column
            self.kind, self.style, self.pieces = attributes.get("t", "n"), attributes.get("s"), None
            if self.kind == "e":
                self.refuse(
                    _(
                        "Cell %(cell)s holds an error value such as #N/A or #DIV/0!. Type the "
                        "value, or clear the cell, then upload again."
                    )
                    % {"cell": self.where()}
                )
        elif name in VALUE:
            self.pieces, self.collecting, self.size = [], True, 0
        elif name in TEXT:
            if self.in_inline and not self.phonetic:
                if self.pieces is None:
                    self.pieces, self.size = [], 0
                self.collecting = True
        elif name in INLINE:
            self.in_inline = True
        elif name in ROW:
            self.start_row(attributes)
        elif name in FORMULA:
            if self.row is not None:
                self.refuse(formula_in(self.where()))
        elif name in PHONETIC:
            self.phonetic += 1
        elif name in MERGE_CELL:
            self.start_merge(attributes)
        elif self.after_data and name in AFTER_MERGES:
            raise Finished

    def end(self, name: str) -> None:
        if name in CELL:
            self.end_cell()
        elif name in VALUE or name in TEXT:
            self.collecting = False
        elif name in INLINE:
            self.in_inline = False
        elif name in ROW:
            if self.row:
                self.tally.row(self.row_number)
                self.rows.append((self.row_number, self.row))
                if self.row_hidden:
                    self.hidden.append(self.row_number)
            self.row = None
        elif name in PHONETIC:
            self.phonetic -= 1
        elif name in SHEET_DATA:
            self.after_data = True  # the merged cells follow
        elif name in MERGE_CELLS:
            raise Finished

    def text(self, data: str) -> None:
        if self.collecting:
            self.pieces.append(data)
            self.size += len(data)
            if self.size > self.most_chars:
                self.tally.cell("x" * self.size, self.column, self.row_number)

    def start_row(self, attributes: dict[str, str]) -> None:
        reference = attributes.get("r")
        if reference is None:
            self.row_number += 1
        elif reference.isdigit() and len(reference) <= 7:
            self.row_number = int(reference)
        else:
            raise self.bad_reference(reference)
        self.row, self.column = [], -1
        self.row_hidden = attributes.get("hidden") in ("1", "true")

    def refuse(self, refusal: SheetRefused | str) -> None:
        """The sheet cannot be imported (a formula, an error value), should it be the one read;
        the cell is read as blank meanwhile, and the first such cell named."""
        self.refusal = self.refusal or str(refusal)
        self.kind = DROPPED

    def start_merge(self, attributes: dict[str, str]) -> None:
        reference = attributes.get("ref", "")
        if len(self.merged) < MERGED_KEPT and MERGED_RANGE.fullmatch(reference):
            self.merged.append(reference)

    def sheet(self, name: str) -> Sheet:
        """What was read, as a sheet; the workbook's counts go on to its next sheet."""
        tally = self.tally
        tally.cells, tally.chars, tally.cell_elements = self.cells, self.chars, self.cell_elements
        return Sheet(name, padded(self.rows), self.hidden, self.merged, self.refusal)

    def where(self) -> str:
        return cell_name(self.column, self.row_number)

    def bad_reference(self, reference: str) -> SheetRefused:
        return SheetRefused(
            _(
                "The sheet has a cell or row reference “%(reference)s” that names no cell; the "
                "file is damaged."
            )
            % {"reference": reference[:20]}
        )

    def end_cell(self) -> None:
        pieces = self.pieces
        if self.row is None or pieces is None:
            return
        self.pieces, self.in_inline, self.collecting = None, False, False
        value = self.value(pieces[0] if len(pieces) == 1 else "".join(pieces))
        if value is None or value == "":
            return
        column = self.column
        self.cells += 1
        if column >= self.most_columns or self.cells > self.most_cells:
            self.tally.column(column, self.row_number)
            self.tally.cells = self.cells - 1
            self.tally.cell(value, column, self.row_number)
        if value.__class__ is str:
            self.chars += len(value)
            if len(value) > self.most_chars or self.chars > self.most_sheet_chars:
                self.tally.chars = self.chars - len(value)
                self.tally.cell(value, column, self.row_number)
        row = self.row
        if column == len(row):
            row.append(value)
        elif column > len(row):
            row.extend([None] * (column - len(row)))
            row.append(value)
        else:
            row[column] = value

    def value(self, raw: str) -> object:
        kind = self.kind
        if kind == "s":
            if raw.isdigit() and int(raw) < len(self.shared):
                return self.shared[int(raw)]
            raise SheetRefused(
                _(
                    "Cell %(cell)s refers to text number %(index)s, which the workbook does not "
                    "hold; the file is damaged."
                )
                % {"cell": self.where(), "index": raw[:20]}
            )
        if kind == "n":
            if raw.isdigit() and len(raw) < 16:
                figure = int(raw)  # the commonest cell of all, a whole number
            elif not raw or raw.isspace():
                return None
            else:
                figure = number(raw, self)
            if self.style is None or self.style not in self.dates.date_styles:
                return figure
            return self.dates.as_date(figure, self.style)
        if kind == "inlineStr" or kind == "str":
            return unescape_ooxml(raw)
        if kind == "b":
            if raw.strip() not in ("0", "1", "true", "false"):
                raise not_a_number(self.where(), raw)
            return raw.strip() in ("1", "true")
        if kind == "d":
            return iso_date(raw.strip(), self.where())
        if kind == DROPPED:
            return None
        raise SheetRefused(
            _(
                "Cell %(cell)s has a type “%(kind)s” that no spreadsheet writes; the file is "
                "damaged."
            )
            % {"cell": self.where(), "kind": kind[:20]}
        )


class DateStyles(PartHandler):
    """Which cell styles show a number as a date, from the workbook's styles part."""

    starts = by_name(numFmt="start_code", cellXfs="start_formats", xf="start_format")
    ends = by_name(cellXfs="end_formats")

    def __init__(self, part: str, limits: Limits, date1904: bool = False) -> None:
        super().__init__(part, element_budget(limits))
        self.codes: dict[str, str] = {}
        self.formats: list[str] = []
        self.in_cell_formats = False
        self.epoch = EXCEL_1904 if date1904 else EXCEL_1900
        self.date1904 = date1904
        self.date_styles: frozenset[str] = frozenset()

    def start_code(self, attributes: dict[str, str]) -> None:
        self.codes[attributes.get("numFmtId", "")] = attributes.get("formatCode", "")[:200]

    def start_formats(self, _attributes: dict[str, str]) -> None:
        self.in_cell_formats = True

    def start_format(self, attributes: dict[str, str]) -> None:
        if self.in_cell_formats:
            self.formats.append(attributes.get("numFmtId", "0"))

    def end_formats(self) -> None:
        self.in_cell_formats = False
        self.date_styles = frozenset(
            str(index) for index, format_id in enumerate(self.formats) if self.is_date(format_id)
        )

    def is_date(self, format_id: str) -> bool:
        if format_id in self.codes:
            code = QUOTED_OR_BRACKETED.sub("", self.codes[format_id].split(";")[0])
            code = re.sub("general", "", code, flags=re.IGNORECASE)
            return DATE_CODE.search(code) is not None
        return format_id.isdigit() and int(format_id) in DATE_FORMAT_IDS

    def as_date(self, figure: int | float, style: str | None) -> object:
        if style is None or style not in self.date_styles or not 0 <= figure < 2_958_466:
            return figure
        days = figure + (1 if not self.date1904 and figure < 60 else 0)  # Excel's 1900-02-29
        moment = self.epoch + dt.timedelta(days=days)
        rounded = dt.timedelta(seconds=round(moment.microsecond / 1e6))
        moment = moment.replace(microsecond=0) + rounded
        if isinstance(figure, int) or moment.time() == dt.time(0):
            return moment.date()
        return moment


def read_xlsx(content: bytes, limits: Limits) -> list[Sheet]:
    """Every sheet of the workbook, in the workbook's order, with its rows and their numbers."""
    archive = Archive(content, "xlsx", limits)
    workbook = Collect("xl/workbook.xml", WORKBOOK_SHEET | WORKBOOK_PROPERTIES, limits)
    archive.parse("xl/workbook.xml", workbook)
    entries = [attributes for name, attributes in workbook.found if name in WORKBOOK_SHEET]
    date1904 = any(
        attributes.get("date1904") in ("1", "true")
        for name, attributes in workbook.found
        if name in WORKBOOK_PROPERTIES
    )
    targets = relationships(archive, "xl/_rels/workbook.xml.rels", limits)
    parts = [(entry.get("name", "")[:200], sheet_part(entry, targets)) for entry in entries]
    parts = [(name, part) for name, part in parts if part]
    if not parts:
        raise SheetRefused(_("The XLSX file has no sheet."))
    for name, part in parts:
        if part not in archive.parts:
            raise SheetRefused(
                _("The XLSX file is damaged: its sheet “%(name)s” is missing.") % {"name": name}
            )
    shared = SharedStrings(targets.get("sharedStrings", "xl/sharedStrings.xml"), limits)
    if shared.part in archive.parts:
        archive.parse(shared.part, shared)
    styles = DateStyles(targets.get("styles", "xl/styles.xml"), limits, date1904)
    if styles.part in archive.parts:
        archive.parse(styles.part, styles)
    tally, sheets = Tally(limits), []
    for name, part in parts:
        tally.next_sheet()
        handler = XlsxSheet(part, limits, shared.strings, styles, tally)
        archive.parse(part, handler)
        sheets.append(handler.sheet(name))
    return sheets


def sheet_part(entry: dict[str, str], targets: dict[str, str]) -> str | None:
    """The part a workbook's ``<sheet>`` names through its relationship id."""
    for namespace in RELATIONSHIP_NAMESPACES:
        sheet_id = entry.get(f"{namespace}}}id")
        if sheet_id:
            return targets.get(sheet_id)
    return None


def padded(rows: list[tuple[int, list[object]]]) -> list[tuple[int, list[object]]]:
    """Every row as wide as the widest, as a spreadsheet shows them (at most the column limit)."""
    width = max((len(row) for _number, row in rows), default=0)
    for _number, row in rows:
        row.extend([None] * (width - len(row)))
    return rows


def relationships(archive: Archive, part: str, limits: Limits) -> dict[str, str]:
    """Each relationship's id, and the shared strings' and styles' types, to a part's path."""
    if part not in archive.parts:
        raise damaged("xlsx")
    collected = Collect(part, frozenset((RELATIONSHIP,)), limits)
    archive.parse(part, collected)
    targets: dict[str, str] = {}
    for _name, attributes in collected.found:
        target = attributes.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        path = posixpath.normpath(path)
        targets[attributes.get("Id", "")] = path
        kind = attributes.get("Type", "").rsplit("/", 1)[-1]
        if kind in ("sharedStrings", "styles"):
            targets[kind] = path
    return targets


# ---- ODS ---------------------------------------------------------------------------------------

TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
ODS_TABLE, ODS_ROW = f"{TABLE_NS}}}table", f"{TABLE_NS}}}table-row"
ODS_CELLS = frozenset((f"{TABLE_NS}}}table-cell", f"{TABLE_NS}}}covered-table-cell"))
ODS_PARAGRAPH, ODS_SPACE = f"{TEXT_NS}}}p", f"{TEXT_NS}}}s"
ODS_TAB, ODS_BREAK = f"{TEXT_NS}}}tab", f"{TEXT_NS}}}line-break"
ODS_ANNOTATION = f"{OFFICE_NS}}}annotation"
ROWS_REPEATED, COLUMNS_REPEATED = (
    f"{TABLE_NS}}}number-rows-repeated",
    f"{TABLE_NS}}}number-columns-repeated",
)
ODS_FORMULA = f"{TABLE_NS}}}formula"
TABLE_NAME, ROW_VISIBILITY = f"{TABLE_NS}}}name", f"{TABLE_NS}}}visibility"
COLUMNS_SPANNED, ROWS_SPANNED = (
    f"{TABLE_NS}}}number-columns-spanned",
    f"{TABLE_NS}}}number-rows-spanned",
)
VALUE_TYPE, ODS_VALUE = f"{OFFICE_NS}}}value-type", f"{OFFICE_NS}}}value"
DATE_VALUE, BOOLEAN_VALUE = f"{OFFICE_NS}}}date-value", f"{OFFICE_NS}}}boolean-value"
NUMERIC_TYPES = frozenset(("float", "percentage", "currency"))


class OdsSheet(PartHandler):
    """The rows of every table of an ODS file's content, repeats counted before expanded."""

    starts = {
        ODS_TABLE: "start_table",
        ODS_ROW: "start_row",
        **dict.fromkeys(ODS_CELLS, "start_cell"),
        ODS_ANNOTATION: "start_annotation",
        ODS_PARAGRAPH: "start_paragraph",
        ODS_SPACE: "start_space",
        ODS_TAB: "start_tab",
        ODS_BREAK: "start_break",
    }
    ends = {
        ODS_TABLE: "end_table",
        ODS_ROW: "end_row",
        **dict.fromkeys(ODS_CELLS, "end_cell"),
        ODS_ANNOTATION: "end_annotation",
        ODS_PARAGRAPH: "end_paragraph",
    }

    def __init__(self, limits: Limits) -> None:
        super().__init__("content.xml", element_budget(limits))
        self.limits, self.tally = limits, Tally(limits)
        self.sheets: list[Sheet] = []
        self.sheet = Sheet("")
        self.rows = self.sheet.rows
        self.row_hidden = False
        self.tables = 0  # depth: 1 inside a sheet's table, more inside a table within it
        self.number = 0
        self.row: list[object] | None = None
        self.row_repeat = 1
        self.pending_empty = 0
        self.row_cells: list[tuple[object, int, int]] = []
        self.cell: dict[str, str] | None = None
        self.cell_repeat = 1
        self.paragraphs: list[list[str]] = []
        self.in_paragraph = False
        self.annotation = 0
        self.size = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        # The commonest elements first, without a further call: this runs for every element.
        self.elements += 1
        if self.elements > self.most_elements:
            super().start(name, attributes)  # refuses
        if name in ODS_CELLS:
            if self.row is None or self.tables != 1:
                return
            if attributes.get(ODS_FORMULA):
                self.refuse_formula()
            if COLUMNS_SPANNED in attributes or ROWS_SPANNED in attributes:
                self.merge(attributes)
            self.cell, self.paragraphs, self.size = attributes, [], 0
            repeat = attributes.get(COLUMNS_REPEATED)
            self.cell_repeat = 1 if repeat is None else self.repeat(repeat, self.number + 1, True)
        elif name == ODS_PARAGRAPH:
            if self.cell is not None and not self.annotation and self.tables == 1:
                self.paragraphs.append([])
                self.in_paragraph = True
        else:
            handle = self.on_start.get(name)
            if handle is not None:
                handle(attributes)

    def end(self, name: str) -> None:
        if name in ODS_CELLS:
            self.end_cell()
        elif name == ODS_PARAGRAPH:
            if not self.annotation:
                self.in_paragraph = False
        else:
            handle = self.on_end.get(name)
            if handle is not None:
                handle()

    def start_table(self, attributes: dict[str, str]) -> None:
        self.tables += 1
        if self.tables == 1:  # a sheet; a table within it is not one
            self.sheet = Sheet(attributes.get(TABLE_NAME, "")[:200])
            self.rows, self.number = self.sheet.rows, 0
            self.tally.next_sheet()

    def end_table(self) -> None:
        self.tables -= 1
        if not self.tables:
            self.sheet.rows = padded(self.sheet.rows)
            self.sheets.append(self.sheet)

    def start_row(self, attributes: dict[str, str]) -> None:
        if self.tables == 1:
            self.row, self.pending_empty, self.row_cells = [], 0, []
            self.row_repeat = self.repeat(attributes.get(ROWS_REPEATED), self.number + 1)
            self.row_hidden = attributes.get(ROW_VISIBILITY) in ("collapse", "filter")

    def start_cell(self, attributes: dict[str, str]) -> None:
        if self.row is None or self.tables != 1:
            return
        if attributes.get(ODS_FORMULA):
            self.refuse_formula()
        self.cell, self.paragraphs, self.size = attributes, [], 0
        self.cell_repeat = self.repeat(attributes.get(COLUMNS_REPEATED), self.number + 1, True)

    def refuse_formula(self) -> None:
        """The sheet cannot be imported, should it be the one read; the cell reads as blank."""
        self.sheet.refusal = self.sheet.refusal or _(
            "Cell %(cell)s holds a formula. Imports take values only: paste the cells as "
            "values, then upload again."
        ) % {"cell": self.where()}

    def merge(self, attributes: dict[str, str]) -> None:
        """Note the range a cell spans (``A3:A5``), as far as a sheet reaches."""
        column, row = len(self.row) + self.pending_empty, self.number + 1
        spans = [attributes.get(COLUMNS_SPANNED, "1"), attributes.get(ROWS_SPANNED, "1")]
        if len(self.sheet.merged) >= MERGED_KEPT or not all(
            span.isdigit() and len(span) <= 7 for span in spans
        ):
            return
        columns, rows = (max(int(span), 1) for span in spans)
        if columns * rows > 1:
            last = cell_name(min(column + columns - 1, 16_383), min(row + rows - 1, LAST_ROW))
            self.sheet.merged.append(f"{cell_name(min(column, 16_383), row)}:{last}")

    def start_annotation(self, _attributes: dict[str, str]) -> None:
        self.annotation += 1  # a comment on the cell, not its value

    def end_annotation(self) -> None:
        self.annotation -= 1

    def in_value(self) -> bool:
        return self.cell is not None and not self.annotation and self.tables == 1

    def start_paragraph(self, _attributes: dict[str, str]) -> None:
        if self.in_value():
            self.paragraphs.append([])
            self.in_paragraph = True

    def end_paragraph(self) -> None:
        if not self.annotation:
            self.in_paragraph = False

    def start_space(self, attributes: dict[str, str]) -> None:
        if self.in_paragraph and self.in_value():
            count = self.repeat(attributes.get(f"{TEXT_NS}}}c"), self.number + 1, True)
            self.add_text(" " * min(count, self.limits.max_cell_chars + 1))

    def start_tab(self, _attributes: dict[str, str]) -> None:
        if self.in_paragraph and self.in_value():
            self.add_text("\t")

    def start_break(self, _attributes: dict[str, str]) -> None:
        if self.in_paragraph and self.in_value():
            self.add_text("\n")

    def where(self) -> str:
        return cell_name(min(len(self.row or ()) + self.pending_empty, 16_383), self.number + 1)

    def repeat(self, value: str | None, row: int, in_cell: bool = False) -> int:
        """A repeat count as written; one that is not a whole number from 1 is damage."""
        if value is None:
            return 1
        if value.isdigit() and len(value) <= 10 and int(value) >= 1:
            return int(value)
        if in_cell:
            message = _(
                "Cell %(cell)s has a repeat count “%(value)s” that is not a whole number of at "
                "least 1; the file is damaged."
            ) % {"cell": self.where(), "value": value[:20]}
        else:
            message = _(
                "Row %(row)s has a repeat count “%(value)s” that is not a whole number of at "
                "least 1; the file is damaged."
            ) % {"row": f"{row:,}", "value": value[:20]}
        raise SheetRefused(message)

    def add_text(self, data: str) -> None:
        self.size += len(data)
        if self.size > self.limits.max_cell_chars:
            self.tally.cell("x" * self.size, len(self.row) + self.pending_empty, self.number + 1)
        self.paragraphs[-1].append(data)

    def text(self, data: str) -> None:
        if self.in_paragraph and not self.annotation:
            self.add_text(data)

    def end_cell(self) -> None:
        if self.cell is None or self.tables != 1:
            return
        value = self.value(self.cell)
        repeat = self.cell_repeat
        self.cell, self.paragraphs, self.in_paragraph = None, [], False
        if value is None or value == "":
            self.pending_empty += repeat  # empty cells, however many, are only counted
            return
        row = self.row
        column = len(row) + self.pending_empty
        tally = self.tally
        if column + repeat > tally.limits.max_columns:
            tally.column(column + repeat - 1, self.number + 1)
        if repeat == 1 and value.__class__ is not str and tally.cells < tally.limits.max_cells:
            tally.cells += 1  # a number, a date or a yes/no: one cell, no characters
        else:
            tally.cell(value, column, self.number + 1, copies=repeat)
        if self.pending_empty:
            row.extend([None] * self.pending_empty)
            self.pending_empty = 0
        if repeat == 1:
            row.append(value)
        else:
            row.extend([value] * repeat)
        self.row_cells.append((value, column, repeat))

    def value(self, cell: dict[str, str]) -> object:
        if cell.get(ODS_FORMULA):
            return None  # the sheet's refusal names it
        kind = cell.get(VALUE_TYPE)
        if kind in NUMERIC_TYPES:
            return number(cell.get(ODS_VALUE, ""), self)
        if kind == "date":
            return iso_date(cell.get(DATE_VALUE, ""), self.where())
        if kind == "boolean":
            return cell.get(BOOLEAN_VALUE, "").lower() == "true"
        if not self.paragraphs:
            return None
        return "\n".join("".join(paragraph) for paragraph in self.paragraphs)

    def end_row(self) -> None:
        if self.row is None or self.tables != 1:
            return
        row, repeat = self.row, self.row_repeat
        self.row = None
        if not row:
            self.number += repeat  # blank rows, however many, are only counted
            return
        self.tally.row(self.number + 1, copies=repeat)
        if repeat > 1:
            for value, column, copies in self.row_cells:
                self.tally.cell(value, column, self.number + 1, copies=copies * (repeat - 1))
        for _copy in range(repeat):
            self.number += 1
            self.rows.append((self.number, row))
            if self.row_hidden:
                self.sheet.hidden.append(self.number)


def read_ods(content: bytes, limits: Limits) -> list[Sheet]:
    """Every table of the ODS file, in its order, with its rows and their numbers."""
    archive = Archive(content, "ods", limits)
    if "content.xml" not in archive.parts:
        raise damaged("ods")
    reader = OdsSheet(limits)
    archive.parse("content.xml", reader)
    return reader.sheets or [Sheet("")]  # a file without a table reads as an empty sheet
