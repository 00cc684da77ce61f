"""Figures per goal, summed up the goal tree, aggregated in the database.

A goal's figures cover its whole subtree. The goals of one depth are mapped to their node by a
CASE, and rows are reduced to distinct (node, record) pairs before they are counted, so an
initiative serving two goals under one mission counts once for the mission, and its activities
once too. The number of queries depends on the depths shown, never on the number of rows.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from common.bilingual import Shown, pick
from policies.models import Goal, IndicatorValue
from portfolio.models import Activity, Health, Initiative, InitiativeStatus

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
    title_ja: str = ""
    depth: int = 0
    subtree: list[int] = field(default_factory=list)
    children: list["Node"] = field(default_factory=list)
    figures: dict = field(default_factory=dict)

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
    def pursued(self) -> bool:
        return bool(self.figures.get("initiatives") or self.figures.get("units"))


def goal_trees(goals: QuerySet) -> tuple[dict[int, Node], list[Node]]:
    """Every goal as a node, and the roots; one query (a framework has tens of goals)."""
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
    # The institutions the reader may see; None for a reader who sees every institution.
    institution_ids: frozenset[int] | None = None

    def initiatives(self) -> QuerySet:
        qs = Initiative.objects.all()
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
    """The nodes grouped so that within a group no two subtrees overlap (one group per depth).

    Each group maps a node to its subtree; a goal then belongs to at most one node of the group,
    which a single CASE expression can say.
    """
    levels: dict[int, dict[int, list[int]]] = {}
    for node in nodes:
        levels.setdefault(node.depth, {})[node.id] = node.subtree
    return list(levels.values())


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
    """Fill each node's figures: four queries per depth of the nodes, whatever the row count.

    Rows are first reduced to distinct (node, record) pairs, then counted and summed, so an
    initiative serving two goals under one mission, and its activities, count once for it.
    """
    fy, previous = scope.fiscal_year, scope.fiscal_year - 1
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
            on_track=0,
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
            .filter(fiscal_year__in=[fy, previous], initiative__isnull=False)
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

        # 3. Indicators with figures for the year, and those on track against target.
        on_track = Q(indicator__higher_is_better=True, actual__gte=F("target")) | Q(
            indicator__higher_is_better=False, actual__lte=F("target")
        )
        measured = (
            IndicatorValue.objects.filter(
                fiscal_year=fy,
                target__isnull=False,
                actual__isnull=False,
                indicator__goal_id__in=goal_ids,
            )
            .annotate(node=node_of("indicator__goal_id", level))
            .values("node")
            .annotate(n=Count("pk"), ok=Count("pk", filter=on_track))
            .order_by()
        )
        for row in measured:
            by_id[row["node"]].figures.update(indicators=row["n"], on_track=row["ok"])

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


STATUSES = list(InitiativeStatus)
HEALTHS = list(Health)


def today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()
