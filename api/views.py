"""The API's resources. Each lists and reads only what the user's scope reaches (a record
beyond it is not found, 404, as in the admin), a fixed number of queries whatever the page
size, a page at a time by a cursor that stays stable while records are added."""

from itertools import pairwise

from django.db.models import Model, Q, QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from api import filters, serializers
from api.writes import WritableMixin, etag_of, writable
from common.access import access_for, reach_of, readable_history
from common.admin import latest_version, shown_reason
from policies.models import Alignment, Framework, Goal, Indicator, IndicatorValue
from portfolio.models import Activity, Agreement, Initiative, PartnerInstitution, ProgressUpdate
from reporting.models import ReportingCycle
from units.models import Institution, Region, Unit


class ByIdCursor(CursorPagination):
    """Pages in id order, by an opaque cursor: a record added meanwhile shifts no page."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class ByVersion(CursorPagination):
    """A record's history, the newest version first."""

    ordering = "-history_id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}


def history_entry(row, earlier) -> dict:
    """A history row as the API tells it: its version, author, reason and changes."""
    fields = [
        field
        for field in row.instance_type._meta.concrete_fields
        if field.attname in row.__dict__ and field.name != "id"
    ]
    changes = {}
    for field in fields:
        after = field_text(field, row)
        before = field_text(field, earlier) if earlier is not None else None
        if earlier is None or before != after:
            changes[field.name] = {"from": before, "to": after}
    user = row.history_user
    return {
        "version": row.history_id,
        "date": row.history_date,
        "type": HISTORY_TYPES.get(row.history_type, row.history_type),
        "user": user.get_username() if user is not None else None,
        "reason": shown_reason(row),
        "changes": changes if row.history_type != "-" else {},
    }


def field_text(field, row) -> str | None:
    """A field's value as text (an id for a reference, ISO 8601 for a date); None for none."""
    return None if field.value_from_object(row) is None else field.value_to_string(row)


class ScopedViewSet(viewsets.ReadOnlyModelViewSet):
    """The records of ``model`` that the user reaches; looked up by id, or by code."""

    model: type[Model]
    # The field a record is also found by (None: by id only).
    code_field: str | None = "code"
    pagination_class = ByIdCursor
    lookup_value_converter = "str"

    def get_queryset(self) -> QuerySet:
        visible = access_for(self.request.user).visible(reach_of(self.model))
        return self.related(self.model.objects.filter(visible)).order_by("id")

    def related(self, queryset: QuerySet) -> QuerySet:
        return queryset

    def get_object(self):
        value = self.kwargs[self.lookup_field]
        if "\x00" in value:  # no record's code holds one, and PostgreSQL refuses it in a query
            raise Http404
        found = list(self.get_queryset().filter(self.lookup(value))[:2])
        if len(found) != 1:  # none in reach, or a code that names more than one
            raise Http404
        self.check_object_permissions(self.request, found[0])
        return found[0]

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        return self.tagged(Response(self.get_serializer(obj).data), obj)

    def tagged(self, answer: Response, obj: Model) -> Response:
        """The record's version as its ETag: what a change names in ``If-Match``."""
        tag = etag_of(latest_version(obj)) if hasattr(obj, "history") else None
        if tag:
            answer["ETag"] = tag
        return answer

    @extend_schema(responses=serializers.HistoryEntrySerializer(many=True))
    @action(detail=True, pagination_class=ByVersion)
    def history(self, request, *args, **kwargs):
        """The record's versions, the newest first, each with its author and reason (as the
        admin's history page shows them to this reader) and what it changed."""
        obj = self.get_object()
        rows = readable_history(access_for(request.user), self.model.history.filter(id=obj.pk))
        page = self.paginate_queryset(rows.select_related("history_user"))
        earlier = self.earlier_versions(page)
        entries = [history_entry(row, earlier.get(row.history_id)) for row in page]
        return self.get_paginated_response(entries)

    def earlier_versions(self, page: list) -> dict:
        """The version before each row of the page, in one query."""
        if not page:
            return {}
        oldest = page[-1]
        before = (
            readable_history(access_for(self.request.user), self.model.history.all())
            .filter(id=oldest.id, history_id__lt=oldest.history_id)
            .order_by("-history_id")
            .first()
        )
        ordered = [*page, before] if before is not None else page
        return {row.history_id: older for row, older in pairwise(ordered)}

    def lookup(self, value: str) -> Q:
        """An id, or the record's code."""
        if value.isascii() and value.isdigit() and len(value) <= 18:
            return Q(pk=int(value))
        if self.code_field is None:
            return Q(pk__in=[])
        return Q(**{self.code_field: value})


class InstitutionViewSet(ScopedViewSet):
    """Institutions the user reaches."""

    model = Institution
    serializer_class = serializers.InstitutionSerializer


class RegionViewSet(ScopedViewSet):
    """Regions of the world, as the product groups countries: every institution's."""

    model = Region
    serializer_class = serializers.RegionSerializer


class UnitViewSet(ScopedViewSet):
    """Offices, overseas centres and other units of the institutions the user reaches."""

    model = Unit
    serializer_class = serializers.UnitSerializer

    def related(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("institution", "region")

    def lookup(self, value: str) -> Q:
        """An id, a unit's code, or ``KU:ISO-KU`` (institution and unit code)."""
        institution, colon, code = value.partition(":")
        if colon:
            return Q(institution__code=institution, code=code)
        return super().lookup(value)


class FrameworkViewSet(ScopedViewSet):
    """Strategy documents of the institutions the user reaches."""

    model = Framework
    serializer_class = serializers.FrameworkSerializer

    def related(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("institution")


class GoalViewSet(ScopedViewSet):
    """Goals of those frameworks, word for word."""

    model = Goal
    serializer_class = serializers.GoalSerializer

    def related(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("framework").prefetch_related("units", "realises")

    def lookup(self, value: str) -> Q:
        """An id, or ``ISO-KU:CONNECT.3`` (framework and goal code)."""
        framework, colon, code = value.partition(":")
        if colon:
            return Q(framework__code=framework, code=code)
        return super().lookup(value)


@writable
class AlignmentViewSet(WritableMixin, ScopedViewSet):
    """Crosswalk links between goals of two frameworks (either end in the user's reach)."""

    model = Alignment
    code_field = None
    serializer_class = serializers.AlignmentSerializer
    references = {"source": GoalViewSet, "target": GoalViewSet}


@writable
class IndicatorViewSet(WritableMixin, ScopedViewSet):
    """Indicators of the goals the user reaches."""

    model = Indicator
    serializer_class = serializers.IndicatorSerializer
    references = {"goal": GoalViewSet}


@writable
class IndicatorValueViewSet(WritableMixin, ScopedViewSet):
    """Targets and actuals of those indicators, by fiscal year."""

    model = IndicatorValue
    code_field = None
    serializer_class = serializers.IndicatorValueSerializer
    references = {"indicator": IndicatorViewSet}


@writable
class PartnerViewSet(WritableMixin, ScopedViewSet):
    """Partner institutions abroad: every institution's; found by id, or by name."""

    model = PartnerInstitution
    code_field = "name"
    serializer_class = serializers.PartnerSerializer


@writable
class AgreementViewSet(WritableMixin, ScopedViewSet):
    """Agreements with partners, of the units the user reaches."""

    model = Agreement
    code_field = None
    serializer_class = serializers.AgreementSerializer
    references = {"partner": PartnerViewSet, "unit": UnitViewSet}


@writable
class InitiativeViewSet(WritableMixin, ScopedViewSet):
    """Initiatives, with the goals they serve, their units and partners."""

    model = Initiative
    serializer_class = serializers.InitiativeSerializer
    references = {
        "institution": InstitutionViewSet,
        "lead_unit": UnitViewSet,
        "contributing_units": UnitViewSet,
        "goals": GoalViewSet,
        "partners": PartnerViewSet,
    }
    filterset_class = filters.InitiativeFilter

    def related(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("institution").prefetch_related(
            "goals", "contributing_units", "partners"
        )

    def lookup(self, value: str) -> Q:
        """An id, or ``KU:INI-2025-01`` (institution and initiative code)."""
        institution, colon, code = value.partition(":")
        if colon:
            return Q(institution__code=institution, code=code)
        return super().lookup(value)


@writable
class ActivityViewSet(WritableMixin, ScopedViewSet):
    """Activities (exchanges, visits, events), filtered by year, unit, goal, country, region,
    status or change."""

    model = Activity
    code_field = "external_ref"
    serializer_class = serializers.ActivitySerializer
    references = {
        "initiative": InitiativeViewSet,
        "unit": UnitViewSet,
        "partner": PartnerViewSet,
    }
    filterset_class = filters.ActivityFilter


class ProgressUpdateViewSet(ScopedViewSet):
    """Initiatives' progress updates by quarter, as approved reports publish them."""

    model = ProgressUpdate
    code_field = None
    serializer_class = serializers.ProgressUpdateSerializer


class ReportingCycleViewSet(ScopedViewSet):
    """Reporting cycles of the institutions the user reaches."""

    model = ReportingCycle
    code_field = None
    serializer_class = serializers.ReportingCycleSerializer

    def related(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("institution")
