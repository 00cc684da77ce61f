"""What is being done: initiatives, the activities under them, partners, agreements and reports."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from common.access import Reach
from common.db import CodedModel, CodeKey, end_not_before_start, in_choices
from common.fiscal import fiscal_year_of
from policies.models import Goal
from units.models import Institution, Person, Unit


class Health(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"


class PartnerInstitution(models.Model):
    """A university or body abroad that the institution works with; name and country identify it."""

    name = models.CharField(max_length=300)
    local_name = models.CharField(max_length=300, blank=True, help_text="Name in its own language.")
    country = CountryField(blank=True)
    city = models.CharField(max_length=100, blank=True)
    website = models.URLField(max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                CodeKey("name"),
                "country",
                name="%(app_label)s_%(class)s_name_country_unique",
                violation_error_message="A partner with this name in this country already exists.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.country.code})" if self.country else self.name

    def save(self, *args, **kwargs) -> None:
        self.name = " ".join(self.name.split())
        super().save(*args, **kwargs)


class AgreementKind(models.TextChoices):
    ACADEMIC_EXCHANGE = "academic_exchange", "Academic exchange"
    STUDENT_EXCHANGE = "student_exchange", "Student exchange"
    MOU = "mou", "Memorandum of understanding"
    JOINT_DEGREE = "joint_degree", "Joint or double degree"
    RESEARCH = "research", "Research collaboration"
    OTHER = "other", "Other"


class AgreementLevel(models.TextChoices):
    UNIVERSITY = "university", "University-wide"
    DEPARTMENT = "department", "Department-level"


class Agreement(models.Model):
    """An agreement with a partner, held by a unit of the institution."""

    reach = Reach(institution=("unit__institution",), unit=("unit",))

    Kind = AgreementKind

    Level = AgreementLevel

    partner = models.ForeignKey(
        PartnerInstitution, on_delete=models.PROTECT, related_name="agreements"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="agreements")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.UNIVERSITY)
    title = models.CharField(max_length=300, blank=True)
    signed_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["partner__name", "signed_on"]
        constraints = [
            in_choices("kind", AgreementKind, "%(app_label)s_%(class)s_kind_valid"),
            in_choices("level", AgreementLevel, "%(app_label)s_%(class)s_level_valid"),
            end_not_before_start(
                "signed_on",
                "expires_on",
                "%(app_label)s_%(class)s_expires_after_signed",
                "An agreement cannot expire before it is signed.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.partner.name}"


class InitiativeManager(models.Manager):
    def get_by_natural_key(self, institution_code: str, code: str) -> "Initiative":
        return self.get(institution__code=institution_code, code=code)


class InitiativeStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    ON_HOLD = "on_hold", "On hold"
    CANCELLED = "cancelled", "Cancelled"


class Initiative(CodedModel):
    """A line of work that pursues one or more goals of its institution's frameworks."""

    reach = Reach(institution=("institution",), unit=("lead_unit",))

    Status = InitiativeStatus

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="initiatives"
    )
    code = models.CharField(max_length=40, help_text="Stable reference used by spreadsheets.")
    title = models.CharField(max_length=300)
    title_ja = models.CharField("title (Japanese)", max_length=300, blank=True)
    summary = models.TextField(blank=True)
    lead_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="led_initiatives"
    )
    contributing_units = models.ManyToManyField(
        Unit, blank=True, related_name="contributed_initiatives"
    )
    goals = models.ManyToManyField(Goal, blank=True, related_name="initiatives")
    partners = models.ManyToManyField(PartnerInstitution, blank=True, related_name="initiatives")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    health = models.CharField(max_length=20, choices=Health.choices, default=Health.ON_TRACK)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="initiatives"
    )
    budget_jpy = models.PositiveBigIntegerField("budget (yen)", null=True, blank=True)

    objects = InitiativeManager()
    history = HistoricalRecords(m2m_fields=[goals, contributing_units, partners])

    class Meta:
        ordering = ["institution__code", "code"]
        constraints = [
            models.UniqueConstraint(
                "institution",
                CodeKey("code"),
                name="%(app_label)s_%(class)s_code_unique",
                violation_error_message="Another initiative of this institution has this code.",
            ),
            in_choices("status", InitiativeStatus, "%(app_label)s_%(class)s_status_valid"),
            in_choices("health", Health, "%(app_label)s_%(class)s_health_valid"),
            end_not_before_start(
                "start_date",
                "end_date",
                "%(app_label)s_%(class)s_dates_in_order",
                "An initiative cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def clean(self) -> None:
        super().clean()
        foreign_lead = (
            self.lead_unit_id
            and self.institution_id
            and self.lead_unit.institution_id != self.institution_id
        )
        if foreign_lead:
            raise ValidationError(
                {"lead_unit": "The lead unit must belong to the initiative's institution."}
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
    AGREEMENT_SIGNED = "agreement_signed", "Agreement signed"
    DELEGATION_VISIT = "delegation_visit", "Delegation visit"
    SYMPOSIUM = "symposium", "Symposium or workshop"
    RECRUITMENT_FAIR = "recruitment_fair", "Recruitment fair"
    STUDENT_EXCHANGE = "student_exchange", "Student exchange"
    JOINT_RESEARCH = "joint_research", "Joint research project"
    PUBLICATION = "publication", "Publication or dissemination"
    TRAINING = "training", "Training"
    CRISIS_DRILL = "crisis_drill", "Crisis-management drill"
    OTHER = "other", "Other"


class Activity(models.Model):
    """A dated thing that happened under an initiative or a unit; spreadsheets bring these in."""

    reach = Reach(
        institution=("unit__institution", "initiative__institution"),
        unit=("unit", "initiative__lead_unit"),
    )

    Type = ActivityType

    external_ref = models.CharField(
        "external reference",
        max_length=60,
        unique=True,
        default=new_external_ref,
        help_text="Stable reference that re-imports match on.",
    )
    initiative = models.ForeignKey(
        Initiative, on_delete=models.PROTECT, null=True, blank=True, related_name="activities"
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="activities"
    )
    activity_type = models.CharField(max_length=20, choices=Type.choices, default=Type.OTHER)
    title = models.CharField(max_length=300)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    fiscal_year = models.PositiveSmallIntegerField(
        editable=False, db_index=True, help_text="Japanese fiscal year of the start date."
    )
    country = CountryField(blank=True)
    city = models.CharField(max_length=100, blank=True)
    partner = models.ForeignKey(
        PartnerInstitution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
    )
    inbound_participants = models.PositiveIntegerField(default=0)
    outbound_participants = models.PositiveIntegerField(default=0)
    description = models.TextField(blank=True)

    objects = ActivityQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date", "external_ref"]
        verbose_name_plural = "activities"
        constraints = [
            in_choices("activity_type", ActivityType, "%(app_label)s_%(class)s_type_valid"),
            end_not_before_start(
                "start_date",
                "end_date",
                "%(app_label)s_%(class)s_dates_in_order",
                "An activity cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=models.Q(initiative__isnull=False) | models.Q(unit__isnull=False),
                name="%(app_label)s_%(class)s_has_owner",
                violation_error_message="Give the initiative or the unit this activity belongs to.",
            ),
            models.CheckConstraint(
                condition=models.Q(inbound_participants__gte=0, outbound_participants__gte=0),
                name="%(app_label)s_%(class)s_participants_not_negative",
                violation_error_message="Participant counts cannot be negative.",
            ),
        ]
        indexes = [
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
        self.fiscal_year = fiscal_year_of(self.start_date)
        super().save(*args, **kwargs)


class ProgressUpdate(models.Model):
    """A periodic report on an initiative: fiscal year and quarter, health and narrative."""

    reach = Reach(institution=("initiative__institution",), unit=("initiative__lead_unit",))

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="progress_updates"
    )
    fiscal_year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField(choices=[(q, f"Q{q}") for q in range(1, 5)])
    health = models.CharField(max_length=20, choices=Health.choices)
    narrative = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="progress_updates",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["initiative", "-fiscal_year", "-quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "fiscal_year", "quarter"],
                name="%(app_label)s_%(class)s_one_per_quarter",
                violation_error_message="This initiative already has an update for that quarter.",
            ),
            models.CheckConstraint(
                condition=models.Q(quarter__gte=1, quarter__lte=4),
                name="%(app_label)s_%(class)s_quarter_valid",
                violation_error_message="A quarter is 1, 2, 3 or 4.",
            ),
            in_choices("health", Health, "%(app_label)s_%(class)s_health_valid"),
            models.CheckConstraint(
                condition=models.Q(fiscal_year__gte=1900, fiscal_year__lte=2200),
                name="%(app_label)s_%(class)s_fiscal_year_plausible",
                violation_error_message="Give a fiscal year between 1900 and 2200.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative.code} FY{self.fiscal_year} Q{self.quarter}"
