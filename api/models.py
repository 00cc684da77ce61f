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


# What a subscription may follow: the records whose changes other systems keep in step with.
WEBHOOK_MODELS = [
    ("portfolio.activity", _("Activities")),
    ("portfolio.initiative", _("Initiatives")),
    ("portfolio.agreement", _("Agreements")),
    ("portfolio.partnerinstitution", _("Partner institutions")),
    ("portfolio.progressupdate", _("Progress updates")),
    ("policies.indicator", _("Indicators")),
    ("policies.indicatorvalue", _("Indicator values")),
    ("policies.goal", _("Goals")),
    ("units.unit", _("Units")),
]


class WebhookSubscription(models.Model):
    """An administrator's subscription of another system's URL to changes of some models in an
    institution: each change is sent to it, signed with the subscription's secret."""

    reach = Reach(institution=("institution",))

    name = models.CharField(_("name"), max_length=100, help_text=_("What receives the changes."))
    url = models.URLField(_("URL"), max_length=500, help_text=_("Where the changes are POSTed."))
    institution = models.ForeignKey(
        "units.Institution",
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        verbose_name=_("institution"),
    )
    kinds = models.JSONField(
        _("records"), default=list, help_text=_("The kinds of record whose changes are sent.")
    )
    secret = models.CharField(
        _("secret"),
        max_length=100,
        editable=False,
        help_text=_("Signs each delivery: HMAC-SHA256 of the body, in X-Portfolio-Signature."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords(
        excluded_fields=["secret"],
        verbose_name=_("historical webhook subscription"),
        verbose_name_plural=_("historical webhook subscriptions"),
    )

    class Meta:
        ordering = ["institution", "name"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """Changes sent, or to be sent, to a subscription: one body, retried until it is taken."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Given up")

    reach = Reach(institution=("subscription__institution",))

    subscription = models.ForeignKey(
        WebhookSubscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    body = models.TextField(_("body"), help_text=_("The JSON sent, the same at every attempt."))
    events = models.PositiveIntegerField(_("changes"), default=0)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return _("Delivery %(id)s to %(name)s") % {"id": self.pk, "name": self.subscription}


class WebhookAttempt(models.Model):
    """One try at a delivery: when, what the receiver answered, or why it could not be reached."""

    reach = Reach(institution=("delivery__subscription__institution",))

    delivery = models.ForeignKey(
        WebhookDelivery,
        on_delete=models.CASCADE,
        related_name="tries",
        verbose_name=_("delivery"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(_("answer"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    milliseconds = models.PositiveIntegerField(_("milliseconds"), default=0)

    class Meta:
        ordering = ["delivery", "id"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self) -> str:
        return f"{self.delivery_id}: {self.status_code or self.error}"
