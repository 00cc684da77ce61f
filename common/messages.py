"""Messages kept as their English text and parameters, and put into words when someone reads them.

An import's row errors are read days later, by people whose interface speaks another language
than the uploader's. So a problem is not translated where it is found: ``message("No %(noun)s
“%(reference)s” is known.", noun=message("unit"), reference="NOPE")`` keeps the English msgid
and the parameters, ``str()`` renders them in the active language, and ``as_data()`` stores them
as JSON (``{"code": msgid, "params": {...}}``, with ``plural`` and ``count`` for a plural) that
``from_data`` reads back. Text stored before messages were kept this way is shown as it is.

``make messages`` extracts the msgids of ``message(...)`` and ``plural_message(...)`` calls (the
project's ``makemessages`` passes them to xgettext as keywords), so the msgid must be written
out there, or be a constant marked with ``gettext_noop``.
"""

from django.utils import translation
from django.utils.translation import gettext, gettext_noop, ngettext

# How a coded value is named in a message: a choice's label with its stored value, a country.
NAME_AND_CODE = gettext_noop("%(name)s (%(code)s)")
# What xgettext is told to extract, beside Django's own keywords (see the makemessages command).
KEYWORDS = ["message", "plural_message:1,2"]


class Message:
    """A sentence to show in the reader's language: its msgid, its parameters (values, messages
    or lists of them) and, for a plural, the plural msgid and the count that chooses the form."""

    __slots__ = ("count", "msgid", "params", "plural")

    def __init__(
        self, msgid: str, params: dict | None = None, plural: str = "", count: int = 0
    ) -> None:
        self.msgid, self.params, self.plural, self.count = msgid, params or {}, plural, count

    def __str__(self) -> str:
        if self.plural:
            words = ngettext(self.msgid, self.plural, self.count)
        else:
            words = gettext(self.msgid)
        return words % {k: _shown(v, str) for k, v in self.params.items()} if self.params else words

    def __repr__(self) -> str:
        return f"<Message {self.english()!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and self.as_data() == other.as_data()

    __hash__ = None  # params may be lists; messages are compared, not used as keys

    def english(self) -> str:
        """The message in English, its source language, without a catalogue: quick enough to
        keep beside the codes of every row error of a large import."""
        words = self.plural if self.plural and self.count != 1 else self.msgid
        if not self.params:
            return words
        return words % {k: _shown(v, english) for k, v in self.params.items()}

    def as_data(self) -> dict:
        data = {"code": self.msgid, "params": {k: _data(v) for k, v in self.params.items()}}
        if self.plural:
            data.update(plural=self.plural, count=self.count)
        return data


def message(msgid: str, /, **params) -> Message:
    """A message; its msgid is extracted for the catalogue, as ``gettext``'s would be."""
    return Message(msgid, params)


def plural_message(singular: str, plural: str, count: int, /, **params) -> Message:
    """A message with a plural form chosen by ``count``, as ``ngettext``'s."""
    return Message(singular, params, plural, count)


def label(text) -> Message:
    """A lazily translated text (a choice's label, a country's name) as a message: its English
    msgid, translated again where it is shown."""
    with translation.override(None):  # no catalogue: the text comes back as its msgid
        return Message(str(text))


def english(text: "Message | str") -> str:
    return text.english() if isinstance(text, Message) else str(text)


def as_data(text: "Message | str") -> dict:
    """A message as it is stored: its code and parameters, and its English text under
    ``message`` (what was stored before messages had codes, and what any other reader may show);
    plain text (from code that has made no message) as that text alone."""
    if isinstance(text, Message):
        return {**text.as_data(), "message": text.english()}
    return {"message": str(text)}


def from_data(data: dict | str) -> "Message | str":
    """A message from ``as_data``'s JSON; text stored before messages had codes, as it is.

    ``data`` may carry other keys beside the message's (a row error's row and column); a dict
    without a code is shown by its ``message``.
    """
    if isinstance(data, str):
        return data
    if "code" not in data:
        return str(data.get("message", ""))
    params = {k: _from_param(v) for k, v in (data.get("params") or {}).items()}
    return Message(data["code"], params, data.get("plural", ""), data.get("count", 0))


def message_of(error: Exception) -> "Message | str":
    """What a ``ValueError`` says: the message a parser raised it with, or its text."""
    if len(error.args) == 1 and isinstance(error.args[0], Message):
        return error.args[0]
    return str(error)


def _shown(value, render):
    if isinstance(value, Message):
        return render(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(_shown(item, render)) for item in value)
    return value


def _data(value):
    if isinstance(value, Message):
        return value.as_data()
    if isinstance(value, list | tuple):
        return [_data(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # a date, a decimal: as ``%s`` would show it


def _from_param(value):
    if isinstance(value, dict):
        return from_data(value)
    if isinstance(value, list):
        return [_from_param(item) for item in value]
    return value
