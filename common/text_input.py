"""Rules for text that people type: no control characters, and a bound on free text.

Django's form fields already refuse NUL bytes and text over a ``CharField``'s ``max_length``; these
add the rest, so that every admin form reports bad text on the field it was typed in.
"""

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from common.parsing import LONG_TEXT_MAX, refuse_control_characters


def refuse_controls(*, multiline: bool) -> Callable[[str], None]:
    """The import's rule for control characters, as a form field validator."""

    def validate(value: str) -> None:
        try:
            refuse_control_characters(value, multiline=multiline)
        except ValueError as error:
            raise ValidationError(str(error), code="control_character") from error

    return validate


def clean_text_fields(form: forms.Form) -> None:
    """Add the text rules to every text field of ``form``."""
    for field in form.fields.values():
        if not isinstance(field, forms.CharField):
            continue
        multi_line = isinstance(field.widget, forms.Textarea)
        field.validators.append(refuse_controls(multiline=multi_line))
        if multi_line and field.max_length is None:
            field.max_length = LONG_TEXT_MAX
            field.validators.append(MaxLengthValidator(LONG_TEXT_MAX))
            field.widget.attrs.setdefault("maxlength", str(LONG_TEXT_MAX))
