"""Admin screens of spreadsheet imports: upload, preview, confirm, error workbook, undo, export."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from common.access import access_for
from common.importing import (
    KINDS,
    UndoRefused,
    counts_summary,
    error_workbook,
    export_table,
    template_table,
    undo_batch,
)
from common.models import ImportBatch
from common.roles import IMPORT, UNDO_IMPORT
from common.services import batch_table, import_confirm, import_preview
from common.sheets import CSV_ENCODINGS, FORMATS, ExportRefused, SheetRefused

ERRORS_SHOWN = 500
IMPORT_PERMISSION = IMPORT
UNDO_PERMISSION = UNDO_IMPORT
# What the preview's first rows will be; kept as codes in the batch, named in the reader's language.
ROW_STATUS = {
    "new": pgettext_lazy("import row", "new"),
    "updated": pgettext_lazy("import row", "updated"),
    "unchanged": pgettext_lazy("import row", "unchanged"),
}


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the sheet holds"), choices=[])
    file = forms.FileField(label=gettext_lazy("Spreadsheet (CSV, XLSX or ODS)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(key, kind.label) for key, kind in KINDS.items()]


def may_view_kind(user, key: str) -> bool:
    opts = KINDS[key].model._meta
    return user.has_perm(f"{opts.app_label}.view_{opts.model_name}")


def may_see_every_batch(user) -> bool:
    return user.has_perm(UNDO_PERMISSION)


def sheet_response(content: bytes, file_format: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=FORMATS[file_format])
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "file_name", "user", "status", "summary", "created_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["user"]
    search_fields = ["file_name", "user__username"]
    readonly_fields = [
        "kind",
        "file_name",
        "user",
        "status",
        "summary",  # the counts in words, not their JSON
        "created_at",
        "applied_at",
        "undone_at",
        "undone_by",
    ]
    fields = readonly_fields
    change_list_template = "admin/common/importbatch/change_list.html"
    change_form_template = "admin/common/importbatch/change_form.html"

    @admin.display(description=gettext_lazy("rows"))
    def summary(self, batch: ImportBatch) -> str:
        return counts_summary(batch.counts)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="common_importbatch_upload"),
            path("<int:pk>/preview/", view(self.preview_view), name="common_importbatch_preview"),
            path("<int:pk>/errors/", view(self.errors_view), name="common_importbatch_errors"),
            path("<int:pk>/undo/", view(self.undo_view), name="common_importbatch_undo"),
            path(
                "template/<str:kind>/<str:file_format>/",
                view(self.template_view),
                name="common_importbatch_template",
            ),
            path(
                "export/<str:kind>/<str:file_format>/",
                view(self.export_view),
                name="common_importbatch_export",
            ),
            *super().get_urls(),
        ]

    def context(self, request, **extra) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def require_import_permission(self, request) -> None:
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied

    def own_batch(self, request, pk: int, *, to_confirm: bool = False) -> ImportBatch:
        """A batch its uploader works on; administrators may read anyone's, not confirm it."""
        self.require_import_permission(request)
        batch = get_object_or_404(ImportBatch, pk=pk)
        if batch.user_id == request.user.pk:
            return batch
        if to_confirm:
            raise PermissionDenied(
                _("This import was uploaded by %(user)s; only they can confirm it.")
                % {"user": batch.user}
            )
        if not may_see_every_batch(request.user):
            raise PermissionDenied(
                _("This import was uploaded by %(user)s; only they can see it.")
                % {"user": batch.user}
            )
        return batch

    def get_object(self, request, object_id, from_field=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        batch = super().get_object(request, object_id, from_field)
        if batch is None:
            raise Http404(_("No import batch with this id is yours to see."))
        return batch

    def get_queryset(self, request):
        # A data steward's list holds their own imports; an administrator's, everyone's.
        batches = super().get_queryset(request)
        if may_see_every_batch(request.user):
            return batches
        return batches.filter(user=request.user)

    def upload_view(self, request):
        self.require_import_permission(request)
        form = UploadForm(
            request.POST or None,
            request.FILES or None,
            initial={"kind": request.GET.get("kind", "activities")},
        )
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch, _plan = import_preview(
                    kind=form.cleaned_data["kind"],
                    file_name=upload.name,
                    content=upload.read(),
                    user=request.user,
                )
            except SheetRefused as refusal:
                form.add_error("file", str(refusal))
            else:
                return redirect("admin:common_importbatch_preview", pk=batch.pk)
        kinds = [
            {
                "key": key,
                "label": kind.label,
                "columns": kind().headers("en"),
                "columns_ja": kind().headers("ja"),
                "exportable": may_view_kind(request.user, key),
            }
            for key, kind in KINDS.items()
        ]
        return TemplateResponse(
            request,
            "admin/common/importbatch/upload.html",
            self.context(
                request,
                title=_("Import a spreadsheet"),
                form=form,
                kinds=kinds,
                formats=list(FORMATS),
            ),
        )

    def preview_view(self, request, pk: int):
        batch = self.own_batch(request, pk, to_confirm=request.method == "POST")
        if request.method == "POST":
            try:
                plan = import_confirm(batch=batch, user=request.user)
            except SheetRefused as refusal:
                messages.error(request, str(refusal))
            else:
                if plan.failed:
                    messages.error(request, _("Rows fail now; nothing was imported. See below."))
                else:
                    messages.success(
                        request, _("Imported: %(summary)s.") % {"summary": plan.summary()}
                    )
                    return redirect("admin:common_importbatch_change", batch.pk)
            return redirect("admin:common_importbatch_preview", pk=batch.pk)
        return TemplateResponse(
            request,
            "admin/common/importbatch/preview.html",
            self.context(
                request,
                title=_("Preview of %(file)s") % {"file": batch.file_name},
                batch=batch,
                sample=[
                    {**row, "status": ROW_STATUS.get(row["status"], row["status"])}
                    for row in batch.sample
                ],
                column_changes=sorted(
                    (batch.columns.get("changed") or {}).items(), key=lambda item: -item[1]
                ),
                errors=batch.errors[:ERRORS_SHOWN],
                more_errors=max(0, len(batch.errors) - ERRORS_SHOWN),
                label=KINDS[batch.kind].label,
            ),
        )

    def errors_view(self, request, pk: int):
        batch = self.own_batch(request, pk)
        if not batch.errors:
            raise Http404(_("This import has no failing rows."))
        try:
            content = error_workbook(batch_table(batch), batch.errors)
        except SheetRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("admin:common_importbatch_preview", pk=batch.pk)
        stem = slugify(batch.file_name.rsplit(".", 1)[0]) or "import"
        return sheet_response(content, "xlsx", f"{stem}-errors")

    def undo_view(self, request, pk: int):
        if not request.user.has_perm(UNDO_PERMISSION):
            raise PermissionDenied
        batch = get_object_or_404(ImportBatch, pk=pk)
        if request.method == "POST":
            try:
                done = undo_batch(batch=batch, user=request.user)
            except UndoRefused as refusal:
                messages.error(request, str(refusal))
            else:
                messages.success(
                    request,
                    _("Undone: %(removed)s removed, %(restored)s restored.")
                    % {"removed": done["removed"], "restored": done["restored"]},
                )
            return redirect("admin:common_importbatch_change", batch.pk)
        return TemplateResponse(
            request,
            "admin/common/importbatch/undo.html",
            self.context(
                request,
                title=_("Undo %(batch)s") % {"batch": batch},
                batch=batch,
            ),
        )

    def template_view(self, request, kind: str, file_format: str):
        if kind not in KINDS or file_format not in FORMATS:
            raise Http404
        allowed = request.user.has_perm(IMPORT_PERMISSION) or may_view_kind(request.user, kind)
        if not allowed:
            raise PermissionDenied
        language = "ja" if request.GET.get("headers") == "ja" else "en"
        content = template_table(KINDS[kind](), file_format, language)
        return sheet_response(content, file_format, f"{kind}-template")

    def export_view(self, request, kind: str, file_format: str):
        if kind not in KINDS or file_format not in FORMATS:
            raise Http404
        if not may_view_kind(request.user, kind):
            raise PermissionDenied
        language = "ja" if request.GET.get("headers") == "ja" else "en"
        encoding = CSV_ENCODINGS.get(request.GET.get("encoding", "utf-8").lower())
        if encoding is None:
            return HttpResponseBadRequest(
                _("Unknown encoding; use encoding=utf-8 (the default) or encoding=cp932."),
                content_type="text/plain; charset=utf-8",
            )
        try:
            content = export_table(
                KINDS[kind](access_for(request.user)), file_format, language, encoding
            )
        except ExportRefused as refusal:
            # A plain page rather than a message on the upload page: exporting needs only the
            # view permission, the upload page the import permission, and up to 50 cells read
            # best one per line. The browser's Back button returns to the list.
            return HttpResponseBadRequest(str(refusal), content_type="text/plain; charset=utf-8")
        response = sheet_response(content, file_format, kind)
        if file_format == "csv" and encoding == "cp932":
            response["Content-Type"] = "text/csv; charset=Windows-31J"
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"preview_url": reverse("admin:common_importbatch_preview", args=[object_id])}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})
