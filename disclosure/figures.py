"""The figures an institution discloses: each indicator's targets and, per fiscal year, the actual
that may be shown outside the office.

For a year that has a reporting cycle, that is the latest figure approved in one of the year's
cycles (a draft, a submitted or a returned figure never shows, nor an actual typed in the admin
since); for a year without a cycle, the office's recorded actual. Three queries, whatever the
number of indicators and years.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from policies.models import Indicator, IndicatorValue
from reporting.models import FigureReport, ReportingCycle, State


@dataclass(frozen=True)
class YearFigure:
    fiscal_year: int
    target: Decimal | None
    actual: Decimal | None


def disclosed_figures(indicators: Iterable[Indicator]) -> dict[int, list[YearFigure]]:
    """Indicator id → its years' target and disclosable actual, oldest year first (``indicators``
    with their ``goal__framework`` loaded)."""
    indicators = list(indicators)
    ids = [indicator.pk for indicator in indicators]
    institution_of = {i.pk: i.goal.framework.institution_id for i in indicators}
    values = IndicatorValue.objects.filter(indicator_id__in=ids).values_list(
        "indicator_id", "fiscal_year", "target", "actual"
    )
    cycled = set(
        ReportingCycle.objects.filter(institution_id__in=set(institution_of.values()))
        .values_list("institution_id", "fiscal_year")
        .distinct()
    )
    approved: dict[tuple[int, int], Decimal | None] = {}
    for indicator_id, year, actual in (
        FigureReport.objects.filter(indicator_id__in=ids, state=State.APPROVED)
        .order_by("cycle__due_date", "pk")
        .values_list("indicator_id", "cycle__fiscal_year", "actual")
    ):
        approved[(indicator_id, year)] = actual  # the latest approved wins
    shown: dict[int, list[YearFigure]] = defaultdict(list)
    for indicator_id, year, target, actual in values.order_by("indicator_id", "fiscal_year"):
        if (institution_of[indicator_id], year) in cycled:
            actual = approved.get((indicator_id, year))
            actual = actual.quantize(Decimal("0.01")) if actual is not None else None
        if target is None and actual is None:
            continue
        shown[indicator_id].append(YearFigure(year, target, actual))
    return shown
