from django import template

from imports.engine import KINDS

register = template.Library()


@register.simple_tag
def sheet_kind_of(opts) -> str:
    """The spreadsheet kind that imports and exports this model, or an empty string."""
    for key, kind in KINDS.items():
        if kind.model._meta.label_lower == opts.label_lower:
            return key
    return ""
