"""Figures, dates and fiscal years of the dashboards, written the way the reader's language writes
them: ``1,234`` and ``FY2025`` or ``2025年度``; ``Apr. 1, 2025`` or ``2025年4月1日``."""

import datetime as dt
from decimal import Decimal

from django import template
from django.utils.formats import date_format, number_format

from common.fiscal import fiscal_year_label

register = template.Library()


@register.filter
def is_figure(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


@register.filter
def figure(value: object) -> object:
    """A number with the reader's digit grouping; anything else as it is."""
    if is_figure(value):
        return number_format(value, force_grouping=True)
    return value


@register.filter
def fiscal_year(year: int | str) -> str:
    return fiscal_year_label(int(year))


@register.filter
def cell(value: object) -> object:
    """A table cell: a figure grouped, a date in the reader's form, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return date_format(value, "DATE_FORMAT")
    return figure(value)
