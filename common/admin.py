"""The base of every admin page: audit history with a reason for each change.

Every ``ModelAdmin`` of the portfolio derives from ``AuditedAdmin``. Its forms carry a "reason for
this change" field; the reason, and the signed-in user (through simple-history's request
middleware), go onto the history rows that the save writes, including those of many-to-many links
and of inline rows saved with it.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

REASON_FIELD = "change_reason"


class AuditedForm(forms.ModelForm):
    change_reason = forms.CharField(
        label="Reason for this change",
        required=False,
        max_length=500,
        help_text="Kept in the record's history with your name and the time.",
        widget=forms.TextInput(attrs={"size": 80}),
    )


def reason_from(form: forms.Form, *, change: bool, default: str = "") -> str:
    typed = (form.cleaned_data.get(REASON_FIELD) or "").strip()
    return typed or default or ("Changed in the admin" if change else "Created in the admin")


class AuditedAdmin(SimpleHistoryAdmin):
    form = AuditedForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    history_list_per_page = 50

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.fieldsets and REASON_FIELD not in str(fieldsets):
            fieldsets = [*fieldsets, ("Audit", {"fields": [REASON_FIELD]})]
        return fieldsets

    def save_model(self, request, obj: models.Model, form: forms.Form, change: bool) -> None:
        obj._change_reason = reason_from(
            form, change=change, default=getattr(request, "revert_reason", "")
        )
        super().save_model(request, obj, form, change)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history hides the Revert button from users without the permission; this also
        # refuses their POST, so a hand-made request cannot revert either.
        if request.method == "POST":
            may_revert = self.has_change_permission(request) and (
                self.has_change_history_permission(request)
            )
            if not may_revert:
                raise PermissionDenied
            request.revert_reason = f"Reverted to history version {version_id}"
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_formset(self, request, form, formset, change) -> None:
        reason = reason_from(form, change=change)
        for inline_obj in formset.save(commit=False):
            inline_obj._change_reason = reason
            inline_obj.save()
        for inline_obj in formset.deleted_objects:
            inline_obj._change_reason = reason
            inline_obj.delete()
        formset.save_m2m()

    def delete_model(self, request, obj: models.Model) -> None:
        obj._change_reason = "Deleted in the admin"
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        # One delete per row, so that each leaves its history row with the user.
        for obj in queryset:
            self.delete_model(request, obj)


class AuditedInline(admin.TabularInline):
    extra = 0
    show_change_link = True


from common import admin_imports  # noqa: E402,F401  (registers the import screens)
