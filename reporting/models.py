"""The reporting cycle: what owners owe in a period, what they report, and its review.

An administrator opens a ``ReportingCycle`` for one institution, a fiscal year's period and a due
date. Opening it creates what is owed: a ``Report`` for each initiative active in the period and a
``FigureReport`` for each indicator whose actual falls due. Each goes draft → submitted →
approved, or returned with a comment and submitted again; an approved report is published as the
initiative's progress update, an approved figure as the indicator's actual. Every step is a
history row with its user and comment.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.access import Reach
from common.db import in_choices
from common.fiscal import fiscal_year_bounds, fiscal_year_label
from policies.models import Indicator
from portfolio.models import Health, Initiative, Milestone
from units.models import Institution


class Period(models.TextChoices):
    Q1 = "q1", _("Q1 (April–June)")
    Q2 = "q2", _("Q2 (July–September)")
    Q3 = "q3", _("Q3 (October–December)")
    Q4 = "q4", _("Q4 (January–March)")
    H1 = "h1", _("First half (April–September)")
    H2 = "h2", _("Second half (October–March)")
    YEAR = "year", _("Whole year (April–March)")


# Each period as months from the fiscal year's April: the first month and the month after it.
PERIOD_MONTHS = {
    Period.Q1: (0, 3),
    Period.Q2: (3, 6),
    Period.Q3: (6, 9),
    Period.Q4: (9, 12),
    Period.H1: (0, 6),
    Period.H2: (6, 12),
    Period.YEAR: (0, 12),
}


def _month_start(fiscal_year: int, months_from_april: int) -> dt.date:
    month = 4 + months_from_april
    return dt.date(fiscal_year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


class State(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")


# What an owner may still edit; what waits for a reviewer.
EDITABLE = (State.NOT_STARTED, State.DRAFT, State.RETURNED)
AWAITING_REVIEW = (State.SUBMITTED,)


class ReportingCycle(models.Model):
    """One institution's round of reports for a period of a fiscal year, due on a date."""

    reach = Reach(institution=("institution",))

    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        related_name="reporting_cycles",
        verbose_name=_("institution"),
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    due_date = models.DateField(_("due date"))
    remind_days_before = models.PositiveSmallIntegerField(
        _("remind this many days before the due date"), default=7
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        _("escalate to the unit head this many days after the due date"), default=7
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("reporting cycle")
        verbose_name_plural = _("reporting cycles")
        ordering = ["-fiscal_year", "-due_date"]
        permissions = [("review_reports", "Can review reports")]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "fiscal_year", "period"],
                name="%(app_label)s_%(class)s_one_per_period",
                violation_error_message=_("This institution already has a cycle for that period."),
            ),
            in_choices("period", Period, "%(app_label)s_%(class)s_period_valid"),
        ]

    def __str__(self) -> str:
        year = fiscal_year_label(self.fiscal_year)
        return f"{self.institution.code} {year} {self.get_period_display()}"

    @property
    def starts(self) -> dt.date:
        return _month_start(self.fiscal_year, PERIOD_MONTHS[self.period][0])

    @property
    def ends(self) -> dt.date:
        """The period's last day."""
        after = PERIOD_MONTHS[self.period][1]
        if after == 12:
            return fiscal_year_bounds(self.fiscal_year)[1]
        return _month_start(self.fiscal_year, after) - dt.timedelta(days=1)

    @property
    def quarter(self) -> int:
        """The period's last quarter: the quarter its published progress updates are filed under."""
        return PERIOD_MONTHS[self.period][1] // 3


class Reviewed(models.Model):
    """The state of an owed item and who moved it last."""

    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.NOT_STARTED
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )

    class Meta:
        abstract = True


class Report(Reviewed):
    """An initiative's update owed in a cycle: health, narrative, milestones, evidence."""

    reach = Reach(institution=("cycle__institution",), unit=("initiative__lead_unit",))

    cycle = models.ForeignKey(
        ReportingCycle, on_delete=models.CASCADE, related_name="reports", verbose_name=_("cycle")
    )
    initiative = models.ForeignKey(
        Initiative, on_delete=models.PROTECT, related_name="reports", verbose_name=_("initiative")
    )
    health = models.CharField(_("health"), max_length=20, choices=Health.choices, blank=True)
    narrative = models.TextField(_("narrative (English)"), blank=True)
    narrative_ja = models.TextField(_("narrative (Japanese)"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["cycle", "initiative__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "initiative"],
                name="%(app_label)s_%(class)s_one_per_cycle",
                violation_error_message=_("This initiative already has a report in this cycle."),
            ),
            in_choices("state", State, "%(app_label)s_%(class)s_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative.code} · {self.cycle}"


class FigureReport(Reviewed):
    """An indicator's actual owed in a cycle, by its goal's units."""

    reach = Reach(institution=("cycle__institution",), unit=("indicator__goal__units",))

    cycle = models.ForeignKey(
        ReportingCycle, on_delete=models.CASCADE, related_name="figures", verbose_name=_("cycle")
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="reports", verbose_name=_("indicator")
    )
    actual = models.DecimalField(
        _("actual"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("figure report")
        verbose_name_plural = _("figure reports")
        ordering = ["cycle", "indicator__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "indicator"],
                name="%(app_label)s_%(class)s_one_per_cycle",
                violation_error_message=_("This indicator already has a figure in this cycle."),
            ),
            in_choices("state", State, "%(app_label)s_%(class)s_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} · {self.cycle}"


class MilestoneProgress(models.Model):
    """What a report says of one of its initiative's milestones."""

    reach = Reach(
        institution=("report__cycle__institution",), unit=("report__initiative__lead_unit",)
    )

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("report")
    )
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="progress", verbose_name=_("milestone")
    )
    done = models.BooleanField(_("done"), default=False)
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("progress on a milestone")
        verbose_name_plural = _("progress on milestones")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "milestone"], name="%(app_label)s_%(class)s_once_per_report"
            )
        ]

    def __str__(self) -> str:
        return str(self.milestone)


class Comment(models.Model):
    """A comment on a report, by its owner or a reviewer; a reply names the comment it answers."""

    reach = Reach(
        institution=("report__cycle__institution",), unit=("report__initiative__lead_unit",)
    )

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="comments", verbose_name=_("report")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("in reply to"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="report_comments",
        verbose_name=_("author"),
    )
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:60]


class Evidence(models.Model):
    """A file that backs a report: stored through Django's storage, its type read from its bytes."""

    reach = Reach(
        institution=("report__cycle__institution",), unit=("report__initiative__lead_unit",)
    )

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("report")
    )
    file = models.FileField(_("file"), upload_to="evidence/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("added by"),
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["added_at", "pk"]

    def __str__(self) -> str:
        return self.file_name


class Occasion(models.TextChoices):
    OPENED = "opened", _("The cycle opened")
    BEFORE_DUE = "before_due", _("The due date is near")
    DUE = "due", _("Due today")
    OVERDUE = "overdue", _("Overdue")
    ESCALATION = "escalation", _("Overdue, to the unit head")
    REVIEW = "review", _("Waiting for review")
    MANUAL = "manual", _("Reminded by the office")


class Reminder(models.Model):
    """One digest mailed: at most one per recipient, cycle, occasion and day, whichever worker
    sends it (the row is claimed before the mail goes, under a unique constraint)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("recipient"),
    )
    cycle = models.ForeignKey(
        ReportingCycle, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("cycle")
    )
    occasion = models.CharField(_("occasion"), max_length=20, choices=Occasion.choices)
    day = models.DateField(_("day"))
    items = models.PositiveIntegerField(_("items"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-day", "recipient"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "cycle", "occasion", "day"],
                name="%(app_label)s_%(class)s_once_a_day",
            ),
            in_choices("occasion", Occasion, "%(app_label)s_%(class)s_occasion_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.get_occasion_display()} · {self.day}"
