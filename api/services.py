"""The API's doors: a token created (its secret returned once), revoked, and its use noted; a
webhook subscription created, its deliveries and their attempts kept."""

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from api.models import (
    PREFIX,
    ApiToken,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
    digest_of,
)
from common.services import record_save

# How often a token's "last used" is written at most: not on every request of a busy robot.
LAST_USED_EVERY = dt.timedelta(minutes=1)


def token_create(
    user: AbstractBaseUser,
    *,
    name: str,
    read_only: bool,
    expires_at: dt.datetime,
    reason: str,
    token: ApiToken | None = None,
) -> tuple[ApiToken, str]:
    """A new token of ``user`` (``token``: the unsaved one a form made), and its secret: the
    only time the secret is known."""
    secret = PREFIX + secrets.token_urlsafe(40)
    token = token or ApiToken()
    token.user, token.name, token.read_only, token.expires_at = user, name, read_only, expires_at
    token.digest, token.hint = digest_of(secret), secret[: len(PREFIX) + 4]
    return record_save(token, user=user, reason=reason), secret


def token_revoke(token: ApiToken, *, user: AbstractBaseUser, reason: str) -> ApiToken:
    """End a token now; its history names who revoked it and why."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        record_save(token, user=user, reason=reason)
    return token


def token_used(token: ApiToken) -> None:
    """Note that ``token`` was used now (at most once a minute; no history row)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def subscription_create(
    subscription: WebhookSubscription, *, user: AbstractBaseUser, reason: str | None
) -> WebhookSubscription:
    """A new webhook subscription, with a secret of its own to sign its deliveries."""
    subscription.secret = secrets.token_urlsafe(32)
    return record_save(subscription, user=user, reason=reason)


def delivery_create(*, subscription: int, events: list[dict]) -> WebhookDelivery:
    """A delivery of ``events`` to the subscription, waiting for its first attempt (a log of
    what was sent, no record with history)."""
    from api.webhooks import body_of

    return WebhookDelivery.objects.create(
        subscription_id=subscription,
        body=body_of(subscription, events),
        events=len(events),
        next_attempt_at=timezone.now(),
    )


@transaction.atomic
def attempt_record(
    *,
    delivery: WebhookDelivery,
    status_code: int | None,
    error: str,
    milliseconds: int,
    taken: bool,
    retry_after: dt.timedelta | None,
) -> WebhookDelivery:
    """Keep an attempt; the delivery is delivered, waits for its next attempt, or, after
    ``WEBHOOK_MAX_ATTEMPTS``, is given up."""
    WebhookAttempt.objects.create(
        delivery=delivery, status_code=status_code, error=error[:300], milliseconds=milliseconds
    )
    delivery.attempts += 1
    now = timezone.now()
    if taken:
        delivery.state, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS or retry_after is None:
        delivery.state, delivery.next_attempt_at = "failed", None
    else:
        delivery.next_attempt_at = now + retry_after
    delivery.save(update_fields=["attempts", "state", "delivered_at", "next_attempt_at"])
    return delivery
