"""Whether the kept figures say what the records say: every figure a page reads from them,
counted both ways (``manage.py check_figures``, and the tests at two data sizes)."""

from dataclasses import replace

from django.db.models import Max, Min

from common.access import EVERYTHING
from common.fiscal import current_fiscal_year, fiscal_today
from policies.models import Goal
from portfolio.dashboards import selectors
from portfolio.dashboards.filters import Filters
from portfolio.models import Activity, InitiativeStatus
from units.models import Institution, Region, Unit


def readings(filters: Filters) -> dict:
    """Every figure the pages read, as the given filters count them."""
    nodes, _roots = selectors.goal_trees(Goal.objects.all())
    every = list(nodes.values())
    selectors.compute(every, filters)
    tallies = selectors.region_tallies(filters)
    seen = {
        f"goal {node.code} ({node.framework_id})": {
            key: value for key, value in node.figures.items() if key != "by_health"
        }
        for node in every
    }
    for node in every:
        by_year, by_type = selectors.goal_activity_tables(filters, node)
        seen[f"goal {node.code} ({node.framework_id}) by year"] = [dict(r) for r in by_year]
        seen[f"goal {node.code} ({node.framework_id}) by type"] = sorted(
            (r["activity_type"], r["n"]) for r in by_type
        )
    for unit in Unit.objects.order_by("pk"):
        by_country, by_year = selectors.unit_activity_tables(filters, unit)
        seen[f"unit {unit.code} ({unit.pk}) by country"] = [dict(r) for r in by_country]
        seen[f"unit {unit.code} ({unit.pk}) by year"] = [dict(r) for r in by_year]
    seen["countries"] = {k: t.figures for k, t in tallies.by_country.items()}
    seen["regions"] = {k: t.figures for k, t in tallies.by_region.items()}
    return seen


def every_filter(years: list[int] | None = None) -> list[Filters]:
    """A reader of everything, each fiscal year of the records (or those given), each
    institution or none, and each status and region once."""
    span = Activity.objects.aggregate(first=Min("fiscal_year"), last=Max("fiscal_year"))
    current = current_fiscal_year()
    first, last = span["first"] or current, max(span["last"] or current, current)
    if years is None:
        years = list(range(first, last + 1))
    regions = list(Region.objects.all())
    base = Filters(fiscal_year=current, access=EVERYTHING, regions=regions, today=fiscal_today())
    chosen = []
    for year in years:
        for institution in [None, *Institution.objects.order_by("code")]:
            chosen.append(replace(base, fiscal_year=year, institution=institution))
    for status in InitiativeStatus.values:
        chosen.append(replace(base, status=status))
    for region in regions:
        chosen.append(replace(base, region=region))
    return chosen


def differences(filters: Filters) -> list[str]:
    """What the kept figures say otherwise than the records, under the filters."""
    kept = readings(replace(filters, from_records=False))
    counted = readings(replace(filters, from_records=True))
    return [
        f"{name}: kept {kept.get(name)!r}, counted {counted.get(name)!r}"
        for name in sorted(set(kept) | set(counted))
        if kept.get(name) != counted.get(name)
    ]
