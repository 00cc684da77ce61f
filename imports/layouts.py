"""What a sheet's layout hid, told in the preview: the notes a steward reads before confirming.

Spreadsheets are laid out for people: a title above the header, a cover sheet before the data,
rows hidden by a filter, cells merged across a block, and, in a CSV saved as Shift_JIS, a letter
the encoding has no place for written as "?". The import reads the values all the same; these
notes say where it looked and what it could not see, so that nobody confirms a surprise.
"""

import re
from collections.abc import Sequence

from common.messages import Message, message, plural_message
from imports.formats import Table, cell_name

SHIFT_JIS = frozenset(("cp932", "shift_jis", "sjis", "ms932"))
# A "?" between two letters (of any script, digits aside): where a Shift_JIS writer put the
# letter it could not encode (Universit?t, S?o Paulo, 東?大学).
LOST_LETTER = re.compile(r"(?<=[^\W\d_])\?(?=[^\W\d_])")
# A word with one of these is a web address or a query string, whose "?" is meant.
ADDRESS_MARKS = ("/", "=", "@", "&")


def layout_notes(table: Table) -> list[Message]:
    """The notes about where the table was found and what the sheet's layout hid."""
    notes = [sheet_note(table), header_note(table), hidden_note(table), merged_note(table)]
    notes.append(lost_letters_note(table))
    return [note for note in notes if note]


def listed(items: Sequence[object], shown: int) -> Message | str:
    """``5, 9 and 12``; past ``shown`` items, ``5, 9 and 3 more``."""
    names = [str(item) for item in items]
    if len(names) > shown:
        return message(
            "%(items)s and %(count)s more", items=", ".join(names[:shown]), count=len(names) - shown
        )
    if len(names) > 1:
        return message("%(items)s and %(last)s", items=", ".join(names[:-1]), last=names[-1])
    return "".join(names)


def quoted(names: Sequence[str]) -> str:
    return ", ".join(f"“{name}”" for name in names)


def sheet_note(table: Table) -> Message | None:
    """Which sheet was read, when the workbook has others (a cover, a read-me, a list)."""
    others = [name for name in table.sheets if name != table.sheet]
    if not others:
        return None
    return message(
        "The rows were read from sheet “%(sheet)s”, the first whose header row matches the "
        "template; the workbook's other sheets (%(others)s) were not read.",
        sheet=table.sheet,
        others=quoted(others),
    )


def header_note(table: Table) -> Message | None:
    if not table.skipped:
        return None
    return message("Header found in row %(row)s; rows above it were skipped.", row=table.header_row)


def hidden_note(table: Table) -> Message | None:
    """Hidden rows are data like the others: imported, but worth a look, as nobody saw them."""
    if not table.hidden:
        return None
    return plural_message(
        "Row %(rows)s is hidden in the sheet; it was imported like the others — check it.",
        "Rows %(rows)s are hidden in the sheet; they were imported like the others — check them.",
        len(table.hidden),
        rows=listed(table.hidden, 2),
    )


def merged_note(table: Table) -> Message | None:
    """A merged range shows one value across its cells, but holds it in the first only."""
    if not table.merged:
        return None
    return plural_message(
        "Cells %(ranges)s are merged; only the first holds the value, the others are read as "
        "blank.",
        "Cells %(ranges)s are merged; only the first cell of each holds the value, the others "
        "are read as blank.",
        len(table.merged),
        ranges=listed(table.merged, 3),
    )


def lost_letter_cells(table: Table) -> list[str]:
    """The cells of a Shift_JIS table with a "?" inside a word that is no web address."""
    if table.encoding.lower() not in SHIFT_JIS:
        return []
    return [
        cell_name(column, number)
        for number, row in zip(table.numbers, table.rows, strict=True)
        for column, value in enumerate(row)
        if isinstance(value, str) and "?" in value and has_lost_letter(value)
    ]


def has_lost_letter(value: str) -> bool:
    for word in value.split():
        if LOST_LETTER.search(word) and not any(mark in word for mark in ADDRESS_MARKS):
            return True
    return False


def lost_letters_note(table: Table) -> Message | None:
    cells = lost_letter_cells(table)
    if not cells:
        return None
    return plural_message(
        "%(count)s cell has a “?” inside a word (%(cells)s), where a letter the file's writer "
        "could not save in Shift_JIS was lost; check it.",
        "%(count)s cells have a “?” inside a word (%(cells)s), where a letter the file's writer "
        "could not save in Shift_JIS was lost; check them.",
        len(cells),
        count=len(cells),
        cells=listed(cells, 3),
    )
