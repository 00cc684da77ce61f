"""What an institution wants: its strategy documents, their goals, crosswalks and indicators."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Greatest, Least
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
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
    public = models.BooleanField(
        _("disclosed publicly"),
        default=False,
        help_text=_("Shown word for word, with its public indicators, on the public pages."),
    )
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


class LibraryUnit(models.TextChoices):
    RATIO = "ratio", _("Ratio (%)")
    COUNT = "count", _("Count")
    YES_NO = "yes_no", _("Yes or no")


class Computation(models.TextChoices):
    """How the product counts an indicator from its own records (``policies.computed``)."""

    NONE = "", _("Entered by the office")
    OUTBOUND_UNDER_AGREEMENTS = (
        "outbound_under_agreements",
        _("Students sent abroad under agreements"),
    )
    PARTNERS_UNDER_AGREEMENTS = "partners_under_agreements", _("Partners with agreements in force")
    AGREEMENTS_IN_FORCE = "agreements_in_force", _("Agreements in force")
    INTERNATIONAL_STUDENT_RATIO = (
        "international_student_ratio",
        _("International students among all students (headcount sheet)"),
    )


class LibraryIndicatorManager(models.Manager):
    def get_by_natural_key(self, code: str) -> "LibraryIndicator":
        return self.get(code=code)


class LibraryIndicator(Bilingual, CodedModel):
    """An indicator defined once for every institution of the installation (MEXT's Top Global
    University indicators among them), which an institution adopts for one of its goals."""

    Unit = LibraryUnit

    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name (English)"), max_length=300)
    name_ja = models.CharField(_("name (Japanese)"), max_length=300, blank=True)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    counting = models.TextField(_("how it is counted (English)"), blank=True)
    counting_ja = models.TextField(_("how it is counted (Japanese)"), blank=True)
    as_of = models.CharField(
        _("as of"), max_length=100, blank=True, help_text=_("e.g. 1 May of each fiscal year.")
    )
    as_of_ja = models.CharField(_("as of (Japanese)"), max_length=100, blank=True)
    computation = models.CharField(
        _("computed by the product"),
        max_length=40,
        choices=Computation.choices,
        blank=True,
        default=Computation.NONE,
    )
    source = models.TextField(_("source"), help_text=_("The publication that defines it."))
    source_url = models.URLField(_("source url"), max_length=500, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = LibraryIndicatorManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("library indicator")
        verbose_name_plural = _("library indicators")
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(
                CodeKey("code"),
                name="%(app_label)s_%(class)s_code_unique",
                violation_error_message=_("Another library indicator already has this code."),
            ),
            in_choices("unit", LibraryUnit, "%(app_label)s_%(class)s_unit_valid"),
            in_choices("computation", Computation, "%(app_label)s_%(class)s_computation_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.shown('name').text}"

    def natural_key(self) -> tuple[str]:
        return (self.code,)


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
    library = models.ForeignKey(
        LibraryIndicator,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adoptions",
        verbose_name=_("library indicator"),
        help_text=_("The shared definition this indicator adopts; empty for the office's own."),
    )
    public = models.BooleanField(
        _("disclosed publicly"),
        default=False,
        help_text=_("Shown, with its targets and approved actuals, on the public pages."),
    )
    benchmarked = models.BooleanField(
        _("shared in benchmarks"),
        default=False,
        help_text=_(
            "Its figures are compared with other institutions' for the same library "
            "indicator, and theirs shown here."
        ),
    )

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

    def clean(self) -> None:
        super().clean()
        if self.benchmarked and not self.library_id:
            raise ValidationError(
                {"benchmarked": _("Only an indicator adopted from the library is benchmarked.")}
            )
        if self.library_id and self.goal_id:
            institution = self.goal.framework.institution_id
            twin = Indicator.objects.filter(
                library=self.library_id, goal__framework__institution=institution
            ).exclude(pk=self.pk)
            if twin.exists():
                raise ValidationError(
                    {"library": _("This institution has adopted that library indicator already.")}
                )

    @property
    def computation(self) -> str:
        return self.library.computation if self.library_id else ""

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
    override_reason = models.TextField(
        _("reason for overriding the computed actual"),
        blank=True,
        help_text=_(
            "For an indicator the product computes: why the actual entered here replaces "
            "the computed one. Empty: the computed actual stands."
        ),
    )

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

    def clean(self) -> None:
        super().clean()
        computed = self.indicator_id and self.indicator.computation
        if not computed or self.override_reason.strip():
            return
        stored = (
            IndicatorValue.objects.filter(pk=self.pk).values_list("actual", flat=True).first()
            if self.pk
            else None
        )
        if self.actual is not None and self.actual != stored:
            raise ValidationError(
                {
                    "override_reason": _(
                        "The product computes this indicator's actual: give the reason for "
                        "overriding it, or leave the actual as computed."
                    )
                }
            )


class HeadcountLevel(models.TextChoices):
    UNDERGRADUATE = "undergraduate", _("Undergraduate")
    MASTER = "master", _("Master's")
    DOCTORAL = "doctoral", _("Doctoral")
    PROFESSIONAL = "professional", _("Professional degree")
    NON_DEGREE = "non_degree", _("Non-degree and research students")
    FACULTY = "faculty", _("Full-time faculty")


class HeadcountGroup(models.TextChoices):
    ALL = "all", _("Total")
    INTERNATIONAL = "international", _("International students")
    JAPANESE = "japanese", _("Japanese students")
    FOREIGN_OR_FOREIGN_DEGREE = "foreign_faculty", _("Foreign or foreign-degree faculty")


class Headcount(models.Model):
    """A figure the product does not hold itself: how many students or faculty an institution
    had on a snapshot day (1 May, as JASSO counts them) of a fiscal year, by level, and for
    international students by country or region of origin."""

    reach = Reach(institution=("institution",))

    Level = HeadcountLevel
    Group = HeadcountGroup

    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        related_name="headcounts",
        verbose_name=_("institution"),
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    as_of = models.DateField(_("as of"), help_text=_("The snapshot day, e.g. 1 May."))
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    group = models.CharField(_("group"), max_length=20, choices=Group.choices, default=Group.ALL)
    country = CountryField(
        _("country or region"),
        blank=True,
        help_text=_("For international students counted by origin; empty for the total."),
    )
    count = models.PositiveIntegerField(_("count"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("headcount")
        verbose_name_plural = _("headcounts")
        ordering = ["institution", "fiscal_year", "level", "group", "country"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "fiscal_year", "as_of", "level", "group", "country"],
                name="%(app_label)s_%(class)s_one_per_snapshot",
                violation_error_message=_(
                    "This institution already has this headcount for that snapshot."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(fiscal_year__gte=1900, fiscal_year__lte=2200),
                name="%(app_label)s_%(class)s_fiscal_year_plausible",
                violation_error_message=_("Give a fiscal year between 1900 and 2200."),
            ),
            in_choices("level", HeadcountLevel, "%(app_label)s_%(class)s_level_valid"),
            in_choices("group", HeadcountGroup, "%(app_label)s_%(class)s_group_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.institution.code} {fiscal_year_label(self.fiscal_year)} {self.level}"

    def clean(self) -> None:
        super().clean()
        if self.country and self.group != HeadcountGroup.INTERNATIONAL:
            raise ValidationError(
                {"country": _("Only international students are counted by country or region.")}
            )
        faculty_groups = {HeadcountGroup.ALL, HeadcountGroup.FOREIGN_OR_FOREIGN_DEGREE}
        student_groups = set(HeadcountGroup) - {HeadcountGroup.FOREIGN_OR_FOREIGN_DEGREE}
        allowed = faculty_groups if self.level == HeadcountLevel.FACULTY else student_groups
        if self.group and self.group not in allowed:
            raise ValidationError({"group": _("This group is not counted at this level.")})
