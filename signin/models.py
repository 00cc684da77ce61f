"""Who signed in through an identity provider: the account of each identity, found by the
provider's own identifier for it, never by an email address.

An identity is the pair of its issuer (a SAML identity provider's entity ID, an OpenID Connect
provider's issuer) and its subject there (GakuNin's eduPersonPrincipalName, OpenID Connect's
``sub``). The attributes the provider released at the last sign-in are kept beside it, and so is
what this installation suggests for the account (an institution, a role), for an administrator to
grant or not.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.roles import ROLES


class Protocol(models.TextChoices):
    SAML = "saml", "SAML 2"
    OIDC = "oidc", "OpenID Connect"


class ExternalIdentity(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="external_identities",
        verbose_name=_("user"),
    )
    protocol = models.CharField(_("protocol"), max_length=10, choices=Protocol.choices)
    issuer = models.CharField(
        _("identity provider"),
        max_length=1024,
        help_text=_("The entity ID of the SAML identity provider, or the OpenID Connect issuer."),
    )
    subject = models.CharField(
        _("identifier at the provider"),
        max_length=255,
        help_text=_("eduPersonPrincipalName (SAML), or the subject (OpenID Connect)."),
    )
    email = models.EmailField(_("email"), max_length=254, blank=True)
    display_name = models.CharField(_("display name"), max_length=255, blank=True)
    display_name_ja = models.CharField(_("display name (Japanese)"), max_length=255, blank=True)
    affiliations = models.CharField(
        _("affiliations"),
        max_length=255,
        blank=True,
        help_text=_("eduPersonAffiliation as released: faculty, staff, student, member…"),
    )
    organization = models.CharField(_("organization"), max_length=255, blank=True)
    organization_ja = models.CharField(_("organization (Japanese)"), max_length=255, blank=True)
    suggested_institution = models.ForeignKey(
        "units.Institution",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("suggested institution"),
        help_text=_("The institution this installation maps the identity provider to."),
    )
    suggested_role = models.CharField(
        _("suggested role"),
        max_length=50,
        blank=True,
        choices=[(role, role) for role in ROLES],
        help_text=_("The role this installation maps the affiliations to."),
    )
    first_signed_in = models.DateTimeField(_("first signed in"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("identity at a provider")
        verbose_name_plural = _("identities at providers")
        ordering = ["issuer", "subject"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="one_account_per_identity")
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.issuer})"


class AwaitingAccessManager(models.Manager):
    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(is_active=True, is_superuser=False, groups__isnull=True)
            .filter(external_identities__isnull=False)
            .distinct()
        )


class AwaitingAccess(get_user_model()):
    """The accounts that signed in through an identity provider and hold no role yet."""

    objects = AwaitingAccessManager()

    class Meta:
        proxy = True
        verbose_name = _("account awaiting access")
        verbose_name_plural = _("accounts awaiting access")
