"""Who pursues the strategies: institutions, their units and regions, and the people in them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from common.access import Reach
from common.bilingual import Bilingual
from common.db import CodedModel, CodeKey, ancestor_ids, end_not_before_start, in_choices


class InstitutionManager(models.Manager):
    def get_by_natural_key(self, code: str) -> "Institution":
        return self.get(code=code)


class Institution(Bilingual, CodedModel):
    """A university (or other body) whose strategy documents the installation holds."""

    reach = Reach(institution=("id",))

    code = models.CharField(_("code"), max_length=20, help_text=_("Short code, e.g. KU or TMU."))
    name = models.CharField(_("name (English)"), max_length=200)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200, blank=True)
    website = models.URLField(_("website"), blank=True)
    public_pages = models.BooleanField(
        _("public pages"),
        default=False,
        help_text=_(
            "Serve this institution's public disclosure pages (its goals and indicators "
            "marked as disclosed) to anyone, without signing in."
        ),
    )

    objects = InstitutionManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                CodeKey("code"),
                name="%(app_label)s_%(class)s_code_unique",
                violation_error_message=_("Another institution already has this code."),
            ),
        ]

    def __str__(self) -> str:
        return self.shown("name").text

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class RegionManager(models.Manager):
    def get_by_natural_key(self, code: str) -> "Region":
        return self.get(code=code)


class Region(Bilingual, CodedModel):
    """A group of countries that activities are reported by (ASEAN, Europe, North America, …)."""

    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name (English)"), max_length=200)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200, blank=True)
    countries = CountryField(_("countries"), multiple=True, blank=True)
    order = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Position in region lists.")
    )
    note = models.TextField(_("note"), blank=True)

    objects = RegionManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(
                CodeKey("code"),
                name="%(app_label)s_%(class)s_code_unique",
                violation_error_message=_("Another region already has this code."),
            ),
        ]

    def __str__(self) -> str:
        return self.shown("name").text

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class UnitManager(models.Manager):
    def get_by_natural_key(self, institution_code: str, code: str) -> "Unit":
        return self.get(institution__code=institution_code, code=code)


class UnitKind(models.TextChoices):
    OFFICE = "office", _("Office")
    OVERSEAS_CENTER = "overseas_center", _("Overseas center")
    NETWORK_OFFICE = "network_office", _("Network office")
    FACULTY = "faculty", _("Faculty or department")
    EXECUTIVE_OFFICE = "executive_office", _("Executive office")
    FORMER = "former", _("Former organisation")


class Unit(Bilingual, CodedModel):
    """An office, overseas center, network office, faculty or former organisation."""

    reach = Reach(institution=("institution",), unit=("id",))

    Kind = UnitKind

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="units", verbose_name=_("institution")
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name (English)"), max_length=300)
    name_ja = models.CharField(_("name (Japanese)"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OFFICE)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
        verbose_name=_("region"),
    )
    host_city = models.CharField(_("host city"), max_length=100, blank=True)
    host_country = CountryField(_("host country"), blank=True)
    location = models.CharField(
        _("location"), max_length=300, blank=True, help_text=_("Building or address.")
    )
    active_from = models.DateField(_("active from"), null=True, blank=True)
    active_until = models.DateField(_("active until"), null=True, blank=True)
    description = models.TextField(_("description (English)"), blank=True)
    description_ja = models.TextField(_("description (Japanese)"), blank=True)
    source_note = models.TextField(
        _("source note"),
        blank=True,
        help_text=_("Where the facts of this record come from, and how precise they are."),
    )

    objects = UnitManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["institution__code", "code"]
        constraints = [
            models.UniqueConstraint(
                "institution",
                CodeKey("code"),
                name="%(app_label)s_%(class)s_code_unique",
                violation_error_message=_(
                    _("Another unit of this institution already has this code.")
                ),
            ),
            in_choices("kind", UnitKind, "%(app_label)s_%(class)s_kind_valid"),
            end_not_before_start(
                "active_from",
                "active_until",
                "%(app_label)s_%(class)s_active_dates_in_order",
                _("A unit cannot stop being active before it starts."),
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")),
                name="%(app_label)s_%(class)s_not_own_parent",
                violation_error_message=_("A unit cannot be its own parent."),
            ),
        ]

    def __str__(self) -> str:
        return self.shown("name").text

    def clean(self) -> None:
        super().clean()
        if (
            self.parent_id
            and self.institution_id
            and self.parent.institution_id != self.institution_id
        ):
            raise ValidationError(
                {"parent": _("The parent unit must belong to the same institution.")}
            )
        if self.parent_id and self.pk and self.pk in ancestor_ids(self.parent, include_self=True):
            raise ValidationError(
                {"parent": _("A unit cannot sit under itself or its own sub-unit.")}
            )

    def natural_key(self) -> tuple[str, str]:
        return (*self.institution.natural_key(), self.code)

    natural_key.dependencies = ["units.institution"]


class Person(models.Model):
    """Someone who holds, or held, a role in a unit."""

    name = models.CharField(_("name (English)"), max_length=200)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        help_text=_("The login of this person, where they have one."),
        verbose_name=_("user"),
    )
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AppointmentRole(models.TextChoices):
    DIRECTOR = "director", _("Director")
    VICE_DIRECTOR = "vice_director", _("Vice-Director")
    CENTER_DIRECTOR = "center_director", _("Director of an overseas center")
    FACULTY_MEMBER = "faculty_member", _("Faculty member")
    ASSISTANT = "assistant", _("Assistant to an executive")
    STAFF = "staff", _("Staff member")
    OTHER = "other", _("Other")


class Appointment(models.Model):
    """A role in a unit over a period; the person is empty where a source names only the post."""

    reach = Reach(institution=("unit__institution",))

    Role = AppointmentRole

    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="appointments", verbose_name=_("unit")
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        help_text=_("Leave empty for a post whose holder is not recorded."),
        verbose_name=_("person"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.STAFF)
    title = models.CharField(_("role title"), max_length=300)
    start = models.DateField(_("start"), null=True, blank=True)
    end = models.DateField(_("end"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["unit", "order", "start"]
        constraints = [
            in_choices("role", AppointmentRole, "%(app_label)s_%(class)s_role_valid"),
            end_not_before_start(
                "start",
                "end",
                "%(app_label)s_%(class)s_dates_in_order",
                _("An appointment cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        holder = self.person.name if self.person_id else _("post")
        return f"{self.title} ({holder})"


class UserScope(models.Model):
    """What a signed-in user may reach: the institutions, and the units, their role applies to.

    A leader, editor or data steward works on every record of the institutions named here (and
    of the institutions of the units named here); a unit editor edits only their units' records.
    Administrators and superusers reach everything, whatever their scope says.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="scope",
        verbose_name=_("user"),
    )
    institutions = models.ManyToManyField(
        Institution,
        blank=True,
        related_name="user_scopes",
        help_text=_("Every record of these institutions is within reach."),
        verbose_name=_("institutions"),
    )
    units = models.ManyToManyField(
        Unit,
        blank=True,
        related_name="user_scopes",
        help_text=_("A unit editor edits these units' records; their institutions are read."),
        verbose_name=_("units"),
    )
    language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The language of their mail, and of the interface once they sign in."),
    )

    history = HistoricalRecords(m2m_fields=[institutions, units])

    class Meta:
        verbose_name = _("scope of a user")
        verbose_name_plural = _("scopes of users")
        permissions = [("view_dashboards", "Can read the leadership dashboards")]

    def __str__(self) -> str:
        return _("Scope of %(user)s") % {"user": self.user}


class SheetMapping(models.Model):
    """How an institution's stewards read a sheet written elsewhere (``imports.mapping``): which
    column each header names, and which values stand for others. Offered again for every sheet
    of the same kind with the same headers."""

    institution = models.ForeignKey(
        Institution,
        on_delete=models.CASCADE,
        related_name="sheet_mappings",
        verbose_name=_("institution"),
    )
    kind = models.CharField(_("kind of sheet"), max_length=30)
    name = models.CharField(_("name"), max_length=120)
    signature = models.CharField(
        _("headers"), max_length=64, editable=False, help_text=_("A digest of the headers.")
    )
    headers = models.JSONField(_("headers"), default=list)
    columns = models.JSONField(_("columns"), default=dict)
    values = models.JSONField(_("values"), default=dict)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()
    reach = Reach(institution=("institution",))

    class Meta:
        verbose_name = _("sheet mapping")
        verbose_name_plural = _("sheet mappings")
        ordering = ["institution", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "kind", "name"], name="sheet_mapping_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name
