"""The doors of the reporting cycle: opening it, writing, submitting and reviewing what is owed.

Each step is a history row naming its user and its comment or reason. A report or a figure goes
draft → submitted → approved, or returned (with a comment) and submitted again. Nobody approves
or returns what they wrote: the submitter and every author of its drafts are refused
(``PermissionDenied``, a 403 on the admin's pages). An approved report is published as its
initiative's progress update and marks its milestones done; an approved figure is written as its
indicator's actual for the fiscal year.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from common.history import write_history
from common.services import record_delete, record_save
from policies.models import Indicator
from policies.services import indicator_actual_record
from portfolio.models import Initiative, InitiativeStatus, Milestone
from portfolio.services import milestones_done, progress_update_publish
from reporting.evidence import evidence_type
from reporting.models import (
    AWAITING_REVIEW,
    EDITABLE,
    PERIOD_MONTHS,
    Comment,
    Evidence,
    FigureReport,
    MilestoneProgress,
    Report,
    ReportingCycle,
    State,
)
from reporting.roles import REVIEW

BATCH = 500
# The statuses of initiatives that owe a report when their dates overlap the period; a completed
# one owes the report of the period it ended in, and no later.
REPORTING_STATUSES = (InitiativeStatus.PLANNED, InitiativeStatus.ACTIVE, InitiativeStatus.ON_HOLD)


def initiatives_owing(cycle: ReportingCycle) -> QuerySet[Initiative]:
    """The institution's initiatives that owe a report in the cycle.

    Planned, active and on-hold initiatives whose dates overlap the period (a missing start or end
    date leaves that side open): an office reports on what it is preparing, doing or has paused,
    and says why. A completed initiative owes the report of the period it ended in (its end date
    on or after the period's start); a proposed one is not yet under way, and a cancelled one
    owes nothing.
    """
    starts, ends = cycle.starts, cycle.ends
    overlaps = (Q(start_date__isnull=True) | Q(start_date__lte=ends)) & (
        Q(end_date__isnull=True) | Q(end_date__gte=starts)
    )
    ended_in_period = Q(status=InitiativeStatus.COMPLETED, end_date__gte=starts)
    return Initiative.objects.filter(institution=cycle.institution_id).filter(
        (Q(status__in=REPORTING_STATUSES) | ended_in_period) & overlaps
    )


def indicators_owing(cycle: ReportingCycle) -> QuerySet[Indicator]:
    """The indicators whose actual falls due in the cycle.

    Actuals are yearly (one per fiscal year, beside its target), so they are owed once a year: in
    the cycle whose period ends the fiscal year (Q4, the second half or the whole year), for the
    indicators of the institution's goals that have a target for that year. Earlier cycles of the
    year owe no figures.
    """
    if PERIOD_MONTHS[cycle.period][1] != 12:
        return Indicator.objects.none()
    return Indicator.objects.filter(
        goal__framework__institution=cycle.institution_id,
        values__fiscal_year=cycle.fiscal_year,
        values__target__isnull=False,
    ).distinct()


@transaction.atomic
def cycle_open(
    *, cycle: ReportingCycle, user: AbstractBaseUser | None, reason: str | None = None
) -> ReportingCycle:
    """Open ``cycle`` (unsaved) and create what is owed in it, in bulk: a report for each
    initiative owing one (``initiatives_owing``) with a line for each of its open milestones, and
    a figure report for each indicator due (``indicators_owing``). A bounded number of queries,
    however many initiatives; every row created has its history row.

    Once the cycle has committed, the reminders' check (``check_cycles``) is queued, so that the
    owners' opening digests go now rather than at the scheduler's next tick; running that check
    again the same day sends nothing twice. Nothing is queued where no mail can leave."""
    cycle.opened_by = user
    reason = reason or _("Cycle opened")
    record_save(cycle, user=user, reason=reason)
    now = timezone.now()
    initiatives = list(initiatives_owing(cycle).values_list("pk", flat=True))
    reports = Report.objects.bulk_create(
        [Report(cycle=cycle, initiative_id=pk) for pk in initiatives], batch_size=BATCH
    )
    write_history(Report, reports, history_type="+", user=user, reason=reason, date=now)
    report_of = {report.initiative_id: report.pk for report in reports}
    open_milestones = Milestone.objects.filter(
        initiative__in=initiatives_owing(cycle), done=False
    ).values_list("pk", "initiative_id")
    lines = MilestoneProgress.objects.bulk_create(
        [
            MilestoneProgress(report_id=report_of[initiative], milestone_id=pk)
            for pk, initiative in open_milestones
        ],
        batch_size=BATCH,
    )
    write_history(MilestoneProgress, lines, history_type="+", user=user, reason=reason, date=now)
    figures = FigureReport.objects.bulk_create(
        [
            FigureReport(cycle=cycle, indicator_id=pk)
            for pk in indicators_owing(cycle).values_list("pk", flat=True)
        ],
        batch_size=BATCH,
    )
    write_history(FigureReport, figures, history_type="+", user=user, reason=reason, date=now)
    # robust: the cycle is open whatever the queue says; the next tick sends what this did not.
    transaction.on_commit(_check_cycles_now, robust=True)
    return cycle


def _check_cycles_now() -> None:
    """Queue the reminders' check of today (the opening digests of a cycle just opened)."""
    from reporting.reminders.mail import mail_is_configured
    from reporting.tasks import check_cycles

    if mail_is_configured():
        check_cycles.enqueue()


def _state_now(item: Report | FigureReport) -> str:
    """The item's state as stored, its row locked until the step commits: of two reviewers who
    press Approve at once, the second finds it approved."""
    stored = type(item).objects.select_for_update().filter(pk=item.pk).values_list("state")
    return next(iter(stored), (item.state,))[0]


def _require_editable(item: Report | FigureReport) -> None:
    if _state_now(item) not in EDITABLE:
        raise ValidationError(
            _("This item is %(state)s: it can no longer be changed.")
            % {"state": item.get_state_display().lower()},
            code="locked",
        )


def _save_draft(item: Report | FigureReport, user, reason: str | None) -> None:
    _require_editable(item)
    if item.state == State.NOT_STARTED:
        item.state = State.DRAFT
    record_save(item, user=user, reason=reason)


@transaction.atomic
def report_save(*, report: Report, user: AbstractBaseUser, reason: str | None = None) -> Report:
    """Save an owner's draft of a report (health, narrative); a report not started becomes a
    draft, a returned one stays returned until it is submitted again."""
    _save_draft(report, user, reason)
    return report


@transaction.atomic
def figure_save(
    *, figure: FigureReport, user: AbstractBaseUser, reason: str | None = None
) -> FigureReport:
    """Save an owner's draft of a figure (its actual, a note)."""
    _save_draft(figure, user, reason)
    return figure


def _submit(item: Report | FigureReport, user, comment: str) -> None:
    _require_editable(item)
    item.state = State.SUBMITTED
    item.submitted_at, item.submitted_by = timezone.now(), user
    record_save(item, user=user, reason=comment.strip() or _("Submitted for review"))


@transaction.atomic
def report_submit(*, report: Report, user: AbstractBaseUser, comment: str = "") -> Report:
    """Send a report for review; it needs a health and a narrative in English or Japanese."""
    if not report.health or not (report.narrative.strip() or report.narrative_ja.strip()):
        raise ValidationError(
            _("Give the health and a narrative in English or Japanese before submitting."),
            code="incomplete",
        )
    _submit(report, user, comment)
    return report


@transaction.atomic
def figure_submit(
    *, figure: FigureReport, user: AbstractBaseUser, comment: str = ""
) -> FigureReport:
    """Send a figure for review; it needs its actual."""
    if figure.actual is None:
        raise ValidationError(_("Give the actual before submitting."), code="incomplete")
    _submit(figure, user, comment)
    return figure


def authors_of(item: Report | FigureReport) -> set[int]:
    """Who wrote the item: its submitter and the users of its history rows, but for the row that
    created it (by whoever opened the cycle) and the rows of the reviews themselves."""
    reviews = Q(state__in=(State.RETURNED, State.APPROVED), history_user=F("reviewed_by"))
    authors = set(
        item.history.exclude(history_type="+")
        .exclude(reviews)
        .filter(history_user__isnull=False)
        .values_list("history_user", flat=True)
    )
    if item.submitted_by_id:
        authors.add(item.submitted_by_id)
    return authors


def may_review(item: Report | FigureReport, user: AbstractBaseUser) -> bool:
    """Whether ``user`` may approve or return the item: a reviewer who did not write it."""
    return user.has_perm(REVIEW) and user.pk not in authors_of(item)


def _require_review(item: Report | FigureReport, user) -> None:
    if not user.has_perm(REVIEW):
        raise PermissionDenied(_("Only reviewers approve or return what is submitted."))
    if user.pk in authors_of(item):
        raise PermissionDenied(_("You wrote or submitted this; another reviewer must review it."))
    if _state_now(item) not in AWAITING_REVIEW:
        raise ValidationError(_("Only a submitted item can be reviewed."), code="not_submitted")


def _reviewed(item: Report | FigureReport, user, state: str, reason: str) -> None:
    item.state = state
    item.reviewed_at, item.reviewed_by = timezone.now(), user
    record_save(item, user=user, reason=reason)


def _required_comment(comment: str) -> str:
    comment = comment.strip()
    if not comment:
        raise ValidationError(
            _("Say what needs to change: a return needs a comment."), code="comment_required"
        )
    return comment


@transaction.atomic
def report_return(*, report: Report, user: AbstractBaseUser, comment: str) -> Report:
    """Return a submitted report to its owners with a comment (required), which is added to the
    report's comments and named on its history row."""
    _require_review(report, user)
    comment = _required_comment(comment)
    _reviewed(report, user, State.RETURNED, _("Returned: %(comment)s") % {"comment": comment})
    comment_add(report=report, author=user, body=comment)
    return report


@transaction.atomic
def report_approve(*, report: Report, user: AbstractBaseUser, comment: str = "") -> Report:
    """Approve a submitted report: it is published as the initiative's progress update for the
    cycle's fiscal year and quarter, and the milestones it says are done are marked done."""
    _require_review(report, user)
    comment = comment.strip()
    reason = _("Approved: %(comment)s") % {"comment": comment} if comment else _("Approved")
    _reviewed(report, user, State.APPROVED, reason)
    cycle = report.cycle
    progress_update_publish(
        initiative=report.initiative,
        fiscal_year=cycle.fiscal_year,
        quarter=cycle.quarter,
        health=report.health,
        narrative=report.narrative,
        narrative_ja=report.narrative_ja,
        user=user,
        reason=_("Published from the approved report of %(cycle)s") % {"cycle": cycle},
    )
    done = Milestone.objects.filter(progress__report=report, progress__done=True)
    milestones_done(
        milestones=done,
        user=user,
        reason=_("Done, as the approved report of %(cycle)s says") % {"cycle": cycle},
    )
    if comment:
        comment_add(report=report, author=user, body=comment)
    return report


@transaction.atomic
def figure_return(*, figure: FigureReport, user: AbstractBaseUser, comment: str) -> FigureReport:
    """Return a submitted figure to its owners with a comment (required, on its history row)."""
    _require_review(figure, user)
    comment = _required_comment(comment)
    _reviewed(figure, user, State.RETURNED, _("Returned: %(comment)s") % {"comment": comment})
    return figure


@transaction.atomic
def figure_approve(
    *, figure: FigureReport, user: AbstractBaseUser, comment: str = ""
) -> FigureReport:
    """Approve a submitted figure: it becomes the indicator's actual for the cycle's year."""
    _require_review(figure, user)
    comment = comment.strip()
    reason = _("Approved: %(comment)s") % {"comment": comment} if comment else _("Approved")
    _reviewed(figure, user, State.APPROVED, reason)
    indicator_actual_record(
        indicator=figure.indicator,
        fiscal_year=figure.cycle.fiscal_year,
        actual=figure.actual,
        user=user,
        reason=_("From the approved figure of %(cycle)s") % {"cycle": figure.cycle},
    )
    return figure


@transaction.atomic
def comment_add(
    *, report: Report, author: AbstractBaseUser, body: str, parent: Comment | None = None
) -> Comment:
    """Add a comment to a report, or a reply to one of its comments."""
    body = body.strip()
    if not body:
        raise ValidationError(_("Write the comment first."), code="empty")
    if parent is not None and parent.report_id != report.pk:
        raise ValidationError(_("A reply answers a comment on the same report."), code="parent")
    comment = Comment(report=report, parent=parent, author=author, body=body)
    return record_save(comment, user=author, reason=_("Comment added"))


@transaction.atomic
def evidence_add(
    *, report: Report, upload: UploadedFile, user: AbstractBaseUser, reason: str | None = None
) -> Evidence:
    """Keep a file as a report's evidence, through Django's storage, its type read from its
    content (``reporting.evidence``); a file too large or of another kind is refused."""
    _require_editable(report)
    content_type = evidence_type(upload)
    evidence = Evidence(
        report=report,
        file=upload,
        file_name=(upload.name or "")[-255:],
        content_type=content_type,
        size=upload.size,
        added_by=user,
    )
    return record_save(evidence, user=user, reason=reason or _("Evidence added"))


@transaction.atomic
def evidence_remove(
    *, evidence: Evidence, user: AbstractBaseUser, reason: str | None = None
) -> None:
    """Remove a file from a report that its owners may still edit; the stored file goes too."""
    _require_editable(evidence.report)
    stored = evidence.file
    record_delete(evidence, user=user, reason=reason or _("Evidence removed"))
    transaction.on_commit(lambda: stored.storage.delete(stored.name))
