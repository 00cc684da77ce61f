"""Indicators that the product counts from its own records (``LibraryIndicator.computation``).

Each computation answers, for some institutions, a count per fiscal year with how it was
reached (a breakdown by region, or the figures of a ratio): one or two queries per computation,
whatever the number of records. ``services.computed_refresh`` writes the counts into the adopting
indicators' actuals, where the office has not overridden them with a reason.

- **Students sent abroad under agreements**: the outbound participants of the institution's
  activities of the year whose partner held an agreement with the institution (one of its units')
  in force on the activity's start date: signed on or before it (or undated), not expired
  before it.
- **Partners with agreements in force**, **agreements in force**: on the snapshot day, 1 May of
  the fiscal year; broken down by the region of the partner's country.
- **International students among all students**: from the headcount sheet, the international
  students over all students of the year's latest snapshot, the totals of each level (rows
  without a country), in per cent.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from common.fiscal import current_fiscal_year, fiscal_year_of
from policies.models import Computation, Headcount, HeadcountGroup, HeadcountLevel
from portfolio.models import Activity, Agreement
from units.models import Region

SNAPSHOT_MONTH, SNAPSHOT_DAY = 5, 1
NO_REGION = ""


@dataclass
class Count:
    """A computed figure of one institution and year, and how it was reached."""

    value: Decimal
    parts: dict[str, int] = field(default_factory=dict)  # region code (or term) → count
    how: str = ""


Counts = dict[tuple[int, int], Count]  # (institution id, fiscal year) → count


def snapshot_day(fiscal_year: int) -> dt.date:
    return dt.date(fiscal_year, SNAPSHOT_MONTH, SNAPSHOT_DAY)


def in_force_on(day) -> Q:
    """Agreements in force on ``day`` (a date or an expression)."""
    return (Q(signed_on__isnull=True) | Q(signed_on__lte=day)) & (
        Q(expires_on__isnull=True) | Q(expires_on__gte=day)
    )


def outbound_under_agreements(institution_ids: Iterable[int]) -> Counts:
    ids = list(institution_ids)
    institution = Coalesce("unit__institution_id", "initiative__institution_id")
    agreement = Agreement.objects.filter(
        in_force_on(OuterRef("start_date")),
        partner_id=OuterRef("partner_id"),
        unit__institution_id=OuterRef("owner"),
    )
    rows = (
        Activity.objects.filter(partner__isnull=False, outbound_participants__gt=0)
        .annotate(owner=institution)
        .filter(owner__in=ids)
        .filter(Exists(agreement))
        .values("owner", "fiscal_year")
        .annotate(students=Sum("outbound_participants"))
        .order_by()
    )
    return {
        (row["owner"], row["fiscal_year"]): Count(
            Decimal(row["students"]),
            how=_("%(students)s students sent abroad under agreements in force")
            % {"students": row["students"]},
        )
        for row in rows
    }


def region_of_countries() -> dict[str, str]:
    """Each country's region (the first, in the regions' order, that holds it)."""
    found: dict[str, str] = {}
    for region in reversed(list(Region.objects.all())):
        for country in region.countries:
            found[country.code] = region.code
    return found


def _agreement_counts(institution_ids: Iterable[int], *, partners: bool) -> Counts:
    """Agreements (or their distinct partners) in force on each year's snapshot day, from the
    first year one was in force to this year."""
    ids = list(institution_ids)
    rows = list(
        Agreement.objects.filter(unit__institution_id__in=ids)
        .values_list("unit__institution_id", "partner_id", "partner__country")
        .annotate(signed=F("signed_on"), expires=F("expires_on"))
        .order_by()
    )
    regions = region_of_countries()
    last_year = current_fiscal_year()
    dated = [fiscal_year_of(signed) for *_, signed, _expires in rows if signed]
    first_year = min(dated, default=last_year)
    seen: dict[tuple[int, int], dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for number, (institution, partner, country, signed, expires) in enumerate(rows):
        for year in range(first_year, last_year + 1):
            day = snapshot_day(year)
            if (signed is None or signed <= day) and (expires is None or expires >= day):
                region = regions.get(country or "", NO_REGION)
                seen[(institution, year)][region].add(partner if partners else number)
    counts: Counts = {}
    for key, by_region in seen.items():
        parts = {region: len(members) for region, members in by_region.items()}
        total = len(set().union(*by_region.values())) if partners else sum(parts.values())
        what = (
            _("%(count)s partners with agreements in force on %(day)s")
            if partners
            else _("%(count)s agreements in force on %(day)s")
        )
        counts[key] = Count(
            Decimal(total), parts, what % {"count": total, "day": snapshot_day(key[1])}
        )
    return counts


def partners_under_agreements(institution_ids: Iterable[int]) -> Counts:
    return _agreement_counts(institution_ids, partners=True)


def agreements_in_force(institution_ids: Iterable[int]) -> Counts:
    return _agreement_counts(institution_ids, partners=False)


def international_student_ratio(institution_ids: Iterable[int]) -> Counts:
    rows = (
        Headcount.objects.filter(institution_id__in=list(institution_ids), country="")
        .exclude(level=HeadcountLevel.FACULTY)
        .filter(group__in=[HeadcountGroup.ALL, HeadcountGroup.INTERNATIONAL])
        .values("institution_id", "fiscal_year", "as_of", "group")
        .annotate(students=Sum("count"))
        .order_by("institution_id", "fiscal_year", "as_of")
    )
    latest: dict[tuple[int, int], dict] = {}
    for row in rows:
        key = (row["institution_id"], row["fiscal_year"])
        if key not in latest or latest[key]["as_of"] < row["as_of"]:
            latest[key] = {"as_of": row["as_of"]}
        if latest[key]["as_of"] == row["as_of"]:
            latest[key][row["group"]] = row["students"]
    counts: Counts = {}
    for key, snapshot in latest.items():
        every, international = (
            snapshot.get(HeadcountGroup.ALL),
            snapshot.get(HeadcountGroup.INTERNATIONAL, 0),
        )
        if not every:
            continue
        ratio = (Decimal(international) * 100 / Decimal(every)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        counts[key] = Count(
            ratio,
            {"international": international, "all": every},
            _("%(international)s international students of %(all)s students on %(day)s")
            % {"international": international, "all": every, "day": snapshot["as_of"]},
        )
    return counts


COMPUTATIONS = {
    Computation.OUTBOUND_UNDER_AGREEMENTS: outbound_under_agreements,
    Computation.PARTNERS_UNDER_AGREEMENTS: partners_under_agreements,
    Computation.AGREEMENTS_IN_FORCE: agreements_in_force,
    Computation.INTERNATIONAL_STUDENT_RATIO: international_student_ratio,
}


def computed_counts(computation: str, institution_ids: Iterable[int]) -> Counts:
    return COMPUTATIONS[computation](institution_ids)
