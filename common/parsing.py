"""Cell values as people type them, Japanese forms included, turned into Python values.

Each parser raises ``ValueError`` with a message a data steward understands (a
``common.messages.Message``, put into words in the language of whoever reads it); the import keeps
it next to the row and the column, an admin form shows it under the field.
"""

import datetime as dt
import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_noop
from django_countries import countries

from common.countries import PRODUCT_LANGUAGES, find_country, suggested_code
from common.messages import NAME_AND_CODE, Message, label, message

DATE_FORMS = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
]
EXCEL_EPOCH = dt.date(1899, 12, 30)
# Marked here, translated where a refusal is read (in the reader's language).
DATE_HINT = gettext_noop("Write dates as 2025-04-01, 2025/4/1, 2025年4月1日 or 令和7年4月1日.")


@dataclass(frozen=True)
class Era:
    """A Japanese era: its first day and last day (``None`` while it lasts)."""

    name: str
    reading: str
    first_day: dt.date
    last_day: dt.date | None

    def span(self) -> Message:
        if self.last_day is None:
            return message(
                "%(era)s (%(reading)s) began on %(first)s",
                era=self.name,
                reading=self.reading,
                first=self.first_day.isoformat(),
            )
        return message(
            "%(era)s (%(reading)s) runs from %(first)s to %(last)s",
            era=self.name,
            reading=self.reading,
            first=self.first_day.isoformat(),
            last=self.last_day.isoformat(),
        )


ERAS = {
    era.name: era
    for era in [
        Era("明治", "Meiji", dt.date(1868, 10, 23), dt.date(1912, 7, 29)),
        Era("大正", "Taishō", dt.date(1912, 7, 30), dt.date(1926, 12, 24)),
        Era("昭和", "Shōwa", dt.date(1926, 12, 25), dt.date(1989, 1, 7)),
        Era("平成", "Heisei", dt.date(1989, 1, 8), dt.date(2019, 4, 30)),
        Era("令和", "Reiwa", dt.date(2019, 5, 1), None),
    ]
}
ERA_LETTERS = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}
# 令和7年4月1日, 令和元年5月1日 (元年: the first year), R7.4.1, R7/4/1; square era signs such
# as ㋿ and full-width digits are already plain after NFKC.
ERA_DATE = re.compile(
    r"^(明治|大正|昭和|平成|令和|[MTSHR])(元|\d{1,2})"
    r"(?:年(\d{1,2})月(\d{1,2})日|([./-])(\d{1,2})\5(\d{1,2}))$"
)
# Japan took up the Western calendar on 明治6年1月1日; earlier dates of 明治 are lunisolar.
WESTERN_CALENDAR_FROM = dt.date(1873, 1, 1)


def text(value: object) -> str:
    """A cell as trimmed text in NFKC form (full-width letters and digits become ASCII)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def plain_text(value: object) -> str:
    """A cell as trimmed text, as typed (for titles and descriptions)."""
    return "" if value is None else str(value).strip()


LINE_BREAKS = "\t\n\r"
# The most free text (a description, a summary) may hold, typed or imported.
LONG_TEXT_MAX = 20_000
CONTROL_NAMES = {
    "\x00": gettext_noop("NUL"),
    "\t": gettext_noop("a tab"),
    "\n": gettext_noop("a line break"),
    "\r": gettext_noop("a line break"),
}


def _c1_meanings() -> dict[int, str]:
    meant = {}
    for byte in range(0x80, 0xA0):
        try:
            meant[byte] = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            continue  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: no character; they stay refused
    return meant


# Text written in Windows-1252 and read as Latin-1 (as the world universities list has it)
# arrives with its curly quotes, dashes and ellipses as C1 control characters: U+0091–U+0094
# are the quotes ‘’“”, U+0096 and U+0097 the dashes – and —. Each becomes the character meant.
C1_REPAIRS = _c1_meanings()


def repair_c1_punctuation(value: str) -> str:
    """``value`` with C1 control characters that stand for Windows-1252 characters repaired."""
    return value.translate(C1_REPAIRS)


def refuse_control_characters(value: object, *, multiline: bool = False) -> None:
    """Refuse typed text holding control characters (NUL, escape, …), which no field stores.

    Tabs and line breaks are allowed inside text that may span lines (descriptions); elsewhere
    they are refused too, as they would split a name or a code. Leading and trailing ones are
    trimmed like spaces, so they do no harm.
    """
    if not isinstance(value, str) or value.isprintable():
        return  # no control character is printable: the common case costs one call in C
    for character in value.strip():
        if unicodedata.category(character) != "Cc":
            continue
        if multiline and character in LINE_BREAKS:
            continue
        found = {
            "name": message(CONTROL_NAMES.get(character, gettext_noop("a control character"))),
            "code": f"U+{ord(character):04X}",
        }
        if character in LINE_BREAKS:
            raise ValueError(
                message(
                    "Contains %(name)s (%(code)s); this column holds one line. "
                    "Keep it on one line.",
                    **found,
                )
            )
        raise ValueError(
            message("Contains %(name)s (%(code)s), which text cannot hold; remove it.", **found)
        )


def parse_date(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 < value < 80000:  # an Excel date serial number (1954–2119)
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError(
            message("“%(value)s” is a number, not a date. %(hint)s", value=value, hint=date_hint())
        )
    typed = text(value)
    if not typed:
        return None
    if re.match(r"^\d{4}-\d{2}-\d{2}[ T]\d", typed):  # a date with a time of day
        typed = typed[:10]
    typed = typed.replace(" ", "")
    era_date = ERA_DATE.match(typed.upper())
    if era_date:
        return _era_date(value, era_date)
    for form in DATE_FORMS:
        match = form.match(typed)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                raise ValueError(not_a_day(value)) from None
    raise ValueError(message("“%(value)s” is not a date. %(hint)s", value=value, hint=date_hint()))


def date_hint() -> Message:
    return message(DATE_HINT)


def not_a_day(value: object) -> Message:
    return message("“%(value)s” is not a day of the calendar.", value=value)


def _era_date(value: object, match: re.Match) -> dt.date:
    """The Western date of an era date, checked to fall within its era."""
    era = ERAS[ERA_LETTERS.get(match[1], match[1])]
    year = 1 if match[2] == "元" else int(match[2])
    month, day = match.group(3, 4) if match[3] else match.group(6, 7)
    if year == 0:
        raise ValueError(
            message(
                "“%(value)s” has year 0; the first year of %(era)s is 1 (元年).",
                value=value,
                era=era.name,
            )
        )
    try:
        date = dt.date(era.first_day.year + year - 1, int(month), int(day))
    except ValueError:
        raise ValueError(not_a_day(value)) from None
    if date < era.first_day or (era.last_day and date > era.last_day):
        raise ValueError(
            message(
                "“%(value)s” is not a day of %(era)s: %(span)s.",
                value=value,
                era=era.name,
                span=era.span(),
            )
        )
    if date < WESTERN_CALENDAR_FROM:
        raise ValueError(
            message(
                "“%(value)s” is a date of the lunisolar calendar Japan used until 明治5年; "
                "write it in the Western calendar, as 1870-04-01.",
                value=value,
            )
        )
    return date


def _number_text(value: object) -> str:
    typed = text(value).replace(",", "").replace(" ", "").replace("_", "")
    return typed.removesuffix("円").removeprefix("¥").removeprefix("￥")


def parse_int(value: object, *, minimum: int | None = 0) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(not_whole(value))
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(not_whole(value))
        number = int(value)
    elif isinstance(value, int):
        number = value
    else:
        typed = _number_text(value)
        if not typed:
            return None
        if not re.fullmatch(r"-?\d+", typed):
            raise ValueError(not_whole(value))
        number = int(typed)
    if minimum is not None and number < minimum:
        raise ValueError(message("“%(value)s” is below %(minimum)s.", value=value, minimum=minimum))
    return number


def not_whole(value: object) -> Message:
    return message("“%(value)s” is not a whole number.", value=value)


def parse_decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    typed = _number_text(value)
    if not typed:
        return None
    try:
        return Decimal(typed)
    except InvalidOperation:
        raise ValueError(message("“%(value)s” is not a number.", value=value)) from None


def parse_fiscal_year(value: object) -> int | None:
    """``2025``, ``FY2025``, ``2025年度`` (full-width digits too)."""
    typed = text(value).upper().removeprefix("FY").removesuffix("年度").strip()
    if not typed:
        return None
    if not re.fullmatch(r"\d{4}", typed):
        raise ValueError(
            message(
                "“%(value)s” is not a fiscal year. Write 2025, FY2025 or 2025年度.", value=value
            )
        )
    return int(typed)


def split_list(value: object) -> list[str]:
    """A list cell: items separated by ``;`` (a full-width ``；`` too), blanks dropped."""
    return [item.strip() for item in text(value).split(";") if item.strip()]


@cache
def _choice_keys(choices: type[models.Choices]) -> dict[str, str]:
    """Stored value by its casefolded value and by its label in each language of the product.

    A sheet is read the same whatever language the importer's interface speaks: "At risk",
    "要注意" and "at_risk" are one value, under English and under Japanese.
    """
    keys = {}
    for language in PRODUCT_LANGUAGES:
        with translation.override(language):
            for stored, label in reversed(choices.choices):
                keys[text(str(label)).casefold()] = stored
    for stored in choices.values:
        keys[text(str(stored)).casefold()] = stored
    return keys


def parse_country(value: object) -> str:
    """An ISO 3166 alpha-2 code, from the code or the country's name as data writes it
    (``common.countries``): in any language CLDR carries, ISO's long forms, abbreviations."""
    typed = text(value)
    if not typed:
        return ""
    code = find_country(typed)
    if code:
        return code
    meant = suggested_code(typed)
    hint = message("Did you mean %(country)s? ", country=country_named(meant)) if meant else ""
    raise ValueError(
        message(
            "“%(value)s” is not a country. %(hint)sGive its two-letter ISO code (TH, DE, US) or "
            "its name in any language, or leave the cell empty where there is no country (an "
            "online activity).",
            value=value,
            hint=hint,
        )
    )


def country_named(code: str) -> Message:
    """``Thailand (TH)``, named in the reader's language."""
    with translation.override(None):  # the name as its msgid, translated where it is shown
        name = countries.name(code)
    return message(NAME_AND_CODE, name=Message(name), code=code)


def parse_choice(value: object, choices: type[models.Choices]) -> str | None:
    """A choice by its stored value or its label, in any case."""
    typed = text(value).casefold()
    if not typed:
        return None
    stored = _choice_keys(choices).get(typed)
    if stored is not None:
        return stored
    allowed = [
        message(NAME_AND_CODE, name=label(name), code=code) for code, name in choices.choices
    ]
    meant = _closest_choice(choices, typed)
    if meant is not None:
        raise ValueError(
            message(
                "“%(value)s” is not one of: %(allowed)s. Did you mean %(suggestion)s?",
                value=value,
                allowed=allowed,
                suggestion=message(NAME_AND_CODE, name=label(choices(meant).label), code=meant),
            )
        )
    raise ValueError(
        message("“%(value)s” is not one of: %(allowed)s.", value=value, allowed=allowed)
    )


@functools.lru_cache(maxsize=1024)
def _closest_choice(choices: type[models.Choices], typed: str) -> str | None:
    """The stored value of the label or value closest to a mistyped one (``symposum``)."""
    keys = _choice_keys(choices)
    close = difflib.get_close_matches(typed, list(keys), n=1, cutoff=0.75)
    return keys[close[0]] if close else None
