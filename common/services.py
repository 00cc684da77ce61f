"""Imports as a data steward runs them: upload and preview, then confirm, or undo later."""

from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.importing import KINDS, Plan, apply_plan, plan_import
from common.models import ImportBatch
from common.sheets import SheetRefused, Table, read_table


def stored_path(batch: ImportBatch) -> Path:
    """Where a batch's upload is kept: a name this product chose, inside the import folder."""
    folder = Path(settings.IMPORT_DIR).resolve()
    path = (folder / batch.stored_name).resolve()
    if path.parent != folder:
        raise SheetRefused("This import's file is not in the import folder.")
    return path


def batch_table(batch: ImportBatch) -> Table:
    try:
        content = stored_path(batch).read_bytes()
    except FileNotFoundError as error:
        raise SheetRefused(
            "The uploaded file of this import is no longer there; upload it again."
        ) from error
    return read_table(batch.file_name, content)


def import_preview(*, kind: str, file_name: str, content: bytes, user) -> tuple[ImportBatch, Plan]:
    """Check and read the file, plan every row, keep the file for the confirmation. Writes no row.

    Raises ``SheetRefused`` when the file as a whole cannot be taken.
    """
    if kind not in KINDS:
        raise SheetRefused(f"Unknown kind of sheet “{kind}”; choose one of {', '.join(KINDS)}.")
    file_name = Path(file_name.replace("\\", "/")).name or "upload"
    table = read_table(file_name, content)
    plan = plan_import(KINDS[kind](), table)
    batch = ImportBatch(
        kind=kind,
        file_name=file_name,
        stored_name=ImportBatch.new_stored_name(file_name),
        user=user,
        status=ImportBatch.Status.PREVIEWED,
    )
    remember(batch, plan)
    path = stored_path(batch)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    batch._change_reason = "Uploaded for preview"
    batch.save()
    return batch, plan


def remember(batch: ImportBatch, plan: Plan) -> None:
    batch.counts = dict(plan.counts)
    batch.errors = [error.as_dict() for error in plan.errors]
    batch.sample = plan.sample


def import_confirm(*, batch: ImportBatch, user) -> Plan:
    """Plan the kept file again (the data may have moved on) and write all of it, or nothing.

    When a row fails now, nothing is written and the batch keeps the new errors.
    """
    table = batch_table(batch)
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != ImportBatch.Status.PREVIEWED:
            raise SheetRefused("This import has already been confirmed.")
        plan = plan_import(KINDS[locked.kind](), table)
        remember(locked, plan)
        if not plan.failed:
            try:
                with transaction.atomic():
                    apply_plan(plan, user=user, reason=locked.reason)
            except IntegrityError as error:
                raise SheetRefused(
                    "Another change reached the database while this import was being written "
                    f"({error.__class__.__name__}); nothing was imported. Preview it again."
                ) from error
            locked.status, locked.applied_at = ImportBatch.Status.APPLIED, timezone.now()
        locked._change_reason = "Confirmed" if not plan.failed else "Confirmation found errors"
        locked.save()
    batch.refresh_from_db()
    return plan
