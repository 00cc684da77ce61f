"""Many rows at once: a sheet's rows as JSON, run through the import engine as an upload is.

``POST /api/import-batches/`` takes ``{"kind": "activities", "rows": [{...}, ...]}``, each row's
keys the sheet's column names (the template's English headers). The rows become the CSV file a
steward would upload (kept with the batch, as an upload is) and are planned and written by the
engine's own doors: every row or none, each failing row named with its column, the written rows'
history naming the batch (whose undo takes them back). A body whose file reaches
``IMPORT_BACKGROUND_BYTES`` is read, planned and written by the background worker; the answer
(202) points to the batch, whose status tells how far it is. Rows that fail are answered with
the batch and its errors (422), and nothing is written; a body that is no such list of rows, with
what is wrong in it (400).
"""

from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from common.messages import from_data
from imports.admin import IMPORT_PERMISSION, may_see_every_batch
from imports.engine import KINDS, RowError
from imports.formats import SheetRefused
from imports.models import ImportBatch
from imports.progress import kept_progress
from imports.services import (
    import_confirm,
    import_preview,
    import_preview_queue,
    runs_in_background,
)
from imports.writing import write_table

# The first sheet row holds the headers: the row at index i of "rows" is sheet row i + 2.
FIRST_ROW = 2


class ImportBatchSerializer(serializers.ModelSerializer):
    errors = serializers.SerializerMethodField()
    failure = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "kind",
            "file_name",
            "status",
            "stage",
            "counts",
            "errors",
            "failure",
            "progress",
            "created_at",
            "applied_at",
            "undone_at",
        ]

    def get_errors(self, batch: ImportBatch) -> list[dict]:
        """Each failing row: its sheet row, its index in the rows sent, its column, the problem
        (in the request's language) and the value as sent."""
        return [row_error(error) for error in batch.errors]

    def get_failure(self, batch: ImportBatch) -> str:
        """Why the background run stopped or was refused, if it did."""
        return str(from_data(batch.failure)) if batch.failure else ""

    def get_progress(self, batch: ImportBatch) -> dict | None:
        """A background run's counts so far (rows read, planned, written)."""
        if batch.status not in (ImportBatch.Status.PLANNING, ImportBatch.Status.APPLYING):
            return None
        return kept_progress(batch)


def row_error(stored: dict) -> dict:
    error = RowError.from_dict(stored)
    found = {"row": error.row, "index": error.row - FIRST_ROW, "column": error.column}
    found["message"] = error.message
    if error.value:
        found["value"] = error.value
    return found


class RowsSerializer(serializers.Serializer):
    """What a bulk body holds (for the schema; the rows are checked by the engine)."""

    kind = serializers.ChoiceField(choices=sorted(KINDS))
    rows = serializers.ListField(child=serializers.DictField(), min_length=1)
    file_name = serializers.CharField(required=False, max_length=200)


class ByNewest(CursorPagination):
    ordering = "-id"
    page_size = 100


@extend_schema_view(
    create=extend_schema(
        request=RowsSerializer,
        responses={
            201: ImportBatchSerializer,
            202: OpenApiResponse(ImportBatchSerializer, "Queued: planned and written later."),
            422: OpenApiResponse(ImportBatchSerializer, "Rows fail; nothing was written."),
        },
    )
)
class ImportBatchViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Import batches: those the user sent or uploaded (an administrator's: everyone's), and
    many rows sent at once."""

    serializer_class = ImportBatchSerializer
    pagination_class = ByNewest
    lookup_value_converter = "str"

    def get_queryset(self):
        batches = ImportBatch.objects.order_by("-id")
        if getattr(self, "swagger_fake_view", False):  # the schema's look at the model
            return batches.none()
        if may_see_every_batch(self.request.user):
            return batches
        return batches.filter(user=self.request.user)

    def get_object(self) -> ImportBatch:
        value = self.kwargs[self.lookup_field]
        # An id is a positive 64-bit integer: nothing else is looked up.
        if not (value.isascii() and value.isdigit() and len(value) <= 18):
            raise Http404
        batch = self.get_queryset().filter(pk=int(value)).first()
        if batch is None:
            raise Http404
        return batch

    def create(self, request, *args, **kwargs):
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise exceptions.PermissionDenied(_("Your role may not import sheets."))
        kind, rows, file_name = rows_of(request.data)
        content = sheet_of(kind, rows)
        user, language = request.user, translation.get_language()
        try:
            if runs_in_background(len(content)):
                batch = import_preview_queue(
                    kind=kind,
                    file_name=file_name,
                    content=content,
                    user=user,
                    language=language,
                    confirm_when_planned=True,
                )
            else:
                batch, plan = import_preview(
                    kind=kind, file_name=file_name, content=content, user=user
                )
                if not plan.failed:
                    import_confirm(batch=batch, user=user)
                batch.refresh_from_db()
        except SheetRefused as refusal:
            raise exceptions.ValidationError({"detail": str(refusal)}) from None
        answer = {
            ImportBatch.Status.APPLIED: status.HTTP_201_CREATED,
            ImportBatch.Status.PLANNING: status.HTTP_202_ACCEPTED,
        }.get(batch.status, status.HTTP_422_UNPROCESSABLE_ENTITY)
        location = {"Location": f"/api/import-batches/{batch.pk}/"}
        return Response(self.get_serializer(batch).data, status=answer, headers=location)


def rows_of(body: object) -> tuple[str, list[dict], str]:
    """The kind, the rows and the file's name a bulk body holds; refused, naming what is wrong,
    where it is not such a body."""
    if not isinstance(body, dict):
        raise exceptions.ValidationError({"detail": _("The body must be a JSON object.")})
    kind, rows = body.get("kind"), body.get("rows")
    if kind not in KINDS:
        raise exceptions.ValidationError(
            {"kind": [_("Choose one of %(kinds)s.") % {"kinds": ", ".join(sorted(KINDS))}]}
        )
    if not isinstance(rows, list) or not rows:
        raise exceptions.ValidationError({"rows": [_("Give a list of rows, at least one.")]})
    names = {column.name for column in KINDS[kind].columns}
    first = rows[0] if isinstance(rows[0], dict) else {}
    problems = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            problems.append(_("Row %(index)s is not an object.") % {"index": index})
        elif unknown := sorted(set(row) - names):
            problems.append(
                _("Row %(index)s has fields the sheet does not: %(fields)s.")
                % {"index": index, "fields": ", ".join(unknown)}
            )
        elif set(row) != set(first):
            # A column one row leaves out would be emptied in the others' records.
            problems.append(
                _("Row %(index)s gives other fields than row 0; every row gives the same.")
                % {"index": index}
            )
        elif bad := [name for name, value in row.items() if isinstance(value, (dict, list))]:
            problems.append(
                _("Row %(index)s gives a list or an object for %(fields)s; give one value.")
                % {"index": index, "fields": ", ".join(sorted(bad))}
            )
        if len(problems) >= 20:
            break
    if problems:
        raise exceptions.ValidationError({"rows": problems})
    file_name = body.get("file_name") or f"api-{kind}-{timezone.now():%Y%m%d-%H%M%S}.csv"
    if not (isinstance(file_name, str) and len(file_name) <= 200 and file_name.endswith(".csv")):
        raise exceptions.ValidationError({"file_name": [_("Name a file ending in .csv.")]})
    return kind, rows, file_name


def sheet_of(kind: str, rows: list[dict]) -> bytes:
    """The rows as the CSV file a steward would upload (its cells as written)."""
    headers = [column.name for column in KINDS[kind].columns if column.name in rows[0]]
    return write_table("csv", headers, ([row[name] for name in headers] for row in rows))
