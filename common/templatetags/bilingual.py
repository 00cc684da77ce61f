"""``{{ goal|shown:"title" }}``: a bilingual text in the reader's language, marked if it fell
back."""

from django import template
from django.utils.html import format_html

from common.bilingual import Shown, fallback_mark, fallback_note, pick

register = template.Library()


@register.filter
def shown(record, field: str = "title") -> Shown:
    """``record.<field>`` or ``record.<field>_ja``, whichever the reader reads (dicts too)."""
    if isinstance(record, dict):
        return pick(record.get(field, ""), record.get(f"{field}_ja", ""))
    return pick(getattr(record, field, ""), getattr(record, f"{field}_ja", ""))


@register.filter
def mark(text: Shown) -> str:
    """The fallback mark alone, for texts shown through another filter (``linebreaks``)."""
    if not text.fallback:
        return ""
    return format_html(
        '<abbr class="fallback" translate="no" title="{}">{}</abbr>',
        fallback_note(text.language),
        fallback_mark(text.language),
    )
