"""Administrators' lists of signing in with a university account: the identities each account
signed in with, and the accounts that signed in and await a role."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from signin.models import AwaitingAccess, ExternalIdentity
from signin.services import grant_access


class ReadOnly:
    """Made by sign-ins, never by hand: to end an account's access, deactivate the account."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["subject", "issuer", "protocol", "user", "email", "first_signed_in"]
    list_filter = ["protocol", "issuer"]
    list_select_related = ["user"]
    search_fields = ["subject", "email", "display_name", "display_name_ja", "user__username"]


class IdentityInline(ReadOnly, admin.TabularInline):
    """On an account's page: the identities it signs in with, and what their providers say."""

    model = ExternalIdentity
    extra = 0
    fields = readonly_fields = [
        "issuer",
        "subject",
        "email",
        "display_name",
        "display_name_ja",
        "affiliations",
        "suggested_institution",
        "suggested_role",
        "first_signed_in",
    ]
    verbose_name_plural = gettext_lazy("identities at providers (an administrator grants access)")


# The users' admin is the units app's (their roles and scope); its pages show the identities too.
user_admin = admin.site._registry[get_user_model()]
user_admin.inlines = [*user_admin.inlines, IdentityInline]


@admin.register(AwaitingAccess)
class AwaitingAccessAdmin(ReadOnly, admin.ModelAdmin):
    """Accounts that signed in through an identity provider and hold no role: an administrator
    grants one here (the suggested one) or on the account's own page (any)."""

    list_display = [
        "account",
        "full_name",
        "email",
        "provider",
        "affiliations",
        "suggested_institution",
        "suggested_role",
        "date_joined",
    ]
    list_display_links = None
    search_fields = ["username", "email", "first_name", "last_name"]
    ordering = ["-date_joined"]
    actions = ["grant_suggested"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("external_identities__suggested_institution")
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("auth.change_user")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The account's own page, where any role and scope are granted."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        return redirect("admin:auth_user_change", object_id)

    def identity(self, user) -> ExternalIdentity | None:
        identities = list(user.external_identities.all())
        return identities[0] if identities else None

    @admin.display(description=gettext_lazy("account"), ordering="username")
    def account(self, user) -> str:
        url = reverse("admin:auth_user_change", args=[user.pk])
        return format_html('<a href="{}">{}</a>', url, user.username)

    @admin.display(description=gettext_lazy("name"))
    def full_name(self, user) -> str:
        identity = self.identity(user)
        return (identity and (identity.display_name_ja or identity.display_name)) or (
            user.get_full_name()
        )

    @admin.display(description=gettext_lazy("identity provider"))
    def provider(self, user) -> str:
        identity = self.identity(user)
        return identity.issuer if identity else ""

    @admin.display(description=gettext_lazy("affiliations"))
    def affiliations(self, user) -> str:
        identity = self.identity(user)
        return identity.affiliations if identity else ""

    @admin.display(description=gettext_lazy("suggested institution"))
    def suggested_institution(self, user) -> str:
        identity = self.identity(user)
        return str(identity.suggested_institution or "") if identity else ""

    @admin.display(description=gettext_lazy("suggested role"))
    def suggested_role(self, user) -> str:
        identity = self.identity(user)
        return identity.suggested_role if identity else ""

    @admin.action(
        description=gettext_lazy("Grant the suggested role and institution"),
        permissions=["change"],
    )
    def grant_suggested(self, request, queryset) -> None:
        granted, skipped = 0, 0
        for user in queryset:
            identity = self.identity(user)
            if identity is None or not identity.suggested_role:
                skipped += 1
                continue
            grant_access(
                user,
                role=identity.suggested_role,
                institution=identity.suggested_institution,
                by=request.user,
                reason="Granted the role suggested at the first sign-in",
            )
            granted += 1
        if granted:
            self.message_user(
                request,
                ngettext(
                    "%(count)d account was granted its suggested role.",
                    "%(count)d accounts were granted their suggested roles.",
                    granted,
                )
                % {"count": granted},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                _("%(count)d had no suggested role: grant one on the account's own page.")
                % {"count": skipped},
                messages.WARNING,
            )
