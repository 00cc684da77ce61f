"""Countries as spreadsheets write them, resolved to ISO 3166-1 alpha-2 codes.

A cell may hold the code (``TH``), the name in the product's languages as django-countries
gives it (``Thailand``, ``タイ``), the name in any language whose CLDR data Babel carries
(``미국``, ``Estados Unidos``, ``Türkiye``), or a form CLDR does not list but real data uses:
ISO 3166's older inverted long forms (``Korea, Republic of``) and abbreviations (``USA``,
``UK``, ``UAE``, ``EEUU``), kept as data in ``common/data/country_aliases.json``.

Names are compared by a key that ignores case, character width, diacritics, full stops and
runs of spaces, so ``Turkiye``, ``TÜRKİYE`` and ``Türkiye`` are one name, and ``EE. UU.`` is
``EEUU``. A name two countries share in some language (``Kongo``) resolves to neither. The CLDR
names of every language are loaded the first time a cell is not found among the product's own
names and the aliases (a few seconds, once per process).
"""

import difflib
import json
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.localedata import locale_identifiers
from django.utils import translation
from django_countries import countries

ALIASES = Path(__file__).resolve().parent / "data" / "country_aliases.json"
# The languages a sheet may be written in, whatever the importer's interface speaks.
PRODUCT_LANGUAGES = ("en", "ja")
# Left out of a name's key: spaces, full stops, hyphens and apostrophes of every kind.
IGNORED = str.maketrans("", "", " .-'’‘`´")


def name_key(value: object) -> str:
    """A country name reduced to what tells names apart: no case, width, accents or stops."""
    typed = unicodedata.normalize("NFKC", str(value)).casefold()
    stripped = "".join(
        char for char in unicodedata.normalize("NFKD", typed) if not unicodedata.combining(char)
    )
    return "".join(stripped.split()).translate(IGNORED)


@cache
def known_codes() -> frozenset[str]:
    return frozenset(code for code, _name in countries)


def _unambiguous(pairs) -> dict[str, str]:
    """Key → code, leaving out keys that name two different countries."""
    found: dict[str, str] = {}
    shared: set[str] = set()
    for name, code in pairs:
        key = name_key(name)
        if not key or code not in known_codes():
            continue
        if found.get(key, code) != code:
            shared.add(key)
        found.setdefault(key, code)
    return {key: code for key, code in found.items() if key not in shared}


@cache
def own_names() -> dict[str, str]:
    """The product's names in its languages and the aliases: what most cells hold."""
    pairs = []
    for language in PRODUCT_LANGUAGES:
        with translation.override(language):
            pairs += [(str(name), code) for code, name in countries]
        # CLDR's names in these languages too ("United States" beside django-countries'
        # "United States of America"): one locale each, read at once.
        territories = Locale.parse(language).territories
        pairs += [(name, code) for code, name in territories.items() if len(code) == 2]
    aliases = json.loads(ALIASES.read_text(encoding="utf-8"))
    pairs += [(name, code) for name, code in aliases.items() if not name.startswith("_")]
    return _unambiguous(pairs)


@cache
def cldr_names() -> dict[str, str]:
    """Every territory name in every language of Babel's CLDR data (base locales)."""
    pairs = []
    for identifier in locale_identifiers():
        if "_" in identifier:
            continue  # regional variants repeat their language's names
        try:
            territories = Locale.parse(identifier).territories
        except (UnknownLocaleError, ValueError):
            continue
        pairs += [(name, code) for code, name in territories.items() if len(code) == 2]
    return _unambiguous(pairs)


def find_country(value: object) -> str | None:
    """The ISO code a cell names, or None."""
    typed = unicodedata.normalize("NFKC", str(value)).strip()
    if len(typed) == 2 and typed.isascii() and typed.upper() in known_codes():
        return typed.upper()
    key = name_key(typed)
    if not key:
        return None
    return own_names().get(key) or countries.by_name(typed) or cldr_names().get(key)


def suggestion(value: object) -> str | None:
    """The country a mistyped name most likely means, as the reader reads it: ``Thailand (TH)``."""
    code = suggested_code(value)
    return f"{countries.name(code)} ({code})" if code else None


def suggested_code(value: object) -> str | None:
    """The code of the country a mistyped name most likely means."""
    return _closest(name_key(value))


@lru_cache(maxsize=4096)
def _closest(key: str) -> str | None:
    # Some 3 ms a search, and a sheet repeats its mistyped country on every row (20,000 rows:
    # a minute of the preview), so each name is searched once.
    keys = own_names()
    close = difflib.get_close_matches(key, list(keys), n=1, cutoff=0.75)
    return keys[close[0]] if close else None
