"""Figures kept, not recomputed: the activities' counts the dashboards read, and how they are built.

Counting a million activities on every page build is what made the dashboards slow (issue 18 of
the tracker measured 1.3–2.4 s per tree page). The counts are kept instead, per goal (each goal's
whole subtree, an activity once however many of its goals its initiative serves), fiscal year
and what the filters narrow by (the institutions of the activity's unit and initiative, the
initiative's status, the country):

- ``ActivityFigure``: activities and participants, also per month started;
- ``TypeFigure``: the same per activity type (no month: the goal page's table is of a year);
- ``PartnerFigure``: the same per partner, with the first day each partner was engaged in the
  year, so that "distinct partners up to a day" is exact; rows without a goal hold every
  activity of the slice (the regions page, which also counts activities of no initiative);
- ``UnitFigure``: every activity of a unit per partner (a unit's page).

``services`` marks and rebuilds them; this module builds the statements and reads. While a
fiscal year is still running its figures are compared up to the same day of the year before:
whole months come from the kept rows, the current month's days from the records (a month of
activities, through the index on the start date). Under a unit filter the pages count from
the records, but for the unit's own page, whose two tables ``UnitFigure`` keeps.
"""

import datetime as dt
from collections.abc import Iterable

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from policies.models import Goal
from portfolio.models import (
    Activity,
    ActivityFigure,
    Initiative,
    PartnerFigure,
    TypeFigure,
    UnitFigure,
)

Links = Initiative.goals.through


def slices_q(slices: Iterable[tuple[int, int]], institution: str = "institution_id") -> Q:
    """Rows of the given (institution, fiscal year) slices, one ``IN`` per year."""
    by_year: dict[int, set[int]] = {}
    for inst, year in slices:
        by_year.setdefault(year, set()).add(inst)
    q = Q(pk__in=[])
    for year, insts in sorted(by_year.items()):
        q |= Q(fiscal_year=year, **{f"{institution}__in": sorted(insts)})
    return q


def with_owner(activities: QuerySet) -> QuerySet:
    """Activities with the institution whose slice they lie in: their initiative's, else their
    unit's."""
    return activities.annotate(
        owner=Coalesce(F("initiative__institution_id"), F("unit__institution_id"))
    )


def slices_of_activities(activities: QuerySet) -> list[tuple[int, int]]:
    return list(with_owner(activities.order_by()).values_list("owner", "fiscal_year").distinct())


def in_slices(slices: list[tuple[int, int]]) -> QuerySet:
    return with_owner(Activity.objects.order_by()).filter(slices_q(slices, institution="owner"))


COMMON = ["fiscal_year", "owner", "u_inst", "i_inst", "state", "country"]
TARGET_COMMON = [
    "fiscal_year",
    "owner_id",
    "unit_institution_id",
    "initiative_institution_id",
    "status",
    "country",
]


def picked(activities: QuerySet, *extra: str) -> QuerySet:
    return activities.annotate(
        u_inst=F("unit__institution_id"),
        i_inst=F("initiative__institution_id"),
        state=Coalesce(F("initiative__status"), Value("")),
    ).values("initiative_id", *COMMON, *extra, "inbound_participants", "outbound_participants")


def insert(model, columns: list[str], select: str, source: str, group: str, params: list):
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) "
        f"SELECT {select} FROM {source} GROUP BY {group}"
    )
    return sql, params


def build_statements(slices: list[tuple[int, int]]) -> list[tuple[str, list]]:
    """The INSERT … SELECT statements that count the slices again (their rows deleted first).

    One per group of goals whose subtrees do not overlap (``selectors.by_level``) and table, and
    one for the rows of every activity: a number fixed by the goal trees, never by the rows.
    """
    from portfolio.dashboards.selectors import by_level, goal_trees, node_of

    nodes, _roots = goal_trees(Goal.objects.all())
    activities = in_slices(slices)
    statements = []
    sums = "COUNT(*), SUM(picked.inbound_participants), SUM(picked.outbound_participants)"
    common = ", ".join(f"picked.{c}" for c in COMMON)
    for level in by_level(list(nodes.values())):
        goal_ids = [goal for subtree in level.values() for goal in subtree]
        pairs = (
            Links.objects.filter(goal_id__in=goal_ids)
            .annotate(node=node_of("goal_id", level))
            .values("node", "initiative_id")
            .distinct()
        )
        pairs_sql, pairs_params = pairs.query.sql_with_params()
        for model, extra, extra_columns, extra_sums in (
            (ActivityFigure, ["month_start"], ["month"], ""),
            (TypeFigure, ["activity_type"], ["activity_type"], ""),
            (PartnerFigure, ["partner_id"], ["partner_id"], ", MIN(picked.start_date)"),
        ):
            of_initiatives = activities.filter(initiative__isnull=False)
            if model is ActivityFigure:
                of_initiatives = of_initiatives.annotate(month_start=TruncMonth("start_date"))
            rows = picked(
                of_initiatives,
                *extra,
                *(["start_date"] if model is PartnerFigure else []),
            )
            rows_sql, rows_params = rows.query.sql_with_params()
            extras = ", ".join(f"picked.{c}" for c in extra)
            statements.append(
                insert(
                    model,
                    [
                        "goal_id",
                        *TARGET_COMMON,
                        *extra_columns,
                        "activities",
                        "inbound",
                        "outbound",
                        *(["first_start"] if model is PartnerFigure else []),
                    ],
                    f"pairs.node, {common}, {extras}, {sums}{extra_sums}",
                    f"({rows_sql}) picked JOIN ({pairs_sql}) pairs "
                    "ON picked.initiative_id = pairs.initiative_id",
                    f"pairs.node, {common}, {extras}",
                    [*rows_params, *pairs_params],
                )
            )

    def of_every_activity(model, rows: QuerySet, keys: list[str], extra: list[str], more: str):
        """The rows of ``model`` that hold every activity of the slices (no goal) per ``keys``."""
        rows_sql, rows_params = rows.query.sql_with_params()
        by = ", ".join([common, *(f"picked.{key}" for key in keys)])
        return insert(
            model,
            [*TARGET_COMMON, *keys, "activities", "inbound", "outbound", *extra],
            f"{by}, {sums}{more}",
            f"({rows_sql}) picked",
            by,
            rows_params,
        )

    statements.append(
        of_every_activity(
            PartnerFigure,
            picked(activities, "partner_id", "start_date"),
            ["partner_id"],
            ["first_start"],
            ", MIN(picked.start_date)",
        )
    )
    statements.append(
        of_every_activity(
            UnitFigure,
            picked(activities.filter(unit__isnull=False), "unit_id", "partner_id"),
            ["unit_id", "partner_id"],
            [],
            "",
        )
    )
    return statements


# --- Reading -------------------------------------------------------------------------------------


def narrowed(model, filters) -> QuerySet:
    """The kept rows within the reader's reach and the filters (status, region)."""
    rows = model.objects.filter(filters.within(model))
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.countries is not None:
        rows = rows.filter(country__in=filters.countries)
    return rows


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def activity_totals(filters, node_ids: list[int], years: dict[int, dt.date | None]) -> list:
    """(goal, fiscal year, activities, inbound, outbound) of whole months: per year, every month
    before the cutoff's (the year's whole where the cutoff is None)."""
    when = Q(pk__in=[])
    for year, cutoff in years.items():
        when |= Q(fiscal_year=year) & (Q(month__lt=month_of(cutoff)) if cutoff else Q())
    return list(
        narrowed(ActivityFigure, filters)
        .filter(when, goal_id__in=node_ids)
        .values("goal_id", "fiscal_year")
        .annotate(n=Sum("activities"), inbound=Sum("inbound"), outbound=Sum("outbound"))
        .order_by()
        .values_list("goal_id", "fiscal_year", "n", "inbound", "outbound")
    )


def partners_engaged(filters, node_ids: list[int], cutoff: dt.date | None) -> dict[int, int]:
    """Per goal: the distinct partners of the chosen year's activities, up to the cutoff."""
    rows = narrowed(PartnerFigure, filters).filter(
        goal_id__in=node_ids, fiscal_year=filters.fiscal_year
    )
    if cutoff:
        rows = rows.filter(first_start__lte=cutoff)
    return dict(
        rows.values("goal_id")
        .annotate(n=Count("partner_id", distinct=True))
        .order_by()
        .values_list("goal_id", "n")
    )


def by_year(filters, goal_id: int) -> QuerySet:
    """A goal's activities and participants per fiscal year, oldest first."""
    return (
        narrowed(ActivityFigure, filters)
        .filter(goal_id=goal_id)
        .values("fiscal_year")
        .annotate(n=Sum("activities"), inbound=Sum("inbound"), outbound=Sum("outbound"))
        .order_by("fiscal_year")
    )


def by_type(filters, goal_id: int) -> QuerySet:
    """A goal's activities of the chosen year per type, the most frequent first."""
    return (
        narrowed(TypeFigure, filters)
        .filter(goal_id=goal_id, fiscal_year=filters.fiscal_year)
        .values("activity_type")
        .annotate(n=Sum("activities"))
        .order_by("-n", "activity_type")
    )


def by_country_and_partner(filters) -> QuerySet:
    """Every activity of the chosen year (of an initiative or not), per country and partner."""
    return (
        narrowed(PartnerFigure, filters)
        .filter(goal__isnull=True, fiscal_year=filters.fiscal_year)
        .values("country", "partner_id")
        .annotate(n=Sum("activities"), inbound=Sum("inbound"), outbound=Sum("outbound"))
        .order_by()
    )


def unit_by_year(filters, unit_id: int) -> QuerySet:
    """A unit's activities per fiscal year, oldest first."""
    return (
        narrowed(UnitFigure, filters)
        .filter(unit_id=unit_id)
        .values("fiscal_year")
        .annotate(n=Sum("activities"))
        .order_by("fiscal_year")
    )


def unit_by_country(filters, unit_id: int) -> QuerySet:
    """A unit's activities of the chosen year per country, with participants and distinct
    partners, the most frequent first."""
    return (
        narrowed(UnitFigure, filters)
        .filter(unit_id=unit_id, fiscal_year=filters.fiscal_year)
        .values("country")
        .annotate(
            n=Sum("activities"),
            inbound=Sum("inbound"),
            outbound=Sum("outbound"),
            partners=Count("partner_id", distinct=True),
        )
        .order_by("-n", "country")
    )
