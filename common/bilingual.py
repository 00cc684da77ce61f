"""Content in English and Japanese: each text is shown in the reader's language, or in the other
with a mark that says so.

A bilingual model keeps its English text in the plain field (``title``) and its Japanese text in
the same name with ``_ja`` (``title_ja``), both in its history. ``Bilingual.shown("title")`` picks
the reader's one; a template writes ``{{ goal|shown:"title" }}``.
"""

from django.utils.html import format_html
from django.utils.translation import get_language, gettext

CONTENT_LANGUAGES = ("en", "ja")


class Shown(str):
    """A text in ``language``; ``fallback`` when the reader's language had none.

    A ``str`` itself, so that it sorts, compares and prints as its text; templates render it
    through ``__html__``, which adds the fallback mark (Django turns other objects into plain
    strings before escaping them, which would lose the mark).
    """

    language: str
    fallback: bool

    def __new__(cls, text: str, language: str, fallback: bool) -> "Shown":
        shown = super().__new__(cls, text)
        shown.language, shown.fallback = language, fallback
        return shown

    @property
    def text(self) -> str:
        return str.__str__(self)

    def with_text(self, text: str) -> "Shown":
        """The same language and mark around another text (a title without its code)."""
        return Shown(text, self.language, self.fallback)

    def mark(self) -> str:
        """The fallback mark alone (EN or JA, with a tooltip), or nothing where none is due."""
        if not self.fallback:
            return ""
        return format_html(
            '<abbr class="fallback" translate="no" title="{}">{}</abbr>',
            fallback_note(self.language),
            fallback_mark(self.language),
        )

    def __html__(self) -> str:
        if not self.fallback:
            return format_html("{}", self.text)
        return format_html('<span lang="{}">{}</span> {}', self.language, self.text, self.mark())


def reader_language(language: str | None = None) -> str:
    """``ja`` for a Japanese reader, ``en`` for every other."""
    return "ja" if (language or get_language() or "en").startswith("ja") else "en"


def pick(english: str, japanese: str, language: str | None = None) -> Shown:
    """The reader's text, or the other one marked as a fallback (empty if neither is given)."""
    english, japanese = english or "", japanese or ""
    if reader_language(language) == "ja":
        if japanese or not english:
            return Shown(japanese, "ja", False)
        return Shown(english, "en", True)
    if english or not japanese:
        return Shown(english, "en", False)
    return Shown(japanese, "ja", True)


def fallback_mark(language: str) -> str:
    """The short mark after a text shown in the other language: EN or JA, as readers know them."""
    return "EN" if language == "en" else "JA"


def fallback_note(language: str) -> str:
    if language == "en":
        return gettext("Not yet translated into Japanese; shown in English.")
    return gettext("Not yet translated into English; shown in Japanese.")


class Bilingual:
    """A model whose texts ``field`` and ``field_ja`` are the same text in English and Japanese."""

    def shown(self, field: str, language: str | None = None) -> Shown:
        return pick(getattr(self, field), getattr(self, f"{field}_ja"), language)
