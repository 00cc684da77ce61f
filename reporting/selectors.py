"""Who owes what in a reporting cycle, and who reviews it: the one place that says so.

An initiative's report is owed by its named owner (the person's login, where they have one) and
by its lead unit's editors (the users whose scope names that unit, as an editor or a unit editor);
an indicator's figure by the editors of its goal's units. A cycle's reviewers are the users with
the Reviewer role whose scope reaches its institution. The head of a unit, to whom an overdue
item is escalated, is its current director (or an overseas center's). Who runs a cycle, and so
may remind its owners from its board, is ``runs_cycle``'s to say.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from common.access import access_for
from common.roles import EDITOR, REVIEWER, UNIT_EDITOR
from reporting.models import EDITABLE, FigureReport, Report, ReportingCycle
from units.models import AppointmentRole

OWNER_ROLES = (EDITOR, UNIT_EDITOR)
HEAD_ROLES = (AppointmentRole.DIRECTOR, AppointmentRole.CENTER_DIRECTOR)


def open_cycles() -> QuerySet[ReportingCycle]:
    return ReportingCycle.objects.filter(closed_at__isnull=True)


def runs_cycle(user, cycle: ReportingCycle) -> bool:
    """Whether ``user`` runs ``cycle``, and so may remind its owners from its board.

    Administrators run every cycle; the editors and the reviewers whose scope reaches the cycle's
    institution run its cycles: the office chases what is owed, as it reviews what is submitted.
    Unit editors (who owe their own unit's items), data stewards and leadership read the board
    but do not run the cycle. The caller has found the cycle within the reader's reach already.
    """
    access = access_for(user)
    if access.everything:
        return True
    if cycle.institution_id not in access.institution_ids:
        return False
    return user.groups.filter(name__in=(EDITOR, REVIEWER)).exists()


def reports_owed_by(user) -> QuerySet[Report]:
    """The reports of open cycles that ``user`` owes and may still edit."""
    owes = Q(initiative__owner__user=user)
    if user.groups.filter(name__in=OWNER_ROLES).exists():
        owes |= Q(initiative__lead_unit__user_scopes__user=user)
    return Report.objects.filter(owes, cycle__closed_at__isnull=True, state__in=EDITABLE).distinct()


def figures_owed_by(user) -> QuerySet[FigureReport]:
    """The figure reports of open cycles that ``user`` owes and may still edit."""
    if not user.groups.filter(name__in=OWNER_ROLES).exists():
        return FigureReport.objects.none()
    return FigureReport.objects.filter(
        indicator__goal__units__user_scopes__user=user,
        cycle__closed_at__isnull=True,
        state__in=EDITABLE,
    ).distinct()


def report_owners(reports: QuerySet[Report]) -> dict[int, set[int]]:
    """Each report's owners, as user ids: two queries, whatever the number of reports."""
    owners: dict[int, set[int]] = {}
    named = reports.filter(initiative__owner__user__isnull=False).values_list(
        "pk", "initiative__owner__user"
    )
    for report, user in named:
        owners.setdefault(report, set()).add(user)
    editors = reports.filter(
        initiative__lead_unit__user_scopes__user__groups__name__in=OWNER_ROLES,
        initiative__lead_unit__user_scopes__user__is_active=True,
    ).values_list("pk", "initiative__lead_unit__user_scopes__user")
    for report, user in editors:
        owners.setdefault(report, set()).add(user)
    return owners


def figure_owners(figures: QuerySet[FigureReport]) -> dict[int, set[int]]:
    """Each figure report's owners, as user ids: one query, whatever the number of figures."""
    owners: dict[int, set[int]] = {}
    rows = figures.filter(
        indicator__goal__units__user_scopes__user__groups__name__in=OWNER_ROLES,
        indicator__goal__units__user_scopes__user__is_active=True,
    ).values_list("pk", "indicator__goal__units__user_scopes__user")
    for figure, user in rows:
        owners.setdefault(figure, set()).add(user)
    return owners


def reviewers_of(cycle: ReportingCycle) -> QuerySet:
    """The active users with the Reviewer role whose scope reaches the cycle's institution."""
    institution = cycle.institution_id
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=REVIEWER)
        .filter(Q(scope__institutions=institution) | Q(scope__units__institution=institution))
        .distinct()
    )


def unit_heads(unit_ids: list[int], on: dt.date) -> dict[int, set[int]]:
    """Each unit's heads on a day, as user ids (heads with no login cannot be mailed)."""
    from units.models import Appointment

    heads: dict[int, set[int]] = {}
    rows = (
        Appointment.objects.filter(unit__in=unit_ids, role__in=HEAD_ROLES)
        .filter(Q(start__isnull=True) | Q(start__lte=on))
        .filter(Q(end__isnull=True) | Q(end__gte=on))
        .filter(person__user__isnull=False, person__user__is_active=True)
        .values_list("unit", "person__user")
    )
    for unit, user in rows:
        heads.setdefault(unit, set()).add(user)
    return heads
