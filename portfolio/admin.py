from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.admin import AuditedAdmin, AuditedForm, AuditedInline, country_column, shown_column
from common.admin_fields import FilledFromScope, SearchableCountries
from common.admin_lists import EstimatedCountPaginator, YearRangeFilter
from common.db import count_related
from portfolio.models import (
    Activity,
    Agreement,
    Initiative,
    Milestone,
    PartnerInstitution,
    ProgressUpdate,
)


@admin.register(PartnerInstitution)
class PartnerInstitutionAdmin(SearchableCountries, AuditedAdmin):
    list_display = ["shown_name", "local_name", "shown_country", "city", "website"]
    list_filter = ["country"]
    search_fields = ["name", "name_ja", "local_name", "city"]
    fieldsets = [
        (None, {"fields": [("name", "name_ja"), "local_name", "country", "city", "website"]}),
    ]

    shown_name = shown_column("name")
    shown_country = country_column()


@admin.register(Agreement)
class AgreementAdmin(FilledFromScope, AuditedAdmin):
    list_display = ["partner", "kind", "level", "unit", "signed_on", "expires_on"]
    list_filter = ["kind", "level", "unit__institution"]
    list_select_related = ["partner", "unit"]
    search_fields = [
        "title",
        "partner__name",
        "partner__name_ja",
        "partner__local_name",
        "unit__name",
        "unit__name_ja",
    ]
    autocomplete_fields = ["partner", "unit"]
    date_hierarchy = "signed_on"


class InitiativeForm(AuditedForm):
    def clean(self):
        cleaned = super().clean()
        institution = cleaned.get("institution")
        if institution is None:
            return cleaned
        foreign_goals = [
            goal
            for goal in cleaned.get("goals") or []
            if goal.framework.institution_id != institution.pk
        ]
        if foreign_goals:
            self.add_error(
                "goals",
                ValidationError(
                    _(
                        "An initiative pursues only goals of its own institution's frameworks; "
                        "remove: %(goals)s."
                    ),
                    params={"goals": ", ".join(goal.reference for goal in foreign_goals)},
                ),
            )
        foreign_units = [
            unit
            for unit in cleaned.get("contributing_units") or []
            if unit.institution_id != institution.pk
        ]
        if foreign_units:
            self.add_error(
                "contributing_units",
                _(
                    "Contributing units must belong to the initiative's institution; "
                    "remove: %(units)s."
                )
                % {"units": ", ".join(unit.code for unit in foreign_units)},
            )
        return cleaned


class SignedByTheEditor:
    """Staff who may not read the list of users sign progress updates as themselves."""

    def get_autocomplete_fields(self, request):
        fields = super().get_autocomplete_fields(request)
        if request.user.has_perm("auth.view_user"):
            return fields
        return [name for name in fields if name != "author"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "author" and not request.user.has_perm("auth.view_user"):
            kwargs["queryset"] = get_user_model().objects.filter(pk=request.user.pk)
            kwargs["initial"] = request.user.pk
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ProgressUpdateInline(SignedByTheEditor, AuditedInline):
    model = ProgressUpdate
    fields = ["fiscal_year", "quarter", "health", "narrative", "author"]
    autocomplete_fields = ["author"]
    ordering = ["-fiscal_year", "-quarter"]


class MilestoneInline(AuditedInline):
    """The initiative's steps, which its reports say are done (approval marks them)."""

    model = Milestone
    fields = ["title", "title_ja", "due_date", "done"]
    show_change_link = False


@admin.register(Initiative)
class InitiativeAdmin(FilledFromScope, AuditedAdmin):
    form = InitiativeForm
    list_display = [
        "code",
        "shown_title",
        "institution",
        "lead_unit",
        "status",
        "health",
        "start_date",
        "end_date",
        "goal_count",
    ]
    list_filter = ["institution", "status", "health", "lead_unit"]
    list_select_related = ["institution", "lead_unit"]
    search_fields = ["code", "title", "title_ja", "summary", "summary_ja"]
    autocomplete_fields = [
        "institution",
        "lead_unit",
        "owner",
        "goals",
        "contributing_units",
        "partners",
    ]
    inlines = [MilestoneInline, ProgressUpdateInline]
    fieldsets = [
        (
            None,
            {"fields": ["institution", "code", ("title", "title_ja"), ("summary", "summary_ja")]},
        ),
        (
            gettext_lazy("Goals and people"),
            {"fields": ["goals", "lead_unit", "contributing_units", "owner", "partners"]},
        ),
        (
            gettext_lazy("State"),
            {"fields": ["status", "health", "start_date", "end_date", "budget_jpy"]},
        ),
    ]

    def get_queryset(self, request):
        # A subquery per row shown, not a GROUP BY over every initiative before the page is cut.
        goals = count_related(Initiative.goals.through, "initiative")
        return super().get_queryset(request).annotate(_goals=goals)

    @admin.display(description=gettext_lazy("goals"), ordering="_goals")
    def goal_count(self, obj: Initiative) -> int:
        return obj._goals

    shown_title = shown_column("title")


class ActivityForm(AuditedForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        reference = self.fields.get("external_ref")
        if reference is None:
            return  # a reader who may only view the activity gets a form without fields
        if self.instance.pk is None:
            # Left empty, the activity is given a reference of its own when it is saved.
            reference.initial = ""
            reference.show_hidden_initial = False
        else:
            # Re-imports match on it: it is kept, not made anew.
            reference.required = True
            reference.help_text = _("Stable reference that re-imports match on.")


@admin.register(Activity)
class ActivityAdmin(FilledFromScope, SearchableCountries, AuditedAdmin):
    """The list of every activity, a million rows and more: it reads no more than a page.

    Its order is an index's (``portfolio_act_list_order``, ``portfolio_act_fy_list_order`` for a
    fiscal year); the filters' choices, the date hierarchy and the count are bounded
    (``common.admin_lists``); the search's ``LIKE '%…%'`` is served on PostgreSQL by trigram
    indexes (``portfolio/migrations/0009_activity_search_trigrams.py``), in English and Japanese.
    Facets would count every choice over every row: they are off.
    """

    form = ActivityForm
    list_display = [
        "external_ref",
        "title",
        "activity_type",
        "start_date",
        "fiscal_year",
        "initiative",
        "unit",
        "shown_country",
        "partner",
        "inbound_participants",
        "outbound_participants",
    ]
    list_filter = [
        ("fiscal_year", YearRangeFilter),
        "activity_type",
        "mode",
        "unit__institution",
        "country",
    ]
    list_select_related = ["initiative", "unit", "partner"]
    search_fields = ["external_ref", "title", "city", "description"]
    autocomplete_fields = ["initiative", "unit", "partner"]
    date_hierarchy = "start_date"
    readonly_fields = ["fiscal_year"]
    list_per_page = 100
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator

    shown_country = country_column()


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(SignedByTheEditor, AuditedAdmin):
    list_display = ["initiative", "fiscal_year", "quarter", "health", "author"]
    list_filter = ["fiscal_year", "quarter", "health"]
    list_select_related = ["initiative", "author"]
    search_fields = ["initiative__code", "initiative__title", "initiative__title_ja", "narrative"]
    autocomplete_fields = ["initiative", "author"]
