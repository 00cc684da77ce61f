"""The base of every admin page: audit history with a reason for each change.

Every ``ModelAdmin`` of the portfolio derives from ``AuditedAdmin``. Its forms carry a "reason for
this change" field (optional, unless ``REQUIRE_CHANGE_REASON`` is on); the reason, or the fact that
none was given, and the signed-in user go onto the history row that the save writes. A save is
one history entry: its fields and its many-to-many links together. Inline rows saved or deleted
with it carry the same reason in their own history. Every save and delete goes through the record
doors of ``common/services.py`` (``record_save``, ``record_delete``), with the user and reason. A
revert restores a version's fields and links, and every page of an old version shows that
version's links.
"""

import datetime as dt
import itertools

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from common.access import NO_ACCESS, Access, Reach, access_for, reach_of, readable_history
from common.admin_lists import ReachableChoices
from common.forms import JAPANESE_INPUT
from common.history import (
    has_link_history,
    links_as_of,
    links_in_entry,
)
from common.services import record_delete, record_save
from common.text_input import clean_text_fields

REASON_FIELD = "change_reason"
SEEN_FIELD = "seen_version"


def latest_version(obj: models.Model) -> int | None:
    """The id of the record's newest history row: every write leaves one, so it is its version."""
    if obj.pk is None:
        return None
    return obj.history.order_by("-history_id").values_list("history_id", flat=True).first()


def changes_since(obj: models.Model, seen: int | None, access: Access) -> str:
    """Who changed the record after history row ``seen``, when, and what (field: old → new).

    Without a version the form saw (``None``), the record's last changes. The rows are read as
    the editor may read them (``readable_history``): the author of a change of a shared record
    is named only to a colleague.
    """
    rows = readable_history(access, obj.history.all())
    if seen is not None:
        rows = rows.filter(history_id__gte=seen)
    # The newest six rows: the five changes that the message lists, and the row before them.
    rows = list(reversed(rows.select_related("history_user").order_by("-history_id")[:6]))
    lines = []
    for before, after in itertools.pairwise(rows):
        helper = ReadableChanges(type(obj), after)
        changed = []
        for change in after.diff_against(before, foreign_keys_are_objs=True).changes:
            old, new = helper.text_of(change)
            changed.append(
                _("%(field)s: “%(old)s” → “%(new)s”")
                % {"field": change.field, "old": old, "new": new}
            )
        lines.append(
            _("%(who)s at %(when)s: %(changes)s")
            % {
                "who": after.history_user or _("an import or a command"),
                "when": after.history_date.strftime("%Y-%m-%d %H:%M"),
                "changes": "; ".join(changed) or _("links or related rows"),
            }
        )
    return " · ".join(lines) or "—"


def carried_version(obj: models.Model, typed: object) -> int | None:
    """The version a form carried, if it is one of the record's history rows; else None."""
    text = str(typed or "").strip()
    # A history id is a positive 64-bit integer: nothing longer is looked up.
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        return None
    version = int(text)
    return version if obj.history.filter(history_id=version).exists() else None


class VersionedForm(forms.ModelForm):
    """Refuses a save over a version of the record that the editor never saw.

    The form carries the newest history row of the record as it was shown; at save time the row
    is locked and, if a newer history row exists, someone else saved in between: the save is
    refused with what they changed, instead of silently overwriting it. A save of an existing
    record that carries no version, or one that is not a history row of this record (a form made
    by hand, a page kept from before the record was replaced), is refused with the same message:
    whoever sent it cannot have seen the record as it is. A new record has no version to carry;
    neither has a record that was never written with history, until its first save.

    ``history_access`` is the editor's access, set by the admin: the refusal names the authors
    of the changes as the editor may read them.
    """

    seen_version = forms.CharField(
        label=gettext_lazy("seen version"), required=False, widget=forms.HiddenInput
    )
    history_access: Access = NO_ACCESS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[SEEN_FIELD].initial = latest_version(self.instance)
        clean_text_fields(self)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        model = type(self.instance)
        # Locks the row until the save commits, so two saves cannot both pass this check.
        list(model._base_manager.select_for_update().filter(pk=self.instance.pk).values("pk"))
        latest = latest_version(self.instance)
        if latest is None:
            return cleaned
        seen = carried_version(self.instance, cleaned.get(SEEN_FIELD))
        if seen != latest:
            raise ValidationError(
                _(
                    "Someone else saved this record after you opened it, so your changes were "
                    "not saved. Their changes: %(changes)s. Reload the page to see the record "
                    "as it is now, then make your changes again."
                ),
                code="edit_conflict",
                params={"changes": changes_since(self.instance, seen, self.history_access)},
            )
        return cleaned

    def _post_clean(self) -> None:
        super()._post_clean()
        reach_check = getattr(self, "reach_check", None)
        if reach_check is not None and not self.errors:
            refusal = reach_check(self.instance)
            if refusal:
                self.add_error(None, refusal)


class AuditedForm(VersionedForm):
    change_reason = forms.CharField(
        label=gettext_lazy("Reason for this change"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Kept in the record's history with your name and the time."),
        widget=forms.TextInput(attrs={"size": 80}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read at each form, so that the installation's choice holds without a restart of tests.
        self.fields[REASON_FIELD].required = settings.REQUIRE_CHANGE_REASON


def as_of_version(form_class: type[forms.ModelForm], row: models.Model) -> type[forms.ModelForm]:
    """``form_class`` showing the links of history row ``row`` rather than today's."""
    links = links_as_of(row)

    class FormAsOfVersion(form_class):
        def __init__(self, *args, **kwargs):
            kwargs["initial"] = {**links, **(kwargs.get("initial") or {})}
            super().__init__(*args, **kwargs)

    FormAsOfVersion.__name__ = form_class.__name__
    return FormAsOfVersion


def out_of_reach(*, by_unit: bool) -> str:
    """Why a form may not save a record that would lie outside the editor's reach."""
    if by_unit:
        return _("You may save only records of your units; this one would lie outside them.")
    return _("You may save only records of your institutions; this one would lie outside them.")


class ReadableChanges(HistoricalRecordContextHelper):
    """The history's changes as a reader reads them, in their language: nothing is a dash, a
    yes-or-no is yes or no, a choice is its label (At risk, 要注意), and linked records are
    listed by name, without brackets."""

    def stringify_delta_change_values(self, change, old, new):
        field = self.model._meta.get_field(change.field)
        return conditional_escape(shown(field, old)), conditional_escape(shown(field, new))

    def text_of(self, change) -> tuple[str, str]:
        """A change's old and new value as plain text, for a message (escaped where shown)."""
        field = self.model._meta.get_field(change.field)
        return tuple(
            shown(field, self.prepare_delta_change_value(change, value))
            for value in (change.old, change.new)
        )


def shown(field: models.Field, value: object) -> str:
    """A value of ``field`` as the reader reads it."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(localize(value))


# The list column of a bilingual text, named without its "(English)".
SHOWN_LABELS = {"name": gettext_lazy("name"), "title": gettext_lazy("title")}


def shown_column(field: str):
    """An admin list column: ``field`` in the reader's language, marked where it falls back to
    the other (``common.bilingual``). Sorted by the English text, which every record has."""

    @admin.display(description=SHOWN_LABELS[field], ordering=field)
    def column(model_admin, obj) -> str:
        return conditional_escape(obj.shown(field))

    column.__name__ = f"shown_{field}"
    return column


COUNTRY_LABEL = gettext_lazy("country")


def country_column(field: str = "country", description=COUNTRY_LABEL):
    """An admin list column: a country's name in the reader's language, sorted by its code.

    Django's own column of a field with choices looks the value up in the field's flattened
    choices for every row; for the 249 countries that was half the time of a page of 100
    activities."""

    @admin.display(description=description, ordering=field)
    def column(model_admin, obj) -> str:
        country = getattr(obj, field)
        return country.name if country else model_admin.get_empty_value_display()

    column.__name__ = f"shown_{field}"
    return column


def reason_from(form: forms.Form, *, reverted_to: str | None = None) -> str | None:
    """The reason typed in the form, after the version a revert restores; None where the editor
    gave none, which the history shows as no reason given."""
    typed = (form.cleaned_data.get(REASON_FIELD) or "").strip()
    if reverted_to is None:
        return typed or None
    if typed:
        return _("Reverted to history version %(version)s: %(reason)s") % {
            "version": reverted_to,
            "reason": typed,
        }
    return _("Reverted to history version %(version)s") % {"version": reverted_to}


class GuardedChangeList(ChangeList):
    """A list that no query string makes fail.

    Django answers a filter value it cannot use by sending the reader to the list with ``?e=1``.
    Two kinds of value it does not catch would fail the page instead, and are answered the same
    way here: a NUL character in a filter (PostgreSQL refuses it in any query), and a date
    hierarchy's year, month or day it cannot count with (``?start_date__year=99999999999``
    overflows, and year 9999 has no next year to end at).
    """

    DATE_PARTS = {"year": (dt.MINYEAR + 1, dt.MAXYEAR - 1), "month": (1, 12), "day": (1, 31)}

    def get_filters(self, request):
        for values in self.get_filters_params().values():
            if any("\x00" in str(value) for value in values):
                raise IncorrectLookupParameters("A filter holds a NUL character.")
        if self.date_hierarchy:
            for part, (low, high) in self.DATE_PARTS.items():
                for value in self.filter_params.get(f"{self.date_hierarchy}__{part}", []):
                    if not (value.isascii() and value.isdigit() and len(value) <= 4):
                        raise IncorrectLookupParameters(f"The {part} is not a number.")
                    if not low <= int(value) <= high:
                        raise IncorrectLookupParameters(f"The {part} is out of range.")
        return super().get_filters(request)


def guarded_changelist(request, **kwargs) -> type[ChangeList]:
    return GuardedChangeList


def without_nul(search):
    """A search that finds nothing for a term with a NUL character, which PostgreSQL refuses (the
    list's search box says so; an autocomplete would fail)."""

    def get_search_results(request, queryset, search_term):
        if "\x00" in search_term:
            return queryset.none(), False
        return search(request, queryset, search_term)

    return get_search_results


def guard_changelists(site: admin.AdminSite) -> None:
    """Give the lists the product does not define (Django's users and groups, django-axes' sign-in
    records, import batches) the guards of every ``AuditedAdmin``'s list and search. Called once
    every app's admin has registered its models."""
    for model_admin in site._registry.values():
        if isinstance(model_admin, AuditedAdmin):
            continue
        if model_admin.get_changelist(None) is ChangeList:
            model_admin.get_changelist = guarded_changelist
        model_admin.get_search_results = without_nul(model_admin.get_search_results)


class AuditedAdmin(SimpleHistoryAdmin):
    """History with reasons, edit conflicts refused, and every record kept within reach.

    ``reach`` says how the model's records belong to an institution and a unit; ``get_access``
    says what the signed-in user may reach. Lists, forms, pickers, autocompletes and history pages
    all go through them: a record out of reach is not found (404), and a form cannot save a record
    out of reach. Its forms, and its inlines', read dates and numbers in the Japanese forms staff
    type (``common.forms``).
    """

    form = AuditedForm
    object_history_list_template = "admin/history/object_history_list.html"
    # Dates and numbers read as staff type them: 令和7年4月1日, 2025/4/1, １，２００.
    formfield_overrides = {**JAPANESE_INPUT, models.URLField: {"assume_scheme": "https"}}
    history_list_per_page = 50

    @property
    def reach(self) -> Reach:
        return reach_of(self.model)

    def get_access(self, request) -> Access:
        return access_for(request.user)

    def get_fieldsets(self, request, obj=None):
        # The reason and the version are shown wherever the form has them, or a save would not
        # carry the version and be refused; a reader who may not change the record saves nothing,
        # and is shown no empty "reason" of their own.
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            return fieldsets
        shown = flatten_fieldsets(fieldsets)
        missing = [
            name
            for name in (REASON_FIELD, SEEN_FIELD)
            if name in self.form.base_fields and name not in shown
        ]
        if missing:
            fieldsets = [*fieldsets, (_("Audit"), {"fields": missing})]
        return fieldsets

    def get_queryset(self, request):
        return super().get_queryset(request).filter(self.get_access(request).visible(self.reach))

    def get_changelist(self, request, **kwargs):
        return GuardedChangeList

    def get_changeform_initial_data(self, request):
        # An add page's fields may be filled from its URL (?unit=3); a value that no such field
        # could hold (?unit=abc) is left out, where the picker would fail the page looking it up.
        initial = super().get_changeform_initial_data(request)
        return {name: value for name, value in initial.items() if self.may_fill(name, value)}

    def may_fill(self, name: str, value: str | list[str]) -> bool:
        values = value if isinstance(value, list) else [value]
        if any("\x00" in item for item in values):
            return False
        try:
            field = self.opts.get_field(name)
        except FieldDoesNotExist:
            return True
        if not field.is_relation:
            return True
        target = getattr(field, "target_field", None) or field.related_model._meta.pk
        try:
            for item in values:
                target.run_validators(target.to_python(item))  # an id the column can hold
        except ValidationError:
            return False
        return True

    def get_object(self, request, object_id, from_field=None):
        # Without the right to see such records at all, say so (403); out of reach, not found.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(
                _("No %(record)s with this id is within your reach.")
                % {"record": self.opts.verbose_name}
            )
        return obj

    def within_edit_reach(self, request, obj) -> bool:
        return obj is None or self.get_access(request).may_edit(self.reach, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self.within_edit_reach(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self.within_edit_reach(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        shown_version = getattr(request, "shown_version", None)
        if shown_version is not None:
            form = as_of_version(form, shown_version)
        access = self.get_access(request)
        form.history_access = access
        if access.everything:
            return form
        reach = self.reach

        def reach_check(instance) -> str:
            if access.may_edit(reach, instance):
                return ""
            return out_of_reach(by_unit=access.unit_ids is not None)

        form.reach_check = staticmethod(reach_check)
        return form

    def pickable(self, request, db_field) -> models.QuerySet | None:
        """What a picker of ``db_field`` on this model's form offers; None: the default."""
        access = self.get_access(request)
        target = db_field.related_model
        target_admin = self.admin_site._registry.get(target)
        if access.everything or not isinstance(target_admin, AuditedAdmin):
            return None
        queryset = target._default_manager.filter(access.visible(target_admin.reach))
        unit_pickers = {path.split("__")[0] for path in self.reach.unit}
        if access.unit_ids is not None and db_field.name in unit_pickers and db_field.many_to_one:
            # A unit editor picks only their own units, and only what those units lead.
            queryset = queryset.filter(access.editable(target_admin.reach))
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = self.pickable(request, db_field)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        queryset = self.pickable(request, db_field)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        if "\x00" in search_term:
            return queryset.none(), False  # PostgreSQL refuses the character in any query
        # An autocomplete offers what the form's picker would accept, not the whole list.
        match = getattr(request, "resolver_match", None)
        if match and match.url_name == "autocomplete":
            offered = self.autocomplete_choices(request)
            if offered is not None:
                queryset = offered
        return super().get_search_results(request, queryset, search_term)

    def autocomplete_choices(self, request) -> models.QuerySet | None:
        try:
            source_model = apps.get_model(request.GET["app_label"], request.GET["model_name"])
            source_field = source_model._meta.get_field(request.GET["field_name"])
        except (KeyError, LookupError, FieldDoesNotExist):
            return None
        source_admin = self.admin_site._registry.get(source_model)
        if not isinstance(source_admin, AuditedAdmin):
            return None  # an inline's picker: what the user can see (this admin's queryset)
        return source_admin.pickable(request, source_field)

    def get_list_filter(self, request):
        # Related filters list the related rows within the user's reach, not every institution's,
        # read from the related table rather than by a DISTINCT over the list's rows.
        return [
            (name, ReachableChoices) if isinstance(name, str) and self._is_relation(name) else name
            for name in super().get_list_filter(request)
        ]

    def _is_relation(self, path: str) -> bool:
        model = self.model
        for part in path.split("__"):
            field = model._meta.get_field(part)
            if not field.is_relation:
                return False
            model = field.related_model
        return True

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableChanges(self.model, historical_record)

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        # The history page lists the rows as the reader may read them: a change of a shared
        # record by a user of another institution without their name and reason.
        rows = super().get_history_queryset(request, history_manager, pk_name, object_id)
        return readable_history(self.get_access(request), rows)

    def history_view(self, request, object_id, extra_context=None):
        self.require_history_within_reach(request, object_id)
        users = self.admin_site._registry.get(get_user_model())
        context = {
            # An author's name links to their user page only for a reader who may open it.
            "may_open_authors": bool(users and users.has_view_or_change_permission(request)),
            **(extra_context or {}),
        }
        return super().history_view(request, object_id, context)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)
        for record in historical_records:
            record.shown_reason = shown_reason(record)

    def require_history_within_reach(self, request, object_id) -> None:
        """A record's history is shown only where the record (or, deleted, its last version) is."""
        access = self.get_access(request)
        if access.everything:
            return
        pk = self.opts.pk.to_python(object_id) if str(object_id).isdigit() else None
        if pk is None:
            raise Http404
        if self.model._default_manager.filter(pk=pk).exists():
            if not self.get_queryset(request).filter(pk=pk).exists():
                raise Http404
            return
        latest = self.model.history.filter(id=pk).order_by("-history_id")[:1]
        if (
            not self.model.history.filter(history_id__in=latest.values("history_id"))
            .filter(access.visible(self.reach))
            .exists()
        ):
            raise Http404

    def save_model(self, request, obj: models.Model, form: forms.Form, change: bool) -> None:
        # Through the door rather than ModelAdmin's obj.save(): the user and the form's reason
        # go onto the history row with the fields, and the links join that row.
        reason = reason_from(form, reverted_to=getattr(request, "reverted_to", None))
        before = latest_version(obj)
        record_save(obj, user=request.user, reason=reason)
        save_links_in_entry(obj, form, since=before)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self.require_history_within_reach(request, object_id)
        # simple-history hides the Revert button from users without the permission; this also
        # refuses their POST, so a hand-made request cannot revert either.
        if request.method == "POST":
            may_revert = self.has_change_permission(request) and (
                self.has_change_history_permission(request)
            )
            if not may_revert:
                raise PermissionDenied
            request.reverted_to = version_id
        if all(str(part).isdigit() and len(str(part)) <= 18 for part in (object_id, version_id)):
            # The version's links are shown, and restored by the revert, with its fields.
            request.shown_version = self.model.history.filter(
                **{self.opts.pk.attname: object_id}, history_id=version_id
            ).first()
        # One transaction, as the admin's own change page: the version check's lock holds
        # until the fields and links are saved.
        with transaction.atomic():
            return super().history_form_view(request, object_id, version_id, extra_context)

    def save_formset(self, request, form, formset, change) -> None:
        reason = reason_from(form)
        saved = formset.save(commit=False)
        forms = {id(inline_form.instance): inline_form for inline_form in formset.saved_forms}
        for inline_obj in saved:
            before = latest_version(inline_obj)
            record_save(inline_obj, user=request.user, reason=reason)
            save_links_in_entry(inline_obj, forms[id(inline_obj)], since=before)
        for inline_obj in formset.deleted_objects:
            record_delete(inline_obj, user=request.user, reason=reason)
        formset.save_m2m()

    def delete_model(self, request, obj: models.Model) -> None:
        record_delete(obj, user=request.user, reason=_("Deleted in the admin"))

    def delete_queryset(self, request, queryset) -> None:
        # One delete per row, so that each leaves its history row with the user.
        for obj in queryset:
            self.delete_model(request, obj)


def save_links_in_entry(obj: models.Model, form: forms.ModelForm, *, since: int | None) -> None:
    """Have ``form`` save the links of ``obj`` into the history row that its save just wrote
    (the one after ``since``), so that fields and links are one entry; the links are saved after
    the fields (the admin's ``save_related``, a revert's ``save_m2m``)."""
    written = latest_version(obj)
    if written == since or not has_link_history(type(obj)):
        return  # the save wrote no history row, or the history keeps no links
    save_links = form.save_m2m

    def save_m2m() -> None:
        with links_in_entry(obj, written):
            save_links()

    form.save_m2m = save_m2m


def shown_reason(record: models.Model) -> str:
    """A history row's reason as its page shows it; a row whose author is not named (a user of
    another institution) shows no reason either, and says nothing of whether one was given."""
    if record.history_change_reason:
        return record.history_change_reason
    if record.history_user is not None and record.history_user.pk is None:
        return "—"
    return _("No reason given")


class AuditedInline(admin.TabularInline):
    """Inline rows carry their versions too: a row someone else saved meanwhile is refused."""

    form = VersionedForm
    formfield_overrides = JAPANESE_INPUT
    extra = 0
    show_change_link = True

    def get_fields(self, request, obj=None):
        # A hidden field, rendered in each row's first cell; without it no row's save would
        # carry its version.
        fields = list(super().get_fields(request, obj))
        return fields if SEEN_FIELD in fields else [*fields, SEEN_FIELD]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.history_access = access_for(request.user)
        return formset
