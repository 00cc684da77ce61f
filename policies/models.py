"""What an institution wants: its strategy documents, their goals, crosswalks and indicators."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Greatest, Least
from simple_history.models import HistoricalRecords

from common.access import Reach
from common.db import CodedModel, CodeKey, ancestor_ids, end_not_before_start, in_choices
from units.models import Institution, Unit


class FrameworkManager(models.Manager):
    def get_by_natural_key(self, institution_code: str, code: str) -> "Framework":
        return self.get(institution__code=institution_code, code=code)


class Framework(CodedModel):
    """A strategy document of one institution, whose goals form a tree."""

    reach = Reach(institution=("institution",))

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="frameworks"
    )
    code = models.CharField(
        max_length=30, help_text="Short code used in spreadsheets, e.g. ISO-KU."
    )
    title = models.CharField(max_length=300)
    title_ja = models.CharField("title (Japanese)", max_length=300, blank=True)
    adopted_on = models.DateField(null=True, blank=True)
    revised_on = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=500, help_text="The document this framework encodes.")
    source_url = models.URLField(blank=True)
    source_note = models.TextField(blank=True)

    objects = FrameworkManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["institution__code", "code"]
        constraints = [
            models.UniqueConstraint(
                "institution",
                CodeKey("code"),
                name="%(app_label)s_%(class)s_code_unique",
                violation_error_message="Another framework of this institution has this code.",
            ),
            end_not_before_start(
                "adopted_on",
                "revised_on",
                "%(app_label)s_%(class)s_revised_after_adopted",
                "A framework cannot be revised before it was adopted.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.pk and self.institution_id:
            stored = Framework.objects.filter(pk=self.pk).values_list("institution", flat=True)
            if stored and stored[0] != self.institution_id:
                raise ValidationError(
                    {"institution": "A framework cannot move to another institution."}
                )

    def natural_key(self) -> tuple[str, str]:
        return (*self.institution.natural_key(), self.code)

    natural_key.dependencies = ["units.institution"]


class GoalManager(models.Manager):
    def get_by_natural_key(self, institution_code: str, framework_code: str, code: str) -> "Goal":
        return self.get(
            framework__institution__code=institution_code,
            framework__code=framework_code,
            code=code,
        )


class GoalKind(models.TextChoices):
    MISSION = "mission", "Mission"
    BASIC_POLICY = "basic_policy", "Basic policy"
    SECTOR = "sector", "Sector"
    DIRECTION = "direction", "Direction"
    OBJECTIVE = "objective", "Objective"


class Goal(CodedModel):
    """A node of a framework's tree: a mission, basic policy, sector, direction or objective."""

    reach = Reach(institution=("framework__institution",))

    Kind = GoalKind

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="goals")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    code = models.CharField(max_length=30, help_text="Stable code, e.g. CONNECT or 1.3.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=500)
    title_ja = models.CharField("title (Japanese)", max_length=500, blank=True)
    description = models.TextField(blank=True)
    source_note = models.TextField(
        blank=True, help_text="How this record relates to the source's wording."
    )
    order = models.PositiveSmallIntegerField(default=0)
    units = models.ManyToManyField(
        Unit,
        blank=True,
        related_name="goals",
        help_text="The units that pursue this goal.",
        verbose_name="pursued by",
    )

    objects = GoalManager()
    history = HistoricalRecords(m2m_fields=[units])

    class Meta:
        ordering = ["framework", "order", "code"]
        constraints = [
            models.UniqueConstraint(
                "framework",
                CodeKey("code"),
                name="%(app_label)s_%(class)s_code_unique",
                violation_error_message="Another goal of this framework already has this code.",
            ),
            in_choices("kind", GoalKind, "%(app_label)s_%(class)s_kind_valid"),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")),
                name="%(app_label)s_%(class)s_not_own_parent",
                violation_error_message="A goal cannot be its own parent.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def clean(self) -> None:
        super().clean()
        if self.pk and self.framework_id:
            stored = Goal.objects.filter(pk=self.pk).values_list("framework", flat=True)
            if stored and stored[0] != self.framework_id:
                raise ValidationError({"framework": "A goal cannot move to another framework."})
        if self.parent_id and self.framework_id:
            if self.parent.framework_id != self.framework_id:
                raise ValidationError(
                    {"parent": "The parent goal must belong to the same framework."}
                )
            if self.pk and self.pk in ancestor_ids(self.parent, include_self=True):
                raise ValidationError(
                    {"parent": "A goal cannot sit under itself or one of its own sub-goals."}
                )

    def natural_key(self) -> tuple[str, str, str]:
        return (*self.framework.natural_key(), self.code)

    natural_key.dependencies = ["policies.framework"]

    @property
    def reference(self) -> str:
        """The goal as spreadsheets name it: ``FRAMEWORK:CODE``."""
        return f"{self.framework.code}:{self.code}"


class Alignment(models.Model):
    """A crosswalk link between goals of two different frameworks."""

    # Either end within reach is enough: a crosswalk is common ground of two institutions.
    reach = Reach(institution=("source__framework__institution", "target__framework__institution"))

    source = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="alignments_out")
    target = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="alignments_in")
    note = models.TextField(blank=True, help_text="Why these goals are on common ground.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["source", "target"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")),
                name="%(app_label)s_%(class)s_not_to_itself",
                violation_error_message="A goal cannot be aligned with itself.",
            ),
            models.UniqueConstraint(
                Least("source", "target"),
                Greatest("source", "target"),
                name="%(app_label)s_%(class)s_pair_unique",
                violation_error_message="These two goals are already aligned.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} ↔ {self.target}"

    def clean(self) -> None:
        super().clean()
        same_framework = (
            self.source_id
            and self.target_id
            and self.source.framework_id == self.target.framework_id
        )
        if same_framework:
            raise ValidationError(
                {"target": "An alignment links goals of two different frameworks."}
            )


class Indicator(CodedModel):
    """A measurable figure under a goal, with a target and an actual per fiscal year."""

    reach = Reach(institution=("goal__framework__institution",))

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="indicators")
    code = models.CharField(max_length=30)
    name = models.CharField(max_length=300)
    name_ja = models.CharField("name (Japanese)", max_length=300, blank=True)
    unit_of_measure = models.CharField(max_length=50, help_text="e.g. students, agreements, %.")
    higher_is_better = models.BooleanField(default=True)
    baseline = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField("baseline fiscal year", null=True, blank=True)
    description = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["goal", "code"]
        constraints = [
            models.UniqueConstraint(
                "goal",
                CodeKey("code"),
                name="%(app_label)s_%(class)s_code_unique",
                violation_error_message="Another indicator of this goal already has this code.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def on_track(self, target: Decimal | None, actual: Decimal | None) -> bool | None:
        """Whether an actual meets its target, in the direction this indicator counts as better."""
        if target is None or actual is None:
            return None
        return actual >= target if self.higher_is_better else actual <= target


class IndicatorValue(models.Model):
    """The target and the actual of an indicator in one fiscal year."""

    reach = Reach(institution=("indicator__goal__framework__institution",))

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    fiscal_year = models.PositiveSmallIntegerField()
    target = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    actual = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["indicator", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "fiscal_year"],
                name="%(app_label)s_%(class)s_one_per_year",
                violation_error_message="This indicator already has figures for that fiscal year.",
            ),
            models.CheckConstraint(
                condition=models.Q(fiscal_year__gte=1900, fiscal_year__lte=2200),
                name="%(app_label)s_%(class)s_fiscal_year_plausible",
                violation_error_message="Give a fiscal year between 1900 and 2200.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} FY{self.fiscal_year}"
