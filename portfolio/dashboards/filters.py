"""What the reader filtered the dashboards by, read from the URL, and the records that fall inside.

One ``Filters`` per request carries the reader's choices (fiscal year, institution, unit, status,
region), what the filter form offers, and the reader's ``Access``. Every page narrows its records
through it, so a filter means the same on every page. Which institution a record belongs to is
what its model's ``reach`` declares (``common.access``): the reader's access, and the institution
chosen, are each an ``Access`` applied to that reach, never a path spelled out here. The unit
filter is not a reach: an initiative is a unit's when the unit leads it or contributes to it, and
an activity when the unit carried it out, which is not whom a model's ``reach.unit`` lets edit it.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Max, Min, Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from common.access import EVERYTHING, Access, access_for, reach_of
from common.fiscal import current_fiscal_year, fiscal_today, fiscal_year_bounds
from common.fiscal import fiscal_year_label as fy_label
from policies.models import IndicatorValue
from portfolio.models import Activity, Initiative, InitiativeStatus
from units.models import Institution, Region, Unit


@dataclass
class Filters:
    """The reader's choices and reach; figures and lists only count what falls inside."""

    fiscal_year: int
    access: Access
    institution: Institution | None = None
    unit: Unit | None = None
    status: str = ""
    region: Region | None = None
    # What the filter form offers.
    years: list[int] = field(default_factory=list)
    institutions: list[Institution] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    # Today in the fiscal calendar; while the chosen year runs, figures compare years up to it.
    today: dt.date | None = None
    # Whether the kept figures were brought up to date for this request.
    fresh: bool = field(default=False, repr=False, compare=False)
    # Count every figure from the records (what `manage.py check_figures` compares with).
    from_records: bool = False
    # Where the page is kept for the reader's scope: what every reader of the scope shares,
    # kept beside it under the same versions (``cache.remembered``); None: nothing is kept.
    memo: Callable[[list[str], Callable], dict[str, Any]] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def chosen(self) -> Access:
        """The institution filter as an access: the chosen institution's records, or all."""
        if self.institution is None:
            return EVERYTHING
        return Access(everything=False, institution_ids=frozenset({self.institution.pk}))

    @property
    def countries(self) -> list[str] | None:
        """The chosen region's country codes; None where no region is chosen."""
        return [c.code for c in self.region.countries] if self.region else None

    @property
    def year_so_far(self) -> dt.date | None:
        """The last day counted while the chosen year is still running; None once it is over."""
        first, last = fiscal_year_bounds(self.fiscal_year)
        if self.today is not None and first <= self.today <= last:
            return self.today
        return None

    @property
    def compared(self) -> "Compared":
        """What the figures of the chosen year are set against, as the pages label it."""
        return Compared.of(self)

    def figures_kept(self, *, per_unit: bool = False) -> bool:
        """Whether the figures may be read from the kept ones (``figures``): everywhere but
        under a unit filter, unless those asked for are kept per unit (``per_unit``: a unit's
        page). Brings them up to date first, once a request."""
        if not self.fresh:
            from portfolio.dashboards.services import ensure_fresh

            ensure_fresh()
            self.fresh = True
        return (per_unit or self.unit is None) and not self.from_records

    @property
    def sharing(self) -> bool:
        """Whether what the pages of the reader's scope have in common is kept for them."""
        return self.memo is not None and not self.from_records

    def shared(self, names: list[str], build: Callable[[list[str]], dict[str, Any]]) -> dict:
        """The value of each name, built once for every reader of this scope and these filters
        while the records stay as they are (where pages are kept; else on every call):
        ``build(missing)`` gives the values of the names not kept yet, in one go."""
        if self.memo is None or self.from_records:
            return build(names)
        choices = [
            self.fiscal_year,
            self.institution and self.institution.pk,
            self.unit and self.unit.pk,
            self.status,
            self.region and self.region.pk,
        ]
        qualified = {f"{name}:{choices}": name for name in names}

        def built(missing: list[str]) -> dict[str, Any]:
            values = build([qualified[key] for key in missing])
            return {key: values[qualified[key]] for key in missing}

        kept = self.memo(list(qualified), built)
        return {qualified[key]: value for key, value in kept.items()}

    def of_unit(self, unit: Unit) -> "Filters":
        """The filters of a unit's page: the page's unit stands for the unit filter."""
        return replace(self, unit=unit)

    def of_record(self) -> "Filters":
        """The filters of an initiative's page: its institution, status and health are the
        record's own, so only the year, the unit and the region narrow what it lists."""
        return replace(self, institution=None, status="")

    def reachable(self, model: type[Model]) -> QuerySet:
        """The records of ``model`` that the reader's institutions hold, whatever the filters."""
        return model.objects.filter(self.access.visible(reach_of(model)))

    def within(self, model: type[Model]) -> Q:
        """Records of ``model`` in the reader's reach and of the chosen institution."""
        reach = reach_of(model)
        return self.access.visible(reach) & self.chosen.visible(reach)

    def in_year(self, initiatives: QuerySet) -> QuerySet:
        """The initiatives whose dates overlap the chosen fiscal year (open ends are open)."""
        first, last = fiscal_year_bounds(self.fiscal_year)
        return initiatives.filter(
            Q(start_date__isnull=True) | Q(start_date__lte=last),
            Q(end_date__isnull=True) | Q(end_date__gte=first),
        )

    def initiatives(self) -> QuerySet:
        """The initiatives within the filters whose dates overlap the chosen fiscal year."""
        qs = self.in_year(Initiative.objects.filter(self.within(Initiative)))
        if self.unit:
            qs = qs.filter(
                Q(lead_unit_id=self.unit.pk)
                | Q(
                    pk__in=Initiative.contributing_units.through.objects.filter(
                        unit_id=self.unit.pk
                    ).values("initiative_id")
                )
            )
        if self.status:
            qs = qs.filter(status=self.status)
        return qs

    def activities(self) -> QuerySet:
        """The activities within the filters, of every fiscal year."""
        qs = Activity.objects.filter(self.within(Activity))
        if self.unit:
            qs = qs.filter(unit_id=self.unit.pk)
        if self.status:
            qs = qs.filter(initiative__status=self.status)
        if self.countries is not None:
            qs = qs.filter(country__in=self.countries)
        return qs


@dataclass
class Compared:
    """The labels of the chosen year's figures and of those of the year before.

    While the chosen year runs, both cover the year up to the same day (``FY2026 to December 1``
    against ``FY2025 to December 1``); a year that is over is set against the whole year before.
    """

    this: str
    before: str
    so_far: bool

    @classmethod
    def of(cls, filters: Filters) -> "Compared":
        fy, cutoff = filters.fiscal_year, filters.year_so_far
        if cutoff is None:
            return cls(fy_label(fy), fy_label(fy - 1), so_far=False)
        day = date_format(cutoff, "MONTH_DAY_FORMAT")
        return cls(
            _("%(fy)s to %(day)s") % {"fy": fy_label(fy), "day": day},
            _("%(fy)s to %(day)s") % {"fy": fy_label(fy - 1), "day": day},
            so_far=True,
        )


def read_filters(request: HttpRequest) -> Filters:
    """The filters in the URL, so that a filtered page can be bookmarked and shared."""
    memo = getattr(request, "dashboard_memo", None)
    access = access_for(request.user)
    current = current_fiscal_year()
    if memo:
        choices = memo(["filters"], lambda _names: {"filters": offered(access, current)})
        first, last, institutions, regions, units = choices["filters"]
    else:
        first, last, institutions, regions, units = offered(access, current)
    institution = next((i for i in institutions if i.code == request.GET.get("institution")), None)
    region = next((r for r in regions if r.code == request.GET.get("region")), None)
    unit = next((u for u in units if str(u.pk) == request.GET.get("unit")), None)
    status = request.GET.get("status", "")
    return Filters(
        fiscal_year=chosen_year(request.GET.get("fy", ""), first, last, current),
        access=access,
        institution=institution,
        unit=unit,
        status=status if status in InitiativeStatus.values else "",
        region=region,
        years=list(range(last, first - 1, -1)),
        institutions=institutions,
        regions=regions,
        units=units,
        today=fiscal_today(),
        memo=memo,
    )


def offered(access: Access, current: int) -> tuple[int, int, list, list, list]:
    """What the filter form offers the reader: the first and last fiscal years, the
    institutions, regions and units."""
    # Two index look-ups: SQLite reads MIN and MAX from an index only one at a time.
    years = Activity.objects.order_by().values_list("fiscal_year", flat=True)
    first = min(years.aggregate(first=Min("fiscal_year"))["first"] or current, current)
    # A year with indicator figures and no activity is offered too.
    measured = IndicatorValue.objects.order_by().aggregate(first=Min("fiscal_year"))["first"]
    first = min(first, measured or first)
    last = max(years.aggregate(last=Max("fiscal_year"))["last"] or current, current)
    institutions = list(
        Institution.objects.filter(access.visible(reach_of(Institution))).order_by("code")
    )
    regions = list(Region.objects.all())
    units = list(
        Unit.objects.filter(access.visible(reach_of(Unit)))
        .select_related("institution")
        .order_by("institution__code", "name")
    )
    return first, last, institutions, regions, units


def chosen_year(typed: str, first: int, last: int, current: int) -> int:
    """The fiscal year asked for, if it is one the filter offers; else the current one.

    The filter offers the years from the first activity's to the later of the last one's and the
    current year. Anything else (``abc``, ``-5``, ``2025.5``, a year of twenty digits, which no
    database column holds) is not a year of these records: the page shows the current year, as
    the filter then says. A year has four digits at most (as a date's does), so no typed string
    is ever too long for ``int``.
    """
    if typed.isascii() and typed.isdigit() and len(typed) <= 4 and first <= int(typed) <= last:
        return int(typed)
    return current


def filter_notes(filters: Filters) -> list[str]:
    """The filters a table was made with, as the first lines of its download."""
    everything = _("all")
    status = dict(InitiativeStatus.choices).get(filters.status, everything)
    return [
        f"# {label}: {value}"
        for label, value in (
            (_("fiscal year"), fy_label(filters.fiscal_year)),
            (_("institution"), filters.institution or everything),
            (_("unit"), filters.unit or everything),
            (_("status"), status),
            (_("region"), filters.region or everything),
        )
    ]


def page_query(request: HttpRequest) -> str:
    """The page's query string without its CSV download: the filters its links carry on."""
    query = request.GET.copy()
    query.pop("csv", None)
    return query.urlencode()
