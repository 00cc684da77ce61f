"""What an institution wants: its strategy documents, their goals, crosswalks and indicators."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Greatest, Least
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.access import Reach
from common.bilingual import Bilingual
from common.db import CodedModel, CodeKey, ancestor_ids, end_not_before_start, in_choices
from common.fiscal import fiscal_year_label
from units.models import Institution, Unit


class FrameworkManager(models.Manager):
    def get_by_natural_key(self, institution_code: str, code: str) -> "Framework":
        return self.get(institution__code=institution_code, code=code)


class Framework(Bilingual, CodedModel):
    """A strategy document of one institution, whose goals form a tree."""

    reach = Reach(institution=("institution",))

    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        related_name="frameworks",
        verbose_name=_("institution"),
    )
    code = models.CharField(
        _("code"), max_length=30, help_text=_("Short code used in spreadsheets, e.g. ISO-KU.")
    )
    title = models.CharField(_("title (English)"), max_length=300)
    title_ja = models.CharField(_("title (Japanese)"), max_length=300, blank=True)
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)
    revised_on = models.DateField(_("revised on"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=500, help_text=_("The document this framework encodes.")
    )
    source_url = models.URLField(_("source url"), blank=True)
    source_note = models.TextField(_("source note"), blank=True)

    objects = FrameworkManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("framework")
        verbose_name_plural = _("frameworks")
        ordering = ["institution__code", "code"]
        constraints = [
            models.UniqueConstraint(
                "institution",
                CodeKey("code"),
                name="%(app_label)s_%(class)s_code_unique",
                violation_error_message=_("Another framework of this institution has this code."),
            ),
            end_not_before_start(
                "adopted_on",
                "revised_on",
                "%(app_label)s_%(class)s_revised_after_adopted",
                _("A framework cannot be revised before it was adopted."),
            ),
        ]

    def __str__(self) -> str:
        return self.shown("title").text

    def clean(self) -> None:
        super().clean()
        if self.pk and self.institution_id:
            stored = Framework.objects.filter(pk=self.pk).values_list("institution", flat=True)
            if stored and stored[0] != self.institution_id:
                raise ValidationError(
                    {"institution": _("A framework cannot move to another institution.")}
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
    MISSION = "mission", _("Mission")
    BASIC_POLICY = "basic_policy", _("Basic policy")
    SECTOR = "sector", _("Sector")
    DIRECTION = "direction", _("Direction")
    OBJECTIVE = "objective", _("Objective")


class Goal(Bilingual, CodedModel):
    """A node of a framework's tree: a mission, basic policy, sector, direction or objective."""

    reach = Reach(institution=("framework__institution",))

    Kind = GoalKind

    framework = models.ForeignKey(
        Framework, on_delete=models.PROTECT, related_name="goals", verbose_name=_("framework")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    code = models.CharField(
        _("code"), max_length=30, help_text=_("Stable code, e.g. CONNECT or 1.3.")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title (English)"), max_length=500)
    title_ja = models.CharField(_("title (Japanese)"), max_length=500, blank=True)
    description = models.TextField(_("description (English)"), blank=True)
    description_ja = models.TextField(_("description (Japanese)"), blank=True)
    source_note = models.TextField(
        _("source note"),
        blank=True,
        help_text=_("How this record relates to the source's wording."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    units = models.ManyToManyField(
        Unit,
        blank=True,
        related_name="goals",
        help_text=_("The units that pursue this goal."),
        verbose_name=_("pursued by"),
    )
    realises = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="realised_by",
        help_text=_(
            "Goals of the same framework that this goal is a way of realising: TMU's three "
            "sectors realise its basic policies. A realised goal's figures include this one's."
        ),
        verbose_name=_("realises"),
    )

    objects = GoalManager()
    history = HistoricalRecords(m2m_fields=[units, realises])

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["framework", "order", "code"]
        constraints = [
            models.UniqueConstraint(
                "framework",
                CodeKey("code"),
                name="%(app_label)s_%(class)s_code_unique",
                violation_error_message=_("Another goal of this framework already has this code."),
            ),
            in_choices("kind", GoalKind, "%(app_label)s_%(class)s_kind_valid"),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")),
                name="%(app_label)s_%(class)s_not_own_parent",
                violation_error_message=_("A goal cannot be its own parent."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.shown('title')}"

    def clean(self) -> None:
        super().clean()
        if self.pk and self.framework_id:
            stored = Goal.objects.filter(pk=self.pk).values_list("framework", flat=True)
            if stored and stored[0] != self.framework_id:
                raise ValidationError({"framework": _("A goal cannot move to another framework.")})
        if self.parent_id and self.framework_id:
            if self.parent.framework_id != self.framework_id:
                raise ValidationError(
                    {"parent": _("The parent goal must belong to the same framework.")}
                )
            if self.pk and self.pk in ancestor_ids(self.parent, include_self=True):
                raise ValidationError(
                    {"parent": _("A goal cannot sit under itself or one of its own sub-goals.")}
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

    source = models.ForeignKey(
        Goal, on_delete=models.CASCADE, related_name="alignments_out", verbose_name=_("source")
    )
    target = models.ForeignKey(
        Goal, on_delete=models.CASCADE, related_name="alignments_in", verbose_name=_("target")
    )
    note = models.TextField(
        _("note"), blank=True, help_text=_("Why these goals are on common ground.")
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("alignment")
        verbose_name_plural = _("alignments")
        ordering = ["source", "target"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")),
                name="%(app_label)s_%(class)s_not_to_itself",
                violation_error_message=_("A goal cannot be aligned with itself."),
            ),
            models.UniqueConstraint(
                Least("source", "target"),
                Greatest("source", "target"),
                name="%(app_label)s_%(class)s_pair_unique",
                violation_error_message=_("These two goals are already aligned."),
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
                {"target": _("An alignment links goals of two different frameworks.")}
            )


class Indicator(Bilingual, CodedModel):
    """A measurable figure under a goal, with a target and an actual per fiscal year."""

    reach = Reach(institution=("goal__framework__institution",))

    goal = models.ForeignKey(
        Goal, on_delete=models.PROTECT, related_name="indicators", verbose_name=_("goal")
    )
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name (English)"), max_length=300)
    name_ja = models.CharField(_("name (Japanese)"), max_length=300, blank=True)
    unit_of_measure = models.CharField(
        _("unit of measure"), max_length=50, help_text=_("e.g. students, agreements, %.")
    )
    higher_is_better = models.BooleanField(_("higher is better"), default=True)
    baseline = models.DecimalField(
        _("baseline"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    baseline_year = models.PositiveSmallIntegerField(
        _("baseline fiscal year"), null=True, blank=True
    )
    description = models.TextField(_("description (English)"), blank=True)
    description_ja = models.TextField(_("description (Japanese)"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["goal", "code"]
        constraints = [
            models.UniqueConstraint(
                "goal",
                CodeKey("code"),
                name="%(app_label)s_%(class)s_code_unique",
                violation_error_message=_("Another indicator of this goal already has this code."),
            ),
        ]

    def __str__(self) -> str:
        return self.shown("name").text

    def on_track(self, target: Decimal | None, actual: Decimal | None) -> bool | None:
        """Whether an actual meets its target, in the direction this indicator counts as better."""
        if target is None or actual is None:
            return None
        return actual >= target if self.higher_is_better else actual <= target


class IndicatorValue(models.Model):
    """The target and the actual of an indicator in one fiscal year."""

    reach = Reach(institution=("indicator__goal__framework__institution",))

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="values", verbose_name=_("indicator")
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    target = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    actual = models.DecimalField(
        _("actual"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["indicator", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "fiscal_year"],
                name="%(app_label)s_%(class)s_one_per_year",
                violation_error_message=_(
                    _("This indicator already has figures for that fiscal year.")
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(fiscal_year__gte=1900, fiscal_year__lte=2200),
                name="%(app_label)s_%(class)s_fiscal_year_plausible",
                violation_error_message=_("Give a fiscal year between 1900 and 2200."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {fiscal_year_label(self.fiscal_year)}"
