"""Admin screens of spreadsheet imports: upload, preview, confirm, error workbook, undo, export."""

from dataclasses import replace

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import slugify
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from common.access import Access, access_for, reach_of
from common.messages import from_data
from imports.admin_mapping import mapping_context, mapping_from_post
from imports.engine import (
    KINDS,
    RowError,
    SheetKind,
    counts_summary,
    error_groups,
    error_workbook,
    export_table,
    template_table,
)
from imports.formats import CSV_ENCODINGS, FORMATS, ExportRefused, SheetRefused
from imports.models import RUNNING, ImportBatch
from imports.progress import batch_progress, kept_progress
from imports.roles import IMPORT, UNDO_IMPORT, UNDO_OWN_IMPORT
from imports.services import (
    UndoRefused,
    batch_table,
    import_batch_reap,
    import_batch_retry,
    import_confirm,
    import_confirm_queue,
    import_preview,
    import_preview_queue,
    import_remap,
    import_remap_queue,
    import_undo,
    runs_in_background,
)

ERRORS_SHOWN = 500
RECORDS_SHOWN = 200  # of each kind, on a batch's page
IMPORT_PERMISSION = IMPORT
UNDO_PERMISSION = UNDO_IMPORT
UNDO_OWN_PERMISSION = UNDO_OWN_IMPORT
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


def may_undo(user, batch: ImportBatch) -> bool:
    """Administrators undo any batch; a data steward, the batches they imported."""
    if user.has_perm(UNDO_PERMISSION):
        return True
    return batch.user_id == user.pk and user.has_perm(UNDO_OWN_PERMISSION)


def batch_records(batch: ImportBatch, *, access: Access, select_related=()) -> list[dict]:
    """The records a batch created and those it updated, each kind's first ``RECORDS_SHOWN``
    with its admin page; how many more there are, and how many are no longer there to show.

    Read from the history rows that carry the batch's reason, in four queries whatever the size.
    """
    if batch.kind not in KINDS or batch.applied_at is None:
        return []
    model = KINDS[batch.kind].model
    rows = model.history.model.objects.filter(history_change_reason=batch.reason)
    totals = dict(rows.order_by().values_list("history_type").annotate(n=Count("history_id")))
    groups = [
        {
            "key": key,
            "title": title,
            "total": totals.get(history_type, 0),
            "ids": list(
                rows.filter(history_type=history_type)
                .order_by("history_id")
                .values_list("id", flat=True)[:RECORDS_SHOWN]
            ),
        }
        for history_type, key, title in (
            ("+", "created", _("Records it created")),
            ("~", "updated", _("Records it updated")),
        )
        if totals.get(history_type)
    ]
    wanted = [pk for group in groups for pk in group["ids"]]
    live = model.objects.filter(access.visible(reach_of(model)), pk__in=wanted)
    found = {obj.pk: obj for obj in live.select_related(*select_related)} if wanted else {}
    change_url = f"admin:{model._meta.app_label}_{model._meta.model_name}_change"
    for group in groups:
        ids = group.pop("ids")
        group["shown"] = [
            {"label": str(found[pk]), "url": reverse(change_url, args=[pk])}
            for pk in ids
            if pk in found
        ]
        group["gone"] = len(ids) - len(group["shown"])
        group["more"] = group["total"] - len(ids)
    return groups


def in_readers_words(kind: SheetKind, problems: list) -> list:
    """Row errors or error groups with their column named by its header in the reader's language
    (their problems are put into the reader's words as the page shows them)."""
    return [replace(problem, column=kind.header_of(problem.column)) for problem in problems]


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
    change_list_template = "admin/imports/importbatch/change_list.html"
    change_form_template = "admin/imports/importbatch/change_form.html"

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
            path("upload/", view(self.upload_view), name="imports_importbatch_upload"),
            path("<int:pk>/preview/", view(self.preview_view), name="imports_importbatch_preview"),
            path("<int:pk>/errors/", view(self.errors_view), name="imports_importbatch_errors"),
            path("<int:pk>/map/", view(self.map_view), name="imports_importbatch_map"),
            path("<int:pk>/status/", view(self.status_view), name="imports_importbatch_status"),
            path("<int:pk>/retry/", view(self.retry_view), name="imports_importbatch_retry"),
            path("<int:pk>/undo/", view(self.undo_view), name="imports_importbatch_undo"),
            path(
                "template/<str:kind>/<str:file_format>/",
                view(self.template_view),
                name="imports_importbatch_template",
            ),
            path(
                "export/<str:kind>/<str:file_format>/",
                view(self.export_view),
                name="imports_importbatch_export",
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
            content = upload.read()
            try:
                if runs_in_background(len(content)):
                    batch = import_preview_queue(
                        kind=form.cleaned_data["kind"],
                        file_name=upload.name,
                        content=content,
                        user=request.user,
                        language=get_language(),
                    )
                else:
                    batch, _plan = import_preview(
                        kind=form.cleaned_data["kind"],
                        file_name=upload.name,
                        content=content,
                        user=request.user,
                    )
            except SheetRefused as refusal:
                form.add_error("file", str(refusal))
            else:
                return redirect("admin:imports_importbatch_preview", pk=batch.pk)
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
            "admin/imports/importbatch/upload.html",
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
        if request.method == "POST" and runs_in_background(batch.size):
            try:
                import_confirm_queue(batch=batch, user=request.user, language=get_language())
            except SheetRefused as refusal:
                messages.error(request, str(refusal))
            return redirect("admin:imports_importbatch_preview", pk=batch.pk)
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
                    return redirect("admin:imports_importbatch_change", batch.pk)
            return redirect("admin:imports_importbatch_preview", pk=batch.pk)
        kind = KINDS[batch.kind]()
        import_batch_reap(batch=batch)
        return TemplateResponse(
            request,
            "admin/imports/importbatch/preview.html",
            self.context(
                request,
                title=_("Preview of %(file)s") % {"file": batch.file_name},
                batch=batch,
                **self.background_context(request, batch),
                sample=[
                    {**row, "status": ROW_STATUS.get(row["status"], row["status"])}
                    for row in batch.sample
                ],
                column_changes=sorted(
                    (batch.columns.get("changed") or {}).items(), key=lambda item: -item[1]
                ),
                notes=[from_data(note) for note in batch.columns.get("notes") or []],
                errors=in_readers_words(
                    kind, [RowError.from_dict(error) for error in batch.errors[:ERRORS_SHOWN]]
                ),
                more_errors=max(0, len(batch.errors) - ERRORS_SHOWN),
                # Each distinct problem once, with the rows it fails: one fix for them all.
                error_groups=in_readers_words(
                    kind, [g for g in error_groups(batch.errors) if g.rows > 1][:ERRORS_SHOWN]
                ),
                label=kind.label,
                **mapping_context(batch, request.user),
            ),
        )

    def map_view(self, request, pk: int):
        """The steward's mapping of the sheet's headers and values: plan the preview again."""
        batch = self.own_batch(request, pk, to_confirm=True)
        if request.method != "POST":
            return redirect("admin:imports_importbatch_preview", pk=batch.pk)
        mapping, save_for = mapping_from_post(batch, request.POST)
        try:
            if runs_in_background(batch.size):  # read again by a worker; the page shows how far
                import_remap_queue(
                    batch=batch,
                    user=request.user,
                    mapping=mapping,
                    save_for=save_for,
                    language=get_language(),
                )
                return redirect("admin:imports_importbatch_preview", pk=batch.pk)
            plan = import_remap(batch=batch, user=request.user, mapping=mapping, save_for=save_for)
        except (SheetRefused, PermissionError) as refusal:
            messages.error(request, str(refusal) or _("That institution is outside your scope."))
        else:
            summary = plan.summary()
            messages.success(
                request, _("Read again with the mapping: %(summary)s.") % {"summary": summary}
            )
        return redirect("admin:imports_importbatch_preview", pk=batch.pk)

    def background_context(self, request, batch: ImportBatch) -> dict:
        """What the batch's page shows of a background run: its progress, why it stopped."""
        without_preview = batch.status in (ImportBatch.Status.PLANNING, ImportBatch.Status.REFUSED)
        if batch.status == ImportBatch.Status.FAILED:
            without_preview = batch.stage == ImportBatch.Stage.PREVIEW
        return {
            "progress": batch_progress(batch, kept_progress(batch)),
            "failure": from_data(batch.failure) if batch.failure else "",
            "may_retry": batch.status == ImportBatch.Status.FAILED
            and batch.user_id == request.user.pk,
            "has_preview": not without_preview,
        }

    def status_view(self, request, pk: int):
        """The progress of a batch's background run, as JSON, for its page to show as it goes
        (``static/admin/js/import_progress.js``). Not found for anyone who may not read it."""
        try:
            batch = self.own_batch(request, pk)
        except PermissionDenied as error:
            raise Http404(_("No import batch with this id is yours to see.")) from error
        if request.method != "GET":
            return HttpResponse(status=405, headers={"Allow": "GET"})
        if batch.status in RUNNING:
            import_batch_reap(batch=batch)
        status = batch_progress(batch, kept_progress(batch))
        status["failure"] = str(from_data(batch.failure)) if batch.failure else ""
        return JsonResponse(status, headers={"Cache-Control": "no-store"})

    def retry_view(self, request, pk: int):
        """Run a failed background run again: the preview, or the confirmation, it left."""
        batch = self.own_batch(request, pk, to_confirm=True)
        if request.method == "POST":
            try:
                import_batch_retry(batch=batch, user=request.user, language=get_language())
            except SheetRefused as refusal:
                messages.error(request, str(refusal))
        return redirect("admin:imports_importbatch_preview", pk=batch.pk)

    def errors_view(self, request, pk: int):
        batch = self.own_batch(request, pk)
        if not batch.errors:
            raise Http404(_("This import has no failing rows."))
        try:
            content = error_workbook(batch_table(batch), batch.errors, KINDS[batch.kind]())
        except SheetRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("admin:imports_importbatch_preview", pk=batch.pk)
        stem = slugify(batch.file_name.rsplit(".", 1)[0]) or "import"
        return sheet_response(content, "xlsx", f"{stem}-errors")

    def undo_view(self, request, pk: int):
        if not any(request.user.has_perm(name) for name in (UNDO_PERMISSION, UNDO_OWN_PERMISSION)):
            raise PermissionDenied
        batch = get_object_or_404(ImportBatch, pk=pk)
        if not may_undo(request.user, batch):
            raise PermissionDenied(
                _(
                    "This import was uploaded by %(user)s; only they or an administrator can "
                    "undo it."
                )
                % {"user": batch.user}
            )
        if request.method == "POST":
            try:
                done = import_undo(batch=batch, user=request.user)
            except UndoRefused as refusal:
                messages.error(request, str(refusal))
            else:
                messages.success(
                    request,
                    _("Undone: %(removed)s removed, %(restored)s restored.")
                    % {"removed": done["removed"], "restored": done["restored"]},
                )
            return redirect("admin:imports_importbatch_change", batch.pk)
        return TemplateResponse(
            request,
            "admin/imports/importbatch/undo.html",
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
        # The Codes sheet of an XLSX lists what the user's scope sees, no more.
        content = template_table(KINDS[kind](access_for(request.user)), file_format, language)
        return sheet_response(content, file_format, f"{kind}-template-{language}")

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
        extra = {
            "preview_url": reverse("admin:imports_importbatch_preview", args=[object_id]),
            "background_statuses": [
                *RUNNING,
                ImportBatch.Status.FAILED,
                ImportBatch.Status.REFUSED,
            ],
        }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["may_undo"] = may_undo(request.user, obj)
            context["batch_records"] = batch_records(
                obj, access=access_for(request.user), select_related=self.related_shown(obj)
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def related_shown(self, batch: ImportBatch) -> list[str]:
        """What the records' own admin list joins to name them, so naming them adds no query."""
        kind = KINDS.get(batch.kind)
        model_admin = self.admin_site._registry.get(kind.model) if kind else None
        joined = getattr(model_admin, "list_select_related", False)
        return list(joined) if isinstance(joined, list | tuple) else []
