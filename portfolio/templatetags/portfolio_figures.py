"""Figures, dates and fiscal years of the dashboards, written the way the reader's language writes
them, and never in a form two readers could read apart: ``1,234``, ``100`` (a whole number has no
decimals, whatever the column stores) and ``FY2025`` or ``2025年度``; ``2025-04-01`` or
``2025年4月1日`` (never ``04/01/2025``, which is the 4th of January in most of the world)."""

import datetime as dt
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.formats import date_format, get_format, number_format
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from common.fiscal import fiscal_year_label

register = template.Library()

# How each language writes a day unambiguously; ISO 8601 for any other.
DAY_FORMATS = {"ja": "Y年n月j日"}
ISO_DAY = "Y-m-d"


@register.filter
def is_figure(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def plain_number(value: int | float | Decimal) -> int | float | Decimal:
    """A whole number as an integer (``100.00`` is ``100``), other decimals without trailing
    zeros (``12.50`` is ``12.5``)."""
    if isinstance(value, Decimal) and value.is_finite():
        if value == value.to_integral_value():
            return int(value)
        return value.normalize()
    return value


@register.filter
def figure(value: object) -> object:
    """A number with the reader's digit grouping; anything else as it is."""
    if is_figure(value):
        return number_format(plain_number(value), force_grouping=True)
    return value


@register.filter
def fiscal_year(year: int | str) -> str:
    return fiscal_year_label(int(year))


@register.filter
def day(value: dt.date | None) -> str:
    """A date as the reader's language writes it unambiguously: ``2025-04-01``, ``2025年4月1日``."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    language = (get_language() or "").split("-")[0]
    return date_format(value, DAY_FORMATS.get(language, ISO_DAY))


@register.filter
def moment(value: dt.datetime | None) -> str:
    """A date and time of day in the reader's time zone: ``2025-04-01 14:05``."""
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{day(local)} {local:%H:%M}"


@register.filter
def cell(value: object) -> object:
    """A table cell: a figure grouped, a date in the reader's form, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return moment(value)
    if isinstance(value, dt.date):
        return day(value)
    return figure(value)


def figure_writer():
    """``figure`` for the many figures of one table: the language's separator read once, and a
    whole number grouped by Python's own formatting where the language groups by threes (as
    English and Japanese do)."""
    separator = get_format("THOUSAND_SEPARATOR")
    by_threes = get_format("NUMBER_GROUPING") == 3

    def write(value: int | float | Decimal) -> str:
        plain = plain_number(value)
        if by_threes and isinstance(plain, int):
            return f"{plain:,}".replace(",", separator)
        return number_format(plain, force_grouping=True)

    return write


@register.simple_tag
def table_body(rows: list[list[object]], query: str) -> str:
    """The rows of a dashboard table (``tables.Table``): the first cell of each a row header, a
    figure's cell carrying its plain value for the charts, a link's cell its link with the page's
    filters (``query``). Written here in one pass: a 200-row table cell by cell in the template
    language cost a page tens of milliseconds."""
    write = figure_writer()
    query = escape(query)
    html = []
    for row in rows:
        html.append("<tr>")
        for n, value in enumerate(row):
            url = getattr(value, "url", None)
            number = url is None and is_figure(value)
            if url is not None:
                shown = f'<a href="{escape(url)}?{query}">{conditional_escape(value.text)}</a>'
            elif number:
                shown = escape(write(value))
            else:
                shown = conditional_escape(cell(value))
            if n == 0:
                html.append(f'<th scope="row">{shown}</th>')
            elif number:
                html.append(f'<td data-value="{escape(str(value))}">{shown}</td>')
            else:
                html.append(f"<td>{shown}</td>")
        html.append("</tr>")
    return mark_safe("".join(html))
