from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.admin import AuditedAdmin, AuditedInline, shown_column
from common.admin_fields import FilledFromScope, SearchableCountries
from units.models import Appointment, Institution, Person, Region, Unit, UserScope


@admin.register(Institution)
class InstitutionAdmin(AuditedAdmin):
    list_display = ["code", "shown_name", "unit_count"]
    search_fields = ["code", "name", "name_ja"]
    fieldsets = [(None, {"fields": ["code", ("name", "name_ja"), "website"]})]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_units=Count("units"))

    @admin.display(description=gettext_lazy("units"), ordering="_units")
    def unit_count(self, obj: Institution) -> int:
        return obj._units

    shown_name = shown_column("name")


@admin.register(Region)
class RegionAdmin(SearchableCountries, AuditedAdmin):
    list_display = ["code", "shown_name", "country_count", "order"]
    list_editable = ["order"]
    search_fields = ["code", "name", "name_ja"]
    fieldsets = [(None, {"fields": ["code", ("name", "name_ja"), "countries", "order", "note"]})]

    shown_name = shown_column("name")

    @admin.display(description=gettext_lazy("countries"))
    def country_count(self, obj: Region) -> int:
        return len(obj.countries)


class AppointmentInline(AuditedInline):
    model = Appointment
    fields = ["role", "title", "person", "start", "end", "order"]
    autocomplete_fields = ["person"]


class KindFilter(admin.SimpleListFilter):
    title = gettext_lazy("active")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("Active")), ("no", _("Ended"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(active_until__isnull=True)
        if self.value() == "no":
            return queryset.filter(active_until__isnull=False)
        return queryset


@admin.register(Unit)
class UnitAdmin(FilledFromScope, SearchableCountries, AuditedAdmin):
    list_display = [
        "code",
        "shown_name",
        "kind",
        "institution",
        "parent",
        "region",
        "host_city",
        "host_country",
        "active_until",
    ]
    list_filter = ["institution", "kind", "region", KindFilter]
    list_select_related = ["institution", "parent", "region"]
    search_fields = ["code", "name", "name_ja", "host_city"]
    autocomplete_fields = ["institution", "parent", "region"]
    inlines = [AppointmentInline]
    fieldsets = [
        (None, {"fields": ["institution", "code", ("name", "name_ja"), "kind", "parent"]}),
        (gettext_lazy("Place"), {"fields": ["region", "host_city", "host_country", "location"]}),
        (gettext_lazy("Period"), {"fields": ["active_from", "active_until"]}),
        (gettext_lazy("About"), {"fields": [("description", "description_ja"), "source_note"]}),
    ]

    shown_name = shown_column("name")


@admin.register(Person)
class PersonAdmin(AuditedAdmin):
    list_display = ["name", "name_ja", "email", "user"]
    list_select_related = ["user"]
    search_fields = ["name", "name_ja", "email"]
    autocomplete_fields = ["user"]


@admin.register(Appointment)
class AppointmentAdmin(AuditedAdmin):
    list_display = ["title", "role", "unit", "person", "start", "end"]
    list_filter = ["role", "unit__institution"]
    list_select_related = ["unit", "person"]
    search_fields = ["title", "person__name", "person__name_ja", "unit__name", "unit__name_ja"]
    autocomplete_fields = ["unit", "person"]


class UserScopeInline(admin.StackedInline):
    model = UserScope
    can_delete = False
    autocomplete_fields = ["institutions", "units"]
    verbose_name_plural = gettext_lazy("scope (institutions and units this user's roles apply to)")


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class ScopedUserAdmin(UserAdmin):
    """Users with their roles (groups) and their scope, kept by administrators."""

    inlines = [UserScopeInline]
    list_display = ["username", "email", "is_staff", "is_active", "roles"]
    list_filter = ["groups", "is_staff", "is_superuser", "is_active"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=gettext_lazy("roles"))
    def roles(self, user) -> str:
        return ", ".join(group.name for group in user.groups.all())
