from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.admin import AuditedAdmin, AuditedForm, AuditedInline, shown_column
from common.admin_fields import FilledFromScope, SearchableCountries
from policies.models import (
    Alignment,
    Framework,
    Goal,
    Headcount,
    Indicator,
    IndicatorValue,
    LibraryIndicator,
)


class GoalInline(AuditedInline):
    model = Goal
    fields = ["code", "kind", "title", "title_ja", "parent", "order"]
    autocomplete_fields = ["parent"]
    ordering = ["order", "code"]


@admin.register(Framework)
class FrameworkAdmin(FilledFromScope, AuditedAdmin):
    list_display = ["code", "shown_title", "institution", "adopted_on", "revised_on", "goal_count"]
    list_filter = ["institution"]
    list_select_related = ["institution"]
    search_fields = ["code", "title", "title_ja", "source"]
    autocomplete_fields = ["institution"]
    inlines = [GoalInline]
    fieldsets = [
        (None, {"fields": ["institution", "code", ("title", "title_ja")]}),
        (
            gettext_lazy("Source"),
            {"fields": ["adopted_on", "revised_on", "source", "source_url", "source_note"]},
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_goals=Count("goals"))

    @admin.display(description=gettext_lazy("goals"), ordering="_goals")
    def goal_count(self, obj: Framework) -> int:
        return obj._goals

    shown_title = shown_column("title")


class TopLevelFilter(admin.SimpleListFilter):
    title = gettext_lazy("level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("top", _("Top-level goals")), ("sub", _("Sub-goals"))]

    def queryset(self, request, queryset):
        if self.value() == "top":
            return queryset.filter(parent__isnull=True)
        if self.value() == "sub":
            return queryset.filter(parent__isnull=False)
        return queryset


class GoalForm(AuditedForm):
    def clean(self):
        cleaned = super().clean()
        framework = cleaned.get("framework")
        foreign = [
            unit
            for unit in cleaned.get("units") or []
            if framework and unit.institution_id != framework.institution_id
        ]
        if foreign:
            self.add_error(
                "units",
                _("A goal is pursued only by units of its own institution; remove: %(units)s.")
                % {"units": ", ".join(unit.code for unit in foreign)},
            )
        elsewhere = [
            goal.code
            for goal in cleaned.get("realises") or []
            if framework and goal.framework_id != framework.pk
        ]
        if elsewhere:
            self.add_error(
                "realises",
                _("A goal realises only goals of its own framework; remove: %(goals)s.")
                % {"goals": ", ".join(elsewhere)},
            )
        if self.instance.pk and any(
            g.pk == self.instance.pk for g in cleaned.get("realises") or []
        ):
            self.add_error("realises", _("A goal cannot realise itself."))
        return cleaned


@admin.register(Goal)
class GoalAdmin(AuditedAdmin):
    form = GoalForm
    list_display = ["code", "shown_title", "kind", "framework", "parent", "order"]
    ordering = ["framework", "code"]  # a code sorts under its parent: CONNECT, CONNECT.1, …
    list_filter = ["framework__institution", "framework", "kind", TopLevelFilter]
    list_select_related = ["framework", "parent"]
    search_fields = ["code", "title", "title_ja", "description", "description_ja"]
    autocomplete_fields = ["framework", "parent", "units", "realises"]
    fieldsets = [
        (None, {"fields": ["framework", "parent", "code", "kind", "order"]}),
        (
            gettext_lazy("Wording"),
            {"fields": [("title", "title_ja"), ("description", "description_ja"), "source_note"]},
        ),
        (gettext_lazy("Pursued by"), {"fields": ["units", "realises"]}),
        (gettext_lazy("Disclosure"), {"fields": ["public"]}),
    ]

    shown_title = shown_column("title")


@admin.register(Alignment)
class AlignmentAdmin(AuditedAdmin):
    list_display = ["source", "target", "note"]
    list_filter = ["source__framework", "target__framework"]
    list_select_related = ["source", "target"]
    search_fields = [
        "source__code",
        "source__title",
        "source__title_ja",
        "target__code",
        "target__title",
        "target__title_ja",
        "note",
    ]
    autocomplete_fields = ["source", "target"]

    def pickable(self, request, db_field):
        if db_field.name == "target":
            # A crosswalk joins a goal of one's own to any institution's: strategies are public.
            return Goal.objects.select_related("framework")
        return super().pickable(request, db_field)


class IndicatorValueInline(AuditedInline):
    """A year's figures on one line, the whole table within a 1280 px window beside the menu."""

    model = IndicatorValue
    fields = ["fiscal_year", "target", "actual", "note", "override_reason"]
    ordering = ["fiscal_year"]
    classes = ["indicator-values"]

    class Media:
        css = {"screen": ["admin/css/indicator_values.css"]}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in {"note", "override_reason"}:
            field.widget.attrs.update({"rows": 2, "cols": 30})
        return field


@admin.register(Indicator)
class IndicatorAdmin(AuditedAdmin):
    list_display = ["code", "shown_name", "goal", "unit_of_measure", "better_when", "baseline"]
    list_filter = ["goal__framework", "higher_is_better", "library", "public", "benchmarked"]
    list_select_related = ["goal"]
    search_fields = ["code", "name", "name_ja", "goal__code", "goal__title", "goal__title_ja"]
    autocomplete_fields = ["goal", "library"]
    inlines = [IndicatorValueInline]
    fieldsets = [
        (
            None,
            {"fields": ["goal", "code", ("name", "name_ja"), ("description", "description_ja")]},
        ),
        (
            gettext_lazy("Measure"),
            {"fields": ["unit_of_measure", "higher_is_better", "baseline", "baseline_year"]},
        ),
        (gettext_lazy("Library and disclosure"), {"fields": ["library", "public", "benchmarked"]}),
    ]

    shown_name = shown_column("name")

    # In words rather than Django's boolean icon, whose alternative text is English only.
    @admin.display(description=gettext_lazy("better when"), ordering="higher_is_better")
    def better_when(self, obj: Indicator) -> str:
        return _("higher") if obj.higher_is_better else _("lower")


@admin.register(IndicatorValue)
class IndicatorValueAdmin(AuditedAdmin):
    list_display = ["indicator", "fiscal_year", "target", "actual"]
    list_filter = ["fiscal_year", "indicator__goal__framework"]
    list_select_related = ["indicator"]
    search_fields = ["indicator__name", "indicator__name_ja", "indicator__code"]
    autocomplete_fields = ["indicator"]


@admin.register(LibraryIndicator)
class LibraryIndicatorAdmin(AuditedAdmin):
    """The installation's shared definitions: kept by administrators, read by every role."""

    list_display = ["code", "shown_name", "unit", "computation", "as_of", "order"]
    list_filter = ["unit", "computation"]
    search_fields = ["code", "name", "name_ja", "source"]
    fieldsets = [
        (None, {"fields": ["code", ("name", "name_ja"), "unit", "order"]}),
        (
            gettext_lazy("Counting"),
            {"fields": [("counting", "counting_ja"), ("as_of", "as_of_ja"), "computation"]},
        ),
        (gettext_lazy("Source"), {"fields": ["source", "source_url"]}),
    ]

    shown_name = shown_column("name")


@admin.register(Headcount)
class HeadcountAdmin(FilledFromScope, SearchableCountries, AuditedAdmin):
    """The headcount sheet: enrolment and faculty figures the product does not hold."""

    list_display = ["institution", "fiscal_year", "as_of", "level", "group", "country", "count"]
    list_filter = ["institution", "fiscal_year", "level", "group"]
    list_select_related = ["institution"]
    search_fields = ["institution__code", "institution__name", "country"]
    autocomplete_fields = ["institution"]
    fields = ["institution", "fiscal_year", "as_of", "level", "group", "country", "count"]
