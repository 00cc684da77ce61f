"""The dashboards' reads: figures per goal summed up the goal tree, and each page's queries.

Every query a page runs is here, narrowed by the reader's ``Filters``; the pages only call these.
Each returns what it did before it moved here (a list, or a QuerySet a template reads once), so a
page's number of queries stays fixed, whatever the number of rows.

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.access import readable_history
from common.bilingual import Shown, pick
from common.fiscal import same_day_a_year_before
from policies.models import Alignment, Framework, Goal, Indicator, IndicatorValue
from portfolio.dashboards import figures as kept_figures
from portfolio.dashboards.filters import Filters
from portfolio.models import (
    Activity,
    Agreement,
    Health,
    Initiative,
    InitiativeStatus,
    PartnerInstitution,
    ProgressUpdate,
)
from units.models import Unit

# Rows a page lists at most (the figures above a list count them all).
LIST_LIMIT = 200
EXPIRY_WARNING_DAYS = 180

# --- Figures of goal trees -----------------------------------------------------------------------

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


def tree_of(nodes: Iterable[Node]) -> str:
    """The nodes' subtrees as a relation of (node, goal) rows: ``column1`` a node, ``column2`` a
    goal its figures cover (the name both PostgreSQL and SQLite give a VALUES list's columns).
    The ids are the database's own integers, written into the SQL as such."""
    rows = ", ".join(f"({int(node.id)}, {int(goal)})" for node in nodes for goal in node.subtree)
    return f"(VALUES {rows})"


def reached(nodes: list[Node], inner: QuerySet, record: list[str]) -> tuple[str, list]:
    """SQL of the distinct (``node``, ``record``) pairs of the rows of ``inner``, each row
    reaching every node whose subtree holds the row's ``goal_id``: a record reached twice under
    one node (an initiative serving two of its goals) is one pair."""
    sql, params = inner.query.sql_with_params()
    columns = ", ".join(f"picked.{column}" for column in record)
    return (
        f"SELECT DISTINCT tree.column1 AS node, {columns} FROM ({sql}) picked "
        f"JOIN {tree_of(nodes)} tree ON picked.goal_id = tree.column2",
        list(params),
    )


def per_node(
    nodes: list[Node], inner: QuerySet, record: list[str], select: str, group: str = ""
) -> list[tuple]:
    """Aggregate the rows of ``inner`` per node, each record counted once per node (``reached``);
    ``select`` and ``group`` name the columns of ``record``. (Distinct pairs first, then the
    counts: PostgreSQL hashes the pairs, where a ``COUNT(DISTINCT …)`` per group sorts them.)
    """
    sql, params = reached(nodes, inner, record)
    by = f"node{', ' + group if group else ''}"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {by}, {select} FROM ({sql}) pairs GROUP BY {by}", params)
        return cursor.fetchall()


def compute(nodes: list[Node], filters: Filters) -> None:
    """Fill each node's figures: four or five queries, whatever the row count and the tree.

    Each query joins its rows to the nodes' subtrees (``per_node``) and counts each record once
    per node, so an initiative serving two goals under one mission, and its activities, count
    once for it.
    """
    fy = filters.fiscal_year
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
    if not nodes:
        return
    by_id = {node.id: node for node in nodes}
    goal_ids = sorted({goal for node in nodes for goal in node.subtree})
    kept = filters.figures_kept()
    if kept:
        add_kept_figures(by_id, filters)
    links = Links.objects.filter(
        goal_id__in=goal_ids, initiative_id__in=filters.initiatives().values("pk")
    )

    # 1. Initiatives by status and health (an initiative has one of each).
    for node_id, status, health, n in per_node(
        nodes,
        links.values(
            "goal_id",
            "initiative_id",
            state=F("initiative__status"),
            wellbeing=F("initiative__health"),
        ),
        ["initiative_id", "state", "wellbeing"],
        "COUNT(*)",
        "state, wellbeing",
    ):
        figures = by_id[node_id].figures
        figures["initiatives"] += n
        figures["by_status"][status] = figures["by_status"].get(status, 0) + n
        figures["by_health"][health] = figures["by_health"].get(health, 0) + n

    # 2. Activities, participants and partners engaged, this fiscal year and the one before.
    # An activity has one initiative, so joining the activities to the distinct (node,
    # initiative) pairs reaches each activity at most once per node. Where the figures are
    # kept, only the running month's days are counted here (none once the year is over).
    counted = days_counted(filters, kept)
    if counted is not None:
        reached_activities = (
            filters.activities()
            .filter(counted, initiative__isnull=False)
            .order_by()
            .values(
                "initiative_id",
                "fiscal_year",
                "inbound_participants",
                "outbound_participants",
                "partner_id",
            )
        )
        rows_sql, rows_params = reached_activities.query.sql_with_params()
        pairs_sql, pairs_params = reached(
            nodes,
            Links.objects.filter(goal_id__in=goal_ids).values("goal_id", "initiative_id"),
            ["initiative_id"],
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pairs.node, picked.fiscal_year, COUNT(*), "
                "SUM(picked.inbound_participants), SUM(picked.outbound_participants), "
                f"COUNT(DISTINCT picked.partner_id) FROM ({rows_sql}) picked "
                f"JOIN ({pairs_sql}) pairs ON picked.initiative_id = pairs.initiative_id "
                "GROUP BY pairs.node, picked.fiscal_year",
                [*rows_params, *pairs_params],
            )
            totals = cursor.fetchall()
        for node_id, year, n, inbound, outbound, partners in totals:
            label = "fy" if year == fy else "prev"
            figures = by_id[node_id].figures
            figures[f"activities_{label}"] += n
            figures[f"inbound_{label}"] += inbound or 0
            figures[f"outbound_{label}"] += outbound or 0
            if label == "fy" and not kept:
                figures["partners"] = partners

    # 3. Indicators: how many there are, and each judged on its latest actual up to the
    # chosen year against the target of that actual's year. (An indicator has one goal, so it
    # is reached once per node.)
    for node_id, n in per_node(
        nodes,
        Indicator.objects.filter(goal_id__in=goal_ids).values("goal_id", "id"),
        ["id"],
        "COUNT(*)",
    ):
        by_id[node_id].figures["indicators"] = n
    latest_year = (
        IndicatorValue.objects.filter(
            indicator_id=OuterRef("indicator_id"), actual__isnull=False, fiscal_year__lte=fy
        )
        .order_by("-fiscal_year")
        .values("fiscal_year")[:1]
    )
    judged = Q(target__isnull=False)
    on_track = judged & (
        Q(indicator__higher_is_better=True, actual__gte=F("target"))
        | Q(indicator__higher_is_better=False, actual__lte=F("target"))
    )
    latest = IndicatorValue.objects.filter(
        indicator__goal_id__in=goal_ids, actual__isnull=False, fiscal_year=Subquery(latest_year)
    ).values(
        "id",
        "fiscal_year",
        goal_id=F("indicator__goal_id"),
        judged=one_if(judged),
        on_track=one_if(on_track),
        this_year=one_if(Q(fiscal_year=fy)),
    )
    for node_id, *row in per_node(
        nodes,
        latest,
        ["id", "fiscal_year", "judged", "on_track", "this_year"],
        "COUNT(*), SUM(judged), SUM(on_track), SUM(this_year), MIN(fiscal_year), MAX(fiscal_year)",
    ):
        by_id[node_id].figures.update(
            zip(
                ("measured", "judged", "on_track", "measured_fy", "measured_from", "measured_to"),
                row,
                strict=True,
            )
        )

    # 4. Units contributing: pursuing a goal of the subtree, leading or contributing to one
    # of its initiatives.
    pursuing = UnitLinks.objects.filter(goal_id__in=goal_ids).values("goal_id", who=F("unit_id"))
    leading = links.filter(initiative__lead_unit__isnull=False).values(
        "goal_id", who=F("initiative__lead_unit_id")
    )
    helping = links.filter(initiative__contributing_units__isnull=False).values(
        "goal_id", who=F("initiative__contributing_units__id")
    )
    for node_id, n in per_node(
        nodes, pursuing.union(leading, helping, all=True), ["who"], "COUNT(*)"
    ):
        by_id[node_id].figures["units"] = n


def one_if(condition: Q) -> Case:
    """1 where ``condition`` holds, else 0: a count once summed."""
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def add_kept_figures(by_id: dict[int, Node], filters: Filters) -> None:
    """The kept figures of whole months (and the partners engaged, exactly, up to the day)."""
    fy = filters.fiscal_year
    cutoff = filters.year_so_far
    before = same_day_a_year_before(cutoff) if cutoff else None
    node_ids = list(by_id)
    for node_id, year, n, inbound, outbound in kept_figures.activity_totals(
        filters, node_ids, {fy: cutoff, fy - 1: before}
    ):
        label = "fy" if year == fy else "prev"
        node_figures = by_id[node_id].figures
        node_figures[f"activities_{label}"] += n
        node_figures[f"inbound_{label}"] += inbound or 0
        node_figures[f"outbound_{label}"] += outbound or 0
    for node_id, n in kept_figures.partners_engaged(filters, node_ids, cutoff).items():
        by_id[node_id].figures["partners"] = n


def days_counted(filters: Filters, kept: bool) -> Q | None:
    """The activities counted from the records: all of both years compared, or, where the
    figures are kept, only the running month's days up to the cutoff (none once a year is over).
    """
    if not kept:
        return years_compared(filters)
    cutoff = filters.year_so_far
    if cutoff is None:
        return None  # none: a year that is over is kept whole
    before = same_day_a_year_before(cutoff)
    return Q(
        fiscal_year=filters.fiscal_year, start_date__range=(cutoff.replace(day=1), cutoff)
    ) | Q(fiscal_year=filters.fiscal_year - 1, start_date__range=(before.replace(day=1), before))


def years_compared(filters: Filters) -> Q:
    """The chosen fiscal year and the one before; while the chosen one runs, both up to the
    same day (1 December against the previous 1 December), so a part-year is never set
    against a whole one."""
    fy, previous = filters.fiscal_year, filters.fiscal_year - 1
    cutoff = filters.year_so_far
    if cutoff is None:
        return Q(fiscal_year__in=[fy, previous])
    return Q(fiscal_year=fy, start_date__lte=cutoff) | Q(
        fiscal_year=previous, start_date__lte=same_day_a_year_before(cutoff)
    )


def trees_of(frameworks: Iterable[Framework]) -> tuple[dict[int, Node], list[Node]]:
    """The goal trees of some frameworks: every goal as a node, and the roots."""
    return goal_trees(Goal.objects.filter(framework__in=frameworks))


def figured_trees(
    filters: Filters,
    frameworks: Iterable[Framework],
    shown: Callable[[dict[int, Node], list[Node]], list[Node]] | None = None,
) -> tuple[dict[int, Node], list[Node]]:
    """The goal trees of the frameworks, with the figures (``compute``) of the nodes the page
    ``shown`` (of every node unless told).

    Each framework's figures are computed for its whole tree, once for every reader of the
    scope and filters (``Filters.shared``): the overview, the framework's page and each of its
    goals' pages read the same figures, and compute them once. The trees whose figures are not
    kept yet are figured together, in the same few queries whatever their number. (A goal
    realises only goals of its own framework, so a framework's figures are the same whichever
    frameworks are shown with it.) The goals themselves are read for each page. Where nothing
    is kept (no page cache), only the nodes shown are counted.
    """
    nodes, roots = trees_of(frameworks)
    if not filters.sharing:
        compute(shown(nodes, roots) if shown else list(nodes.values()), filters)
        return nodes, roots

    def figured(names: list[str]) -> dict[str, dict[int, dict]]:
        wanted = {int(name.removeprefix("figures:")) for name in names}
        chosen = [node for node in nodes.values() if node.framework_id in wanted]
        compute(chosen, filters)
        return {
            f"figures:{pk}": {node.id: node.figures for node in chosen if node.framework_id == pk}
            for pk in wanted
        }

    kept = filters.shared(
        sorted({f"figures:{node.framework_id}" for node in nodes.values()}), figured
    )
    for figures in kept.values():
        for pk, node_figures in figures.items():
            if pk in nodes:
                nodes[pk].figures = node_figures
    return nodes, roots


# --- Recent changes ------------------------------------------------------------------------------


@dataclass
class Change:
    """One line of a page's recent changes: one save of a record, or one load of many."""

    newest: Model
    oldest: Model
    records: set = field(default_factory=set)
    # The reason given, from whichever of the change's rows carries one.
    reason: str = ""
    # The rows read ran out inside this change: it holds at least ``records`` records.
    cut: bool = False

    @classmethod
    def starting(cls, row: Model) -> "Change":
        return cls(row, row, {row.id}, row.history_change_reason or "")

    @property
    def date(self) -> dt.datetime:
        return self.newest.history_date

    @property
    def user(self):
        return self.newest.history_user

    @property
    def loaded(self) -> bool:
        """Many records written together (an import, the demo data set): one entry."""
        return len(self.records) > 1

    @property
    def kind(self) -> str:
        """Created, changed or deleted, for the save as a whole."""
        if self.newest.history_type == "-":
            return self.newest.get_history_type_display()
        return self.oldest.get_history_type_display()

    @property
    def record(self) -> Model:
        return self.newest.history_object

    @property
    def url(self) -> str:
        """The dashboard page of the record changed, where it has one and still exists."""
        if self.newest.instance_type is Initiative and self.newest.history_type != "-":
            return reverse("dashboards:initiative", args=[self.newest.id])
        return ""

    @property
    def summary(self) -> str:
        """``300 activities`` (``300 or more`` where the rows read ran out first)."""
        opts = self.newest.instance_type._meta
        count = len(self.records)
        name = opts.verbose_name if count == 1 else opts.verbose_name_plural
        if self.cut:
            return _("%(count)s or more %(records)s") % {"count": count, "records": name}
        return f"{count} {name}"

    def takes(self, row: Model) -> bool:
        """Whether ``row`` (the next older one) belongs to the same save or the same load.

        The rows of one save (its fields, then each list of links) follow each other within
        ``CHANGE_GAP``, by one author; so do a load's, of many records, for one reason.
        """
        if row.author_key != self.oldest.author_key:
            return False
        if self.oldest.history_date - row.history_date > CHANGE_GAP:
            return False
        reason = row.history_change_reason or ""
        return row.id == self.oldest.id or reason == self.reason or not (reason and self.reason)

    def add(self, row: Model) -> None:
        self.oldest = row
        self.records.add(row.id)
        self.reason = self.reason or row.history_change_reason or ""


# Rows of one save are written within milliseconds; a load's within a few of each other.
CHANGE_GAP = dt.timedelta(seconds=2)
# History rows read for a page's recent changes: one query, however many rows a load wrote.
CHANGE_ROWS_READ = 500


def recent_changes(filters: Filters, history: QuerySet, limit: int = 10) -> list[Change]:
    """The newest changes of a history, one line per save of a record and one per load of many,
    as the reader may read them (``readable_history``).

    A bounded number of the newest rows is read in one query and grouped here: a save that
    wrote several rows (its fields, then each list of links) is one line, and so are the
    hundreds of rows an import or the demo data set wrote at once.
    """
    # Grouped by who wrote them, though an author of another institution is not named.
    rows = readable_history(filters.access, history.annotate(author_key=F("history_user_id")))
    newest = list(
        rows.select_related("history_user").order_by("-history_date", "-history_id")[
            :CHANGE_ROWS_READ
        ]
    )
    changes: list[Change] = []
    for row in newest:
        if changes and changes[-1].takes(row):
            changes[-1].add(row)
        elif len(changes) == limit:
            break
        else:
            changes.append(Change.starting(row))
    else:
        if changes and len(newest) == CHANGE_ROWS_READ:
            changes[-1].cut = True
    return changes


# --- The overview and a framework's page ---------------------------------------------------------


def frameworks_shown(filters: Filters) -> list[Framework]:
    """The frameworks of the reader's institutions; of the chosen one only, where one is."""
    frameworks = list(
        filters.reachable(Framework)
        .select_related("institution")
        .order_by("institution__code", "code")
    )
    if filters.institution:
        frameworks = [f for f in frameworks if f.institution_id == filters.institution.pk]
    return frameworks


def overview_changes(filters: Filters, frameworks: list[Framework]) -> list[Change]:
    """The changes of the initiatives of the frameworks' institutions."""
    return recent_changes(
        filters, Initiative.history.filter(institution__in=[f.institution_id for f in frameworks])
    )


def framework(filters: Filters, pk: int) -> Framework:
    return get_object_or_404(filters.reachable(Framework).select_related("institution"), pk=pk)


def framework_changes(filters: Filters, framework: Framework) -> list[Change]:
    return recent_changes(filters, Goal.history.filter(framework_id=framework.pk))


# --- A goal's page -------------------------------------------------------------------------------


def goal(filters: Filters, pk: int) -> Goal:
    return get_object_or_404(
        filters.reachable(Goal).select_related("framework__institution", "parent"), pk=pk
    )


def goal_initiatives(filters: Filters, node: Node) -> list[Initiative]:
    """The initiatives within the filters serving the goal or a goal of its subtree."""
    return list(
        filters.initiatives()
        .filter(pk__in=serving(node.subtree))
        .select_related("lead_unit")
        .order_by("code")[:LIST_LIMIT]
    )


def goal_activities(filters: Filters, node: Node) -> QuerySet:
    """The activities within the filters of the initiatives serving the goal's subtree."""
    return filters.activities().filter(initiative_id__in=serving(node.subtree))


def goal_activity_tables(filters: Filters, node: Node) -> tuple[QuerySet, QuerySet]:
    """The goal's activities per fiscal year and, of the chosen year, per type."""
    if filters.figures_kept():
        return kept_figures.by_year(filters, node.id), kept_figures.by_type(filters, node.id)
    activities = goal_activities(filters, node)
    return activities_by_year(activities), activities_by_type(activities, filters.fiscal_year)


def goal_indicator_values(node: Node) -> QuerySet:
    return (
        IndicatorValue.objects.filter(indicator__goal_id__in=node.subtree)
        .select_related("indicator__library")
        .order_by("indicator__code", "fiscal_year")
    )


def goal_units(filters: Filters, node: Node) -> QuerySet:
    """Units pursuing a goal of the subtree, leading an initiative within the filters serving
    it, or contributing to one serving it."""
    return Unit.objects.filter(
        Q(pk__in=Goal.units.through.objects.filter(goal_id__in=node.subtree).values("unit_id"))
        | Q(
            pk__in=filters.initiatives().filter(pk__in=serving(node.subtree)).values("lead_unit_id")
        )
        | Q(
            pk__in=Initiative.contributing_units.through.objects.filter(
                initiative_id__in=serving(node.subtree)
            ).values("unit_id")
        )
    ).order_by("name")


def aligned_goals(filters: Filters, goal: Goal) -> list[dict]:
    """The goals aligned with ``goal``, each with its note and whether the reader may open it.

    Strategy documents are public: every goal aligned with this one is named, with its
    framework; only those of the reader's institutions link to their pages.
    """
    aligned = Alignment.objects.filter(Q(source=goal) | Q(target=goal)).select_related(
        "source__framework__institution", "target__framework__institution"
    )
    readable = set(filters.reachable(Framework).values_list("pk", flat=True))
    items = []
    for alignment in aligned:
        other = alignment.target if alignment.source_id == goal.pk else alignment.source
        items.append(
            {"goal": other, "note": alignment.note, "linked": other.framework_id in readable}
        )
    return items


def goal_changes(filters: Filters, node: Node) -> list[Change]:
    """The changes of the initiatives serving the goal's subtree."""
    return recent_changes(
        filters,
        Initiative.history.filter(
            id__in=Initiative.goals.through.objects.filter(goal_id__in=node.subtree).values(
                "initiative_id"
            )
        ),
    )


# --- Activities, however a page narrowed them ----------------------------------------------------


def activities_by_year(activities: QuerySet, *, participants: bool = True) -> QuerySet:
    """Activities per fiscal year, oldest first; with their participants unless told not to."""
    totals = {"n": Count("*")}
    if participants:
        totals |= {
            "inbound": Sum("inbound_participants"),
            "outbound": Sum("outbound_participants"),
        }
    return activities.values("fiscal_year").annotate(**totals).order_by("fiscal_year")


def activities_by_type(activities: QuerySet, fiscal_year: int) -> QuerySet:
    """Activities of a fiscal year per type, the most frequent first."""
    return (
        activities.filter(fiscal_year=fiscal_year)
        .values("activity_type")
        .annotate(n=Count("*"))
        .order_by("-n", "activity_type")
    )


def activities_by_country(activities: QuerySet, fiscal_year: int) -> QuerySet:
    """Activities of a fiscal year per country, with participants and distinct partners."""
    return (
        activities.filter(fiscal_year=fiscal_year)
        .values("country")
        .annotate(
            n=Count("*"),
            inbound=Sum("inbound_participants"),
            outbound=Sum("outbound_participants"),
            partners=Count("partner", distinct=True),
        )
        .order_by("-n", "country")
    )


# --- A unit's page -------------------------------------------------------------------------------


def unit(filters: Filters, pk: int) -> Unit:
    return get_object_or_404(
        filters.reachable(Unit).select_related("institution", "region", "parent"), pk=pk
    )


def unit_goals(unit: Unit) -> list[Goal]:
    return list(unit.goals.select_related("framework").order_by("framework__code", "code"))


def unit_initiatives(filters: Filters, unit: Unit) -> list[Initiative]:
    """The initiatives within the filters that the unit leads or contributes to."""
    return list(
        filters.of_unit(unit)
        .initiatives()
        .select_related("lead_unit")
        .order_by("code")[:LIST_LIMIT]
    )


def unit_activities(filters: Filters, unit: Unit) -> QuerySet:
    """The activities within the filters that the unit carried out, of every fiscal year."""
    return filters.of_unit(unit).activities()


def unit_activity_tables(filters: Filters, unit: Unit) -> tuple[QuerySet, QuerySet]:
    """The unit's activities of the chosen year per country, and per fiscal year."""
    if filters.figures_kept(per_unit=True):
        return kept_figures.unit_by_country(filters, unit.pk), kept_figures.unit_by_year(
            filters, unit.pk
        )
    activities = unit_activities(filters, unit)
    return (
        activities_by_country(activities, filters.fiscal_year),
        activities_by_year(activities, participants=False),
    )


def unit_agreements(unit: Unit) -> list[Agreement]:
    """The unit's agreements, soonest to expire first, each marked expired or expiring soon."""
    soon = timezone.localdate() + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    agreements = list(
        Agreement.objects.filter(unit=unit).select_related("partner").order_by("expires_on")
    )
    for agreement in agreements:
        agreement.expiring = bool(
            agreement.expires_on and timezone.localdate() <= agreement.expires_on <= soon
        )
        agreement.expired = bool(
            agreement.expires_on and agreement.expires_on < timezone.localdate()
        )
    return agreements


def unit_changes(filters: Filters, unit: Unit) -> list[Change]:
    return recent_changes(filters, Activity.history.filter(unit_id=unit.pk))


# --- An initiative's page ------------------------------------------------------------------------


def initiative(filters: Filters, pk: int) -> Initiative:
    return get_object_or_404(
        filters.reachable(Initiative).select_related("institution", "lead_unit", "owner"), pk=pk
    )


def initiative_states(filters: Filters, initiative: Initiative) -> list[tuple]:
    """(date, status, health) of the initiative's history rows the reader reads, newest first."""
    history = readable_history(filters.access, Initiative.history.filter(id=initiative.pk))
    return list(
        history.order_by("-history_date", "-history_id").values_list(
            "history_date", "status", "health"
        )[:LIST_LIMIT]
    )


def initiative_goals(filters: Filters, initiative: Initiative) -> list[Goal]:
    return list(
        filters.reachable(Goal)
        .filter(initiatives=initiative)
        .select_related("framework")
        .order_by("framework__code", "code")
    )


def initiative_units(filters: Filters, initiative: Initiative) -> list[Unit]:
    """The units contributing to the initiative (its lead unit is the record's own)."""
    return list(filters.reachable(Unit).filter(contributed_initiatives=initiative).order_by("name"))


def initiative_partners(filters: Filters, initiative: Initiative) -> QuerySet:
    return filters.reachable(PartnerInstitution).filter(initiatives=initiative).order_by("name")


def initiative_activities(filters: Filters, initiative: Initiative) -> QuerySet:
    """The initiative's activities within the filters of a record's page, of every year."""
    return filters.of_record().activities().filter(initiative=initiative)


def activities_listed(activities: QuerySet, fiscal_year: int) -> list[Activity]:
    """The activities of a fiscal year, newest first, as many as a page lists."""
    return list(
        activities.filter(fiscal_year=fiscal_year)
        .select_related("partner", "unit")
        .order_by("-start_date", "external_ref")[:LIST_LIMIT]
    )


def goals_indicator_values(filters: Filters, goals: list[Goal]) -> QuerySet:
    """Targets and actuals of the indicators of some goals, with each one's goal."""
    return (
        filters.reachable(IndicatorValue)
        .filter(indicator__goal__in=[g.pk for g in goals])
        .select_related("indicator__goal", "indicator__library")
        .order_by("indicator__goal__code", "indicator__code", "fiscal_year")[:LIST_LIMIT]
    )


def initiative_updates(filters: Filters, initiative: Initiative) -> list[ProgressUpdate]:
    return list(
        filters.reachable(ProgressUpdate)
        .filter(initiative=initiative)
        .select_related("author")
        .order_by("-fiscal_year", "-quarter")[:LIST_LIMIT]
    )


def initiative_changes(filters: Filters, initiative: Initiative) -> list[Change]:
    return recent_changes(filters, Initiative.history.filter(id=initiative.pk))


# --- The crosswalk -------------------------------------------------------------------------------


def crosswalk_frameworks(filters: Filters) -> tuple[list[Framework], list[Framework]]:
    """The frameworks a reader may put in rows (their institutions') and in columns (those,
    and every framework a goal of theirs is aligned with: strategy documents are public)."""
    own = filters.reachable(Framework)
    own_goals = Goal.objects.filter(framework__in=own)
    aligned = Goal.objects.filter(
        Q(alignments_in__source__in=own_goals) | Q(alignments_out__target__in=own_goals)
    )
    columns = list(
        Framework.objects.filter(Q(pk__in=own.values("pk")) | Q(goals__in=aligned))
        .distinct()
        .select_related("institution")
        .order_by("id")
    )
    own_ids = set(own.values_list("pk", flat=True))
    return [f for f in columns if f.pk in own_ids], columns


def crosswalk_matrix(
    filters: Filters, rows_fw: Framework, cols_fw: Framework, readable: set[int]
) -> tuple[list[Node], list[dict]]:
    """The columns (goals of ``cols_fw``) and the rows of cells of the crosswalk.

    The rows are the missions of ``rows_fw``, the columns the other framework's most detailed
    goals (TMU's directions); a column goal of a framework not in ``readable`` is named only.
    """
    nodes, _roots = trees_of([rows_fw, cols_fw])
    row_nodes = [n for n in nodes.values() if n.framework_id == rows_fw.pk and n.depth == 0]
    b_nodes = [n for n in nodes.values() if n.framework_id == cols_fw.pk]
    col_nodes = [n for n in b_nodes if n.depth > 0 and not n.children] or [
        n for n in b_nodes if n.depth == 0
    ]
    matrix = crosswalk_cells(row_nodes, col_nodes, filters)
    for node in col_nodes:
        node.readable = node.framework_id in readable
    return col_nodes, matrix


def crosswalk_cells(row_nodes, col_nodes, filters: Filters) -> list[dict]:
    """Per pair of goals: alignments between their subtrees, and initiatives on common ground.

    Initiatives on common ground serve both goals (frameworks of one institution) or, where the
    two goals are aligned, either of them. Four queries for the whole matrix.
    """
    pairs = [(r, c) for r in row_nodes for c in col_nodes]
    alignments = Alignment.objects.aggregate(
        **{
            f"a{r.id}_{c.id}": Count(
                "pk",
                filter=(
                    Q(source_id__in=r.subtree, target_id__in=c.subtree)
                    | Q(source_id__in=c.subtree, target_id__in=r.subtree)
                ),
            )
            for r, c in pairs
        }
    )
    goal_ids = {goal for node in [*row_nodes, *col_nodes] for goal in node.subtree}
    links = Links.objects.filter(
        goal_id__in=sorted(goal_ids), initiative_id__in=filters.initiatives().values("pk")
    ).values("goal_id", "initiative_id")
    # Initiatives serving each row's goals, each column's, and both: serving either is the
    # two counts less those serving both.
    serving_row = dict(per_node(row_nodes, links, ["initiative_id"], "COUNT(*)"))
    serving_col = dict(per_node(col_nodes, links, ["initiative_id"], "COUNT(*)"))
    rows_sql, rows_params = reached(row_nodes, links, ["initiative_id"])
    cols_sql, cols_params = reached(col_nodes, links, ["initiative_id"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.node, c.node, COUNT(*) FROM ({rows_sql}) r JOIN ({cols_sql}) c "
            "ON r.initiative_id = c.initiative_id GROUP BY r.node, c.node",
            [*rows_params, *cols_params],
        )
        both = {(r, c): n for r, c, n in cursor.fetchall()}
    matrix = []
    for r in row_nodes:
        cells = []
        for c in col_nodes:
            aligned = alignments[f"a{r.id}_{c.id}"]
            common = both.get((r.id, c.id), 0)
            either = serving_row.get(r.id, 0) + serving_col.get(c.id, 0) - common
            initiatives = either if aligned else common
            cells.append({"col": c, "alignments": aligned, "initiatives": initiatives})
        matrix.append({"node": r, "cells": cells})
    return matrix


def crosswalk_changes(filters: Filters, frameworks: list[Framework]) -> list[Change]:
    """The changes of the alignments of the goals of the reader's frameworks."""
    own_goals = Goal.objects.filter(framework__in=frameworks)
    return recent_changes(
        filters,
        Alignment.history.filter(Q(source_id__in=own_goals) | Q(target_id__in=own_goals)),
    )


# --- Regions and countries -----------------------------------------------------------------------


@dataclass
class Tally:
    """Activities, participants and distinct partners of a country or a region."""

    activities: int = 0
    inbound: int = 0
    outbound: int = 0
    partners: set = field(default_factory=set)

    def add(self, row: dict) -> None:
        self.activities += row["n"]
        self.inbound += row["inbound"] or 0
        self.outbound += row["outbound"] or 0
        if row["partner_id"] is not None:
            self.partners.add(row["partner_id"])

    @property
    def figures(self) -> list[int]:
        return [self.activities, self.inbound, self.outbound, len(self.partners)]


@dataclass
class Tallies:
    """The chosen year's activities per region and per country, and each country's region."""

    by_region: dict[str | None, Tally]
    by_country: dict[str | None, Tally]
    region_of: dict[str, str]


def region_tallies(filters: Filters) -> Tallies:
    """One scan, grouped by country and partner: few rows (a partner is mostly in one country),
    from which the countries' and the regions' figures follow without counting a partner twice.
    """
    if filters.figures_kept():
        pairs = kept_figures.by_country_and_partner(filters)
    else:
        pairs = (
            filters.activities()
            .filter(fiscal_year=filters.fiscal_year)
            .values("country", "partner_id")
            .annotate(
                n=Count("*"),
                inbound=Sum("inbound_participants"),
                outbound=Sum("outbound_participants"),
            )
            .order_by()
        )
    # Each country falls under the first region (overseas centers' first) that holds it.
    region_of: dict[str, str] = {}
    for region in reversed(filters.regions):
        for country in region.countries:
            region_of[country.code] = region.code
    tallies = Tallies(by_region={}, by_country={}, region_of=region_of)
    for row in pairs:
        for key, totals in (
            (row["country"], tallies.by_country),
            (region_of.get(row["country"]), tallies.by_region),
        ):
            totals.setdefault(key, Tally()).add(row)
    return tallies


def partner_changes(filters: Filters) -> list[Change]:
    return recent_changes(filters, PartnerInstitution.history.all())
