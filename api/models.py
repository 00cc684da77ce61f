"""API tokens: how another system signs in to the API as one of the product's users.

A token acts as its user: it reaches what the user's scope reaches and may write what the
user's role may write, and no more; a read-only token writes nothing. Only a digest of the
secret is stored (SHA-256: the secret is 40 random bytes, so no slow hash is needed against
guessing); the secret itself is shown once, when the token is created, and never again. A token
ends at its expiry or when it is revoked, and says when it was last used.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.access import Reach

# What a token's text starts with, so that one pasted somewhere is recognisable (and found by
# secret scanners); the rest is the secret.
PREFIX = "isp_"


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    """A user's token for the API."""

    # A token is its user's: users belong to institutions through their scope, not here.
    reach = Reach()

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(
        _("name"),
        max_length=100,
        help_text=_("What the token is for (the system that uses it): shown in its history."),
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the secret, to tell one's tokens apart in a list.
    hint = models.CharField(_("starts with"), max_length=12, editable=False)
    read_only = models.BooleanField(
        _("read only"), default=True, help_text=_("A read-only token may read but never write.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["last_used_at"])

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
