"""Writes of the units app: each saves its record with history (user, reason)."""

from django.db import transaction

from imports.mapping import Mapping, signature
from units.models import SheetMapping


@transaction.atomic
def sheet_mapping_save(
    *, user, institution_id: int, kind: str, headers: list[str], mapping: Mapping, reason: str
) -> SheetMapping:
    """Save (or replace, under the same name) an institution's mapping of a sheet's columns."""
    saved = (
        SheetMapping.objects.select_for_update()
        .filter(institution_id=institution_id, kind=kind, name=mapping.name)
        .first()
    ) or SheetMapping(institution_id=institution_id, kind=kind, name=mapping.name)
    saved.signature = signature(headers)
    saved.headers = list(headers)
    saved.columns = mapping.columns
    saved.values = mapping.values
    saved._history_user, saved._change_reason = user, reason
    saved.save()
    return saved
