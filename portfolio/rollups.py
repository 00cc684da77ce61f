"""Figures per goal, summed up the goal tree, aggregated in the database.

A goal's figures cover its whole subtree. Each figure is one query with a conditional aggregate
per goal whose filter is "belongs to an initiative that serves a goal of this subtree" (an
``IN (subquery)``), so an initiative serving two goals under one mission counts once for the
mission, and its activities once too. The number of queries depends on the figures shown, never
on the number of rows.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet, Sum

from policies.models import Goal, IndicatorValue
from portfolio.models import Activity, Health, Initiative, InitiativeStatus
from units.models import Unit

Links = Initiative.goals.through
UnitLinks = Goal.units.through


@dataclass
class Node:
    """One goal of a tree, with the ids of its whole subtree and its figures once computed."""

    id: int
    code: str
    title: str
    kind: str
    framework_id: int
    parent_id: int | None
    depth: int = 0
    subtree: list[int] = field(default_factory=list)
    children: list["Node"] = field(default_factory=list)
    figures: dict = field(default_factory=dict)

    @property
    def rest_of_title(self) -> str:
        """The title without its leading code (iSO-KU titles start with it: "CONNECT from …")."""
        if self.title.startswith(self.code + " "):
            return self.title[len(self.code) + 1 :]
        return self.title

    @property
    def status_counts(self) -> list[tuple[str, str, int]]:
        return [
            (s.value, s.label, self.figures["by_status"][s.value])
            for s in InitiativeStatus
            if s.value in self.figures.get("by_status", {})
        ]

    @property
    def health_counts(self) -> list[tuple[str, str, int]]:
        return [
            (h.value, h.label, self.figures["by_health"][h.value])
            for h in Health
            if h.value in self.figures.get("by_health", {})
        ]

    @property
    def pursued(self) -> bool:
        return bool(self.figures.get("initiatives") or self.figures.get("units"))


def goal_trees(goals: QuerySet) -> tuple[dict[int, Node], list[Node]]:
    """Every goal as a node, and the roots; one query (a framework has tens of goals)."""
    nodes = {
        row["id"]: Node(**row)
        for row in goals.order_by("order", "code").values(
            "id", "code", "title", "kind", "framework_id", "parent_id"
        )
    }
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id)
        (parent.children if parent else roots).append(node)

    def walk(node: Node, depth: int) -> list[int]:
        node.depth = depth
        node.subtree = [node.id]
        for child in node.children:
            node.subtree += walk(child, depth + 1)
        return node.subtree

    for root in roots:
        walk(root, 0)
    return nodes, roots


def flatten(roots: Iterable[Node]) -> list[Node]:
    ordered = []
    for root in roots:
        ordered.append(root)
        ordered += flatten(root.children)
    return ordered


def serving(subtree: list[int]) -> QuerySet:
    """Ids of the initiatives serving any goal of a subtree."""
    return Links.objects.filter(goal_id__in=subtree).values("initiative_id")


@dataclass
class Scope:
    """What the reader filtered by; figures only count what falls inside."""

    fiscal_year: int
    institution_id: int | None = None
    unit_id: int | None = None
    status: str | None = None
    countries: list[str] | None = None

    def initiatives(self) -> QuerySet:
        qs = Initiative.objects.all()
        if self.institution_id:
            qs = qs.filter(institution_id=self.institution_id)
        if self.unit_id:
            qs = qs.filter(
                Q(lead_unit_id=self.unit_id)
                | Q(
                    pk__in=Initiative.contributing_units.through.objects.filter(
                        unit_id=self.unit_id
                    ).values("initiative_id")
                )
            )
        if self.status:
            qs = qs.filter(status=self.status)
        return qs

    def activities(self) -> QuerySet:
        qs = Activity.objects.all()
        if self.institution_id:
            qs = qs.filter(
                Q(unit__institution_id=self.institution_id)
                | Q(initiative__institution_id=self.institution_id)
            )
        if self.unit_id:
            qs = qs.filter(unit_id=self.unit_id)
        if self.status:
            qs = qs.filter(initiative__status=self.status)
        if self.countries is not None:
            qs = qs.filter(country__in=self.countries)
        return qs


def compute(nodes: list[Node], scope: Scope) -> None:
    """Fill each node's figures: five queries, whatever the number of rows."""
    if not nodes:
        return
    fy, previous = scope.fiscal_year, scope.fiscal_year - 1

    def of(node: Node) -> Q:
        return Q(pk__in=serving(node.subtree))

    def activity_of(node: Node) -> Q:
        return Q(initiative_id__in=serving(node.subtree))

    # 1. Initiatives by status and health.
    by_state = (
        scope.initiatives()
        .values("status", "health")
        .annotate(**{f"n{node.id}": Count("pk", filter=of(node)) for node in nodes})
        .order_by()
    )
    for node in nodes:
        node.figures.update(initiatives=0, by_status={}, by_health={})
    for row in by_state:
        for node in nodes:
            n = row[f"n{node.id}"]
            if n:
                figures = node.figures
                figures["initiatives"] += n
                figures["by_status"][row["status"]] = figures["by_status"].get(row["status"], 0) + n
                figures["by_health"][row["health"]] = figures["by_health"].get(row["health"], 0) + n

    # 2. Activities, participants and partners engaged, this fiscal year and the one before.
    aggregates = {}
    for node in nodes:
        for label, year in (("fy", fy), ("prev", previous)):
            when = activity_of(node) & Q(fiscal_year=year)
            aggregates[f"a_{label}_{node.id}"] = Count("pk", filter=when)
            aggregates[f"in_{label}_{node.id}"] = Sum("inbound_participants", filter=when)
            aggregates[f"out_{label}_{node.id}"] = Sum("outbound_participants", filter=when)
        aggregates[f"partners_{node.id}"] = Count(
            "partner", distinct=True, filter=activity_of(node) & Q(fiscal_year=fy)
        )
    totals = scope.activities().filter(fiscal_year__in=[fy, previous]).aggregate(**aggregates)
    for node in nodes:
        for label in ("fy", "prev"):
            node.figures[f"activities_{label}"] = totals[f"a_{label}_{node.id}"]
            node.figures[f"inbound_{label}"] = totals[f"in_{label}_{node.id}"] or 0
            node.figures[f"outbound_{label}"] = totals[f"out_{label}_{node.id}"] or 0
        node.figures["partners"] = totals[f"partners_{node.id}"]

    # 3. Indicators with figures for the year, and those on track against target.
    on_track = Q(indicator__higher_is_better=True, actual__gte=F("target")) | Q(
        indicator__higher_is_better=False, actual__lte=F("target")
    )
    measured = IndicatorValue.objects.filter(
        fiscal_year=fy, target__isnull=False, actual__isnull=False
    ).aggregate(
        **{
            f"m{node.id}": Count("pk", filter=Q(indicator__goal_id__in=node.subtree))
            for node in nodes
        },
        **{
            f"t{node.id}": Count("pk", filter=Q(indicator__goal_id__in=node.subtree) & on_track)
            for node in nodes
        },
    )
    for node in nodes:
        node.figures["indicators"] = measured[f"m{node.id}"]
        node.figures["on_track"] = measured[f"t{node.id}"]

    # 4. Units contributing: pursuing a goal of the subtree, leading or contributing to its
    # initiatives.
    contributing = Initiative.contributing_units.through.objects
    units = Unit.objects.aggregate(
        **{
            f"u{node.id}": Count(
                "pk",
                filter=Q(
                    pk__in=UnitLinks.objects.filter(goal_id__in=node.subtree).values("unit_id")
                )
                | Q(pk__in=scope.initiatives().filter(of(node)).values("lead_unit_id"))
                | Q(
                    pk__in=contributing.filter(initiative_id__in=serving(node.subtree)).values(
                        "unit_id"
                    )
                ),
            )
            for node in nodes
        }
    )
    for node in nodes:
        node.figures["units"] = units[f"u{node.id}"]


STATUSES = list(InitiativeStatus)
HEALTHS = list(Health)


def today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()
