"""The reporting cycle's boards: the cycles of the reader's institutions, each cycle's board of
what is owed, and an owner's page of what they owe and what waits for their review.

Pages for the readers of the dashboards (administrators, reviewers, editors, leadership), of the
institutions in their reach: a cycle of another institution is not found. Each page issues a
fixed number of queries, whatever the number of items (``selectors``). The board's table is
downloaded as CSV by the product's one writer (``imports.writing``).

The board's one action is the office's "Send a reminder" of an item still owed (``remind``): for
those who run the cycle (``reporting.selectors.runs_cycle``: administrators, and the editors and
reviewers of its institution), a POST that queues each owner's digest and comes back to the board.
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from common.access import access_for
from common.fiscal import fiscal_year_label
from imports.writing import write_table
from portfolio.dashboards.views import dashboard
from reporting.boards import selectors
from reporting.models import FigureReport, Report, State
from reporting.reminders import office
from reporting.roles import REVIEW
from reporting.selectors import runs_cycle
from units.roles import DASHBOARDS


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
    runs = runs_cycle(request.user, cycle) and cycle.closed_at is None
    if runs:
        selectors.mark_reminded(board, timezone.localdate())
    return render(
        request,
        "reporting/board.html",
        {
            "cycle": cycle,
            "board": board,
            "runs_cycle": runs,
            "states": [(value, labels[value], board.counts[value]) for value in selectors.STATES],
            "state_labels": labels,
            "board_query": query.urlencode(),
            "query": "",
        },
    )


def board_action(view):
    """A POST from a cycle's board by a signed-in reader of the dashboards; the view checks more."""
    posted = require_POST(view)

    @login_required
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm(DASHBOARDS):
            raise PermissionDenied
        return posted(request, *args, **kwargs)

    return guarded


ITEMS = {"report": Report, "figure": FigureReport}


@board_action
def remind(request: HttpRequest, pk: int, kind: str, item: int) -> HttpResponse:
    """Send the owners of one item of the cycle, now, their digest of what they owe in it.

    A cycle beyond the reader's reach, or an item not of it, is not found (404); a reader who does
    not run the cycle (``runs_cycle``) is refused (403). The digests go through the task queue,
    claimed once per owner and day: the answer is a redirect to the board, with its filters, and a
    message of how many owners were reminded, or why none was.
    """
    cycle = selectors.cycle(access_for(request.user), pk)
    if not runs_cycle(request.user, cycle):
        raise PermissionDenied
    record = get_object_or_404(
        ITEMS[kind].objects.select_related("cycle__institution"), pk=item, cycle=cycle
    )
    code = record.initiative.code if kind == "report" else record.indicator.code
    outcome = office.remind_owners(record, timezone.localdate())
    tell_reminded(request, outcome, code)
    filters = {key: request.POST[key] for key in ("unit", "state") if request.POST.get(key)}
    board = reverse("reporting:cycle", args=[cycle.pk])
    return redirect(f"{board}?{urlencode(filters)}" if filters else board)


def tell_reminded(request: HttpRequest, outcome: office.Reminded, code: str) -> None:
    unsent = {
        office.CLOSED: _("This cycle is closed: no one was reminded."),
        office.NOT_OWED: _("%(item)s is no longer owed: no one was reminded."),
        office.NO_OWNER: _("%(item)s has no owner with a login: no one was reminded."),
        office.NO_MAIL: _("No mail is configured: no one was reminded."),
        office.NO_ADDRESS: _(
            "None of the owners of %(item)s can be mailed (no address, or the login is not "
            "active): no one was reminded."
        ),
    }
    if outcome.unsent:
        messages.warning(request, unsent[outcome.unsent] % {"item": code})
        return
    if outcome.sent:
        messages.success(
            request,
            ngettext(
                "Reminded %(count)d owner of %(item)s: their digest of what they owe in this "
                "cycle is on its way.",
                "Reminded %(count)d owners of %(item)s: their digests of what they owe in this "
                "cycle are on their way.",
                outcome.sent,
            )
            % {"count": outcome.sent, "item": code},
        )
    if outcome.held:
        if outcome.sent:
            text = ngettext(
                "%(count)d other owner had been already reminded today.",
                "%(count)d other owners had been already reminded today.",
                outcome.held,
            )
        else:
            text = ngettext(
                "The owner of %(item)s was already reminded today: nothing more was sent.",
                "The %(count)d owners of %(item)s were already reminded today: nothing more "
                "was sent.",
                outcome.held,
            )
        messages.info(request, text % {"count": outcome.held, "item": code})


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
