"""The import engine: a sheet kind says how its columns map to a model; the engine plans.

``plan_import`` reads every row, resolves references with one query per referenced table, and
sorts rows into new, updated, unchanged and failed, with each failure's row, column and message
(kept as a ``common.messages.Message`` and its column's name, so that whoever reads it later reads
both in their own language).
The plan is written, and a batch undone, by the doors in ``imports.services``.
``template_table`` writes a sheet to fill in, ``error_workbook`` the upload with its failing cells
marked, to fix and upload again.
"""

import difflib
import functools
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django_countries import countries

from common.access import EVERYTHING, Access, reach_of
from common.history import chunks
from common.messages import (
    Message,
    as_data,
    english,
    from_data,
    message,
    message_of,
    plural_message,
)
from common.parsing import (
    LONG_TEXT_MAX,
    refuse_control_characters,
    repair_c1_punctuation,
    text,
)
from common.text import code_key
from imports.formats import (
    ROWS_TOLD,
    Sheet,
    SheetRefused,
    Table,
    Workbook,
    filled_rows,
    header_cells,
    table_of,
    write_table,
)
from imports.layouts import layout_notes
from imports.mapping import Mapping, apply_columns, apply_values
from imports.writing import DropDown, write_workbook
from imports.writing import Sheet as SheetOut

SAMPLE_SIZE = 20
COUNTRY = "country"  # a column of ISO 3166 country codes (``Column.choices``)
# A template's example row starts with this in its first column; the import skips such rows (and
# says so), so that a template filled in below its example imports only what was filled in.
EXAMPLE_MARK = "EXAMPLE-"
# The header of the error workbook's column of problems, in every language of the product: a
# fixed error workbook uploaded again imports without it.
ERRORS_HEADER = gettext_noop("errors")
# Marked here, translated where a failed row is read: in the reader's language.
HEADER_SEARCH_ROWS = 20  # the non-blank rows of a sheet where its header may lie
OUT_OF_SCOPE = gettext_noop(
    "Outside your scope: you may import only records of the institutions and units your role "
    "covers."
)


@dataclass(frozen=True)
class Column:
    name: str
    ja: str
    required: bool = False
    multiline: bool = False  # may hold tabs and line breaks (descriptions)
    # The attributes (or many-to-many fields) the column writes, where they are not its name:
    # a sheet without the column leaves them as the record holds them.
    writes: tuple[str, ...] = ()
    # What a cell may hold, for the preview to offer when values fail: a Choices class, or
    # COUNTRY; None where any text goes.
    choices: object = None

    @property
    def targets(self) -> tuple[str, ...]:
        return self.writes or (self.name,)


@dataclass
class RowError:
    row: int
    column: str  # its name (``external_ref``), shown by its header in the reader's language
    problem: Message | str
    value: str = ""  # the cell as written, so that one choice can fix every row alike

    @property
    def message(self) -> str:
        """The problem in the active language."""
        return str(self.problem)

    def as_dict(self) -> dict:
        """As a batch stores it: the message's code and parameters, and its English text, which
        is what a batch stored before messages had codes, and what other readers may show."""
        found = {"row": self.row, "column": self.column, **as_data(self.problem)}
        if self.value:
            found["value"] = self.value
        return found

    @classmethod
    def from_dict(cls, data: dict) -> "RowError":
        return cls(data["row"], data["column"], from_data(data), data.get("value", ""))


class RowErrors:
    """Collects the errors of one row; ``cell`` parses a value and notes a failure."""

    def __init__(self, row: int) -> None:
        self.row = row
        self.items: list[RowError] = []

    def add(self, column: str, problem: Message | str) -> None:
        self.items.append(RowError(self.row, column, problem))

    def cell(self, raw: dict, column: str, parse: Callable = text, **kwargs):
        try:
            return parse(raw.get(column), **kwargs)
        except ValueError as error:
            self.add(column, message_of(error))
            return None


@dataclass
class Parsed:
    """The field values of one row (by attname), and its links by many-to-many field."""

    values: dict[str, object]
    links: dict[str, set[int]] = field(default_factory=dict)


class SheetKind:
    """How one kind of spreadsheet maps to one model. Subclasses fill in the hooks."""

    key: str
    label: str
    model: type[models.Model]
    columns: list[Column]
    link_fields: list[str] = []

    def __init__(self, access: Access = EVERYTHING) -> None:
        self.access = access  # what the importer may write, and the exporter read

    def check_reach(
        self,
        errors: RowErrors,
        column: str,
        probe: Callable[[], models.Model],
        references: Hashable = None,
    ) -> None:
        """Fail the row on ``column`` where its record would lie outside the importer's scope.

        ``probe`` makes an unsaved record carrying the row's references as objects, so that
        checking it follows no foreign key to the database. The answer depends on those references
        only, so it is kept per ``references`` (the referenced records' ids): thousands of rows of
        one unit build one probe, not thousands.
        """
        if errors.items or self.access.everything:
            return
        answers = self.__dict__.setdefault("_reach_answers", {})
        if references not in answers:
            answers[references] = self.access.may_edit(reach_of(self.model), probe())
        if not answers[references]:
            errors.add(column, message(OUT_OF_SCOPE))

    def editable(self, pks: list[int]) -> set[int]:
        """Which of these stored records the importer may change."""
        if self.access.everything:
            return set(pks)
        editable = self.access.editable(reach_of(self.model))
        return {
            pk
            for chunk in chunks(pks)
            for pk in self.model.objects.filter(editable, pk__in=chunk).values_list("pk", flat=True)
        }

    def prepare(self, rows: list[dict]) -> None:
        """Load what rows refer to, one query per referenced table."""

    def parse(self, raw: dict, errors: RowErrors) -> Parsed | None:
        raise NotImplementedError

    def key_of(self, parsed: Parsed) -> Hashable:
        raise NotImplementedError

    def existing(self, keys: list[Hashable]) -> dict[Hashable, models.Model]:
        raise NotImplementedError

    def stamp(self, objs: list[models.Model], *, user, now) -> set[str]:
        """Set on each record about to be written what the kind records of the writing itself,
        beyond the sheet's cells (a figure submitted by sheet: who submitted it, and when); the
        attnames it set, which the import writes with the rest. Most kinds record nothing."""
        return set()

    def export_queryset(self) -> models.QuerySet:
        return self.model.objects.all()

    def export_row(self, obj: models.Model) -> list[object]:
        raise NotImplementedError

    def current_links(self, pks: list[int]) -> dict[str, dict[int, set[int]]]:
        """For each link field, the targets each of the given objects is linked to now."""
        result: dict[str, dict[int, set[int]]] = {name: {} for name in self.link_fields}
        for name in self.link_fields:
            through, source, target = link_columns(self.model, name)
            for chunk in chunks(pks):
                for owner, linked in through.objects.filter(**{f"{source}__in": chunk}).values_list(
                    source, target
                ):
                    result[name].setdefault(owner, set()).add(linked)
        return result

    # A template's example row, by column name (its first cell gets ``EXAMPLE_MARK`` in front).
    example: dict[str, object] = {}

    def code_lists(self, language: str) -> list["CodeList"]:
        """The values a template's Codes sheet lists, those the user's scope may see."""
        return []

    def header_for(self, column: Column, language: str) -> str:
        return column.ja if language == "ja" else column.name

    def header_of(self, name: str, language: str | None = None) -> str:
        """The header of the column named ``name`` in ``language`` (the active one by default);
        a name that is no column's (a field's) as it is."""
        for column in self.columns:
            if column.name == name:
                return self.header_for(column, language or translation.get_language())
        return name

    def headers(self, language: str = "en") -> list[str]:
        return [self.header_for(column, language) for column in self.columns]


def link_columns(model: type[models.Model], name: str) -> tuple[type[models.Model], str, str]:
    field = model._meta.get_field(name)
    return field.remote_field.through, field.m2m_column_name(), field.m2m_reverse_name()


KINDS: dict[str, type[SheetKind]] = {}


def register(kind: type[SheetKind]) -> type[SheetKind]:
    """Make a sheet kind importable; each import uses a fresh instance, as kinds hold lookups."""
    KINDS[kind.key] = kind
    return kind


@dataclass
class Plan:
    kind: SheetKind
    counts: Counter
    errors: list[RowError]
    new_rows: list[Parsed]  # the records are built only when the plan is applied
    updates: list[tuple[models.Model, Parsed]]
    changed_fields: set[str]
    sample: list[dict]
    notes: list[Message | str]
    # Per column, how many stored records the plan changes; the columns the sheet leaves out,
    # whose fields updates leave as they are.
    column_changes: Counter = field(default_factory=Counter)
    untouched: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def creates(self) -> list[tuple[models.Model, Parsed]]:
        """The new records, built from their rows (a preview needs only their count)."""
        return [(self.kind.model(**parsed.values), parsed) for parsed in self.new_rows]

    def summary(self) -> str:
        return counts_summary(self.counts)


@dataclass
class ErrorGroup:
    """Rows that fail alike: one column, one message (so one value), how many, the first row."""

    column: str
    problem: Message | str
    rows: int
    first_row: int
    value: str = ""  # the cell as written in the first of them

    @property
    def message(self) -> str:
        """The problem in the active language."""
        return str(self.problem)


def error_groups(errors: Iterable[RowError | dict]) -> list[ErrorGroup]:
    """The errors grouped by column and message, the most frequent first: a value written the
    same way on 2,348 rows is one thing to fix, not 2,348. Stored errors are alike when their
    English texts are (every batch stores one), so a group reads the same in either language."""
    groups: dict[tuple[str, str], ErrorGroup] = {}
    for error in errors:
        row, column, alike, value = (
            (error["row"], error["column"], error["message"], error.get("value", ""))
            if isinstance(error, dict)
            else (error.row, error.column, english(error.problem), error.value)
        )
        group = groups.get((column, alike))
        if group is None:
            problem = from_data(error) if isinstance(error, dict) else error.problem
            groups[(column, alike)] = ErrorGroup(column, problem, 1, row, value)
        else:
            group.rows += 1
            group.first_row = min(group.first_row, row)
    return sorted(groups.values(), key=lambda g: (-g.rows, g.first_row))


def counts_summary(counts: dict) -> str:
    """``5 new, 1 updated, 0 unchanged, 0 failed``: what a plan or a batch does to each row."""
    return _("%(new)s new, %(updated)s updated, %(unchanged)s unchanged, %(failed)s failed") % {
        name: counts.get(name, 0) for name in ("new", "updated", "unchanged", "failed")
    }


def _header_map(kind: SheetKind, headers: list[str]) -> tuple[dict[int, str], list[str], list[str]]:
    """Sheet column index → template column name; the missing and the unknown headers."""
    known = {}
    for column in kind.columns:
        known[text(column.name).casefold()] = column.name
        known[text(column.ja).casefold()] = column.name
    mapping, unknown = {}, []
    for index, header in enumerate(headers):
        name = known.get(text(header).casefold())
        if name:
            mapping[index] = name
        elif header and not is_errors_header(header):
            unknown.append(header)
    missing = [c.name for c in kind.columns if c.required and c.name not in mapping.values()]
    return mapping, missing, unknown


@functools.cache
def errors_headers() -> frozenset[str]:
    """The error workbook's ``errors`` header in each of the product's languages, case-folded."""
    headers = {ERRORS_HEADER}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            headers.add(_(ERRORS_HEADER))
    return frozenset(header.casefold() for header in headers)


def is_errors_header(header: object) -> bool:
    return text(header).casefold() in errors_headers()


def is_example(value: object) -> bool:
    """Whether a row's first cell marks it as a template's example."""
    return isinstance(value, str) and value.strip().startswith(EXAMPLE_MARK)


Fit = tuple[bool, int]  # how a row fits as a header: has every required column; known headers


def header_fit(kind: SheetKind, row: list[object]) -> Fit:
    mapping, missing, _unknown = _header_map(kind, header_cells(row))
    return not missing, len(mapping)


def locate_header(kind: SheetKind, sheet: Sheet) -> tuple[int, Fit] | None:
    """Which non-blank row (from 0) of the first ``HEADER_SEARCH_ROWS`` is the header, and how
    it fits: the one with every required column and the most known headers, the first of
    equals. None when no row has a header the kind knows."""
    best: tuple[int, Fit] | None = None
    for index, (_number, row) in enumerate(filled_rows(sheet, HEADER_SEARCH_ROWS)):
        fit = header_fit(kind, row)
        if fit[1] and (best is None or fit > best[1]):
            best = (index, fit)
    return best


def locate_table(kind: SheetKind, workbook: Workbook) -> Table:
    """The table of the first sheet whose header row has the kind's required columns.

    A sheet often holds a title, a blank row and a date line above its header, and a workbook a
    cover or a read-me before its data; neither is data. Failing a complete header, the sheet
    whose header knows the most columns is read (the plan then says which are missing); failing
    any, a lone sheet is read from its first non-blank row as before, and a workbook of several
    is refused, naming its sheets.
    """
    found = [(sheet, locate_header(kind, sheet)) for sheet in workbook.sheets]
    found = [(sheet, header) for sheet, header in found if header is not None]
    complete = [(sheet, header) for sheet, header in found if header[1][0]]
    if complete or found:
        sheet, (index, _fit) = (complete or [max(found, key=lambda each: each[1][1][1])])[0]
        return table_of(workbook, sheet, index)
    if len(workbook.sheets) == 1:
        return table_of(workbook, workbook.sheets[0])
    raise SheetRefused(no_header_anywhere(kind, workbook))


def no_header_anywhere(kind: SheetKind, workbook: Workbook) -> str:
    first = workbook.sheets[0]
    row = next(iter(filled_rows(first, 1)), (0, []))[1]
    cells = [cell[:40] for cell in header_cells(row) if cell][:8]
    return _(
        "No sheet of this workbook has the header row of “%(kind)s”: its sheets are %(sheets)s, "
        "and the first row of “%(first)s” reads %(headers)s. Put the template's header row "
        "above the data, then upload again."
    ) % {
        "kind": kind.label,
        "sheets": ", ".join(f"“{sheet.name}”" for sheet in workbook.sheets),
        "first": first.name,
        "headers": ", ".join(f"“{cell}”" for cell in cells) or _("nothing (the sheet is empty)"),
    }


def plan_import(
    kind: SheetKind,
    table: Table,
    chosen: Mapping | None = None,
    told: Callable[[int], None] | None = None,
) -> Plan:
    """Sort every row into new, updated, unchanged and failed; ``chosen`` is the steward's
    mapping of the sheet's headers and values, where it needs one. ``told`` is told the rows
    planned so far every ``ROWS_TOLD`` rows (a background import's progress)."""
    if chosen:
        mapping, missing, unknown, ignored = apply_columns(kind, table.headers, chosen, _header_map)
    else:
        (mapping, missing, unknown), ignored = _header_map(kind, table.headers), []
    counts: Counter = Counter(new=0, updated=0, unchanged=0, failed=0)
    notes: list[Message | str] = [
        *layout_notes(table),
        *(
            message("Column “%(header)s” is not in the template and was ignored.", header=header)
            for header in unknown
        ),
    ]
    if ignored:
        notes.append(
            message(
                "Left out as the mapping says: %(headers)s.",
                headers=", ".join(f"“{header}”" for header in ignored),
            )
        )
    if missing:
        header_row = table.header_row or 1
        errors = [
            RowError(header_row, name, message("This column is missing from the header row."))
            for name in missing
        ]
        counts["failed"] = len(table.rows)
        return Plan(kind, counts, errors, [], [], set(), [], notes)

    present = set(mapping.values())
    absent = [column for column in kind.columns if column.name not in present]
    kept = {target for column in absent for target in column.targets}
    column_of = {target: column.name for column in kind.columns for target in column.targets}
    raws = [
        {name: (row[index] if index < len(row) else None) for index, name in mapping.items()}
        for row in table.rows
    ]
    if chosen and chosen.values:
        replaced = apply_values(raws, chosen)
        if replaced:
            notes.append(
                plural_message(
                    "%(count)s cell was read as the mapping's values say.",
                    "%(count)s cells were read as the mapping's values say.",
                    replaced,
                    count=replaced,
                )
            )
    kind.prepare(raws)
    errors: list[RowError] = []
    parsed_rows: list[tuple[int, Parsed]] = []
    first_row_of: dict[Hashable, int] = {}
    repaired, examples = 0, []
    for index, (number, raw) in enumerate(zip(table.numbers, raws, strict=True)):
        if told is not None and index % ROWS_TOLD == 0:
            told(index)
        if is_example(raw.get(kind.columns[0].name)):
            examples.append(number)
            continue
        row_errors = RowErrors(number)
        repaired += check_characters(kind, raw, row_errors)
        parsed = None if row_errors.items else kind.parse(raw, row_errors)
        if parsed is not None:
            check_lengths(kind, parsed, row_errors)
        if parsed is not None and not row_errors.items:
            key = kind.key_of(parsed)
            if key in first_row_of:
                row_errors.add(
                    kind.columns[0].name,
                    message(
                        "The same record as row %(row)s; each record may appear once.",
                        row=first_row_of[key],
                    ),
                )
            else:
                first_row_of[key] = number
        if row_errors.items:
            for error in row_errors.items:
                written = raw.get(error.column)
                # As written, but never a NUL, which no database's JSON holds.
                error.value = "" if written is None else str(written)[:200].replace("\x00", "")
            errors.extend(row_errors.items)
            counts["failed"] += 1
            continue
        parsed_rows.append((number, parsed))

    if repaired:
        notes.append(
            plural_message(
                "%(count)s cell held punctuation an encoding mix-up had turned into control "
                "characters (U+0091–U+0097: curly quotes and dashes); it was repaired.",
                "%(count)s cells held punctuation an encoding mix-up had turned into control "
                "characters (U+0091–U+0097: curly quotes and dashes); they were repaired.",
                repaired,
                count=repaired,
            )
        )
    if examples:
        notes.append(
            ngettext(
                "Row %(rows)s is the template's example (its first cell starts with "
                "“%(mark)s”) and was not imported.",
                "Rows %(rows)s are the template's examples (their first cells start with "
                "“%(mark)s”) and were not imported.",
                len(examples),
            )
            % {"rows": ", ".join(map(str, examples)), "mark": EXAMPLE_MARK}
        )
    if told is not None:
        told(len(raws))
    existing = kind.existing([kind.key_of(parsed) for _number, parsed in parsed_rows])
    editable = kind.editable([obj.pk for obj in existing.values()])
    current = kind.current_links([obj.pk for obj in existing.values()]) if kind.link_fields else {}
    creates, updates, changed_fields, sample = [], [], set(), []
    column_changes: Counter = Counter()
    for number, parsed in parsed_rows:
        obj = existing.get(kind.key_of(parsed))
        if obj is not None and obj.pk not in editable:
            refusal = message("%(refusal)s (stored record)", refusal=message(OUT_OF_SCOPE))
            errors.append(RowError(number, kind.columns[0].name, refusal))
            counts["failed"] += 1
            continue
        if obj is None:
            creates.append(parsed)
            status = "new"
        else:
            if kept:
                # A column the sheet leaves out leaves its fields and links as they are.
                parsed = Parsed(
                    {k: v for k, v in parsed.values.items() if k not in kept},
                    {k: v for k, v in parsed.links.items() if k not in kept},
                )
            changed = _changes(obj, parsed, current)
            if changed:
                for attname in changed & parsed.values.keys():
                    setattr(obj, attname, parsed.values[attname])
                changed_fields |= changed & parsed.values.keys()
                column_changes.update({column_of.get(name, name) for name in changed})
                updates.append((obj, parsed))
                status = "updated"
            else:
                status = "unchanged"
        counts[status] += 1
        if len(sample) < SAMPLE_SIZE:
            sample.append({"row": number, "status": status, "record": _describe(parsed)})
    untouched = [column.name for column in absent]
    return Plan(
        kind, counts, errors, creates, updates, changed_fields, sample, notes,
        column_changes, untouched,
    )  # fmt: skip


def check_characters(kind: SheetKind, raw: dict, errors: RowErrors) -> int:
    """Control characters in any cell fail the row, before its cells are read; those that
    stand for Windows-1252 punctuation are first repaired in place. Returns the cells repaired."""
    repaired = 0
    for column in kind.columns:
        value = raw.get(column.name)
        if isinstance(value, str) and not value.isprintable():
            fixed = repair_c1_punctuation(value)
            if fixed != value:
                raw[column.name] = value = fixed
                repaired += 1
        try:
            refuse_control_characters(value, multiline=column.multiline)
        except ValueError as error:
            errors.add(column.name, message_of(error))
    return repaired


@functools.cache
def text_limits(model: type[models.Model]) -> dict[str, int | None]:
    """The most characters each field of the model holds, by attribute name."""
    return {
        field.attname: LONG_TEXT_MAX if isinstance(field, models.TextField) else field.max_length
        for field in model._meta.concrete_fields
    }


def check_lengths(kind: SheetKind, parsed: Parsed, errors: RowErrors) -> None:
    """Text longer than its field holds fails the row (PostgreSQL would refuse the whole import)."""
    failed = {error.column for error in errors.items}
    limits = text_limits(kind.model)
    for attname, value in parsed.values.items():
        limit = limits.get(attname)
        if isinstance(value, str) and limit and len(value) > limit and attname not in failed:
            errors.add(
                attname,
                plural_message(
                    "Too long: %(length)s character; at most %(limit)s.",
                    "Too long: %(length)s characters; at most %(limit)s.",
                    len(value),
                    length=len(value),
                    limit=limit,
                ),
            )


def _comparable(value: object) -> object:
    return getattr(value, "code", value) if value is not None else None


def _changes(obj: models.Model, parsed: Parsed, current: dict) -> set[str]:
    changed = {
        attname
        for attname, value in parsed.values.items()
        if _comparable(getattr(obj, attname)) != _comparable(value)
    }
    for name, targets in parsed.links.items():
        if current.get(name, {}).get(obj.pk, set()) != targets:
            changed.add(name)
    return changed


def _describe(parsed: Parsed) -> str:
    shown = [str(value) for value in parsed.values.values() if value not in (None, "")][:4]
    return " · ".join(shown)


def export_table(
    kind: SheetKind, file_format: str, language: str = "en", encoding: str = "utf-8-sig"
) -> bytes:
    """The records the exporter may see, as a sheet that re-imports unchanged.

    A CSV is UTF-8 with a byte-order mark unless ``encoding`` says ``cp932``; text that cp932
    cannot keep raises ``ExportRefused`` naming its cells, rather than being replaced.
    """
    records = kind.export_queryset().filter(kind.access.visible(reach_of(kind.model)))
    rows = (kind.export_row(obj) for obj in records.iterator(chunk_size=2000))
    return write_table(file_format, kind.headers(language), rows, encoding=encoding)


@dataclass(frozen=True)
class CodeList:
    """Values that some columns take, for a template's Codes sheet: each row's value first, then
    what tells it apart (a name, an institution). ``columns`` offer the values as a drop-down."""

    headers: tuple[str, ...]
    rows: list[tuple[object, ...]]
    columns: tuple[str, ...] = ()


def choice_codes(
    header: str, choices: type[models.Choices], columns: tuple[str, ...] = ()
) -> CodeList:
    """A choice's stored values with their English and Japanese labels (either is read)."""
    labels = {}
    for language in ("en", "ja"):
        with translation.override(language):
            labels[language] = [str(member.label) for member in choices]
    rows = [
        (member.value, english, japanese)
        for member, english, japanese in zip(choices, labels["en"], labels["ja"], strict=True)
    ]
    return CodeList((header, _("name (English)"), _("name (Japanese)")), rows, columns)


def country_codes(header: str, columns: tuple[str, ...] = ()) -> CodeList:
    """The ISO 3166 codes with the countries' English and Japanese names."""
    names = {}
    for language in ("en", "ja"):
        with translation.override(language):
            names[language] = {code: str(name) for code, name in countries}
    rows = [(code, name, names["ja"][code]) for code, name in sorted(names["en"].items())]
    return CodeList((header, _("name (English)"), _("name (Japanese)")), rows, columns)


def template_table(kind: SheetKind, file_format: str, language: str = "en") -> bytes:
    """A sheet to fill in, with the header row in ``language``.

    As XLSX it also holds an example row in grey italics, which the import skips (its first cell
    starts with ``EXAMPLE_MARK``), and a Codes sheet listing the values the choice columns take,
    as far as the user's scope sees them; those columns offer them as drop-downs.
    """
    headers = kind.headers(language)
    if file_format != "xlsx":
        return write_table(file_format, headers, [])
    with translation.override(language):
        lists = [codes for codes in kind.code_lists(language) if codes.rows]
        codes_title = _("Codes")
        main_title = str(kind.label)
    offsets, offset = [], 0
    for codes in lists:
        offsets.append(offset)
        offset += len(codes.headers) + 1  # a blank column between lists
    position = {column.name: index for index, column in enumerate(kind.columns)}
    example = dict(kind.example)
    drop_downs = []
    for codes, at in zip(lists, offsets, strict=True):
        for name in codes.columns:
            drop_downs.append(DropDown(position[name], codes_title, at, 2, len(codes.rows) + 1))
            if example.get(name) and example[name] not in {row[0] for row in codes.rows}:
                example[name] = codes.rows[0][0]  # a value the steward's own scope holds
    first = kind.columns[0].name
    example[first] = f"{EXAMPLE_MARK}{example.get(first, '')}"
    example_row = [example.get(column.name) for column in kind.columns]
    main = SheetOut(
        main_title,
        headers,
        [example_row],
        marks={(0, index): "example" for index in range(len(headers))},
        drop_downs=drop_downs,
    )
    codes_sheet = SheetOut(
        codes_title,
        [header for codes in lists for header in (*codes.headers, None)],
        _side_by_side(lists),
    )
    return write_workbook([main, codes_sheet] if lists else [main])


def _side_by_side(lists: list[CodeList]) -> Iterator[list[object]]:
    """The lists' rows in columns next to each other, a blank column between two lists."""
    for index in range(max((len(codes.rows) for codes in lists), default=0)):
        row: list[object] = []
        for codes in lists:
            cells = codes.rows[index] if index < len(codes.rows) else ()
            row += [*cells, *[None] * (len(codes.headers) - len(cells)), None]
        yield row


def error_workbook(table: Table, errors: list[dict], kind: SheetKind) -> bytes:
    """The whole sheet as uploaded, as XLSX: each row at its own row number, the failing cells
    marked, and an errors column saying what is wrong with each row. Fixed and uploaded again,
    it imports every row (the errors column is ignored)."""
    mapping, _missing, _unknown = _header_map(kind, table.headers)
    index_of: dict[str, int] = {}
    for index, name in sorted(mapping.items()):
        index_of.setdefault(name, index)
    width = max([len(table.headers), *(len(row) for row in table.rows)])
    # A workbook uploaded again with its errors column gets that column's problems anew.
    at = next((i for i, header in enumerate(table.headers) if is_errors_header(header)), width)
    width = max(width, at + 1)
    headers = [*table.headers, *[""] * (width - len(table.headers))]
    headers[at] = _(ERRORS_HEADER)
    problems: dict[int, list[str]] = {}
    marks: dict[tuple[int, int], str] = {}
    for error in errors:
        number, column = error["row"], error["column"]
        problems.setdefault(number, []).append(error_text(RowError.from_dict(error), kind))
        if column in index_of and number > 1:
            marks[(number - 2, index_of[column])] = "error"  # row 2 holds rows[0]
    return write_table("xlsx", headers, _rows_in_place(table, width, at, problems), marks=marks)


def _rows_in_place(
    table: Table, width: int, at: int, problems: dict[int, list[str]]
) -> Iterator[list[object]]:
    """The table's rows from row 2 on, each at its number (blank rows where the upload had
    them), with its problems in column ``at``.

    The header goes to row 1: the table does not say where the upload had it, and a reader takes
    the first row with a value for the header, wherever it is.
    """
    number = 2
    for row_number, row in zip(table.numbers, table.rows, strict=True):
        while number < row_number:
            yield []
            number += 1
        cells = [*row, *[None] * (width - len(row))]
        cells[at] = "; ".join(problems.get(row_number, [])) or None
        yield cells
        number += 1


def error_text(error: RowError, kind: SheetKind | None = None) -> str:
    """``column: problem`` in the active language, the column by its header."""
    column = kind.header_of(error.column) if kind else error.column
    return _("%(column)s: %(message)s") % {"column": column, "message": error.message}


class Lookup:
    """Records by a normalised reference, for resolving a sheet's cells without a query per row.

    A reference may be shared (a unit code used by two institutions); ``find`` then asks the
    sheet to say which one, and ``narrow`` lets a kind choose by another column.
    """

    def __init__(self, noun: Message | str, qualify_hint: Message | str = "") -> None:
        self.noun = noun
        self.qualify_hint = qualify_hint
        self.by_key: dict[str, list] = {}
        self.written: dict[str, str] = {}  # each key as a sheet may write it, for suggestions
        self.suggested: dict[str, str | None] = {}

    def add(self, reference: str, obj) -> None:
        key = code_key(reference)
        entries = self.by_key.setdefault(key, [])
        self.written.setdefault(key, reference)
        if obj not in entries:
            entries.append(obj)

    def suggestion(self, reference: str) -> str | None:
        """The known reference closest to one that is not known (``ISO-K`` → ``ISO-KU``), once
        per distinct reference: a sheet repeats a mistyped code on every row."""
        key = code_key(reference)
        if key not in self.suggested:
            close = difflib.get_close_matches(key, list(self.by_key), n=1, cutoff=0.75)
            self.suggested[key] = self.written[close[0]] if close else None
        return self.suggested[key]

    def candidates(self, reference: str) -> list:
        return self.by_key.get(code_key(reference), [])

    def is_shared(self, reference: str) -> bool:
        return len(self.candidates(reference)) > 1

    def find(self, reference: str, narrow: Callable[[list], list] | None = None):
        found = self.candidates(reference)
        if narrow and len(found) > 1:
            found = narrow(found) or found
        if not found:
            meant = self.suggestion(reference)
            if meant:
                raise ValueError(
                    message(
                        "No %(noun)s “%(reference)s” is known. Did you mean %(suggestion)s?",
                        noun=self.noun,
                        reference=reference,
                        suggestion=meant,
                    )
                )
            raise ValueError(
                message(
                    "No %(noun)s “%(reference)s” is known.", noun=self.noun, reference=reference
                )
            )
        if len(found) > 1:
            raise ValueError(
                message(
                    "“%(reference)s” names more than one %(noun)s. %(hint)s",
                    reference=reference,
                    noun=self.noun,
                    hint=self.qualify_hint,
                )
            )
        return found[0]
