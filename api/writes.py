"""Writes through the API go through the admin's own doors: the record's admin form reads and
checks the values (the same messages, in the request's language, and the same refusal of a
record out of the user's reach), the admin's permissions say who may add, change or delete, and
its ``save_model`` and ``delete_model`` write the record with its history row, naming the user and
the reason. The dashboards learn of the write from that row, as of every other.

A change names the version it was made from, the record's ``ETag`` (``If-Match``), or the body's
``version``; one made from an older version is refused (412) with what changed since. The reason
is the ``X-Reason`` header (percent-encoded UTF-8 for Japanese text), else the token's name.
"""

import datetime as dt
import decimal
from urllib.parse import unquote

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django_countries.fields import Country
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from api.models import ApiToken
from common.admin import REASON_FIELD, SEEN_FIELD, latest_version
from common.parsing import refuse_control_characters
from common.services import record_delete

VERSION_FIELD = "version"
REASON_HEADER = "X-Reason"
REASON_MAX = 500


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "edit_conflict"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "version_required"


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class Reference(serializers.Field):
    """A record referred to by its id or its code (as the resource it belongs to finds it)."""


def etag_of(version: int | None) -> str | None:
    return f'"v{version}"' if version is not None else None


def version_in(tag: str) -> str:
    """The version an ``If-Match`` names (``"v12"``, ``W/"v12"``, ``12``); '' for another tag."""
    tag = tag.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip('"')
    return tag[1:] if tag.startswith("v") else tag


def reason_of(request) -> str:
    """The ``X-Reason`` header, percent-decoded; else the token's name; else the API's own."""
    given = request.headers.get(REASON_HEADER, "")
    if given:
        try:
            reason = unquote(given, errors="strict").strip() if given.isascii() else given.strip()
        except UnicodeDecodeError:
            raise exceptions.ValidationError(
                {REASON_HEADER: [_("Percent-encode the reason as UTF-8.")]}
            ) from None
        try:
            refuse_control_characters(reason)
        except ValueError as error:
            raise exceptions.ValidationError({REASON_HEADER: [str(error)]}) from None
        if len(reason) > REASON_MAX:
            raise exceptions.ValidationError(
                {REASON_HEADER: [_("A reason holds at most %(max)s characters.") % {"max": 500}]}
            )
        if reason:
            return reason
    token = request.auth
    if isinstance(token, ApiToken):
        return _("Through the API with the token “%(name)s”") % {"name": token.name}
    return _("Through the API")


def as_form_value(value: object) -> object:
    """A stored or sent value as a form's data holds it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, Country):
        return value.code or ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (int, float, decimal.Decimal)):
        return str(value)
    return value


class WritableMixin:
    """Create, change and delete for a ``ScopedViewSet``: ``writes`` are the fields a body may
    set (by default, those a read gives but the id and what the record works out itself, such
    as an activity's fiscal year), ``references`` the viewsets that find the records those fields
    name."""

    writes: list[str] = []
    references: dict[str, type] = {}

    # -- the admin's doors

    @property
    def model_admin(self) -> admin.ModelAdmin:
        return admin.site._registry[self.model]

    def refuse_unless(self, allowed: bool) -> None:
        if not allowed:
            raise exceptions.PermissionDenied(
                _("Your role may not do this to %(records)s.")
                % {"records": self.model._meta.verbose_name_plural}
            )

    def create(self, request, *args, **kwargs):
        self.refuse_unless(self.model_admin.has_add_permission(request._request))
        obj = self.saved(request, None, partial=False)
        answer = Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)
        return self.tagged(answer, obj)

    def update(self, request, *args, partial: bool = False, **kwargs):
        obj = self.get_object()
        self.refuse_unless(self.model_admin.has_change_permission(request._request, obj))
        obj = self.saved(request, obj, partial=partial)
        return self.tagged(Response(self.get_serializer(obj).data), obj)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        obj = self.get_object()
        self.refuse_unless(self.model_admin.has_delete_permission(request._request, obj))
        reason = reason_of(request)
        with transaction.atomic():
            locked = self.model._base_manager.select_for_update().get(pk=obj.pk)
            given = self.given_version(request, {})
            if given is not None and given != str(latest_version(locked)):
                raise PreconditionFailed(
                    _("Someone else saved this record after the version you name; it was kept.")
                )
            try:
                record_delete(locked, user=request.user, reason=reason)
            except (ProtectedError, RestrictedError) as error:
                raise Conflict(
                    _("Other records still refer to this one (%(count)s); it was kept.")
                    % {"count": len(error.protected_objects or error.restricted_objects)}
                ) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    # -- the body, through the admin's form

    def given_version(self, request, body: dict) -> str | None:
        if "If-Match" in request.headers:
            return version_in(request.headers["If-Match"])
        if VERSION_FIELD in body:
            return str(body[VERSION_FIELD])
        return None

    def saved(self, request, obj: models.Model | None, *, partial: bool) -> models.Model:
        body = request.data
        if not isinstance(body, dict):
            raise exceptions.ValidationError({"detail": _("The body must be a JSON object.")})
        unknown = sorted(set(body) - set(self.writes) - self.ignored())
        if unknown:
            raise exceptions.ValidationError(
                {name: [_("No such field can be written here.")] for name in unknown}
            )
        django_request = request._request
        form_class = self.model_admin.get_form(django_request, obj, change=obj is not None)
        data = self.form_data(request, form_class, obj, body, partial=partial)
        if obj is not None:
            version = self.given_version(request, body)
            if version is None:
                raise PreconditionRequired(
                    _(
                        "Name the version you changed: the record's ETag in an If-Match header, "
                        "or its version in the body."
                    )
                )
            data[SEEN_FIELD] = version
        with transaction.atomic():
            form = form_class(data=data, instance=obj)
            if not form.is_valid():
                self.refuse(form)
            saved = form.save(commit=False)
            try:
                self.model_admin.save_model(django_request, saved, form, obj is not None)
                self.model_admin.save_related(django_request, form, [], obj is not None)
            except PermissionDenied as refusal:
                raise exceptions.PermissionDenied(str(refusal)) from None
        return self.get_queryset().get(pk=saved.pk)

    def ignored(self) -> set[str]:
        """What a body may hold besides ``writes``: what a read gave back, left as it is."""
        return {VERSION_FIELD, *self.get_serializer_class()().fields}

    def form_data(self, request, form_class, obj, body: dict, *, partial: bool) -> MultiValueDict:
        """The form's data: the body over the record as it is (a partial change) or as a new one
        starts, each reference found in the user's reach, and the reason."""
        names = [name for name in form_class.base_fields if name in self.writes]
        data = MultiValueDict()
        # What the body leaves out: as the record holds it (a partial change), else as a new
        # record starts (its defaults, and the editor's own institution or unit).
        start = form_class(instance=obj) if obj is not None and partial else form_class()
        for name in names:
            value = start[name].value()
            data.setlist(name, [as_form_value(item) for item in as_list(value)])
        defaults = getattr(self.model_admin, "scope_defaults", None)
        if obj is None and defaults is not None:
            for name, value in defaults(request._request).items():
                if name in names:
                    data[name] = as_form_value(value)
        errors = {}
        for name in names:
            if name not in body:
                continue
            value = body[name]
            if isinstance(value, dict) or (
                isinstance(value, list) and name not in self.many_fields()
            ):
                errors[name] = [_("Give one value, not a list or an object.")]
                continue
            try:
                found = self.found(request, name, value, form_class.base_fields[name])
            except exceptions.ValidationError as refusal:
                errors[name] = refusal.detail
                continue
            data.setlist(name, [as_form_value(item) for item in as_list(found)])
        if errors:
            raise exceptions.ValidationError(errors)
        data[REASON_FIELD] = reason_of(request)
        return data

    def many_fields(self) -> set[str]:
        return {field.name for field in self.model._meta.many_to_many}

    def found(self, request, name: str, value: object, field) -> object:
        """A reference's id (or ids), found as the resource it names finds it among what the
        admin form's picker offers; other values as sent."""
        viewset = self.references.get(name)
        if viewset is None or value is None or value == "":
            return value
        return [self.find(request, viewset, item, field) for item in as_list(value)]

    def find(self, request, viewset: type, value: object, field) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise exceptions.ValidationError([_("Refer to a record by its id or its code.")])
        finder = viewset(request=request, kwargs={}, format_kwarg=None, action="list")
        offered = getattr(field, "queryset", None)
        if offered is None:
            offered = finder.get_queryset()
        text = str(value)
        ids = [] if "\x00" in text else list(offered.filter(finder.lookup(text))[:2])
        if len(ids) == 1:
            return ids[0].pk
        noun = viewset.model._meta.verbose_name
        if ids:
            raise exceptions.ValidationError(
                [
                    _("“%(value)s” names more than one %(record)s; give its id.")
                    % {"value": text[:100], "record": noun}
                ]
            )
        raise exceptions.ValidationError(
            [
                _("No %(record)s “%(value)s” is within your reach.")
                % {"value": text[:100], "record": noun}
            ]
        )

    def refuse(self, form) -> None:
        errors = form.errors.as_data()
        conflicts = [e for e in errors.get("__all__", []) if e.code == "edit_conflict"]
        if conflicts:
            raise PreconditionFailed(" ".join(conflicts[0].messages))
        answer = {}
        for name, field_errors in errors.items():
            key = "detail" if name == "__all__" else name
            if key == REASON_FIELD:
                key = REASON_HEADER
            if key == SEEN_FIELD:
                key = VERSION_FIELD
            messages = [message for error in field_errors for message in error.messages]
            answer[key] = " ".join(messages) if key == "detail" else messages
        raise exceptions.ValidationError(answer)


def as_list(value: object) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, models.QuerySet):
        return list(value)
    return [value]


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The record's ETag as a read gave it (or give `version` in the body).",
)
REASON = OpenApiParameter(
    REASON_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Why: kept in the record's history (percent-encoded UTF-8); else the token's name.",
)


def write_serializer(viewset: type) -> type[serializers.ModelSerializer]:
    """What a body may hold, for the schema: the ``writes``, references by id or code."""
    meta = type("Meta", (), {"model": viewset.model, "fields": list(viewset.writes)})
    fields = {name: Reference(required=False) for name in viewset.references}
    for name in viewset.references:
        if name in {field.name for field in viewset.model._meta.many_to_many}:
            fields[name] = serializers.ListField(child=Reference(), required=False)
    name = f"{viewset.model.__name__}Write"
    return type(name, (serializers.ModelSerializer,), {"Meta": meta, **fields})


def writable(viewset: type) -> type:
    """Name what a writable viewset's bodies set, and document its operations: the body, the
    headers, the answers."""
    if not viewset.writes:
        fields = {field.name: field for field in viewset.model._meta.get_fields()}
        viewset.writes = [
            name
            for name in viewset.serializer_class.Meta.fields
            if name != "id" and getattr(fields.get(name), "editable", True)
        ]
    body = write_serializer(viewset)
    read = viewset.serializer_class
    changes = {"request": body, "parameters": [IF_MATCH, REASON], "responses": {200: read}}
    return extend_schema_view(
        create=extend_schema(request=body, parameters=[REASON], responses={201: read}),
        update=extend_schema(**changes),
        partial_update=extend_schema(**changes),
        destroy=extend_schema(parameters=[IF_MATCH, REASON], responses={204: None}),
    )(viewset)
