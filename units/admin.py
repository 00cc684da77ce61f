from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count

from common.admin import AuditedAdmin, AuditedInline
from units.models import Appointment, Institution, Person, Region, Unit, UserScope


@admin.register(Institution)
class InstitutionAdmin(AuditedAdmin):
    list_display = ["code", "name", "name_ja", "unit_count"]
    search_fields = ["code", "name", "name_ja"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_units=Count("units"))

    @admin.display(description="units", ordering="_units")
    def unit_count(self, obj: Institution) -> int:
        return obj._units


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ["code", "name", "name_ja", "country_count", "order"]
    list_editable = ["order"]
    search_fields = ["code", "name", "name_ja"]

    @admin.display(description="countries")
    def country_count(self, obj: Region) -> int:
        return len(obj.countries)


class AppointmentInline(AuditedInline):
    model = Appointment
    fields = ["role", "title", "person", "start", "end", "order"]
    autocomplete_fields = ["person"]


class KindFilter(admin.SimpleListFilter):
    title = "active"
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", "Active"), ("no", "Ended")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(active_until__isnull=True)
        if self.value() == "no":
            return queryset.filter(active_until__isnull=False)
        return queryset


@admin.register(Unit)
class UnitAdmin(AuditedAdmin):
    list_display = [
        "code",
        "name",
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
        (None, {"fields": ["institution", "code", "name", "name_ja", "kind", "parent"]}),
        ("Place", {"fields": ["region", "host_city", "host_country", "location"]}),
        ("Period", {"fields": ["active_from", "active_until"]}),
        ("About", {"fields": ["description", "source_note"]}),
    ]


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
    search_fields = ["title", "person__name", "unit__name"]
    autocomplete_fields = ["unit", "person"]


class UserScopeInline(admin.StackedInline):
    model = UserScope
    can_delete = False
    autocomplete_fields = ["institutions", "units"]
    verbose_name_plural = "scope (institutions and units this user's roles apply to)"


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class ScopedUserAdmin(UserAdmin):
    """Users with their roles (groups) and their scope, kept by administrators."""

    inlines = [UserScopeInline]
    list_display = ["username", "email", "is_staff", "is_active", "roles"]
    list_filter = ["groups", "is_staff", "is_superuser", "is_active"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="roles")
    def roles(self, user) -> str:
        return ", ".join(group.name for group in user.groups.all())
