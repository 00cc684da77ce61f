"""What is being done: initiatives, the activities under them, partners, agreements and reports."""

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from common.access import Reach
from common.bilingual import Bilingual
from common.db import CodedModel, CodeKey, end_not_before_start, in_choices
from common.fiscal import fiscal_year_label, fiscal_year_of
from policies.models import Goal
from units.models import Institution, Person, Unit


class Health(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    OFF_TRACK = "off_track", _("Off track")


class PartnerInstitution(Bilingual, models.Model):
    """A university or body abroad that the institution works with; name and country identify it."""

    name = models.CharField(_("name (English)"), max_length=300)
    name_ja = models.CharField(_("name (Japanese)"), max_length=300, blank=True)
    local_name = models.CharField(
        _("local name"), max_length=300, blank=True, help_text=_("Name in its own language.")
    )
    country = CountryField(_("country"), blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    website = models.URLField(_("website"), max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("partner institution")
        verbose_name_plural = _("partner institutions")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                CodeKey("name"),
                "country",
                name="%(app_label)s_%(class)s_name_country_unique",
                violation_error_message=_(
                    _("A partner with this name in this country already exists.")
                ),
            ),
        ]

    def __str__(self) -> str:
        name = self.shown("name").text
        return f"{name} ({self.country.code})" if self.country else name

    def save(self, *args, **kwargs) -> None:
        self.name = " ".join(self.name.split())
        super().save(*args, **kwargs)


class AgreementKind(models.TextChoices):
    ACADEMIC_EXCHANGE = "academic_exchange", _("Academic exchange")
    STUDENT_EXCHANGE = "student_exchange", _("Student exchange")
    MOU = "mou", _("Memorandum of understanding")
    JOINT_DEGREE = "joint_degree", _("Joint or double degree")
    RESEARCH = "research", _("Research collaboration")
    OTHER = "other", _("Other")


class AgreementLevel(models.TextChoices):
    UNIVERSITY = "university", _("University-wide")
    DEPARTMENT = "department", _("Department-level")


class Agreement(models.Model):
    """An agreement with a partner, held by a unit of the institution."""

    reach = Reach(institution=("unit__institution",), unit=("unit",))

    Kind = AgreementKind

    Level = AgreementLevel

    partner = models.ForeignKey(
        PartnerInstitution,
        on_delete=models.PROTECT,
        related_name="agreements",
        verbose_name=_("partner"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("unit")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    level = models.CharField(
        _("level"), max_length=20, choices=Level.choices, default=Level.UNIVERSITY
    )
    title = models.CharField(_("title"), max_length=300, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["partner__name", "signed_on"]
        constraints = [
            in_choices("kind", AgreementKind, "%(app_label)s_%(class)s_kind_valid"),
            in_choices("level", AgreementLevel, "%(app_label)s_%(class)s_level_valid"),
            end_not_before_start(
                "signed_on",
                "expires_on",
                "%(app_label)s_%(class)s_expires_after_signed",
                _("An agreement cannot expire before it is signed."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.partner.name}"


class InitiativeManager(models.Manager):
    def get_by_natural_key(self, institution_code: str, code: str) -> "Initiative":
        return self.get(institution__code=institution_code, code=code)


class InitiativeStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    ON_HOLD = "on_hold", _("On hold")
    CANCELLED = "cancelled", _("Cancelled")


class Initiative(Bilingual, CodedModel):
    """A line of work that pursues one or more goals of its institution's frameworks."""

    reach = Reach(institution=("institution",), unit=("lead_unit",))

    Status = InitiativeStatus

    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        related_name="initiatives",
        verbose_name=_("institution"),
    )
    code = models.CharField(
        _("code"), max_length=40, help_text=_("Stable reference used by spreadsheets.")
    )
    title = models.CharField(_("title (English)"), max_length=300)
    title_ja = models.CharField(_("title (Japanese)"), max_length=300, blank=True)
    summary = models.TextField(_("summary (English)"), blank=True)
    summary_ja = models.TextField(_("summary (Japanese)"), blank=True)
    lead_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_initiatives",
        verbose_name=_("lead unit"),
    )
    contributing_units = models.ManyToManyField(
        Unit,
        blank=True,
        related_name="contributed_initiatives",
        verbose_name=_("contributing units"),
    )
    goals = models.ManyToManyField(
        Goal, blank=True, related_name="initiatives", verbose_name=_("goals")
    )
    partners = models.ManyToManyField(
        PartnerInstitution, blank=True, related_name="initiatives", verbose_name=_("partners")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED
    )
    health = models.CharField(
        _("health"), max_length=20, choices=Health.choices, default=Health.ON_TRACK
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    owner = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="initiatives",
        verbose_name=_("owner"),
    )
    budget_jpy = models.PositiveBigIntegerField(_("budget (yen)"), null=True, blank=True)

    objects = InitiativeManager()
    history = HistoricalRecords(m2m_fields=[goals, contributing_units, partners])

    class Meta:
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        ordering = ["institution__code", "code"]
        constraints = [
            models.UniqueConstraint(
                "institution",
                CodeKey("code"),
                name="%(app_label)s_%(class)s_code_unique",
                violation_error_message=_("Another initiative of this institution has this code."),
            ),
            in_choices("status", InitiativeStatus, "%(app_label)s_%(class)s_status_valid"),
            in_choices("health", Health, "%(app_label)s_%(class)s_health_valid"),
            end_not_before_start(
                "start_date",
                "end_date",
                "%(app_label)s_%(class)s_dates_in_order",
                _("An initiative cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.shown('title')}"

    def clean(self) -> None:
        super().clean()
        foreign_lead = (
            self.lead_unit_id
            and self.institution_id
            and self.lead_unit.institution_id != self.institution_id
        )
        if foreign_lead:
            raise ValidationError(
                {"lead_unit": _("The lead unit must belong to the initiative's institution.")}
            )

    def natural_key(self) -> tuple[str, str]:
        return (*self.institution.natural_key(), self.code)

    natural_key.dependencies = ["units.institution"]


def new_external_ref() -> str:
    return f"ADM-{uuid.uuid4().hex[:12].upper()}"


class ActivityQuerySet(models.QuerySet):
    def in_fiscal_year(self, fiscal_year: int) -> "ActivityQuerySet":
        return self.filter(fiscal_year=fiscal_year)


class ActivityType(models.TextChoices):
    AGREEMENT_SIGNED = "agreement_signed", _("Agreement signed")
    DELEGATION_VISIT = "delegation_visit", _("Delegation visit")
    CONFERENCE = "conference", _("Conference")
    SYMPOSIUM = "symposium", _("Symposium or workshop")
    RECRUITMENT_FAIR = "recruitment_fair", _("Recruitment fair")
    STUDENT_EXCHANGE = "student_exchange", _("Student exchange")
    JOINT_RESEARCH = "joint_research", _("Joint research project")
    PUBLICATION = "publication", _("Publication or dissemination")
    TRAINING = "training", _("Training")
    CRISIS_DRILL = "crisis_drill", _("Crisis-management drill")
    OTHER = "other", _("Other")


class ActivityMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")
    HYBRID = "hybrid", _("Hybrid")


class Activity(models.Model):
    """A dated thing that happened under an initiative or a unit; spreadsheets bring these in."""

    reach = Reach(
        institution=("unit__institution", "initiative__institution"),
        unit=("unit", "initiative__lead_unit"),
    )

    Type = ActivityType

    external_ref = models.CharField(
        _("external reference"),
        max_length=60,
        unique=True,
        blank=True,
        default=new_external_ref,
        help_text=_(
            "Stable reference that re-imports match on. Left empty, the activity is given one."
        ),
    )
    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("initiative"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("unit"),
    )
    activity_type = models.CharField(
        _("activity type"), max_length=20, choices=Type.choices, default=Type.OTHER
    )
    mode = models.CharField(
        _("mode"),
        max_length=10,
        choices=ActivityMode.choices,
        default=ActivityMode.IN_PERSON,
        help_text=_("In person, online or both; an online activity may have no country."),
    )
    title = models.CharField(_("title"), max_length=300)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    fiscal_year = models.PositiveSmallIntegerField(
        _("fiscal year"),
        editable=False,
        db_index=True,
        help_text=_("Japanese fiscal year of the start date."),
    )
    country = CountryField(_("country"), blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    partner = models.ForeignKey(
        PartnerInstitution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("partner"),
    )
    inbound_participants = models.PositiveIntegerField(_("inbound participants"), default=0)
    outbound_participants = models.PositiveIntegerField(_("outbound participants"), default=0)
    description = models.TextField(_("description"), blank=True)

    objects = ActivityQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-start_date", "external_ref"]
        constraints = [
            in_choices("activity_type", ActivityType, "%(app_label)s_%(class)s_type_valid"),
            in_choices("mode", ActivityMode, "%(app_label)s_%(class)s_mode_valid"),
            models.CheckConstraint(
                condition=~models.Q(external_ref=""),
                name="%(app_label)s_%(class)s_external_ref_not_empty",
                violation_error_message=_("An activity needs an external reference."),
            ),
            end_not_before_start(
                "start_date",
                "end_date",
                "%(app_label)s_%(class)s_dates_in_order",
                _("An activity cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=models.Q(initiative__isnull=False) | models.Q(unit__isnull=False),
                name="%(app_label)s_%(class)s_has_owner",
                violation_error_message=_(
                    _("Give the initiative or the unit this activity belongs to.")
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(inbound_participants__gte=0, outbound_participants__gte=0),
                name="%(app_label)s_%(class)s_participants_not_negative",
                violation_error_message=_("Participant counts cannot be negative."),
            ),
        ]
        indexes = [
            # The admin list's order, newest first, and within a fiscal year: a page of it, even
            # deep in a million rows, is read from the index alone (it holds the id; a key column
            # rather than INCLUDE, which SQLite lacks).
            models.Index(
                fields=["-start_date", "external_ref", "id"], name="portfolio_act_list_order"
            ),
            models.Index(
                fields=["fiscal_year", "-start_date", "external_ref", "id"],
                name="portfolio_act_fy_list_order",
            ),
            models.Index(fields=["fiscal_year", "activity_type"]),
            # Covering indexes for the dashboards' aggregates (they count with COUNT(*), so the
            # table itself is not read): a fiscal year's activities by country and partner, an
            # initiative's and a unit's activities by year.
            models.Index(
                fields=[
                    "fiscal_year",
                    "country",
                    "partner",
                    "inbound_participants",
                    "outbound_participants",
                ],
                name="portfolio_act_fy_country",
            ),
            models.Index(
                fields=[
                    "initiative",
                    "fiscal_year",
                    "partner",
                    "inbound_participants",
                    "outbound_participants",
                ],
                name="portfolio_act_initiative_fy",
            ),
            models.Index(
                fields=[
                    "unit",
                    "fiscal_year",
                    "country",
                    "partner",
                    "inbound_participants",
                    "outbound_participants",
                ],
                name="portfolio_act_unit_fy",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.give_external_ref()
        self.fiscal_year = self.fiscal_year_of_start(self.start_date)
        super().save(*args, **kwargs)

    @staticmethod
    def fiscal_year_of_start(start_date: dt.date | None) -> int | None:
        """The one rule for an activity's stored fiscal year, for saves, bulk inserts and imports:
        the Japanese fiscal year (April to March) its start date falls in."""
        return fiscal_year_of(start_date) if start_date else None

    def clean(self) -> None:
        super().clean()
        self.give_external_ref()

    def give_external_ref(self) -> None:
        """An activity typed in by hand is given a reference of its own; imports bring theirs."""
        if not self.external_ref.strip():
            self.external_ref = new_external_ref()


class Milestone(models.Model):
    """A step of an initiative with a due date; reports say whether it is done."""

    reach = Reach(institution=("initiative__institution",), unit=("initiative__lead_unit",))

    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.CASCADE,
        related_name="milestones",
        verbose_name=_("initiative"),
    )
    title = models.CharField(_("title (English)"), max_length=300)
    title_ja = models.CharField(_("title (Japanese)"), max_length=300, blank=True)
    due_date = models.DateField(_("due date"))
    done = models.BooleanField(_("done"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["initiative", "due_date", "pk"]

    def __str__(self) -> str:
        return self.title or self.title_ja


class ProgressUpdate(models.Model):
    """A periodic report on an initiative: fiscal year and quarter, health and narrative."""

    reach = Reach(institution=("initiative__institution",), unit=("initiative__lead_unit",))

    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.CASCADE,
        related_name="progress_updates",
        verbose_name=_("initiative"),
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), choices=[(q, f"Q{q}") for q in range(1, 5)]
    )
    health = models.CharField(_("health"), max_length=20, choices=Health.choices)
    narrative = models.TextField(_("narrative (English)"), blank=True)
    narrative_ja = models.TextField(_("narrative (Japanese)"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="progress_updates",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["initiative", "-fiscal_year", "-quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "fiscal_year", "quarter"],
                name="%(app_label)s_%(class)s_one_per_quarter",
                violation_error_message=_(
                    _("This initiative already has an update for that quarter.")
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(quarter__gte=1, quarter__lte=4),
                name="%(app_label)s_%(class)s_quarter_valid",
                violation_error_message=_("A quarter is 1, 2, 3 or 4."),
            ),
            in_choices("health", Health, "%(app_label)s_%(class)s_health_valid"),
            models.CheckConstraint(
                condition=models.Q(fiscal_year__gte=1900, fiscal_year__lte=2200),
                name="%(app_label)s_%(class)s_fiscal_year_plausible",
                violation_error_message=_("Give a fiscal year between 1900 and 2200."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative.code} {fiscal_year_label(self.fiscal_year)} Q{self.quarter}"

    def clean(self) -> None:
        super().clean()
        if not self.narrative.strip() and not self.narrative_ja.strip():
            raise ValidationError(
                {"narrative": _("Write the narrative in English, in Japanese, or in both.")}
            )


# --- Figures kept for the dashboards (portfolio/dashboards/figures.py) ---------------------------


class KeptFigure(models.Model):
    """Common columns of the kept figures: what the dashboards' filters narrow them by.

    ``goal`` is the goal whose subtree the row counts (each activity once per goal, however many
    of the goal's subtree its initiative serves); empty for the row of every activity of the
    slice, with or without an initiative (the regions page). An activity belongs to the
    institutions of its unit and of its initiative, as the records' own reach says.
    """

    reach = Reach(institution=("unit_institution", "initiative_institution"))

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, null=True, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    # The slice the row was counted in (``FigureSlice``).
    owner = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="+")
    unit_institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, null=True, related_name="+"
    )
    initiative_institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, null=True, related_name="+"
    )
    # The initiative's status; empty for an activity of no initiative.
    status = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
    activities = models.PositiveIntegerField()
    inbound = models.PositiveBigIntegerField()
    outbound = models.PositiveBigIntegerField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.goal_id or '*'} {fiscal_year_label(self.fiscal_year)}: {self.activities}"


class ActivityFigure(KeptFigure):
    """Activities and participants per goal, fiscal year, month started and country."""

    month = models.DateField(help_text="The first day of the month the activities started in.")

    class Meta:
        indexes = [models.Index(fields=["fiscal_year", "goal"], name="portfolio_actfig_year")]


class TypeFigure(KeptFigure):
    """Activities and participants per goal, fiscal year, country and activity type."""

    activity_type = models.CharField(max_length=20)

    class Meta:
        indexes = [models.Index(fields=["fiscal_year", "goal"], name="portfolio_typefig_year")]


class PartnerFigure(KeptFigure):
    """Activities per goal, fiscal year, country and partner, with the first day each partner
    was engaged that year (so "partners engaged up to a day" is exact)."""

    partner = models.ForeignKey(
        PartnerInstitution, on_delete=models.CASCADE, null=True, related_name="+"
    )
    first_start = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["fiscal_year", "goal"], name="portfolio_partfig_year")]


class UnitFigure(KeptFigure):
    """Every activity of a unit (of an initiative or not) per fiscal year, country and partner:
    a unit's page, which counts what the unit carried out. ``goal`` stays empty."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(
        PartnerInstitution, on_delete=models.CASCADE, null=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["unit", "fiscal_year"], name="portfolio_unitfig_unit")]


class FigureSlice(models.Model):
    """One institution's fiscal year of kept figures: locked while it is rebuilt, so that two
    rebuilds of one slice never interleave. (Every activity has a unit or an initiative, so
    every activity lies in some institution's slice.)"""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    # Raised by every write that may change the slice; the slice is stale while it is above the
    # version its kept figures were built at.
    version = models.PositiveIntegerField(default=1)
    built_version = models.PositiveIntegerField(default=0)
    built_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "fiscal_year"],
                name="%(app_label)s_figureslice_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.institution_id} {fiscal_year_label(self.fiscal_year)} v{self.version}"
