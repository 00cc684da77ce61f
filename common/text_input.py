"""Rules for text that people type: no control characters, and a bound on free text.

Django's form fields already refuse NUL bytes and text over a ``CharField``'s ``max_length``; these
add the rest, so that every admin form reports bad text on the field it was typed in.
"""

import re
from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

# Tab, line feed and carriage return are the only control characters a text may hold, and only
# in multi-line text; NUL is refused by Django itself.
LINE_CONTROLS = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
ANY_CONTROL = re.compile(r"[\x01-\x1f\x7f]")
LONG_TEXT_MAX = 20_000


def refuse_controls(pattern: re.Pattern) -> Callable[[str], None]:
    def validate(value: str) -> None:
        found = pattern.search(value or "")
        if found:
            raise ValidationError(
                "Remove the invisible control character (code %(code)s) at position %(at)s.",
                code="control_character",
                params={"code": f"U+{ord(found[0]):04X}", "at": found.start() + 1},
            )

    return validate


def clean_text_fields(form: forms.Form) -> None:
    """Add the text rules to every text field of ``form``."""
    for field in form.fields.values():
        if not isinstance(field, forms.CharField):
            continue
        multi_line = isinstance(field.widget, forms.Textarea)
        field.validators.append(refuse_controls(LINE_CONTROLS if multi_line else ANY_CONTROL))
        if multi_line and field.max_length is None:
            field.max_length = LONG_TEXT_MAX
            field.validators.append(MaxLengthValidator(LONG_TEXT_MAX))
            field.widget.attrs.setdefault("maxlength", str(LONG_TEXT_MAX))
