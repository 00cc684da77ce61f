"""What the API's tests share: a token's secret for a user, made through the product's door."""

import datetime as dt

from django.utils import timezone

from api.services import token_create


def a_token(user, *, read_only: bool = True, days: int = 30) -> str:
    """The secret of a new token of ``user``, lasting ``days`` (negative: expired already)."""
    _token, secret = token_create(
        user,
        name="Mobility system",
        read_only=read_only,
        expires_at=timezone.now() + dt.timedelta(days=days),
        reason="A test's token",
    )
    return secret
