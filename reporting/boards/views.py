"""The reporting cycle's boards: the cycles of the reader's institutions, each cycle's board of
what is owed, and an owner's page of what they owe and what waits for their review.

Read-only pages for the readers of the dashboards (administrators, reviewers, editors,
leadership), of the institutions in their reach: a cycle of another institution is not found.
Each page issues a fixed number of queries, whatever the number of items (``selectors``). The
board's table is downloaded as CSV by the product's one writer (``imports.writing``).
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.utils.translation import gettext as _

from common.access import access_for
from common.fiscal import fiscal_year_label
from imports.writing import write_table
from portfolio.dashboards.views import dashboard
from reporting.boards import selectors
from reporting.models import State
from reporting.roles import REVIEW


def state_choices() -> list[tuple[str, str]]:
    return [*State.choices, (selectors.OVERDUE, _("Overdue"))]


@dashboard
def cycles(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    return render(
        request,
        "reporting/cycles.html",
        {"completions": selectors.cycles_listed(access), "query": ""},
    )


@dashboard
def cycle_board(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = selectors.cycle(access_for(request.user), pk)
    board = selectors.board(
        cycle, unit=request.GET.get("unit", ""), state=request.GET.get("state", "")
    )
    labels = dict(state_choices())
    if request.GET.get("csv") == "items":
        return board_download(board, labels)
    query = request.GET.copy()
    query.pop("csv", None)
    return render(
        request,
        "reporting/board.html",
        {
            "cycle": cycle,
            "board": board,
            "states": [(value, labels[value], board.counts[value]) for value in selectors.STATES],
            "state_labels": labels,
            "board_query": query.urlencode(),
            "query": "",
        },
    )


def board_download(board: selectors.Board, labels: dict[str, str]) -> HttpResponse:
    kinds = {"report": _("report"), "figure": _("figure report")}
    everything = _("all")
    notes = [
        f"# {_('cycle')}: {board.cycle}",
        f"# {_('unit')}: {board.unit or everything}",
        f"# {_('state')}: {labels.get(board.state, everything)}",
    ]
    headers = [
        _("kind"),
        _("code"),
        _("name"),
        _("units"),
        _("state"),
        _("overdue"),
        _("owners"),
        _("submitted at"),
    ]
    rows = [
        [
            kinds[item.kind],
            item.code,
            item.name,
            ", ".join(str(u) for u in item.units),
            labels[item.state],
            _("yes") if item.overdue else "",
            ", ".join(item.owners),
            item.record.submitted_at,
        ]
        for item in board.items
    ]
    response = HttpResponse(
        write_table("csv", headers, rows, notes=notes), content_type="text/csv; charset=utf-8"
    )
    cycle = board.cycle
    parts = [cycle.institution.code, fiscal_year_label(cycle.fiscal_year), cycle.period, "board"]
    name = "-".join(p for p in (slugify(str(part)) for part in parts) if p)
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@dashboard
def mine(request: HttpRequest) -> HttpResponse:
    """What the reader owes in the open cycles, and, for a reviewer, what waits for review."""
    reports, figures = selectors.owed_by(request.user)
    reviewer = request.user.has_perm(REVIEW)
    waiting = selectors.awaiting_review(access_for(request.user)) if reviewer else ([], [])
    return render(
        request,
        "reporting/mine.html",
        {
            "reports": reports,
            "figures": figures,
            "reviewer": reviewer,
            "waiting_reports": waiting[0],
            "waiting_figures": waiting[1],
            "query": "",
        },
    )
