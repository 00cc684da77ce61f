"""Figures per goal, summed up the goal tree, aggregated in the database.

A goal's figures cover its whole subtree, and the goals that realise it with theirs (TMU's
sectors realise its basic policies). Goals whose subtrees do not overlap are mapped to their
node by one CASE, and rows are reduced to distinct (node, record) pairs before they are counted,
so an initiative serving two goals under one mission counts once for the mission, and its
activities once too. The number of queries depends on the shape of the goal tree, never on the
number of rows.

What each figure means (README, "What the figures mean"):

* an initiative counts in a fiscal year when its dates overlap that year; a missing start or
  end date is open on that side;
* activities and participants count by the fiscal year of their start date; while the chosen
  year is still running, it is compared with the same part of the year before (both up to the
  same day), never with the whole of it;
* an indicator is judged on its latest actual up to the chosen year, against the target of
  that actual's year; one with no actual in the chosen year is "not yet measured" in it.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from common.bilingual import Shown, pick
from common.fiscal import fiscal_year_bounds, same_day_a_year_before
from policies.models import Goal, Indicator, IndicatorValue
from portfolio.models import Activity, Health, Initiative, InitiativeStatus

Links = Initiative.goals.through
UnitLinks = Goal.units.through
Realisations = Goal.realises.through


@dataclass
class Node:
    """One goal of a tree, with the ids of its whole subtree and its figures once computed."""

    id: int
    code: str
    title: str
    kind: str
    framework_id: int
    parent_id: int | None
    title_ja: str = ""
    depth: int = 0
    # The goal, the goals under it and the goals realising any of them: what its figures cover.
    subtree: list[int] = field(default_factory=list)
    children: list["Node"] = field(default_factory=list)
    realised_by: list["Node"] = field(default_factory=list)
    realises: list["Node"] = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    # False for a goal of another institution's framework, named but not opened (crosswalk).
    readable: bool = True

    @property
    def rest_of_title(self) -> Shown:
        """The title in the reader's language without its leading code (iSO-KU titles start with
        it: "CONNECT from …"); marked where it fell back to the other language."""
        shown = pick(self.title, self.title_ja)
        if shown.text.startswith(self.code + " "):
            return shown.with_text(shown.text[len(self.code) + 1 :])
        return shown

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
    def not_measured_this_year(self) -> int:
        """Indicators with no actual in the chosen fiscal year."""
        return self.figures.get("indicators", 0) - self.figures.get("measured_fy", 0)

    @property
    def pursued(self) -> bool:
        return bool(self.figures.get("initiatives") or self.figures.get("units"))


def goal_trees(goals: QuerySet) -> tuple[dict[int, Node], list[Node]]:
    """Every goal as a node, and the roots; two queries (a framework has tens of goals)."""
    nodes = {
        row["id"]: Node(**row)
        for row in goals.order_by("order", "code").values(
            "id", "code", "title", "title_ja", "kind", "framework_id", "parent_id"
        )
    }
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id)
        (parent.children if parent else roots).append(node)
    realisations = Realisations.objects.filter(from_goal_id__in=goals.order_by().values("pk"))
    # In the goals' own order, whatever order the database returns the links in.
    position = {pk: index for index, pk in enumerate(nodes)}
    pairs = realisations.values_list("from_goal_id", "to_goal_id")
    for way, realised in sorted(
        pairs, key=lambda pair: (position.get(pair[1], -1), position.get(pair[0], -1))
    ):
        if way in nodes and realised in nodes:
            nodes[realised].realised_by.append(nodes[way])
            nodes[way].realises.append(nodes[realised])

    def walk(node: Node, depth: int) -> None:
        node.depth = depth
        for child in node.children:
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    covered: dict[int, list[int]] = {}

    def cover(node: Node, visiting: frozenset[int]) -> list[int]:
        """The node, its descendants and what realises any of them, each once, in tree order."""
        if node.id in covered:
            return covered[node.id]
        ids = [node.id]
        for other in [*node.children, *node.realised_by]:
            if other.id not in visiting:  # a loop of realisations is followed once
                ids += [i for i in cover(other, visiting | {node.id}) if i not in ids]
        covered[node.id] = ids
        return ids

    for node in nodes.values():
        node.subtree = cover(node, frozenset())
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
    # The institutions the reader may see; None for a reader who sees every institution.
    institution_ids: frozenset[int] | None = None
    # Today in the fiscal calendar; while the chosen year runs, figures compare years up to it.
    today: dt.date | None = None

    @property
    def year_so_far(self) -> dt.date | None:
        """The last day counted while the chosen year is still running; None once it is over."""
        first, last = fiscal_year_bounds(self.fiscal_year)
        if self.today is not None and first <= self.today <= last:
            return self.today
        return None

    def in_year(self, initiatives: QuerySet) -> QuerySet:
        """The initiatives whose dates overlap the chosen fiscal year (open ends are open)."""
        first, last = fiscal_year_bounds(self.fiscal_year)
        return initiatives.filter(
            Q(start_date__isnull=True) | Q(start_date__lte=last),
            Q(end_date__isnull=True) | Q(end_date__gte=first),
        )

    def initiatives(self) -> QuerySet:
        """The initiatives within the filters whose dates overlap the chosen fiscal year."""
        qs = self.in_year(Initiative.objects.all())
        if self.institution_ids is not None:
            qs = qs.filter(institution_id__in=self.institution_ids)
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
        if self.institution_ids is not None:
            qs = qs.filter(
                Q(unit__institution_id__in=self.institution_ids)
                | Q(initiative__institution_id__in=self.institution_ids)
            )
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


def by_level(nodes: list[Node]) -> list[dict[int, list[int]]]:
    """The nodes grouped so that within a group no two subtrees overlap.

    Each group maps a node to its subtree; a goal then belongs to at most one node of the group,
    which a single CASE expression can say. Without realisations that is one group per depth;
    goals realised by the same goals (TMU's three basic policies) each need a group of their own.
    """
    groups: list[tuple[dict[int, list[int]], set[int]]] = []
    for node in sorted(nodes, key=lambda n: n.depth):
        group = next((g for g in groups if g[1].isdisjoint(node.subtree)), None)
        if group is None:
            group = ({}, set())
            groups.append(group)
        group[0][node.id] = node.subtree
        group[1].update(node.subtree)
    return [members for members, _covered in groups]


def node_of(field_name: str, level: dict[int, list[int]]) -> Case:
    """CASE mapping a goal id to the node of ``level`` whose subtree holds it."""
    return Case(
        *[
            When(**{f"{field_name}__in": subtree}, then=Value(node))
            for node, subtree in level.items()
        ],
        output_field=IntegerField(),
    )


def grouped(inner: QuerySet, select: str, group: str, params: list | None = None) -> list[tuple]:
    """Aggregate over the distinct rows of ``inner`` (so nothing reached twice counts twice)."""
    sql, inner_params = inner.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {group}, {select} FROM ({sql}) picked GROUP BY {group}",
            [*inner_params, *(params or [])],
        )
        return cursor.fetchall()


def joined(rows: QuerySet, pairs: QuerySet, key: str, select: str, group: str) -> list[tuple]:
    """Aggregate ``rows`` joined on ``key`` to ``pairs`` (the distinct (node, key) pairs)."""
    rows_sql, rows_params = rows.query.sql_with_params()
    pairs_sql, pairs_params = pairs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {group}, {select} FROM ({rows_sql}) picked "
            f"JOIN ({pairs_sql}) pairs ON picked.{key} = pairs.{key} GROUP BY {group}",
            [*rows_params, *pairs_params],
        )
        return cursor.fetchall()


def compute(nodes: list[Node], scope: Scope) -> None:
    """Fill each node's figures: five queries per group of nodes, whatever the row count.

    Rows are first reduced to distinct (node, record) pairs, then counted and summed, so an
    initiative serving two goals under one mission, and its activities, count once for it.
    """
    fy = scope.fiscal_year
    for node in nodes:
        node.figures.update(
            initiatives=0,
            by_status={},
            by_health={},
            activities_fy=0,
            activities_prev=0,
            inbound_fy=0,
            outbound_fy=0,
            inbound_prev=0,
            outbound_prev=0,
            partners=0,
            indicators=0,
            measured=0,
            judged=0,
            on_track=0,
            measured_fy=0,
            measured_from=None,
            measured_to=None,
            units=0,
        )
    by_id = {node.id: node for node in nodes}
    initiatives = scope.initiatives().values("pk")
    for level in by_level(nodes):
        goal_ids = [goal for subtree in level.values() for goal in subtree]
        links = Links.objects.filter(goal_id__in=goal_ids, initiative_id__in=initiatives)

        # 1. Initiatives by status and health.
        pairs = (
            links.annotate(
                node=node_of("goal_id", level),
                state=F("initiative__status"),
                wellbeing=F("initiative__health"),
            )
            .values("node", "initiative_id", "state", "wellbeing")
            .distinct()
        )
        for node_id, status, health, n in grouped(pairs, "COUNT(*)", "node, state, wellbeing"):
            figures = by_id[node_id].figures
            figures["initiatives"] += n
            figures["by_status"][status] = figures["by_status"].get(status, 0) + n
            figures["by_health"][health] = figures["by_health"].get(health, 0) + n

        # 2. Activities, participants and partners engaged, this fiscal year and the one before.
        # An activity has one initiative, so joining the activities to the distinct (node,
        # initiative) pairs reaches each activity at most once per node.
        served = (
            Links.objects.filter(goal_id__in=goal_ids)
            .annotate(node=node_of("goal_id", level))
            .values("node", "initiative_id")
            .distinct()
        )
        reached = (
            scope.activities()
            .filter(years_compared(scope), initiative__isnull=False)
            .order_by()
            .values(
                "initiative_id",
                "fiscal_year",
                "inbound_participants",
                "outbound_participants",
                "partner_id",
            )
        )
        for node_id, year, n, inbound, outbound, partners in joined(
            reached,
            served,
            "initiative_id",
            "COUNT(*), SUM(inbound_participants), SUM(outbound_participants), "
            "COUNT(DISTINCT partner_id)",
            "node, fiscal_year",
        ):
            label = "fy" if year == fy else "prev"
            figures = by_id[node_id].figures
            figures[f"activities_{label}"] = n
            figures[f"inbound_{label}"] = inbound or 0
            figures[f"outbound_{label}"] = outbound or 0
            if label == "fy":
                figures["partners"] = partners

        # 3. Indicators: how many there are, and each judged on its latest actual up to the
        # chosen year against the target of that actual's year.
        for row in (
            Indicator.objects.filter(goal_id__in=goal_ids)
            .annotate(node=node_of("goal_id", level))
            .values("node")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            by_id[row["node"]].figures["indicators"] = row["n"]
        latest_year = (
            IndicatorValue.objects.filter(
                indicator_id=OuterRef("indicator_id"), actual__isnull=False, fiscal_year__lte=fy
            )
            .order_by("-fiscal_year")
            .values("fiscal_year")[:1]
        )
        on_track = Q(indicator__higher_is_better=True, actual__gte=F("target")) | Q(
            indicator__higher_is_better=False, actual__lte=F("target")
        )
        latest = (
            IndicatorValue.objects.filter(
                indicator__goal_id__in=goal_ids,
                actual__isnull=False,
                fiscal_year=Subquery(latest_year),
            )
            .annotate(node=node_of("indicator__goal_id", level))
            .values("node")
            .annotate(
                measured=Count("pk"),
                judged=Count("pk", filter=Q(target__isnull=False)),
                on_track=Count("pk", filter=Q(target__isnull=False) & on_track),
                measured_fy=Count("pk", filter=Q(fiscal_year=fy)),
                measured_from=Min("fiscal_year"),
                measured_to=Max("fiscal_year"),
            )
            .order_by()
        )
        for row in latest:
            by_id[row.pop("node")].figures.update(row)

        # 4. Units contributing: pursuing a goal of the subtree, leading or contributing to one
        # of its initiatives.
        pursuing = (
            UnitLinks.objects.filter(goal_id__in=goal_ids)
            .annotate(node=node_of("goal_id", level), who=F("unit_id"))
            .values("node", "who")
        )
        leading = (
            links.filter(initiative__lead_unit__isnull=False)
            .annotate(node=node_of("goal_id", level), who=F("initiative__lead_unit_id"))
            .values("node", "who")
        )
        helping = (
            links.filter(initiative__contributing_units__isnull=False)
            .annotate(node=node_of("goal_id", level), who=F("initiative__contributing_units__id"))
            .values("node", "who")
        )
        for node_id, n in grouped(pursuing.union(leading, helping), "COUNT(*)", "node"):
            by_id[node_id].figures["units"] = n


def years_compared(scope: Scope) -> Q:
    """The chosen fiscal year and the one before; while the chosen one runs, both up to the
    same day (1 December against the previous 1 December), so a part-year is never set
    against a whole one."""
    fy, previous = scope.fiscal_year, scope.fiscal_year - 1
    cutoff = scope.year_so_far
    if cutoff is None:
        return Q(fiscal_year__in=[fy, previous])
    return Q(fiscal_year=fy, start_date__lte=cutoff) | Q(
        fiscal_year=previous, start_date__lte=same_day_a_year_before(cutoff)
    )


STATUSES = list(InitiativeStatus)
HEALTHS = list(Health)
