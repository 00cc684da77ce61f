"""Admin lists that stay fast at a million rows: bounded filters, dates, counts and pages.

Django's changelist reads the whole table in four places, each harmless at a thousand rows and
seconds long at a million (PostgreSQL 15, 1,000,000 activities, ``bench/admin_bench.py``):

- a related filter's choices (``RelatedOnlyFieldListFilter``) are a DISTINCT over every row of
  the list: ``ReachableChoices`` lists the reference table's rows within the reader's reach
  instead (every institution the reader reaches, whether or not a record names it yet);
- a plain field's choices (``AllValuesFieldListFilter``) are a DISTINCT too: ``YearRangeFilter``
  offers every year from the smallest to the largest, two ends of an index (``MIN``/``MAX``);
- the date hierarchy's years, months or days are a DISTINCT over the list's rows:
  ``date_hierarchy_bounded`` (``{% date_hierarchy_bounded cl %}``, used by
  ``templates/admin/change_list.html``) lists every year, month or day from the first to the last
  date, which one ``MIN``/``MAX`` finds;
- the count of the rows, and a page deep in the list, read every row before it:
  ``EstimatedCountPaginator`` takes PostgreSQL's planner estimate for a large result and says
  "about N"; it reads a page's ids first, from an index alone, then only those rows with their
  related records.

A year, month or day between the first and the last is offered even where no record falls in it
(its list is then empty): the price of never reading the rows to find out.
"""

import datetime as dt
import json
import math

from django.contrib import admin
from django.contrib.admin.filters import AllValuesFieldListFilter
from django.contrib.admin.utils import get_fields_from_path
from django.core.paginator import EmptyPage, Paginator
from django.db import connections, models
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from common.access import reach_of
from common.fiscal import fiscal_year_label


class ReachableChoices(admin.RelatedFieldListFilter):
    """A related filter listing the related model's rows that the reader reaches.

    ``RelatedOnlyFieldListFilter`` lists what the list's rows refer to, a DISTINCT over all of
    them; this reads the (small) reference table instead, scoped like every read: an editor of
    one institution is offered that institution, never another's.
    """

    def field_choices(self, field, request, model_admin):
        target = field.related_model
        access = model_admin.get_access(request)
        ordering = self.field_admin_ordering(field, request, model_admin) or ()
        rows = target._default_manager.filter(access.visible(reach_of(target)))
        return [(row.pk, str(row)) for row in rows.order_by(*ordering)]


class YearRangeFilter(AllValuesFieldListFilter):
    """A filter of a year field (a fiscal year) offering each year from the first to the last.

    The first and the last come from one ``MIN``/``MAX`` over the list's records within the
    reader's reach, which an index on the field answers from its two ends; the years are
    labelled as fiscal years (``FY2025``, ``2025年度``). The parameter is the field's own
    (``?fiscal_year=2025``), as Django's filter of all values has it.
    """

    label = staticmethod(fiscal_year_label)

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        # Django's choices are a lazy DISTINCT over the rows; they are never read.
        bounds = model_admin.get_queryset(request).aggregate(
            first=models.Min(field_path), last=models.Max(field_path)
        )
        if bounds["first"] is None:
            self.lookup_choices = []
        else:
            self.lookup_choices = list(range(bounds["first"], bounds["last"] + 1))

    def choices(self, changelist):
        for choice in super().choices(changelist):
            if choice["display"].isdigit():
                choice = {**choice, "display": self.label(int(choice["display"]))}
            yield choice


def planner_estimate(queryset: models.QuerySet) -> int | None:
    """How many rows PostgreSQL's planner expects ``queryset`` to give (from its statistics:
    ``pg_class.reltuples`` and the columns' histograms); None on a database without one."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    explained = queryset.order_by().values("pk").explain(format="json")
    if not explained:
        # A filter no row can meet (a fiscal year of twenty digits): Django runs no query, and
        # the exact count (of nothing) is free.
        return None
    plan = json.loads(explained)
    return int(plan[0]["Plan"]["Plan Rows"])


def roughly(count: int) -> int:
    """``count`` to two significant figures, as an estimate deserves: 83,180 → 83,000."""
    if count < 100:
        return count
    scale = 10 ** (int(math.log10(count)) - 1)
    return round(count / scale) * scale


class EstimatedCountPaginator(Paginator):
    """A list's pages, counted exactly when they are few and estimated when they are many.

    On PostgreSQL the planner's estimate is asked first (one EXPLAIN, no rows read); above
    ``estimate_above`` rows it is the count, and the list says "about N" (``estimated``,
    ``shown_count``). Below, and on SQLite, the rows are counted. A page past the last real row
    of an estimated list is empty, which Django answers by opening the list again.

    A page reads its rows' ids first (``values_list("pk")``, which an index holding the list's
    order and the id answers without the table), then those rows with their related records:
    a page deep in the list does not join the related records of every row before it.
    """

    estimate_above = 10_000
    estimated = False

    @property
    def few_rows(self) -> bool:
        """Whether the list holds few rows, counted: its filters find them faster than a walk of
        the list's order would (``date_range``)."""
        return not self.estimated and self.count <= self.estimate_above

    @cached_property
    def count(self) -> int:
        estimate = planner_estimate(self.object_list)
        if estimate is not None and estimate > self.estimate_above:
            self.estimated = True
            return estimate
        return super().count

    @property
    def shown_count(self) -> int:
        return roughly(self.count) if self.estimated else self.count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        if not ids and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return self._get_page(self.object_list.filter(pk__in=ids), number, self)


def date_hierarchy_bounded(cl) -> dict:
    """What Django's ``date_hierarchy`` tag gives its template, without reading every row.

    Django lists the years (then months, days) that have records with a DISTINCT over the list;
    here they run from the first date to the last of the list as filtered, found by one
    ``MIN``/``MAX`` (an index's two ends), or from what the reader chose.
    """
    field_name = cl.date_hierarchy
    field = get_fields_from_path(cl.model, field_name)[-1]
    parts = ("year", "month", "day")
    year_field, month_field, day_field = (f"{field_name}__{part}" for part in parts)
    year, month, day = (cl.params.get(name) for name in (year_field, month_field, day_field))

    def link(filters: dict) -> str:
        return cl.get_query_string(filters, [f"{field_name}__"])

    if year and month and day:
        chosen = dt.date(int(year), int(month), int(day))
        return {
            "show": True,
            "back": {
                "link": link({year_field: year, month_field: month}),
                "title": capfirst(formats.date_format(chosen, "YEAR_MONTH_FORMAT")),
            },
            "choices": [{"title": capfirst(formats.date_format(chosen, "MONTH_DAY_FORMAT"))}],
        }
    datetimes = isinstance(field, models.DateTimeField)
    few = getattr(cl.paginator, "few_rows", False)
    first, last = date_range(cl.queryset, field_name, datetimes=datetimes, few=few)
    if first is None:
        back = {"link": link({}), "title": _("All dates")} if year else None
        return {"show": True, "back": back, "choices": []}
    if not year and first.year == last.year:
        year = first.year  # one year only: open it, as Django does
        if first.month == last.month:
            month = first.month
    if year and month:
        days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
        return {
            "show": True,
            "back": {"link": link({year_field: year}), "title": str(year)},
            "choices": [
                {
                    "link": link({year_field: year, month_field: month, day_field: d.day}),
                    "title": capfirst(formats.date_format(d, "MONTH_DAY_FORMAT")),
                }
                for d in days
            ],
        }
    if year:
        months = (dt.date(first.year, m, 1) for m in range(first.month, last.month + 1))
        return {
            "show": True,
            "back": {"link": link({}), "title": _("All dates")},
            "choices": [
                {
                    "link": link({year_field: year, month_field: m.month}),
                    "title": capfirst(formats.date_format(m, "YEAR_MONTH_FORMAT")),
                }
                for m in months
            ],
        }
    return {
        "show": True,
        "back": None,
        "choices": [
            {"link": link({year_field: str(y)}), "title": str(y)}
            for y in range(first.year, last.year + 1)
        ],
    }


def date_range(
    queryset: models.QuerySet, field_name: str, *, datetimes: bool, few: bool = False
) -> tuple[dt.date | None, dt.date | None]:
    """The first and the last date of ``field_name`` in ``queryset`` (local dates for times).

    A plain ``MIN``/``MAX`` is answered from an index on the field, walked from each end until
    a row passes the list's filters: at once when many rows pass, through the whole table when
    few do (PostgreSQL took 3 s at a million activities for a search that found one, whose
    count it had estimated at 200). Where the list counted ``few`` rows, the bounds are taken
    over an expression no index holds (``COALESCE(d, d)``), so that the rows are found by the
    filters' own indexes (the search's trigrams) and only they are read.
    """
    value = Coalesce(field_name, field_name) if few else models.F(field_name)
    bounds = queryset.aggregate(first=models.Min(value), last=models.Max(value))
    first, last = bounds["first"], bounds["last"]
    if first is None or last is None:
        return None, None
    if datetimes:
        first, last = (
            (timezone.localtime(v) if timezone.is_aware(v) else v).date() for v in (first, last)
        )
    return first, last
