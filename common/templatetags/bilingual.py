"""``{{ goal|shown:"title" }}``: a bilingual text in the reader's language, marked if it fell
back."""

from django import template

from common.bilingual import Shown, pick

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
    return text.mark()
