"""Form fields that read dates and numbers as staff type them, Japanese forms included.

An admin form takes what an import takes: ``2025/4/1``, ``2025年4月1日`` and era dates such as
``令和7年4月1日`` or ``R7.4.1``; numbers in full-width digits and with thousands separators, such
as ``１，２００``. The parsers are ``common.parsing``'s, so a value typed into a form and the same
value in a spreadsheet cell are read alike. What Django's own fields accept is still accepted.
"""

import datetime as dt
from collections.abc import Callable

from django import forms
from django.contrib.admin import widgets
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy

from common.parsing import parse_date, parse_decimal, parse_int


def read_or_refuse(value: object, parse: Callable[[object], object], fallback: Callable) -> object:
    """``parse(value)``, else what Django's own field reads, else the parser's refusal."""
    try:
        return parse(value)
    except ValueError as error:
        refusal = str(error)
    try:
        return fallback(value)
    except ValidationError:
        raise ValidationError(refusal, code="invalid") from None


class JapaneseDateField(forms.DateField):
    """A date as ``2025-04-01``, ``2025/4/1``, ``2025年4月1日``, ``令和7年4月1日`` or ``R7.4.1``."""

    def to_python(self, value: object) -> dt.date | None:
        if value in self.empty_values:
            return None
        return read_or_refuse(value, parse_date, super().to_python)


class NumberTextInput(forms.TextInput):
    """A text box that opens the numeric keyboard, sized as the admin sizes its number boxes.

    A browser's number box (``type="number"``) drops ``１，２００`` before the form is sent, so
    the server could not read it; a text box sends what was typed.
    """

    input_mode = "numeric"
    class_name = "vIntegerField"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__({"inputmode": self.input_mode, "class": self.class_name, **(attrs or {})})


class BigNumberTextInput(NumberTextInput):
    class_name = "vBigIntegerField"


class DecimalTextInput(NumberTextInput):
    input_mode = "decimal"
    class_name = "vBigIntegerField"


def parse_whole_number(value: object) -> int | None:
    # Below zero is the model field's rule to state (its validators do), not the parser's.
    return parse_int(value, minimum=None)


class ReadsJapaneseNumbers:
    """Mixed into a number field: reads ``parse``'s forms first, and names them when refusing."""

    parse: Callable[[object], object]
    refusal: str  # with ``%(problem)s``, the parser's own refusal, where the translation puts it

    def to_python(self, value: object) -> object:
        if value in self.empty_values:
            return None
        try:
            return read_or_refuse(value, self.parse, super().to_python)
        except ValidationError as error:
            raise ValidationError(
                self.refusal % {"problem": error.messages[0]}, code="invalid"
            ) from None


class JapaneseIntegerField(ReadsJapaneseNumbers, forms.IntegerField):
    """A whole number as ``1200``, ``1,200`` or ``１，２００``."""

    widget = NumberTextInput
    parse = staticmethod(parse_whole_number)
    refusal = gettext_lazy("%(problem)s Write whole numbers as 1200, 1,200 or １，２００.")


class JapaneseDecimalField(ReadsJapaneseNumbers, forms.DecimalField):
    """A number as ``1234.5``, ``1,234.5`` or ``１，２３４．５``."""

    widget = DecimalTextInput
    parse = staticmethod(parse_decimal)
    refusal = gettext_lazy("%(problem)s Write numbers as 1234.5, 1,234.5 or １，２３４．５.")


# For an admin's ``formfield_overrides``. Big integers are listed too: the admin's own defaults
# name them, and the closest class in a model field's MRO wins. The date widget stays the admin's,
# with its calendar and "Today" shortcut, which write 2025-04-01.
JAPANESE_INPUT = {
    models.DateField: {"form_class": JapaneseDateField, "widget": widgets.AdminDateWidget},
    models.IntegerField: {"form_class": JapaneseIntegerField, "widget": NumberTextInput},
    models.BigIntegerField: {"form_class": JapaneseIntegerField, "widget": BigNumberTextInput},
    models.DecimalField: {"form_class": JapaneseDecimalField, "widget": DecimalTextInput},
}
