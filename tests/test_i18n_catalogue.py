"""The translation catalogues: complete, sound, and compiled from the ``.po`` files as they stand.

The product reads the committed ``.mo`` files (nothing is compiled where it runs), so a ``.po``
edited without ``make messages`` would be ignored without a word: the first test compiles each
``.po`` in memory and compares what the product would read. Then every entry must carry a
translation that is not fuzzy (msgmerge marks a guessed one fuzzy, and fuzzy entries are left out
of the ``.mo``) and keeps the placeholders of its English text, which the code fills in.
"""

import gettext
import io
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from django.conf import settings

from common.management.commands.compile_catalogues import catalogues, compiled

BASE_DIR = Path(settings.BASE_DIR)
JAPANESE = BASE_DIR / "locale" / "ja" / "LC_MESSAGES" / "django.po"
REMEDY = "run `make messages` and commit the .po and .mo files"

# %(name)s and %s-style placeholders (not %%), and {name} or {} ones.
PERCENT = re.compile(r"%(?:\(\w+\))?[-#0 +]*(?:\*|\d+)?(?:\.\d+)?[diouxXeEfFgGcrsa]")
NAMED_PERCENT = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
BRACES = re.compile(r"(?<!\{)\{(\w*)(?:[!:][^{}]*)?\}(?!\})")


def read(po: Path) -> Catalog:
    with po.open("rb") as source:
        return read_po(source, ignore_obsolete=True, abort_invalid=True)


def translations_in(mo: bytes) -> dict:
    """What Django reads from a compiled catalogue (its msgid to msgstr table), less the header.

    ``GNUTranslations._catalog`` is the table gettext and Django look translations up in; the
    header holds the compiling tool's name and version, which may differ without harm.
    """
    table = gettext.GNUTranslations(io.BytesIO(mo))._catalog
    return {key: value for key, value in table.items() if key != ""}


def placeholders(text: str, message: Message) -> Counter:
    """The placeholders the code fills in ``text``; %s-style ones where the entry is a format."""
    percent = PERCENT if "python-format" in message.flags else NAMED_PERCENT
    found = percent.findall(text.replace("%%", ""))
    return Counter(found + [f"{{{name}}}" for name in BRACES.findall(text)])


def placeholder_mismatches(catalogue: Catalog) -> list[str]:
    wrong = []
    for message in catalogue:
        if not message.id:
            continue
        if message.pluralizable:
            # One form serves every count in Japanese: it carries the plural's placeholders.
            expected = placeholders(message.id[1], message)
            strings = [s for s in message.string if s]
        else:
            expected = placeholders(message.id, message)
            strings = [message.string] if message.string else []
        for string in strings:
            got = placeholders(string, message)
            if got != expected:
                wrong.append(
                    f"{message.id!r}: {sorted(got.elements())} in the translation, "
                    f"{sorted(expected.elements())} in the English"
                )
    return wrong


def untranslated_or_fuzzy(catalogue: Catalog) -> list[str]:
    wrong = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if message.pluralizable else [message.string]
        if not all(strings):
            wrong.append(f"untranslated: {message.id!r}")
        if message.fuzzy:
            wrong.append(f"fuzzy (check the translation, then delete the flag): {message.id!r}")
    return wrong


def stale(po: Path) -> list[str]:
    """How the committed ``.mo`` beside ``po`` differs from ``po`` compiled now."""
    mo = po.with_suffix(".mo")
    if not mo.exists():
        return [f"{mo.name} is missing"]
    committed, fresh = translations_in(mo.read_bytes()), translations_in(compiled(po))
    return [
        f"{key!r}: {committed.get(key)!r} in the .mo, {fresh.get(key)!r} in the .po"
        for key in sorted(committed.keys() | fresh.keys(), key=str)
        if committed.get(key) != fresh.get(key)
    ]


def test_the_japanese_catalogue_is_where_django_looks():
    assert JAPANESE in catalogues()
    assert JAPANESE.parent.parent.parent in {Path(path) for path in settings.LOCALE_PATHS}
    assert [code for code, _ in settings.LANGUAGES] == ["en", "ja"]


@pytest.mark.parametrize("po", catalogues(), ids=lambda po: str(po.relative_to(BASE_DIR)))
def test_the_committed_mo_holds_exactly_the_translations_of_its_po(po):
    differences = stale(po)
    assert not differences, f"{po.relative_to(BASE_DIR)} and its .mo differ ({REMEDY}):\n" + (
        "\n".join(differences)
    )


@pytest.mark.parametrize("po", catalogues(), ids=lambda po: str(po.relative_to(BASE_DIR)))
def test_every_entry_is_translated_and_none_is_fuzzy(po):
    catalogue = read(po)
    assert not catalogue.fuzzy, f"{po.relative_to(BASE_DIR)}: the header is marked fuzzy"
    wrong = untranslated_or_fuzzy(catalogue)
    assert not wrong, f"{po.relative_to(BASE_DIR)}, {len(wrong)} entries:\n" + "\n".join(wrong)


def test_the_japanese_catalogue_has_one_plural_form():
    catalogue = read(JAPANESE)
    assert str(catalogue.locale) == "ja"
    assert catalogue.num_plurals == 1 and catalogue.plural_expr == "0"


@pytest.mark.parametrize("po", catalogues(), ids=lambda po: str(po.relative_to(BASE_DIR)))
def test_translations_keep_the_placeholders_of_the_english(po):
    wrong = placeholder_mismatches(read(po))
    assert not wrong, f"{po.relative_to(BASE_DIR)}:\n" + "\n".join(wrong)


# The checks themselves, on a small catalogue with one fault of each kind.
SAMPLE = r"""
msgid ""
msgstr ""
"Language: ja\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=1; plural=0;\n"

#, python-format
msgid "%(count)s activities in %(year)s"
msgstr "%(year)s年の活動 %(count)s 件"

#, python-format
msgid "Imported by %(user)s"
msgstr "%(users)s がインポート"

msgid "Rows {first} to {last}"
msgstr "{first} 行目から"

#, python-format
msgid "100%% of target"
msgstr "目標の100%%"

#, python-format
msgid "%(count)s partner"
msgid_plural "%(count)s partners"
msgstr[0] "協定校 %(count)s 校"

msgid "Overview"
msgstr ""

#, fuzzy
msgid "Regions"
msgstr "地域名"
"""


@pytest.fixture
def sample(tmp_path) -> Path:
    po = tmp_path / "ja" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(SAMPLE, encoding="utf-8")
    return po


def test_the_checks_find_each_fault_of_a_sample_catalogue(sample):
    catalogue = read(sample)
    mismatched = placeholder_mismatches(catalogue)
    assert [line.split(":")[0] for line in mismatched] == [
        "'Imported by %(user)s'",
        "'Rows {first} to {last}'",
    ]
    assert untranslated_or_fuzzy(catalogue) == [
        "untranslated: 'Overview'",
        "fuzzy (check the translation, then delete the flag): 'Regions'",
    ]


def test_a_po_edited_after_compiling_is_found_stale(sample, settings):
    sample.with_suffix(".mo").write_bytes(compiled(sample))
    assert stale(sample) == []
    sample.write_text(SAMPLE.replace("地域名", "地域"), encoding="utf-8")
    # Fuzzy entries stay out of the .mo, so that edit changes nothing the product reads.
    assert stale(sample) == []
    sample.write_text(SAMPLE.replace('"協定校 %(count)s 校"', '"協定先 %(count)s 校"'), "utf-8")
    assert stale(sample) == [
        "('%(count)s partner', 0): '協定校 %(count)s 校' in the .mo, "
        "'協定先 %(count)s 校' in the .po"
    ]
