"""Leadership dashboards: read-only pages of how each mission and policy is being pursued.

Every figure comes from an aggregate in the database (``selectors``), narrowed by the reader's
``Filters``; each page issues a fixed number of queries, whatever the number of rows. Every table
can be downloaded as CSV (``?csv=<table id>``) with the page's filters (``tables``). A filter's
value in the URL that names nothing (a fiscal year out of the years offered, an unknown unit) is
ignored, never an error.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from portfolio.dashboards import selectors
from portfolio.dashboards.filters import page_query, read_filters
from portfolio.dashboards.hooks import panels_of
from portfolio.dashboards.tables import (
    crosswalk_table,
    download,
    download_name,
    framework_table,
    goal_tables,
    initiative_tables,
    overview_tables,
    region_tables,
    unit_tables,
)
from portfolio.models import InitiativeStatus
from units.roles import DASHBOARDS


def dashboard(view):
    """A page for signed-in readers who may read the dashboards, of the institutions in reach."""

    read_only = require_safe(view)

    @login_required
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm(DASHBOARDS):
            raise PermissionDenied
        return read_only(request, *args, **kwargs)

    return guarded


def respond(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """The page, or one of its tables as CSV where ``?csv=`` names one."""
    wanted = request.GET.get("csv")
    if wanted:
        table = next((t for t in context["tables"] if t.id == wanted), None)
        if table is not None:
            name = download_name(request.resolver_match.url_name, context, table)
            return download(table, context["filters"], name)
    context["query"] = page_query(request)
    context["status_choices"] = InitiativeStatus.choices
    return render(request, template, context)


@dashboard
def overview(request: HttpRequest) -> HttpResponse:
    filters = read_filters(request)
    frameworks = selectors.frameworks_shown(filters)
    _nodes, roots = selectors.figured_trees(filters, frameworks, lambda _nodes, roots: roots)
    panels = [
        {"framework": framework, "goals": [r for r in roots if r.framework_id == framework.pk]}
        for framework in frameworks
    ]
    return respond(
        request,
        "portfolio/overview.html",
        {
            "filters": filters,
            "panels": panels,
            "tables": overview_tables(filters, panels),
            "changes": selectors.overview_changes(filters, frameworks),
            "frameworks": frameworks,
            "extensions": panels_of("overview", filters),
        },
    )


@dashboard
def framework_detail(request: HttpRequest, pk: int) -> HttpResponse:
    filters = read_filters(request)
    framework = selectors.framework(filters, pk)
    _nodes, roots = selectors.figured_trees(filters, [framework])
    ordered = selectors.flatten(roots)
    return respond(
        request,
        "portfolio/framework.html",
        {
            "filters": filters,
            "framework": framework,
            "nodes": ordered,
            "tables": [framework_table(filters, framework, ordered)],
            "changes": selectors.framework_changes(filters, framework),
        },
    )


@dashboard
def goal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    filters = read_filters(request)
    goal = selectors.goal(filters, pk)
    nodes, _roots = selectors.figured_trees(
        filters, [goal.framework], lambda nodes, _roots: [nodes[goal.pk]]
    )
    node = nodes[goal.pk]
    initiatives = selectors.goal_initiatives(filters, node)
    by_year, by_type = selectors.goal_activity_tables(filters, node)
    units = selectors.goal_units(filters, node)
    tables = goal_tables(
        filters, initiatives, by_year, by_type, selectors.goal_indicator_values(node), units
    )
    return respond(
        request,
        "portfolio/goal.html",
        {
            "filters": filters,
            "goal": goal,
            "node": node,
            "tables": tables,
            "crosswalk": selectors.aligned_goals(filters, goal),
            "initiatives": initiatives,
            "units": units,
            "changes": selectors.goal_changes(filters, node),
            "children": node.children,
            "extensions": panels_of("goal", filters, goal=goal, node=node),
        },
    )


@dashboard
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One unit: the goals it pursues, its activities, agreements and initiatives.

    Its activities and initiatives are within the filters like every page's (year, institution,
    status, region), the page's unit standing for the unit filter.
    """
    filters = read_filters(request)
    unit = selectors.unit(filters, pk)
    initiatives = selectors.unit_initiatives(filters, unit)
    by_country, by_year = selectors.unit_activity_tables(filters, unit)
    tables = unit_tables(
        filters,
        by_country,
        by_year,
        selectors.unit_agreements(unit),
        initiatives,
    )
    return respond(
        request,
        "portfolio/unit.html",
        {
            "filters": filters,
            "unit": unit,
            "goals": selectors.unit_goals(unit),
            "initiatives": initiatives,
            "tables": tables,
            "changes": selectors.unit_changes(filters, unit),
        },
    )


@dashboard
def initiative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One initiative: what it pursues, who carries it, what it did, and how it has gone.

    The activities follow the region and unit filters and the fiscal year (their list, bounded,
    is of that year; their counts are of every year); the status and health are the record's
    own, so the status filter does not apply here.
    """
    filters = read_filters(request)
    initiative = selectors.initiative(filters, pk)
    states = selectors.initiative_states(filters, initiative)
    goals = selectors.initiative_goals(filters, initiative)
    units = selectors.initiative_units(filters, initiative)
    partners = selectors.initiative_partners(filters, initiative)
    activities = selectors.initiative_activities(filters, initiative)
    by_year = list(selectors.activities_by_year(activities))
    listed = selectors.activities_listed(activities, filters.fiscal_year)
    values = selectors.goals_indicator_values(filters, goals)
    updates = selectors.initiative_updates(filters, initiative)
    tables = initiative_tables(filters, states, by_year, listed, values, updates)
    return respond(
        request,
        "portfolio/initiative.html",
        {
            "filters": filters,
            "initiative": initiative,
            "goals": goals,
            "units": units,
            "partners": partners,
            "updates": updates,
            "latest_update": updates[0] if updates else None,
            "tables": tables,
            "changes": selectors.initiative_changes(filters, initiative),
            "extensions": panels_of("initiative", filters, initiative=initiative),
        },
    )


@dashboard
def crosswalk(request: HttpRequest) -> HttpResponse:
    filters = read_filters(request)
    frameworks, others = selectors.crosswalk_frameworks(filters)
    rows_by_id = {str(f.pk): f for f in frameworks}
    rows_fw = rows_by_id.get(request.GET.get("a", ""), frameworks[0] if frameworks else None)
    cols_by_id = {str(f.pk): f for f in others if f != rows_fw}
    cols_fw = cols_by_id.get(request.GET.get("b", ""), next(iter(cols_by_id.values()), None))
    matrix, tables, col_nodes = [], [], []
    if rows_fw and cols_fw:
        readable = {f.pk for f in frameworks}
        col_nodes, matrix = selectors.crosswalk_matrix(filters, rows_fw, cols_fw, readable)
        tables = [crosswalk_table(rows_fw, cols_fw, col_nodes, matrix)]
    return respond(
        request,
        "portfolio/crosswalk.html",
        {
            "filters": filters,
            "frameworks": frameworks,
            "column_frameworks": [f for f in others if f != rows_fw],
            "rows_fw": rows_fw,
            "cols_fw": cols_fw,
            "col_nodes": col_nodes,
            "matrix": matrix,
            "tables": tables,
            "changes": selectors.crosswalk_changes(filters, frameworks),
        },
    )


@dashboard
def regions(request: HttpRequest) -> HttpResponse:
    filters = read_filters(request)
    return respond(
        request,
        "portfolio/regions.html",
        {
            "filters": filters,
            "tables": region_tables(filters, selectors.region_tallies(filters)),
            "changes": selectors.partner_changes(filters),
        },
    )
