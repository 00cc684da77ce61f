"""Sheets written by someone else, read through the steward's choices: column and value mapping.

A partner list kept by another office names its columns in its own words (``대학명``,
``国家/地区``, ``University``) and its values in its own ways (``-`` for "no country"). Rather
than have the steward retype the sheet, the preview suggests for each header the column it
names (from the template's headers and the known aliases in ``imports/data/column_aliases.json``,
in English, Japanese, Korean and Chinese) or "ignore", and for each value that fails the same
way on many rows a replacement. What the steward confirms is a ``Mapping``: kept on the batch,
so the confirmation reads the sheet the same way, and saved for the institution under a name,
so that the next sheet with the same headers is read that way at once.

Headers and values are compared by ``header_key``: no case, width, spaces or punctuation.
"""

import difflib
import hashlib
import json
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ALIASES = Path(__file__).resolve().parent / "data" / "column_aliases.json"
IGNORE = ""  # the target of a header the import leaves out
BLANK = "(blank)"  # a value replaced by an empty cell
SUGGESTION_CUTOFF = 0.85  # how close a header must be to a known one to be suggested


def header_key(value: object) -> str:
    """A header (or a value) reduced to what tells it apart: letters and digits of any script,
    without case or width; ``Start date``, ``START_DATE`` and ``start-date`` are one key."""
    typed = unicodedata.normalize("NFKC", "" if value is None else str(value)).casefold()
    return "".join(char for char in typed if char.isalnum())


@dataclass
class Mapping:
    """Which column each header of a sheet names, and which values stand for others.

    ``columns``: header key → a column name of the kind, or ``IGNORE``; headers it does not name
    are read as the template reads them. ``values``: column name → value key → the text the cell
    is read as (``BLANK`` for an empty cell).
    """

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    name: str = ""

    def as_dict(self) -> dict:
        return {"columns": self.columns, "values": self.values, "name": self.name}

    @classmethod
    def from_dict(cls, data: dict | None) -> "Mapping | None":
        if not data or not isinstance(data, dict):
            return None
        columns = data.get("columns") or {}
        values = data.get("values") or {}
        return cls(
            columns={str(k): str(v) for k, v in columns.items()},
            values={
                str(column): {str(k): str(v) for k, v in replacements.items()}
                for column, replacements in values.items()
                if isinstance(replacements, dict)
            },
            name=str(data.get("name") or ""),
        )

    def __bool__(self) -> bool:
        return bool(self.columns or self.values)


def signature(headers: Iterable[object]) -> str:
    """The same for two sheets with the same headers, in any order, case or width."""
    keys = sorted({header_key(header) for header in headers} - {""})
    return hashlib.sha256("\x1f".join(keys).encode()).hexdigest()


@cache
def known_aliases() -> dict[str, dict[str, tuple[str, ...]]]:
    data = json.loads(ALIASES.read_text(encoding="utf-8"))
    return {
        kind: {column: tuple(aliases) for column, aliases in columns.items()}
        for kind, columns in data.items()
        if isinstance(columns, dict)
    }


def names_of(kind) -> dict[str, str]:
    """Every key a header may reduce to → the column it names (keys two columns share are
    left out): the column's name, its Japanese header, and its aliases."""
    found: dict[str, str] = {}
    shared: set[str] = set()
    aliases = known_aliases().get(kind.key, {})
    for column in kind.columns:
        for written in (column.name, column.ja, *aliases.get(column.name, ())):
            key = header_key(written)
            if not key:
                continue
            if found.get(key, column.name) != column.name:
                shared.add(key)
            found.setdefault(key, column.name)
    return {key: name for key, name in found.items() if key not in shared}


def suggest(kind, headers: list[str]) -> list[str]:
    """For each header, the column it most likely names, or ``IGNORE``; a column once."""
    names = names_of(kind)
    taken: set[str] = set()
    suggestions = []
    for header in headers:
        key = header_key(header)
        target = names.get(key)
        if target is None and key:
            close = difflib.get_close_matches(key, list(names), n=1, cutoff=SUGGESTION_CUTOFF)
            target = names[close[0]] if close else None
        if target is None or target in taken:
            suggestions.append(IGNORE)
            continue
        taken.add(target)
        suggestions.append(target)
    return suggestions


def exact_names(kind) -> dict[str, str]:
    """The keys of the template's own headers (English and Japanese) → column name."""
    return {
        header_key(written): column.name
        for column in kind.columns
        for written in (column.name, column.ja)
    }


def needs_mapping(kind, headers: list[str]) -> bool:
    """Whether a header is not the template's, or a required column has no header."""
    from imports.engine import is_errors_header  # the engine imports this module

    exact = exact_names(kind)
    found = {exact.get(header_key(header)) for header in headers if header}
    unknown = any(
        header_key(header) not in exact and not is_errors_header(header)
        for header in headers
        if header_key(header)
    )
    missing = any(column.required and column.name not in found for column in kind.columns)
    return unknown or missing


def apply_columns(
    kind, headers: list[str], mapping: Mapping, fallback: Callable
) -> tuple[dict[int, str], list[str], list[str], list[str]]:
    """Sheet column index → column name under the mapping; missing, unknown and ignored headers.

    Headers the mapping does not name are read by ``fallback`` (the template's headers). A
    column two headers are mapped to is read from the first.
    """
    index_of, missing, unknown = fallback(kind, headers)
    names = {column.name for column in kind.columns}
    by_index: dict[int, str] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        key = header_key(header)
        if key in mapping.columns:
            target = mapping.columns[key]
            if target in names:
                by_index[index] = target
            elif header:
                ignored.append(header)
        elif index in index_of:
            by_index[index] = index_of[index]
    taken: set[str] = set()
    result: dict[int, str] = {}
    for index, name in sorted(by_index.items()):
        if name not in taken:
            taken.add(name)
            result[index] = name
    # Headers the template's reading leaves out quietly (the error workbook's "errors") stay so.
    quiet = {h for i, h in enumerate(headers) if h and i not in index_of and h not in unknown}
    unknown = [
        header
        for index, header in enumerate(headers)
        if header and index not in result and header not in ignored and header not in quiet
    ]
    missing = [c.name for c in kind.columns if c.required and c.name not in taken]
    return result, missing, unknown, ignored


def apply_values(raws: list[dict], mapping: Mapping) -> int:
    """Read the cells the mapping names as their replacements; how many cells were replaced."""
    replaced = 0
    for column, replacements in mapping.values.items():
        if not replacements:
            continue
        for raw in raws:
            value = raw.get(column)
            if value is None:
                continue
            replacement = replacements.get(header_key(value))
            if replacement is not None:
                raw[column] = "" if replacement == BLANK else replacement
                replaced += 1
    return replaced


# Where saved mappings are kept: set by the app that knows institutions (units.apps), so that
# this engine depends on no app above it.
_store = None


def set_mapping_store(store) -> None:
    global _store
    _store = store


def mapping_store():
    return _store
