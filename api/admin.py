"""API tokens in the admin: a user makes a token for themselves and is shown its secret once;
each user lists and revokes their own, an administrator everyone's. Webhook subscriptions, which
administrators make, and their deliveries with every attempt."""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.http import Http404
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api.models import (
    WEBHOOK_MODELS,
    ApiToken,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from api.services import subscription_create, token_create, token_revoke
from common.access import access_for, reach_of
from common.admin import AuditedAdmin, AuditedForm, reason_from

MAX_DAYS = 366


class TokenForm(forms.ModelForm):
    days = forms.IntegerField(
        label=_("valid for (days)"),
        min_value=1,
        max_value=MAX_DAYS,
        initial=90,
        help_text=_("The token stops working after this many days (at most a year)."),
    )

    class Meta:
        model = ApiToken
        fields = ["name", "read_only"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "hint",
        "user",
        "read_only",
        "created_at",
        "expires_at",
        "last_used_at",
        "state",
    ]
    list_filter = ["read_only"]
    search_fields = ["name", "hint"]
    actions = ["revoke"]
    readonly_fields = [
        "user",
        "name",
        "hint",
        "read_only",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]

    def everyones(self, request) -> bool:
        return request.user.is_superuser or request.user.has_perm("auth.change_user")

    def get_queryset(self, request):
        tokens = super().get_queryset(request).select_related("user")
        return tokens if self.everyones(request) else tokens.filter(user=request.user)

    def get_object(self, request, object_id, from_field=None):
        # Another user's token is not found, as a record beyond one's reach is.
        token = super().get_object(request, object_id, from_field)
        if token is None:
            raise Http404(_("No API token of yours has this id."))
        return token

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = TokenForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        return ["name", "read_only", "days"] if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, never deleted: its history stays

    @admin.display(description=_("state"))
    def state(self, token: ApiToken) -> str:
        if token.revoked_at:
            return _("revoked")
        if token.expires_at <= timezone.now():
            return _("expired")
        return _("active")

    def save_model(self, request, obj, form, change) -> None:
        _token, secret = token_create(
            request.user,
            name=form.cleaned_data["name"],
            read_only=form.cleaned_data["read_only"],
            expires_at=timezone.now() + dt.timedelta(days=form.cleaned_data["days"]),
            reason=str(_("Token made in the admin")),
            token=obj,
        )
        messages.warning(
            request,
            format_html(
                "{} <code>{}</code>",
                _("The token's secret, shown this once (copy it now; only a digest is kept):"),
                secret,
            ),
        )

    def save_related(self, request, form, formsets, change) -> None:
        pass  # a token has no links

    def log_addition(self, request, obj, message):
        return None  # its history row says who made it

    @admin.action(description=_("Revoke the selected tokens"), permissions=["view"])
    def revoke(self, request, queryset) -> None:
        tokens = [t for t in queryset if t.revoked_at is None]
        for token in tokens:
            token_revoke(token, user=request.user, reason=str(_("Revoked in the admin")))
        self.message_user(
            request,
            ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", len(tokens))
            % {"n": len(tokens)},
        )


class SubscriptionForm(AuditedForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    kinds = forms.MultipleChoiceField(
        label=_("records"),
        choices=WEBHOOK_MODELS,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The kinds of record whose changes are sent."),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "institution", "kinds", "active"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError(_("Give an http or https URL."))
        return url


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["at", "status_code", "error", "milliseconds"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(AuditedAdmin):
    """Administrators subscribe other systems' URLs to the changes of an institution's records."""

    form = SubscriptionForm
    list_display = ["name", "url", "institution", "active", "created_at"]
    list_filter = ["active", "institution"]
    search_fields = ["name", "url"]
    readonly_fields = ["secret"]

    def get_readonly_fields(self, request, obj=None):
        return ["secret"] if obj is not None else []  # a new one's is made when it is saved

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
        else:
            subscription_create(obj, user=request.user, reason=reason_from(form))


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """What was sent to each subscription, and every attempt at it."""

    list_display = ["id", "subscription", "events", "state", "attempts", "created_at"]
    list_filter = ["state"]
    list_select_related = ["subscription"]
    fields = ["subscription", "events", "state", "attempts", "next_attempt_at", "delivered_at"]
    fields += ["created_at", "body"]
    readonly_fields = fields
    inlines = [AttemptInline]

    def get_queryset(self, request):
        visible = access_for(request.user).visible(reach_of(WebhookDelivery))
        return super().get_queryset(request).filter(visible)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
