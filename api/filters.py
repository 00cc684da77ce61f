"""What the lists of initiatives and activities may be narrowed by, in the query string:
``fiscal_year``, ``unit``, ``goal`` (its whole subtree, as the dashboards count it), ``country``,
``region`` (its countries), ``status`` (the initiative's) and ``changed_since`` (records with a
history row at or after that moment: what another system syncs). A value that names nothing
is refused (400) with the filter's name."""

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from common.access import access_for, reach_of
from policies.models import Goal
from portfolio.dashboards.selectors import goal_trees, serving
from portfolio.models import Activity, Initiative, InitiativeStatus
from units.models import Region, Unit


def subtree_of(goal: Goal) -> list[int]:
    """The goal, the goals under it and those realising any of them (two queries)."""
    nodes, _roots = goal_trees(Goal.objects.filter(framework_id=goal.framework_id))
    return nodes[goal.pk].subtree


def reachable_goals(request) -> QuerySet:
    """The goals a filter may name: those of the user's institutions."""
    return Goal.objects.filter(access_for(request.user).visible(reach_of(Goal)))


def in_utc(moment: dt.datetime) -> dt.datetime:
    """The moment in UTC: an offset Python allows (up to 24 hours) may be one PostgreSQL
    refuses (over 15:59); a moment beyond the calendar's ends is its first or last."""
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:
        end = dt.datetime.min if moment.year < 5000 else dt.datetime.max
        return end.replace(tzinfo=dt.UTC)


def changed_ids(model, since: dt.datetime) -> QuerySet:
    return model.history.filter(history_date__gte=in_utc(since)).values("id")


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (a decimal or a number of 300 digits is refused, never sent to SQL)."""

    field_class = forms.IntegerField


def reachable_units(request) -> QuerySet:
    """The units a filter may name: those of the user's institutions."""
    return Unit.objects.filter(access_for(request.user).visible(reach_of(Unit)))


def by_id_or_code(text: str, scope: str) -> Q:
    """A record by its id, by ``SCOPE:CODE`` (``scope`` the path to the code it is under), or
    by its code alone."""
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return Q(pk=int(text))
    outer, colon, code = text.partition(":")
    if colon:
        return Q(**{f"{scope}__code": outer, "code": code})
    return Q(code=text)


class IdOrCodeField(forms.ModelChoiceField):
    """A record of the queryset by id or code; a code that names more than one is refused."""

    def __init__(self, *args, scope: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value)
        found = [] if "\x00" in text or len(text) > 200 else self.found(text)
        if len(found) != 1:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return found[0]

    def found(self, text: str) -> list:
        return list(self.queryset.filter(by_id_or_code(text, self.scope))[:2])


@extend_schema_field(OpenApiTypes.STR)
class UnitFilter(django_filters.ModelChoiceFilter):
    """A unit of the user's institutions, by id, by ``KU:ISO-KU`` or by its code."""

    field_class = IdOrCodeField

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, scope="institution", **kwargs)


@extend_schema_field(OpenApiTypes.STR)
class GoalFilter(django_filters.ModelChoiceFilter):
    """A goal of the user's institutions, by id or by ``ISO-KU:CONNECT.3``: its whole subtree."""

    field_class = IdOrCodeField

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, scope="framework", **kwargs)


@extend_schema_field(OpenApiTypes.STR)
class RegionFilter(django_filters.ModelChoiceFilter):
    """A region, by code: the countries it groups."""


class InitiativeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=InitiativeStatus.choices)
    unit = UnitFilter(queryset=reachable_units, method="led_or_helped")
    goal = GoalFilter(queryset=reachable_goals, method="serving_goal")
    changed_since = django_filters.IsoDateTimeFilter(method="changed")

    class Meta:
        model = Initiative
        fields = ["status", "unit", "goal", "changed_since"]

    def led_or_helped(self, queryset, name, value):
        return queryset.filter(Q(lead_unit=value) | Q(contributing_units=value)).distinct()

    def serving_goal(self, queryset, name, goal):
        return queryset.filter(pk__in=serving(subtree_of(goal)))

    def changed(self, queryset, name, since):
        return queryset.filter(pk__in=changed_ids(Initiative, since))


class ActivityFilter(django_filters.FilterSet):
    fiscal_year = IntegerFilter(min_value=1900, max_value=2999)
    unit = UnitFilter(queryset=reachable_units)
    country = django_filters.CharFilter(
        method="in_country", max_length=2, label="country (ISO 3166)"
    )
    region = RegionFilter(queryset=Region.objects.all(), to_field_name="code", method="in_region")
    status = django_filters.ChoiceFilter(
        field_name="initiative__status", choices=InitiativeStatus.choices
    )
    goal = GoalFilter(queryset=reachable_goals, method="serving_goal")
    changed_since = django_filters.IsoDateTimeFilter(method="changed")

    class Meta:
        model = Activity
        fields = ["fiscal_year", "unit", "country", "region", "status", "goal", "changed_since"]

    def in_country(self, queryset, name, value):
        return queryset.filter(country=value.upper())

    def in_region(self, queryset, name, region):
        return queryset.filter(country__in=[c.code for c in region.countries])

    def serving_goal(self, queryset, name, goal):
        return queryset.filter(initiative_id__in=serving(subtree_of(goal)))

    def changed(self, queryset, name, since):
        return queryset.filter(pk__in=changed_ids(Activity, since))
