"""What the reporting cycle's boards read: every query of the office's board, an owner's page and
the completion figures the dashboards show, each a fixed number of queries, whatever the number
of items.

An item is a ``Report`` or a ``FigureReport``. Whether it is **overdue** is derived, in SQL, from
the cycle's due date and the item's state: the due date has passed and it is neither submitted
nor approved (not started, a draft, or returned). Who owes an item is ``reporting.selectors``'
business, said once there.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from common.access import Access, reach_of
from portfolio.dashboards.selectors import serving
from reporting.models import (
    AWAITING_REVIEW,
    EDITABLE,
    FigureReport,
    Occasion,
    Reminder,
    Report,
    ReportingCycle,
    State,
)
from reporting.selectors import figure_owners, figures_owed_by, report_owners, reports_owed_by
from units.models import Unit

OVERDUE = "overdue"


def overdue(today: dt.date) -> ExpressionWrapper:
    """True where the cycle's due date has passed and the item is not yet submitted."""
    return ExpressionWrapper(
        Q(state__in=EDITABLE, cycle__due_date__lt=today), output_field=BooleanField()
    )


def with_overdue(items: QuerySet, today: dt.date) -> QuerySet:
    return items.annotate(overdue=overdue(today))


# --- The cycles a reader reaches -----------------------------------------------------------------


def reachable_cycles(access: Access) -> QuerySet[ReportingCycle]:
    return ReportingCycle.objects.filter(access.visible(reach_of(ReportingCycle)))


def cycle(access: Access, pk: int) -> ReportingCycle:
    """The cycle, if its institution is within the reader's reach; else not found."""
    return get_object_or_404(reachable_cycles(access).select_related("institution"), pk=pk)


def _count(items: QuerySet, **where) -> Coalesce:
    """The number of ``items`` of the outer cycle (and ``where``), as a subquery."""
    counted = (
        items.filter(cycle=OuterRef("pk"), **where)
        .order_by()
        .values("cycle")
        .annotate(n=Count("pk", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_completion(
    cycles: QuerySet, reports: QuerySet | None = None, figures: QuerySet | None = None
) -> QuerySet:
    """Cycles with what is owed in each, how much is approved and how much waits for review:
    ``owed``, ``approved``, ``submitted`` and ``overdue_n`` (of ``reports`` and ``figures``,
    every item where not given)."""
    reports = Report.objects.all() if reports is None else reports
    figures = FigureReport.objects.all() if figures is None else figures
    today = timezone.localdate()
    late = {"state__in": EDITABLE, "cycle__due_date__lt": today}
    return cycles.annotate(
        reports_owed=_count(reports),
        figures_owed=_count(figures),
        reports_approved=_count(reports, state=State.APPROVED),
        figures_approved=_count(figures, state=State.APPROVED),
        reports_submitted=_count(reports, state__in=AWAITING_REVIEW),
        figures_submitted=_count(figures, state__in=AWAITING_REVIEW),
        reports_overdue=_count(reports, **late),
        figures_overdue=_count(figures, **late),
    )


@dataclass
class Completion:
    """A cycle's completion: approved of owed, and submitted (waiting for review)."""

    cycle: ReportingCycle
    owed: int
    approved: int
    submitted: int
    overdue: int

    @property
    def percent(self) -> int:
        return round(100 * self.approved / self.owed) if self.owed else 0

    @classmethod
    def of(cls, cycle: ReportingCycle) -> "Completion":
        return cls(
            cycle,
            owed=cycle.reports_owed + cycle.figures_owed,
            approved=cycle.reports_approved + cycle.figures_approved,
            submitted=cycle.reports_submitted + cycle.figures_submitted,
            overdue=cycle.reports_overdue + cycle.figures_overdue,
        )


def cycles_listed(access: Access) -> list[Completion]:
    """The reader's institutions' cycles, newest first, each with its completion: one query."""
    cycles = (
        reachable_cycles(access)
        .select_related("institution")
        .order_by("closed_at", "-fiscal_year", "-due_date", "institution__code")
    )
    return [Completion.of(c) for c in with_completion(cycles)]


def open_completion(
    cycles: QuerySet, reports: QuerySet | None = None, figures: QuerySet | None = None
) -> list[Completion]:
    """The open cycles among ``cycles`` that owe anything of ``reports`` and ``figures``: one
    query where no cycle is open, three where any is (the items counted per cycle and state)."""
    open_ = list(
        cycles.filter(closed_at__isnull=True)
        .select_related("institution")
        .order_by("institution__code", "due_date")
    )
    if not open_:
        return []
    reports = Report.objects.all() if reports is None else reports
    figures = FigureReport.objects.all() if figures is None else figures
    today = timezone.localdate()
    wanted = {
        "owed": Q(),
        "approved": Q(state=State.APPROVED),
        "submitted": Q(state__in=AWAITING_REVIEW),
        "overdue": Q(state__in=EDITABLE, cycle__due_date__lt=today),
    }
    counts = {c.pk: dict.fromkeys(wanted, 0) for c in open_}
    for items in (reports, figures):
        rows = (
            items.filter(cycle__in=open_)
            .order_by()
            .values("cycle_id")
            .annotate(
                **{name: Count("pk", distinct=True, filter=where) for name, where in wanted.items()}
            )
        )
        for row in rows:
            for name in wanted:
                counts[row["cycle_id"]][name] += row[name]
    completions = [Completion(c, **counts[c.pk]) for c in open_]
    return [c for c in completions if c.owed]


def goal_completion(cycles: QuerySet, subtree: list[int]) -> list[Completion]:
    """The open cycles' items of a goal's subtree: the reports of the initiatives serving it and
    the figures of its indicators."""
    return open_completion(
        cycles,
        Report.objects.filter(initiative_id__in=serving(subtree)),
        FigureReport.objects.filter(indicator__goal_id__in=subtree),
    )


# --- The office's board --------------------------------------------------------------------------


@dataclass
class Item:
    """One row of a board: a report or a figure report, with its owners' names."""

    record: Report | FigureReport
    kind: str
    subject: object  # the initiative or the indicator
    field: str  # the subject's bilingual name: "title" or "name"
    units: list[Unit]
    owners: list[str] = field(default_factory=list)
    owner_ids: set[int] = field(default_factory=set)
    reminded: bool = False  # every owner reminded by the office today (``mark_reminded``)

    @property
    def code(self) -> str:
        return self.subject.code

    @property
    def name(self) -> str:
        return self.subject.shown(self.field).text

    @property
    def state(self) -> str:
        return self.record.state

    @property
    def overdue(self) -> bool:
        return self.record.overdue

    @property
    def owed(self) -> bool:
        """Still owed: not started, a draft or returned (overdue ones among them)."""
        return self.record.state in EDITABLE

    @property
    def admin_view(self) -> str:
        return f"admin:reporting_{self.record._meta.model_name}_change"


@dataclass
class Board:
    cycle: ReportingCycle
    items: list[Item]
    counts: dict[str, int]
    units: list[Unit]
    unit: Unit | None
    state: str


STATES = [*State.values, OVERDUE]


def board(cycle: ReportingCycle, *, unit: str = "", state: str = "") -> Board:
    """Every item the cycle owes, narrowed to a unit (a report's lead unit, a figure's goal's
    units) and a state (or overdue), with the counts per state of the unit's items."""
    today = timezone.localdate()
    units = list(Unit.objects.filter(institution=cycle.institution_id).order_by("name"))
    chosen = next((u for u in units if str(u.pk) == unit), None)
    state = state if state in STATES else ""
    reports = with_overdue(Report.objects.filter(cycle=cycle), today)
    figures = with_overdue(FigureReport.objects.filter(cycle=cycle), today)
    if chosen is not None:
        reports = reports.filter(initiative__lead_unit=chosen)
        figures = figures.filter(
            pk__in=FigureReport.objects.filter(indicator__goal__units=chosen).values("pk")
        )
    counts = dict.fromkeys(STATES, 0)
    for items in (reports, figures):
        tallies = items.aggregate(
            **{value: Count("pk", filter=Q(state=value)) for value in State.values},
            overdue_n=Count("pk", filter=Q(state__in=EDITABLE, cycle__due_date__lt=today)),
        )
        for value in State.values:
            counts[value] += tallies[value]
        counts[OVERDUE] += tallies["overdue_n"]
    if state == OVERDUE:
        reports, figures = reports.filter(overdue=True), figures.filter(overdue=True)
    elif state:
        reports, figures = reports.filter(state=state), figures.filter(state=state)
    report_rows = list(reports.select_related("initiative__lead_unit").order_by("initiative__code"))
    figure_rows = list(
        figures.select_related("indicator__goal")
        .prefetch_related("indicator__goal__units")
        .order_by("indicator__code")
    )
    owners = {("report", pk): users for pk, users in report_owners(reports).items()}
    owners |= {("figure", pk): users for pk, users in figure_owners(figures).items()}
    names = user_names({user for users in owners.values() for user in users})
    items = [
        Item(
            r,
            "report",
            r.initiative,
            "title",
            [r.initiative.lead_unit] if r.initiative.lead_unit else [],
        )
        for r in report_rows
    ] + [
        Item(
            f,
            "figure",
            f.indicator,
            "name",
            list(f.indicator.goal.units.all()),
        )
        for f in figure_rows
    ]
    for item in items:
        users = owners.get((item.kind, item.record.pk), set())
        item.owners = sorted(names[user] for user in users if user in names)
        item.owner_ids = set(users)
    return Board(cycle, items, counts, units, chosen, state)


def mark_reminded(board: Board, today: dt.date) -> None:
    """Mark the items whose every owner the office has reminded of the cycle today: one query."""
    reminded = set(
        Reminder.objects.filter(cycle=board.cycle, occasion=Occasion.MANUAL, day=today).values_list(
            "recipient", flat=True
        )
    )
    for item in board.items:
        item.reminded = bool(item.owner_ids) and item.owner_ids <= reminded


def user_names(ids: set[int]) -> dict[int, str]:
    """Each user's full name, or their username where they have none: one query."""
    if not ids:
        return {}
    users = get_user_model().objects.filter(pk__in=ids)
    return {u.pk: u.get_full_name() or u.get_username() for u in users}


# --- An owner's page -----------------------------------------------------------------------------


def owed_by(user) -> tuple[list[Report], list[FigureReport]]:
    """What ``user`` owes in the open cycles and may still edit, soonest due first."""
    today = timezone.localdate()
    reports = with_overdue(reports_owed_by(user), today).select_related(
        "cycle__institution", "initiative"
    )
    figures = with_overdue(figures_owed_by(user), today).select_related(
        "cycle__institution", "indicator"
    )
    return (
        list(reports.order_by("cycle__due_date", "initiative__code")),
        list(figures.order_by("cycle__due_date", "indicator__code")),
    )


def awaiting_review(access: Access) -> tuple[list[Report], list[FigureReport]]:
    """The submitted items of the open cycles of the reader's institutions, oldest first."""
    waiting = {"cycle__closed_at__isnull": True, "state__in": AWAITING_REVIEW}
    reports = Report.objects.filter(access.visible(reach_of(Report)), **waiting)
    figures = FigureReport.objects.filter(access.visible(reach_of(FigureReport)), **waiting)
    return (
        list(reports.select_related("cycle__institution", "initiative").order_by("submitted_at")),
        list(figures.select_related("cycle__institution", "indicator").order_by("submitted_at")),
    )
