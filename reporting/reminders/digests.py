"""Which reminders a cycle owes on a day, and to whom: digests built in a bounded number of queries.

The occasions of an open cycle due on ``D``, with ``N`` = ``remind_days_before`` and
``M`` = ``escalate_after_days``:

- ``opened``: on the day the cycle opened, to every owner of an item;
- ``before_due``: on ``D - N`` (none when ``N`` is 0: that day is the due date);
- ``due``: on ``D``;
- ``overdue``: every day after ``D`` while an owner still owes something (a daily digest: an
  overdue item is worth a word each day until it is submitted, and the digest keeps it to one mail
  a day, whatever the number of items);
- ``escalation``: once, on ``D + M`` (none when ``M`` is 0), to the heads of the units whose
  items are still owed;
- ``review``: every day on which submitted items wait, to the cycle's reviewers;
- ``manual``: not scheduled; when the office sends a reminder from the cycle's board, to the owners
  of the item (``office.py``), once a day at most.

When two of the owners' occasions fall on one day, only the most pressing goes: an owner gets at
most one digest of a cycle a day.

An item is owed while its state is editable (not started, draft, returned). Building the digests
of one occasion costs the same few queries for 20 items as for 20,000; the digest of each
recipient is then a plain value (``Digest.as_payload``) that a task can carry.
"""

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from reporting.models import AWAITING_REVIEW, EDITABLE, FigureReport, Occasion, Report
from reporting.selectors import figure_owners, report_owners, reviewers_of, unit_heads

REPORT = "report"
FIGURE = "figure"


@dataclass(frozen=True)
class Item:
    """One report or figure report named in a digest."""

    kind: str  # REPORT or FIGURE
    pk: int
    code: str
    title: str
    title_ja: str
    state: str


@dataclass
class Digest:
    """What one recipient is told of one cycle on one occasion and day."""

    recipient: int
    email: str
    language: str
    cycle: int
    occasion: str
    day: dt.date
    items: list[Item] = field(default_factory=list)

    def as_payload(self) -> dict:
        """The digest as JSON-ready values, for a task's arguments."""
        return {
            "recipient": self.recipient,
            "email": self.email,
            "language": self.language,
            "cycle": self.cycle,
            "occasion": self.occasion,
            "day": self.day.isoformat(),
            "items": [asdict(item) for item in self.items],
        }

    @classmethod
    def from_payload(cls, payload: dict) -> "Digest":
        return cls(
            recipient=payload["recipient"],
            email=payload["email"],
            language=payload["language"],
            cycle=payload["cycle"],
            occasion=payload["occasion"],
            day=dt.date.fromisoformat(payload["day"]),
            items=[Item(**item) for item in payload["items"]],
        )


def occasions_on(cycle, today: dt.date) -> list[str]:
    """The occasions of ``cycle`` that fall on ``today`` (review: every day)."""
    due = cycle.due_date
    occasions = []
    if timezone.localdate(cycle.opened_at) == today:
        occasions.append(Occasion.OPENED)
    if cycle.remind_days_before and today == due - dt.timedelta(days=cycle.remind_days_before):
        occasions.append(Occasion.BEFORE_DUE)
    if today == due:
        occasions.append(Occasion.DUE)
    if today > due:
        occasions.append(Occasion.OVERDUE)
    # An owner gets one digest of a cycle a day: the most pressing of the day's occasions (a
    # cycle opened on its due date says "due today", one opened late "overdue").
    occasions = occasions[-1:]
    if today == due + dt.timedelta(days=cycle.escalate_after_days) and today > due:
        occasions.append(Occasion.ESCALATION)
    occasions.append(Occasion.REVIEW)
    return occasions


def _report_items(reports: QuerySet[Report]) -> dict[int, Item]:
    fields = ("pk", "initiative__code", "initiative__title", "initiative__title_ja", "state")
    return {row[0]: Item(REPORT, *row) for row in reports.values_list(*fields)}


def _figure_items(figures: QuerySet[FigureReport]) -> dict[int, Item]:
    fields = ("pk", "indicator__code", "indicator__name", "indicator__name_ja", "state")
    return {row[0]: Item(FIGURE, *row) for row in figures.values_list(*fields)}


def _items_of(owed: dict[int, set[int]], items: dict[int, Item], into: dict[int, list[Item]]):
    for pk, users in owed.items():
        for user in users:
            into.setdefault(user, []).append(items[pk])


def mailable_digests(
    cycle, occasion: str, today: dt.date, wanted: dict[int, list[Item]]
) -> list[Digest]:
    """A digest for each wanted recipient who can be mailed (active, with an address), in their
    preferred language (``UserScope.language``, else the site's)."""
    from django.conf import settings

    if not wanted:
        return []
    users = (
        get_user_model()
        .objects.filter(pk__in=wanted, is_active=True)
        .exclude(email="")
        .values_list("pk", "email", "scope__language")
    )
    return [
        Digest(
            recipient=pk,
            email=email,
            language=language or settings.LANGUAGE_CODE,
            cycle=cycle.pk,
            occasion=occasion,
            day=today,
            items=sorted(wanted[pk], key=lambda item: (item.kind != REPORT, item.code, item.pk)),
        )
        for pk, email, language in users.order_by("pk")
    ]


def owed_by_owner(cycle) -> dict[int, list[Item]]:
    """Each owner's items of ``cycle`` still owed, by user id: five queries in all."""
    reports = Report.objects.filter(cycle=cycle, state__in=EDITABLE)
    figures = FigureReport.objects.filter(cycle=cycle, state__in=EDITABLE)
    wanted: dict[int, list[Item]] = {}
    _items_of(report_owners(reports), _report_items(reports), wanted)
    _items_of(figure_owners(figures), _figure_items(figures), wanted)
    return wanted


def owed_by_head(cycle, today: dt.date) -> dict[int, list[Item]]:
    """Each unit head's overdue items of ``cycle`` (their units' still owed), by user id."""
    reports = Report.objects.filter(cycle=cycle, state__in=EDITABLE)
    figures = FigureReport.objects.filter(cycle=cycle, state__in=EDITABLE)
    report_units = dict(reports.values_list("pk", "initiative__lead_unit"))
    figure_units: dict[int, set[int]] = {}
    for pk, unit in figures.filter(indicator__goal__units__isnull=False).values_list(
        "pk", "indicator__goal__units"
    ):
        figure_units.setdefault(pk, set()).add(unit)
    units = set(report_units.values()) | {u for us in figure_units.values() for u in us}
    heads = unit_heads(sorted(units), today)
    owed = {pk: heads.get(unit, set()) for pk, unit in report_units.items()}
    figure_owed = {
        pk: set().union(*(heads.get(unit, set()) for unit in units_of))
        for pk, units_of in figure_units.items()
    }
    wanted: dict[int, list[Item]] = {}
    _items_of(owed, _report_items(reports), wanted)
    _items_of(figure_owed, _figure_items(figures), wanted)
    return wanted


def waiting_for_reviewers(cycle) -> dict[int, list[Item]]:
    """Each reviewer's submitted items of ``cycle`` (all of them: a reviewer reaches the whole
    institution), by user id."""
    reports = Report.objects.filter(cycle=cycle, state__in=AWAITING_REVIEW)
    figures = FigureReport.objects.filter(cycle=cycle, state__in=AWAITING_REVIEW)
    items = [*_report_items(reports).values(), *_figure_items(figures).values()]
    if not items:
        return {}
    return {user: list(items) for user in reviewers_of(cycle).values_list("pk", flat=True)}


def digests_for(cycle, occasion: str, today: dt.date) -> list[Digest]:
    """The digests of one occasion of ``cycle`` on ``today``: a constant number of queries."""
    if occasion == Occasion.REVIEW:
        wanted = waiting_for_reviewers(cycle)
    elif occasion == Occasion.ESCALATION:
        wanted = owed_by_head(cycle, today)
    else:
        wanted = owed_by_owner(cycle)
    return mailable_digests(cycle, occasion, today, wanted)
