"""Writes of the policies app: each saves its record with history (user, reason)."""

from django.db import models, transaction


@transaction.atomic
def source_record_load(*, obj: models.Model, links: dict[str, list], reason: str) -> None:
    """Save one record of a source fixture, validated first, and set its links (one history
    row each, with the fixture named as the reason)."""
    obj.full_clean(validate_unique=True)
    obj._change_reason = reason
    obj.save()
    for field_name, values in links.items():
        if values:
            getattr(obj, field_name).set(values)
