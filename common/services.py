"""The doors of one record, for callers that have no door of their own (the admin).

Each writes the record with the user and the reason that its history row names; the dashboards'
cache learns of the write from that row once the transaction commits. An app's own doors (its
``services.py``) call these, or write in bulk with ``common.history``'s helpers.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models


def record_save(
    obj: models.Model, *, user: AbstractBaseUser | None, reason: str | None
) -> models.Model:
    """Save ``obj``; its history row names ``user`` and ``reason`` (None: no reason given), and so
    do the rows of the links set on it afterwards."""
    obj._history_user, obj._change_reason = user, reason
    obj.save()
    return obj


def record_delete(obj: models.Model, *, user: AbstractBaseUser | None, reason: str | None) -> None:
    """Delete ``obj``; its last history row, the deletion, names ``user`` and ``reason``."""
    obj._history_user, obj._change_reason = user, reason
    obj.delete()
