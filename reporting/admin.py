"""The reporting cycle's screens, in the admin staff already know.

Administrators open cycles (the add page opens one through ``cycle_open``). Owners write their
report (health, narrative, milestones, evidence) and submit it; reviewers approve or return what
is submitted, from buttons under the report; everyone who may read the report reads its
comments and replies. Every button goes through a door of ``reporting/services.py``; a refusal of
the door (a self-approval) is a 403, a record out of reach a 404.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from common.admin import AuditedAdmin, AuditedInline, VersionedForm, reason_from
from reporting.evidence import evidence_type
from reporting.models import (
    AWAITING_REVIEW,
    EDITABLE,
    Comment,
    Evidence,
    FigureReport,
    MilestoneProgress,
    Report,
    ReportingCycle,
)
from reporting.roles import REVIEW
from reporting.services import (
    comment_add,
    cycle_open,
    evidence_add,
    evidence_remove,
    figure_approve,
    figure_return,
    figure_save,
    figure_submit,
    may_review,
    report_approve,
    report_return,
    report_save,
    report_submit,
)


@admin.register(ReportingCycle)
class ReportingCycleAdmin(AuditedAdmin):
    list_display = ["__str__", "institution", "fiscal_year", "period", "due_date", "opened_by"]
    list_filter = ["institution", "fiscal_year", "period"]
    list_select_related = ["institution", "opened_by"]
    fields = [
        "institution",
        "fiscal_year",
        "period",
        "due_date",
        "remind_days_before",
        "escalate_after_days",
    ]

    def get_readonly_fields(self, request, obj=None):
        # What was owed was worked out from these when the cycle opened.
        if obj is None:
            return []
        return ["institution", "fiscal_year", "period", "opened_by", "opened_at"]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj is None else [*fields, "opened_by", "opened_at"]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
        else:
            cycle_open(cycle=obj, user=request.user, reason=reason_from(form))

    def has_delete_permission(self, request, obj=None) -> bool:
        # A cycle's reports and their review are the record of the round: a cycle is closed,
        # never deleted.
        return False


class MilestoneProgressInline(AuditedInline):
    model = MilestoneProgress
    fields = ["milestone", "done", "note"]
    readonly_fields = ["milestone"]
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("milestone")

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # the lines are the initiative's open milestones when the cycle opened


class EvidenceForm(VersionedForm):
    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is not None and self.instance.pk is None:
            evidence_type(upload)
        return upload


class EvidenceInline(admin.TabularInline):
    """The report's files, each opened through the report (within the reader's reach), never
    from a public address; owners remove a file here and add one in the row below. A file never
    changes, so its rows carry no version to check (and cost no query each)."""

    model = Evidence
    extra = 0
    fields = ["download", "content_type", "size", "added_by", "added_at"]
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("added_by")

    @admin.display(description=gettext_lazy("file"))
    def download(self, evidence: Evidence) -> str:
        url = reverse("admin:reporting_report_evidence", args=[evidence.report_id, evidence.pk])
        return format_html('<a href="{}">{}</a>', url, evidence.file_name)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a file is replaced by removing it and adding another

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and editable(obj)


class EvidenceUploadInline(AuditedInline):
    """A row to add a file: its type is read from its bytes before it is kept."""

    model = Evidence
    form = EvidenceForm
    fields = ["file"]
    verbose_name = gettext_lazy("evidence file to add")
    verbose_name_plural = gettext_lazy("evidence files to add")
    show_change_link = False
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and editable(obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def editable(item: Report | FigureReport | None) -> bool:
    return item is None or item.state in EDITABLE


class ReviewedAdmin(AuditedAdmin):
    """A report's or a figure's page, with its Submit, Approve and Return buttons."""

    change_form_template = "admin/reporting/change_form.html"
    # By the cycle's parts, not the cycle: its name reads its institution, a query per cycle listed.
    list_filter = ["state", "cycle__institution", "cycle__fiscal_year", "cycle__period"]
    readonly_fields = ["state", "submitted_by", "submitted_at", "reviewed_by", "reviewed_at"]
    submit = approve = send_back = draft = None  # the doors, set by each subclass

    def has_add_permission(self, request) -> bool:
        return False  # what is owed is created by opening a cycle

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and editable(obj)

    def get_readonly_fields(self, request, obj=None):
        return ["cycle", self.owed, *self.readonly_fields]

    def save_model(self, request, obj, form, change) -> None:
        type(self).draft(obj, request.user, reason_from(form))

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        steps = [
            ("submit", self.submit_view),
            ("approve", self.approve_view),
            ("return", self.return_view),
            *self.extra_steps(),
        ]
        own = [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(view),
                name=f"{info}_{name}",
            )
            for name, view in steps
        ]
        return own + super().get_urls()

    def extra_steps(self) -> list:
        return []

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        context = {
            "may_submit": self.has_change_permission(request, obj),
            "may_review": obj.state in AWAITING_REVIEW and may_review(obj, request.user),
            "is_reviewer": request.user.has_perm(REVIEW),
            **self.extra_context(request, obj),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def extra_context(self, request, obj) -> dict:
        return {}

    def step(self, request: HttpRequest, object_id: str, action, *, own_item: bool) -> HttpResponse:
        """Run one door on the item, within reach (404 otherwise); a door's refusal is a 403,
        a missing comment or an item not ready a message on the item's page."""
        obj = self.get_object(request, unquote(object_id))
        if own_item and not self.has_change_permission(request, obj):
            raise PermissionDenied
        try:
            with transaction.atomic():
                action(obj, request.user, request.POST.get("comment", ""))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("%(item)s is now %(state)s.")
                % {"item": obj, "state": obj.get_state_display().lower()},
            )
        return HttpResponseRedirect(self.item_url(obj))

    def item_url(self, obj) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])

    @method_decorator(require_POST)
    def submit_view(self, request, object_id):
        return self.step(request, object_id, type(self).submit, own_item=True)

    @method_decorator(require_POST)
    def approve_view(self, request, object_id):
        return self.step(request, object_id, type(self).approve, own_item=False)

    @method_decorator(require_POST)
    def return_view(self, request, object_id):
        return self.step(request, object_id, type(self).send_back, own_item=False)


def threaded(comments: list[Comment]) -> list[tuple[Comment, int]]:
    """Comments in reading order, each reply under the comment it answers, with its depth."""
    replies: dict[int | None, list[Comment]] = {}
    for comment in comments:
        replies.setdefault(comment.parent_id, []).append(comment)
    shown: list[tuple[Comment, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for comment in replies.get(parent, []):
            shown.append((comment, depth))
            walk(comment.pk, depth + 1)

    walk(None, 0)
    return shown


@admin.register(Report)
class ReportAdmin(ReviewedAdmin):
    owed = "initiative"
    list_display = ["initiative", "cycle", "state", "health", "submitted_by", "reviewed_by"]
    list_select_related = ["initiative", "cycle__institution", "submitted_by", "reviewed_by"]
    search_fields = ["initiative__code", "initiative__title", "initiative__title_ja"]
    fields = [
        "cycle",
        "initiative",
        "state",
        "health",
        "narrative",
        "narrative_ja",
        "submitted_by",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
    ]
    inlines = [MilestoneProgressInline, EvidenceInline, EvidenceUploadInline]

    class Media:
        # The comments' thread, indented by depth in a stylesheet: the policy forbids inline styles.
        css = {"screen": ["admin/css/report_comments.css"]}

    @staticmethod
    def draft(obj, user, reason):
        report_save(report=obj, user=user, reason=reason)

    @staticmethod
    def submit(obj, user, comment):
        report_submit(report=obj, user=user, comment=comment)

    @staticmethod
    def approve(obj, user, comment):
        report_approve(report=obj, user=user, comment=comment)

    @staticmethod
    def send_back(obj, user, comment):
        report_return(report=obj, user=user, comment=comment)

    def extra_steps(self) -> list:
        return [("comment", self.comment_view)]

    def get_urls(self):
        evidence = path(
            "<path:object_id>/evidence/<int:evidence_id>/",
            self.admin_site.admin_view(self.evidence_view),
            name="reporting_report_evidence",
        )
        return [evidence, *super().get_urls()]

    @method_decorator(require_safe)
    def evidence_view(self, request, object_id, evidence_id):
        """A file of a report the reader may read, sent as a download of the type its bytes
        showed, so that no browser runs it."""
        report = self.get_object(request, unquote(object_id))
        evidence = report.evidence.filter(pk=evidence_id).first()
        if evidence is None:
            raise Http404
        return FileResponse(
            evidence.file.open("rb"),
            as_attachment=True,
            filename=evidence.file_name,
            content_type=evidence.content_type,
        )

    def extra_context(self, request, obj) -> dict:
        comments = list(obj.comments.select_related("author"))
        return {
            "comments": threaded(comments),
            "may_comment": request.user.has_perm("reporting.add_comment"),
        }

    @method_decorator(require_POST)
    def comment_view(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if not request.user.has_perm("reporting.add_comment"):
            raise PermissionDenied
        parent_id = request.POST.get("parent", "")
        parent = obj.comments.filter(pk=parent_id).first() if parent_id.isdigit() else None
        try:
            comment_add(
                report=obj, author=request.user, body=request.POST.get("body", ""), parent=parent
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(self.item_url(obj) + "#comments")

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not Evidence:
            return super().save_formset(request, form, formset, change)
        # Files go through their doors: stored with their type read from their bytes. The lists
        # the admin's change message reads are filled as ``formset.save`` would fill them.
        reason = reason_from(form)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            deleted = formset.can_delete and formset._should_delete_form(inline_form)
            if inline_form.instance.pk is None:
                if inline_form.has_changed() and not deleted:
                    upload = inline_form.cleaned_data["file"]
                    formset.new_objects.append(
                        evidence_add(
                            report=form.instance, upload=upload, user=request.user, reason=reason
                        )
                    )
            elif deleted:
                formset.deleted_objects.append(inline_form.instance)
                evidence_remove(evidence=inline_form.instance, user=request.user, reason=reason)
        return None


@admin.register(FigureReport)
class FigureReportAdmin(ReviewedAdmin):
    owed = "indicator"
    list_display = ["indicator", "cycle", "state", "actual", "submitted_by", "reviewed_by"]
    list_select_related = ["indicator", "cycle__institution", "submitted_by", "reviewed_by"]
    search_fields = ["indicator__code", "indicator__name", "indicator__name_ja"]
    fields = [
        "cycle",
        "indicator",
        "state",
        "actual",
        "note",
        "submitted_by",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
    ]

    def within_edit_reach(self, request, obj) -> bool:
        # A figure is its goal's units' to write, through a list of units that one unsaved record
        # cannot be checked against: the unit editor's reach is asked of the database.
        access = self.get_access(request)
        if obj is None or access.everything or access.unit_ids is None:
            return super().within_edit_reach(request, obj)
        return FigureReport.objects.filter(access.editable(self.reach), pk=obj.pk).exists()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None and self.within_edit_reach(request, obj):
            form.reach_check = None  # the cycle and the indicator, its reach, are not editable
        return form

    @staticmethod
    def draft(obj, user, reason):
        figure_save(figure=obj, user=user, reason=reason)

    @staticmethod
    def submit(obj, user, comment):
        figure_submit(figure=obj, user=user, comment=comment)

    @staticmethod
    def approve(obj, user, comment):
        figure_approve(figure=obj, user=user, comment=comment)

    @staticmethod
    def send_back(obj, user, comment):
        figure_return(figure=obj, user=user, comment=comment)
