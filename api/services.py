"""The API's doors: a token created (its secret returned once), revoked, and its use noted."""

import datetime as dt
import secrets

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from api.models import PREFIX, ApiToken, digest_of
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
