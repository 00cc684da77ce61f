"""Imports as a data steward runs them: upload and preview, then confirm, or undo later.

These are the engine's only doors: ``import_preview`` and ``import_remap`` write no record,
``import_confirm`` writes a plan (``apply_plan``: rows, history rows, links and their history, in
bulk, all or nothing) and ``import_undo`` removes what a batch created and restores what it changed.
"""

import contextlib
import datetime as dt
import decimal
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    models,
    transaction,
)
from django.db.models import Q
from django.db.models.deletion import Collector
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from common.access import access_for
from common.history import (
    chunks,
    history_version,
    m2m_history_model,
    write_history,
    write_link_history,
)
from common.messages import as_data, from_data, message
from imports.engine import (
    KINDS,
    Parsed,
    Plan,
    SheetKind,
    link_columns,
    locate_table,
    plan_import,
)
from imports.formats import Limits, SheetRefused, Table, format_of, read_workbook
from imports.mapping import Mapping, mapping_store
from imports.models import RUNNING, ImportBatch
from imports.progress import Progress, kept_progress, lost, progress_name
from imports.storage import import_storage, stored_bytes, stored_exists, stored_name

log = logging.getLogger(__name__)

# Marked here, translated where the import is interrupted (in the steward's language).
CONNECTION_LOST = gettext_noop(
    "The connection to the database was lost while importing; nothing was imported. Confirm again."
)
# An upload's share of the housekeeping: a few queries and files, whatever lies waiting.
PREVIEWS_EXPIRED_PER_UPLOAD = 20
# A background run writes this many records at a time, and tells its progress after each slice.
WRITTEN_TOLD = 2_000
# What waits for its steward, and expires after IMPORT_PREVIEW_DAYS with its files.
WAITING = (ImportBatch.Status.PREVIEWED, ImportBatch.Status.FAILED)
ROWS_FAIL_NOW = gettext_noop("Rows fail now; nothing was imported. See below.")


class ImportInterrupted(SheetRefused):
    """The database went away in the middle of a confirmation; its transaction left nothing."""


# --- The files kept in the import storage ---------------------------------------------------
# A batch's upload is kept under a name this product chose (``stored_name``), and beside it the
# table read and the plan made at the preview, and the progress of a background run. All of it
# goes through the storage of ``imports.storage``, the one the background workers read too.


def stored_put(name: str, content: bytes) -> None:
    """Keep ``content`` under ``name``, in place of what was kept there."""
    storage = import_storage()
    storage.delete(name)  # a storage may keep both under new names rather than overwrite
    saved = storage.save(name, ContentFile(content))
    if saved != name:  # another writer came in between: what it wrote is no one's
        storage.delete(saved)
        raise OSError(f"{name} could not be kept in the import storage")


def stored_delete(name: str) -> None:
    """Delete a kept file; one already gone is no matter."""
    import_storage().delete(name)


def upload_bytes(batch: ImportBatch) -> bytes:
    """The uploaded file of a batch, from the import storage."""
    try:
        return stored_bytes(stored_name(batch))
    except FileNotFoundError as error:
        raise SheetRefused(
            _("The uploaded file of this import is no longer there; upload it again.")
        ) from error
    except OSError as error:
        raise SheetRefused(
            _("The uploaded file of this import cannot be read; upload it again.")
        ) from error


def batch_table(batch: ImportBatch) -> Table:
    """The table of a batch's kept upload: as read at the preview, else read again."""
    kept = read_kept_table(batch)
    if kept is not None:
        return kept
    content = upload_bytes(batch)
    return locate_table(KINDS[batch.kind](), read_workbook(batch.file_name, content))


# The upload, and beside it the table read and the plan made (a background run's progress too).
KEPT_SUFFIXES = ("", ".table.json", ".plan.json")
# Where the table was found and what the layout hid, kept so the confirmation's notes say it too.
KEPT_LAYOUT = ("sheet", "sheets", "header_row", "skipped", "hidden", "merged")


def kept_table_name(batch: ImportBatch) -> str:
    return stored_name(batch, ".table.json")


def keep_table(batch: ImportBatch, table: Table) -> None:
    """Keep the table read at the preview beside the upload, so the confirmation need not read
    the file again (it plans again all the same: the records may have moved on).

    JSON, never pickle: a kept file is read back as data, whatever happened to it on disk.
    """
    payload = {
        "sha256": batch.sha256,
        "headers": table.headers,
        "rows": table.rows,
        "numbers": table.numbers,
        "encoding": table.encoding,
        "layout": {name: getattr(table, name) for name in KEPT_LAYOUT},
    }
    stored_put(kept_table_name(batch), json.dumps(payload, default=_json_cell).encode())


def read_kept_table(batch: ImportBatch) -> Table | None:
    """The table kept at the preview, if it is there, of this very upload, and the upload too."""
    try:
        if not stored_exists(stored_name(batch)):
            return None  # the upload is the record of what was imported: without it, nothing
        payload = json.loads(stored_bytes(kept_table_name(batch)), object_hook=_cell_from_json)
    except (OSError, ValueError, SheetRefused):
        return None
    if not isinstance(payload, dict) or payload.get("sha256") != batch.sha256:
        return None
    layout = payload.get("layout") or {}  # a table kept before layouts were kept has none
    return Table(
        headers=payload["headers"],
        rows=payload["rows"],
        numbers=payload["numbers"],
        encoding=payload["encoding"],
        **{name: layout[name] for name in KEPT_LAYOUT if name in layout},
    )


def _json_cell(value: object) -> dict:
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"time": value.isoformat()}
    raise TypeError(f"a cell of type {type(value).__name__}")


def _cell_from_json(value: dict) -> object:
    if len(value) == 1:
        kind, text = next(iter(value.items()))
        parse = {"datetime": dt.datetime, "date": dt.date, "time": dt.time}.get(kind)
        if parse is not None and isinstance(text, str):
            return parse.fromisoformat(text)
    return value


# --- The plan kept from the preview -----------------------------------------------------------
# A confirmation writes what the preview showed when nothing it was worked out from has changed
# since: no record of any kind has a newer history row, and the steward's scope is the same.


def plan_basis(user) -> dict:
    """What a plan depends on besides the sheet: the records, the importer and their scope."""
    return {
        "records": history_version(leaving_out=[ImportBatch]),
        "user": user.pk,
        "access": access_for(user).cache_key(),
    }


def kept_plan_name(batch: ImportBatch) -> str:
    return stored_name(batch, ".plan.json")


def keep_plan(batch: ImportBatch, plan: Plan, basis: dict) -> None:
    """Keep a plan without failures beside the upload, with what it was worked out from.

    JSON like the kept table: values by attribute name, stored records by primary key.
    """
    if plan.failed:
        return  # the confirmation would refuse it anyway, and says so from a fresh plan
    payload = {
        "sha256": batch.sha256,
        "basis": basis,
        "counts": dict(plan.counts),
        "new": [[parsed.values, _links_json(parsed.links)] for parsed in plan.new_rows],
        "updates": [
            [obj.pk, parsed.values, _links_json(parsed.links)] for obj, parsed in plan.updates
        ],
        "changed_fields": sorted(plan.changed_fields),
        "sample": plan.sample,
        "notes": [as_data(note) for note in plan.notes],
        "column_changes": dict(plan.column_changes),
        "untouched": plan.untouched,
    }
    stored_put(kept_plan_name(batch), json.dumps(payload, default=_json_value).encode())


def kept_plan(batch: ImportBatch, kind: SheetKind, basis: dict) -> Plan | None:
    """The plan kept at the preview, if it is of this upload and still holds; else None."""
    try:
        if not stored_exists(stored_name(batch)):
            return None  # the upload is the record of what was imported: without it, nothing
        payload = json.loads(stored_bytes(kept_plan_name(batch)), object_hook=_value_from_json)
        if payload["sha256"] != batch.sha256 or payload["basis"] != basis:
            return None
        updates = payload["updates"]
        stored = {}
        for chunk in chunks([pk for pk, _values, _links in updates]):
            stored.update(kind.model.objects.in_bulk(list(chunk)))
        if len(stored) != len(updates):
            return None
        changed_fields = set(payload["changed_fields"])
        planned_updates = []
        for pk, values, links in updates:
            obj = stored[pk]
            for attname in changed_fields & values.keys():
                setattr(obj, attname, values[attname])
            planned_updates.append((obj, Parsed(values, _links_from_json(links))))
        return Plan(
            kind=kind,
            counts=Counter(payload["counts"]),
            errors=[],
            new_rows=[Parsed(values, _links_from_json(links)) for values, links in payload["new"]],
            updates=planned_updates,
            changed_fields=changed_fields,
            sample=payload["sample"],
            notes=[from_data(note) for note in payload["notes"]],
            column_changes=Counter(payload["column_changes"]),
            untouched=payload["untouched"],
        )
    except (OSError, ValueError, KeyError, TypeError, SheetRefused):
        return None  # gone, damaged or of an earlier revision: planning again is always right


def _links_json(links: dict[str, set[int]]) -> dict[str, list[int]]:
    return {name: sorted(targets) for name, targets in links.items()}


def _links_from_json(links: dict[str, list[int]]) -> dict[str, set[int]]:
    return {name: set(targets) for name, targets in links.items()}


def _json_value(value: object) -> object:
    if isinstance(value, decimal.Decimal):
        return {"decimal": str(value)}
    return _json_cell(value)


def _value_from_json(value: dict) -> object:
    if len(value) == 1 and isinstance(value.get("decimal"), str):
        return decimal.Decimal(value["decimal"])
    return _cell_from_json(value)


def import_preview(*, kind: str, file_name: str, content: bytes, user) -> tuple[ImportBatch, Plan]:
    """Check and read the file, plan every row, keep the file for the confirmation. Writes no row.

    Raises ``SheetRefused`` when the file as a whole cannot be taken.
    """
    refuse_unknown_kind(kind)
    import_previews_expire(limit=PREVIEWS_EXPIRED_PER_UPLOAD)  # so that no cron is needed
    file_name = upload_name(file_name)
    table, mapping, basis, plan = read_and_plan(kind, file_name, content, user)
    batch = ImportBatch(
        kind=kind,
        file_name=file_name,
        stored_name=ImportBatch.new_stored_name(file_name),
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        user=user,
        status=ImportBatch.Status.PREVIEWED,
        mapping=mapping.as_dict() if mapping is not None else {},
    )
    remember(batch, plan, table.headers)
    stored_put(stored_name(batch), content)
    keep_table(batch, table)
    keep_plan(batch, plan, basis)
    batch._change_reason = _("Uploaded for preview")
    batch.save()
    return batch, plan


def refuse_unknown_kind(kind: str) -> None:
    if kind not in KINDS:
        raise SheetRefused(
            _("Unknown kind of sheet “%(kind)s”; choose one of %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(KINDS)}
        )


def upload_name(file_name: str) -> str:
    """The upload's own name, without the folders a browser or a script may put before it."""
    return Path(file_name.replace("\\", "/")).name or "upload"


def told_to(progress: Progress | None, count: str) -> dict:
    """The keyword that tells a background run's ``progress`` a count; none for a request."""
    return {"told": progress.told(count)} if progress else {}


def read_and_plan(
    kind: str, file_name: str, content: bytes, user, progress: Progress | None = None
) -> tuple[Table, Mapping | None, dict, Plan]:
    """Read an upload (in a confined child) and plan its rows: the table, the saved mapping it
    was read with, what the plan was made from, and the plan."""
    sheet_kind = KINDS[kind](access_for(user))
    # Told the counts only in a background run: the request's calls are as they always were.
    told = told_to(progress, "read")
    table = locate_table(sheet_kind, read_workbook(file_name, content, **told))
    if progress:
        progress.update(phase="planning", read=len(table.rows), rows=len(table.rows))
    store = mapping_store()
    # A sheet with the headers of one mapped before is read as it was then.
    mapping = store.find(user, kind, table.headers) if store is not None else None
    basis = plan_basis(user)  # before the plan: a write while it is made makes it stale
    plan = plan_import(sheet_kind, table, mapping, **told_to(progress, "planned"))
    if mapping is not None:
        plan.notes.insert(
            0,
            message(
                "Read with the saved mapping “%(name)s”: a sheet with these headers was mapped so.",
                name=mapping.name,
            ),
        )
    return table, mapping, basis, plan


def remember(batch: ImportBatch, plan: Plan, headers: list[str] | None = None) -> None:
    batch.counts = dict(plan.counts)
    batch.errors = [error.as_dict() for error in plan.errors]
    batch.sample = plan.sample
    batch.columns = {
        "changed": dict(plan.column_changes),
        "untouched": plan.untouched,
        "notes": [as_data(note) for note in plan.notes],  # shown in the reader's language
        # The sheet's headers as found, for the mapping step.
        "headers": headers if headers is not None else (batch.columns or {}).get("headers", []),
    }


@transaction.atomic
def import_remap(
    *, batch: ImportBatch, user, mapping: Mapping, save_for: int | None = None
) -> Plan:
    """Read a previewed sheet again through the steward's mapping, and plan it again.

    With ``save_for`` (an institution's id) and a name, the mapping is also saved for that
    institution, and offered for every later sheet of this kind with the same headers.
    """
    locked = locked_to_remap(batch)
    table = batch_table(locked)
    save_mapping(locked, user, mapping, save_for, table.headers)
    basis = plan_basis(user)
    plan = plan_import(KINDS[locked.kind](access_for(user)), table, mapping)
    remember(locked, plan, table.headers)
    locked.mapping = mapping.as_dict()
    keep_plan(locked, plan, basis)
    if plan.failed:
        stored_delete(kept_plan_name(locked))  # an earlier mapping's plan must not stay
    locked._change_reason = _("Mapped: %(summary)s") % {"summary": plan.summary()}
    locked.save()
    batch.refresh_from_db()
    return plan


def locked_to_remap(batch: ImportBatch) -> ImportBatch:
    locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != ImportBatch.Status.PREVIEWED:
        raise SheetRefused(_("Only a preview can be mapped again; upload the file again."))
    return locked


def save_mapping(
    batch: ImportBatch, user, mapping: Mapping, save_for: int | None, headers: list[str]
) -> None:
    """Save the steward's mapping for an institution, when they named it and chose one."""
    if save_for is not None and mapping.name:
        mapping_store().save(
            user,
            institution_id=save_for,
            kind=batch.kind,
            headers=headers,
            mapping=mapping,
            reason=_("Saved from import batch %(batch)s") % {"batch": batch.pk},
        )


def import_confirm(*, batch: ImportBatch, user) -> Plan:
    """Plan the kept file again (the data may have moved on) and write all of it, or nothing.

    When a row fails now, nothing is written and the batch keeps the new errors. When the
    database connection drops midway, its transaction leaves nothing behind and the batch stays
    previewed: ``ImportInterrupted`` asks the steward to confirm again. A preview older than
    ``IMPORT_PREVIEW_DAYS`` expires here if nothing expired it before, and is refused.
    """
    refuse_if_expired(batch)
    return confirm_guarded(batch, user=user)


def refuse_if_expired(batch: ImportBatch) -> None:
    """Refuse a batch that waited too long for its steward (expiring it, if nothing did yet)."""
    if batch.status in WAITING and batch.created_at < preview_deadline():
        import_preview_expire(batch=batch)
        batch.refresh_from_db()
    if batch.status == ImportBatch.Status.EXPIRED:
        raise SheetRefused(expired_message())


def confirm_guarded(
    batch: ImportBatch, *, user, task: str = "", progress: Progress | None = None
) -> Plan:
    """``_confirm``, with a connection lost midway told apart from every other database error."""
    connection.ensure_connection()
    dbapi_connection = connection.connection
    try:
        plan = _confirm(batch, user=user, task=task, progress=progress)
    except (OperationalError, InterfaceError) as error:
        # Django may already have replaced a connection that died; either way it is gone.
        if connection.connection is dbapi_connection and connection.is_usable():
            raise
        connection.close()  # the next query connects afresh
        raise ImportInterrupted(_(CONNECTION_LOST)) from error
    batch.refresh_from_db()
    return plan


@transaction.atomic
def _confirm(batch: ImportBatch, *, user, task: str = "", progress: Progress | None = None) -> Plan:
    """The confirmation, in one transaction: of a preview in the request, or of a batch queued
    for its confirmation by the background run of ``task``."""
    same_content = lock_same_content(batch)
    locked = same_content.pop(batch.pk)
    if locked.status == ImportBatch.Status.EXPIRED:
        raise SheetRefused(expired_message())
    waiting = ImportBatch.Status.APPLYING if task else ImportBatch.Status.PREVIEWED
    if locked.status != waiting or (task and locked.task_id != task):
        raise SheetRefused(_("This import has already been confirmed."))
    refuse_if_imported_since(locked, same_content.values())
    kind = KINDS[locked.kind](access_for(user))
    plan = kept_plan(locked, kind, plan_basis(user))
    if plan is None:  # the records or the steward's scope moved on: plan every row again
        if progress:
            progress.update(phase="planning")
        table, mapping = batch_table(locked), Mapping.from_dict(locked.mapping)
        plan = plan_import(kind, table, mapping, **told_to(progress, "planned"))
    remember(locked, plan)
    if not plan.failed:
        if progress:
            rows = len(plan.new_rows) + len(plan.updates)
            progress.update(phase="writing", planned=sum(plan.counts.values()), to_write=rows)
        try:
            with transaction.atomic():
                apply_plan(plan, user=user, reason=locked.reason, progress=progress)
        except IntegrityError as error:
            raise SheetRefused(
                _(
                    "Another change reached the database while this import was being written "
                    "(%(error)s); nothing was imported. Preview it again."
                )
                % {"error": error.__class__.__name__}
            ) from error
        locked.status, locked.applied_at = ImportBatch.Status.APPLIED, timezone.now()
    if task:  # a background run: the steward's, and back to its preview if rows fail now
        locked.failure = as_data(message(ROWS_FAIL_NOW)) if plan.failed else {}
        if plan.failed:
            locked.status = ImportBatch.Status.PREVIEWED
        locked._history_user = locked.user
    locked._change_reason = _("Confirmed") if not plan.failed else _("Confirmation found errors")
    locked.save()
    return plan


def lock_same_content(batch: ImportBatch) -> dict[int, ImportBatch]:
    """Lock the batch and every batch of the same kind and file, in the order of their ids.

    Confirmations of one file thus run one after the other, and two of them never deadlock.
    """
    same = Q(pk=batch.pk)
    if batch.sha256:
        same |= Q(kind=batch.kind, sha256=batch.sha256)
    rows = ImportBatch.objects.filter(same).select_for_update().order_by("pk")
    return {row.pk: row for row in rows}


def refuse_if_imported_since(batch: ImportBatch, same_content: Iterable[ImportBatch]) -> None:
    """Refuse when the same file was imported after this batch was previewed: the preview the
    steward agreed to no longer says what confirming would do."""
    since = [
        other
        for other in same_content
        if other.status == ImportBatch.Status.APPLIED and other.applied_at > batch.created_at
    ]
    if since:
        first = min(since, key=lambda other: other.applied_at)
        raise SheetRefused(
            _(
                "The same file was imported by batch %(batch)s at %(time)s; nothing was written. "
                "Preview it again to see what it would change."
            )
            % {"batch": first.pk, "time": f"{timezone.localtime(first.applied_at):%Y-%m-%d %H:%M}"}
        )


def preview_deadline() -> dt.datetime:
    """Previews uploaded before this moment have waited ``IMPORT_PREVIEW_DAYS`` and expire."""
    return timezone.now() - dt.timedelta(days=settings.IMPORT_PREVIEW_DAYS)


def expired_message() -> str:
    return _(
        "This preview expired: it was not confirmed within %(days)s days, and its file was "
        "deleted. Upload the file again to import it."
    ) % {"days": settings.IMPORT_PREVIEW_DAYS}


def import_previews_expire(*, limit: int | None = None) -> int:
    """Expire the previews not confirmed in time, the oldest first; how many expired.

    A batch whose background run failed waits as a preview does (to be run again), and expires
    alike.
    """
    stale = (
        ImportBatch.objects.filter(status__in=WAITING, created_at__lt=preview_deadline())
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    pks = list(stale[:limit] if limit is not None else stale)
    return sum(import_preview_expire(batch=ImportBatch(pk=pk)) for pk in pks)


def import_preview_expire(*, batch: ImportBatch) -> bool:
    """Mark one preview expired, saying why in its history, and delete its upload and table.

    False when it is no longer a preview (confirmed in the meantime): it is left as it is.
    """
    with transaction.atomic():
        locked = (
            ImportBatch.objects.select_for_update().filter(pk=batch.pk, status__in=WAITING).first()
        )
        if locked is None:
            return False
        locked.status = ImportBatch.Status.EXPIRED
        # The product expires it, not whoever's request happens to run the housekeeping.
        locked._history_user = None
        locked._change_reason = _(
            "Expired: not confirmed within %(days)s days; its uploaded file was deleted."
        ) % {"days": settings.IMPORT_PREVIEW_DAYS}
        locked.save()
    delete_kept_files(locked)
    return True


def delete_kept_files(batch: ImportBatch) -> None:
    """Delete a batch's upload and the files kept beside it; a file already gone is no matter."""
    try:
        names = [stored_name(batch, suffix) for suffix in KEPT_SUFFIXES]
        names += [progress_name(batch)] if batch.task_id else []
    except SheetRefused:
        return  # a stored name outside the import folder: nothing of ours to delete
    for name in names:
        try:
            stored_delete(name)
        except (OSError, SuspiciousFileOperation) as error:
            log.warning("Could not delete %s of import batch %s: %s", name, batch.pk, error)


# --- Background runs -------------------------------------------------------------------------
# A sheet of ``IMPORT_BACKGROUND_BYTES`` or more is read and planned, and later written, by a
# background worker (``imports.tasks.run_batch``): the request keeps the upload and queues the
# run, in the transaction that writes the batch, and returns at once to the batch's page.


def runs_in_background(size: int) -> bool:
    """Whether an upload of ``size`` bytes is previewed and confirmed by a background worker."""
    return size >= settings.IMPORT_BACKGROUND_BYTES


def import_preview_queue(
    *,
    kind: str,
    file_name: str,
    content: bytes,
    user,
    language: str,
    confirm_when_planned: bool = False,
) -> ImportBatch:
    """Keep the upload and queue its preview for a background worker; the batch, at once.

    What can be told without reading the file (the kind, the file's name and size) is refused
    here, as ``import_preview`` refuses it; what reading it finds, the run says on the batch's
    page. ``language`` is the steward's: the run's refusals are written in it. With
    ``confirm_when_planned`` (rows sent through the API), the run goes on to write every row,
    all or none, as soon as its plan finds no error.
    """
    refuse_unknown_kind(kind)
    import_previews_expire(limit=PREVIEWS_EXPIRED_PER_UPLOAD)
    file_name = upload_name(file_name)
    format_of(file_name)
    limits = Limits.from_settings()
    if len(content) > limits.max_bytes:
        read_workbook(file_name, content, limits)  # refuses it, saying by how much
    batch = ImportBatch(
        kind=kind,
        file_name=file_name,
        stored_name=ImportBatch.new_stored_name(file_name),
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        user=user,
        status=ImportBatch.Status.PLANNING,
        stage=ImportBatch.Stage.PREVIEW,
        queued_at=timezone.now(),
        confirm_when_planned=confirm_when_planned,
    )
    stored_put(stored_name(batch), content)
    try:
        with transaction.atomic():
            batch._change_reason = _("Uploaded; read and planned in the background")
            batch.save()
            queue_run(batch, language)
    except BaseException:
        delete_kept_files(batch)
        raise
    batch.refresh_from_db()
    return batch


@transaction.atomic
def import_remap_queue(
    *, batch: ImportBatch, user, mapping: Mapping, save_for: int | None = None, language: str
) -> ImportBatch:
    """``import_remap`` of a large sheet: the mapping is saved (where asked) at once, and the
    kept table read again through it by a background worker, the batch's page showing how far."""
    locked = locked_to_remap(batch)
    save_mapping(locked, user, mapping, save_for, (locked.columns or {}).get("headers") or [])
    locked.mapping = mapping.as_dict()
    locked.status, locked.stage = ImportBatch.Status.PLANNING, ImportBatch.Stage.PREVIEW
    locked.task_id, locked.failure, locked.queued_at = "", {}, timezone.now()
    locked._change_reason = _("Mapped; read again in the background")
    locked.save()
    queue_run(locked, language)
    batch.refresh_from_db()
    return batch


def import_confirm_queue(*, batch: ImportBatch, user, language: str) -> ImportBatch:
    """Queue a preview's confirmation for a background worker: it writes every row, or none."""
    refuse_if_expired(batch)
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status == ImportBatch.Status.EXPIRED:
            raise SheetRefused(expired_message())
        if locked.status != ImportBatch.Status.PREVIEWED:
            raise SheetRefused(_("This import has already been confirmed."))
        locked.status, locked.stage = ImportBatch.Status.APPLYING, ImportBatch.Stage.CONFIRM
        locked.task_id, locked.failure, locked.queued_at = "", {}, timezone.now()
        locked._change_reason = _("Confirmed; written in the background")
        locked.save()
        queue_run(locked, language)
    batch.refresh_from_db()
    return batch


def import_batch_retry(*, batch: ImportBatch, user, language: str) -> ImportBatch:
    """Queue a failed background run again: the preview, or the confirmation, it did not finish."""
    import_batch_reap(batch=batch)
    refuse_if_expired(batch)
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != ImportBatch.Status.FAILED:
            raise SheetRefused(_("Only an import whose background run failed can be run again."))
        preview = locked.stage == ImportBatch.Stage.PREVIEW
        forget_progress(locked, locked.task_id)
        locked.status = ImportBatch.Status.PLANNING if preview else ImportBatch.Status.APPLYING
        locked.task_id, locked.failure, locked.queued_at = "", {}, timezone.now()
        locked._change_reason = _("Run again in the background")
        locked.save()
        queue_run(locked, language)
    batch.refresh_from_db()
    return batch


def queue_run(batch: ImportBatch, language: str) -> None:
    """Queue the batch's run, and note its task on the batch (in the caller's transaction, so
    that a worker takes the task only once the batch is there to run)."""
    from imports.tasks import run_batch  # the task calls these doors

    result = run_batch.enqueue(batch.pk, language)
    # A backend that runs the task at once has run it already, and the run noted its task.
    ImportBatch.objects.filter(pk=batch.pk, task_id="").update(task_id=str(result.id))


def import_batch_run(*, batch: int, task: str) -> str:
    """The worker's side: run what the batch waits for; the status it ends in.

    Nothing happens when the batch no longer waits for this task (it was run again, or found
    lost, in the meantime). The progress is kept beside the upload while it runs. A refusal is
    kept on the batch, which goes back to its preview or, for a file that cannot be read, is
    refused; an unexpected error leaves the batch failed (it can be run again) and fails the
    task, whose traceback the queue keeps.
    """
    claimed = _claim(batch, task)
    if claimed is None:
        return "skipped"
    progress = Progress(
        task=task,
        keep=lambda counts: keep_progress(claimed, counts),
        phase="reading" if claimed.stage == ImportBatch.Stage.PREVIEW else "planning",
    )
    try:
        with progress:
            if claimed.stage == ImportBatch.Stage.PREVIEW:
                return _preview_run(claimed, task, progress)
            return _confirm_run(claimed, task, progress)
    except Exception:
        _finish(claimed, task, status=ImportBatch.Status.FAILED, failure=message(RUN_FAILED))
        raise
    finally:
        forget_progress(claimed, task)


# Marked here, shown in the reader's language.
RUN_FAILED = gettext_noop(
    "The background run stopped with an error before it finished; nothing was written. Run it "
    "again, or upload the file again."
)
WORKER_LOST = gettext_noop(
    "The background worker running this import stopped before it finished; nothing was "
    "written. Run it again."
)


@transaction.atomic
def _claim(pk: int, task: str) -> ImportBatch | None:
    """The batch, if it waits for this task; the task is noted on it, if it was not yet."""
    locked = ImportBatch.objects.select_for_update().filter(pk=pk).first()
    if locked is None or locked.status not in RUNNING or locked.task_id not in ("", task):
        return None
    if not locked.task_id:
        ImportBatch.objects.filter(pk=pk).update(task_id=task)  # bookkeeping, no history
        locked.task_id = task
    return locked


def _preview_run(batch: ImportBatch, task: str, progress: Progress) -> str:
    """Read and plan the upload, keep the table and the plan, and show the preview.

    A batch with a mapping was mapped by its steward (``import_remap_queue``): its kept table is
    planned again through that mapping, as ``import_remap`` does.
    """
    try:
        if batch.mapping:
            table, mapping = batch_table(batch), Mapping.from_dict(batch.mapping)
            progress.update(phase="planning", read=len(table.rows), rows=len(table.rows))
            basis = plan_basis(batch.user)
            kind = KINDS[batch.kind](access_for(batch.user))
            plan = plan_import(kind, table, mapping, told=progress.told("planned"))
        else:
            content = upload_bytes(batch)
            table, mapping, basis, plan = read_and_plan(
                batch.kind, batch.file_name, content, batch.user, progress
            )
    except SheetRefused as refusal:
        if _finish(batch, task, status=ImportBatch.Status.REFUSED, failure=str(refusal)):
            delete_kept_files(batch)  # nothing to confirm, as a refusal in the request keeps none
        return ImportBatch.Status.REFUSED
    with transaction.atomic():
        locked = _locked_if_waiting(batch, task)
        if locked is None:
            return "skipped"
        remember(locked, plan, table.headers)
        locked.mapping = mapping.as_dict() if mapping is not None else {}
        keep_table(locked, table)
        keep_plan(locked, plan, basis)
        if plan.failed:
            stored_delete(kept_plan_name(locked))  # an earlier mapping's plan must not stay
        locked.status, locked.failure = ImportBatch.Status.PREVIEWED, {}
        locked._history_user = locked.user
        locked._change_reason = _("Read and planned in the background")
        go_on = locked.confirm_when_planned and not plan.failed
        if go_on:  # sent to be written at once: the same run confirms it
            locked.status, locked.stage = ImportBatch.Status.APPLYING, ImportBatch.Stage.CONFIRM
            locked._change_reason = _("Read and planned in the background; confirmed as sent")
        locked.save()
    if go_on:
        return _confirm_run(locked, task, progress)
    return ImportBatch.Status.PREVIEWED


def _confirm_run(batch: ImportBatch, task: str, progress: Progress) -> str:
    """Write the preview's plan (or a fresh one), all or nothing, as ``import_confirm`` does."""
    try:
        confirm_guarded(batch, user=batch.user, task=task, progress=progress)
    except ImportInterrupted as interrupted:
        _finish(batch, task, status=ImportBatch.Status.FAILED, failure=str(interrupted))
        return ImportBatch.Status.FAILED
    except SheetRefused as refusal:
        _finish(batch, task, status=ImportBatch.Status.PREVIEWED, failure=str(refusal))
        return ImportBatch.Status.PREVIEWED
    return batch.status


def _locked_if_waiting(batch: ImportBatch, task: str) -> ImportBatch | None:
    locked = ImportBatch.objects.select_for_update().filter(pk=batch.pk).first()
    if locked is None or locked.status not in RUNNING or locked.task_id != task:
        return None
    return locked


def _finish(batch: ImportBatch, task: str, *, status: str, failure) -> bool:
    """End the run of ``task`` with a status and why; False if the batch no longer waits for it."""
    with transaction.atomic():
        locked = _locked_if_waiting(batch, task)
        if locked is None:
            return False
        locked.status, locked.failure = status, as_data(failure)
        locked._history_user = locked.user
        locked._change_reason = (
            _("Refused in the background: %(failure)s")
            if status == ImportBatch.Status.REFUSED
            else _("Background run ended: %(failure)s")
        ) % {"failure": failure}
        locked.save()
    return True


def keep_progress(batch: ImportBatch, counts: dict) -> None:
    """Keep a run's counts (``Progress.snapshot``: they name its task) beside the upload."""
    stored_put(progress_name(batch, counts["task"]), json.dumps(counts).encode())


def forget_progress(batch: ImportBatch, task: str) -> None:
    """Delete the counts the run of ``task`` kept: it has ended, or was given up for lost."""
    with contextlib.suppress(OSError, SheetRefused, SuspiciousFileOperation):
        stored_delete(progress_name(batch, task))


def import_batch_reap(*, batch: ImportBatch) -> bool:
    """Mark a background run failed that has lost its worker (its task ended or is gone, or its
    heartbeat stopped); nothing of it was written, as its writes were one transaction, which
    died with the worker. True if it was so marked; ``batch`` is then refreshed.

    Cheap while the run is alive: one read of its progress (and one of its task). The batch is
    locked only to mark it, without waiting: a run whose transaction still holds the batch's row
    (PostgreSQL) is alive, whatever its heartbeat says.
    """
    if batch.status not in RUNNING or not lost(batch, kept_progress(batch)):
        return False
    try:
        with transaction.atomic():
            locked = ImportBatch.objects.select_for_update(nowait=True).filter(pk=batch.pk).first()
            if locked is None or locked.task_id != batch.task_id:
                return False
            if not lost(locked, kept_progress(locked)):
                return False
            locked.status, locked.failure = ImportBatch.Status.FAILED, as_data(message(WORKER_LOST))
            locked._history_user = None  # the product found it, not whoever's page asked
            locked._change_reason = _("Background run lost: its worker stopped")
            locked.save()
    except OperationalError:  # locked by its run (or SQLite is busy): alive, for now
        return False
    batch.refresh_from_db()
    return True


# Writing a plan and undoing a batch: the only writes of records the engine makes.


@transaction.atomic
def apply_plan(plan: Plan, *, user, reason: str, progress: Progress | None = None) -> None:
    """Write every row of the plan, with history and links, or nothing (a failed plan raises).

    With ``progress``, the records are written ``WRITTEN_TOLD`` at a time, each slice's rows and
    history rows together, and the count told after each (a background run's progress).
    """
    if plan.failed:
        raise ValueError("A plan with failing rows cannot be applied.")
    kind, model, now = plan.kind, plan.kind.model, timezone.now()
    creates = plan.creates()
    created = [obj for obj, _parsed in creates]
    updated = [obj for obj, _parsed in plan.updates]
    stamped = kind.stamp([*created, *updated], user=user, now=now)
    value_fields = sorted((plan.changed_fields | stamped) - set(kind.link_fields))
    slice_size = WRITTEN_TOLD if progress else max(len(created), len(updated), 1)
    history: list[models.Model] = []
    for chunk in chunks(created, slice_size):
        model.objects.bulk_create(chunk, batch_size=500)
        history += write_history(model, chunk, history_type="+", user=user, reason=reason, date=now)
        if progress:
            progress.update(written=len(history))
    for chunk in chunks(updated, slice_size):
        if value_fields:
            model.objects.bulk_update(chunk, value_fields, batch_size=500)
        history += write_history(model, chunk, history_type="~", user=user, reason=reason, date=now)
        if progress:
            progress.update(written=len(history))
    if kind.link_fields:
        if progress:
            progress.update(phase="linking")
        desired = {obj.pk: parsed.links for obj, parsed in [*creates, *plan.updates]}
        set_links(model, kind.link_fields, desired, history)


def set_links(
    model: type[models.Model],
    field_names: Iterable[str],
    desired: dict[int, dict[str, set[int]]],
    history: list[models.Model],
) -> None:
    """Make each object's links what ``desired`` says and snapshot them under its history row."""
    pks = list(desired)
    for name in field_names:
        through, source, target = link_columns(model, name)
        have: dict[int, dict[int, int]] = {}
        for chunk in chunks(pks):
            rows = through.objects.filter(**{f"{source}__in": chunk}).values_list(
                "pk", source, target
            )
            for through_pk, owner, linked in rows:
                have.setdefault(owner, {})[linked] = through_pk
        # An object whose row leaves this field out (its column is not in the sheet) keeps
        # the links it has.
        wanted_of = {
            owner: links[name] if name in links else set(have.get(owner, {}))
            for owner, links in desired.items()
        }
        stale = [
            through_pk
            for owner, links in have.items()
            for linked, through_pk in links.items()
            if linked not in wanted_of[owner]
        ]
        for chunk in chunks(stale):
            through.objects.filter(pk__in=chunk).delete()
        fresh = [
            through(**{source: owner, target: linked})
            for owner, wanted in wanted_of.items()
            for linked in sorted(wanted - have.get(owner, {}).keys())
        ]
        through.objects.bulk_create(fresh, batch_size=500)
        snapshot: dict[int, list[tuple[int, int]]] = {}
        for owner, links in have.items():
            for linked, through_pk in links.items():
                if linked in wanted_of[owner]:
                    snapshot.setdefault(owner, []).append((through_pk, linked))
        for row in fresh:
            snapshot.setdefault(getattr(row, source), []).append((row.pk, getattr(row, target)))
        changed = {owner for owner, links in have.items() if set(links) - wanted_of[owner]}
        changed |= {getattr(row, source) for row in fresh}
        write_link_history(model, name, history, snapshot, changed=changed)


class UndoRefused(Exception):
    """An undo that would lose later work; the message says what stands in the way."""


@transaction.atomic
def import_undo(*, batch: ImportBatch, user) -> Counter:
    """Remove the rows a batch created and restore the rows it changed, leaving history."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportBatch.Status.APPLIED:
        raise UndoRefused(_("Only an imported batch can be undone, and only once."))
    kind = KINDS[batch.kind]()
    model, historical = kind.model, kind.model.history.model
    mine = list(historical.objects.filter(history_change_reason=batch.reason))
    last = max((row.history_id for row in mine), default=0)
    later = [
        (row.history_id, row.id)
        for chunk in chunks([row.id for row in mine])
        for row in historical.objects.filter(id__in=chunk, history_id__gt=last).only("id")
    ]
    if later:
        raise UndoRefused(later_change_refusal(historical, later))
    now, reason = timezone.now(), batch.undo_reason
    created_ids = [row.id for row in mine if row.history_type == "+"]
    updated_rows = {row.id: row for row in mine if row.history_type == "~"}
    restored = _restore(kind, updated_rows, user=user, reason=reason, date=now)
    doomed = list(model.objects.filter(pk__in=created_ids)) if created_ids else []
    try:
        for chunk in chunks(doomed):
            # Deleted through the collector with these very instances, so that the history
            # row simple-history writes for each carries the undo's user and reason (a
            # queryset's delete would load fresh instances, and write a second row without).
            for obj in chunk:
                obj._change_reason, obj._history_user = reason, user
            collector = Collector(using=model.objects.db)
            collector.collect(list(chunk))
            collector.delete()
    except models.ProtectedError as error:
        raise UndoRefused(
            _(
                "Records this batch created are now used elsewhere (for example by activities "
                "imported later), so they cannot be removed: %(records)s"
            )
            % {"records": ", ".join(str(obj) for obj in list(error.protected_objects)[:5])}
        ) from error
    batch.status, batch.undone_at, batch.undone_by = ImportBatch.Status.UNDONE, now, user
    batch._change_reason = reason
    batch.save()
    return Counter(removed=len(doomed), restored=restored)


def later_change_refusal(historical: type[models.Model], later: list[tuple[int, int]]) -> str:
    """Why an undo is refused: the first later change, by whom, when and why; how many more."""
    first = historical.objects.select_related("history_user").get(history_id=min(later)[0])
    message = _(
        "This batch cannot be undone: “%(record)s” was %(change)s after it, by %(user)s at "
        "%(time)s (%(reason)s), and undoing would lose that change. Undo the later change "
        "first, or edit the record by hand."
    ) % {
        "record": first.instance,
        "change": _("deleted") if first.history_type == "-" else _("changed"),
        "user": first.history_user or _("no one named"),
        "time": f"{timezone.localtime(first.history_date):%Y-%m-%d %H:%M}",
        "reason": first.history_change_reason or _("no reason given"),
    }
    others = len({record for _history_id, record in later}) - 1
    if others:
        message += " " + ngettext(
            "%(count)s other record of this batch was changed after it too.",
            "%(count)s other records of this batch were changed after it too.",
            others,
        ) % {"count": others}
    return message


def _restore(kind: SheetKind, updated_rows: dict, *, user, reason: str, date: dt.datetime) -> int:
    """Put back the values (and links) each changed object had before the batch."""
    if not updated_rows:
        return 0
    model, historical = kind.model, kind.model.history.model
    before: dict[int, models.Model] = {}
    for chunk in chunks(list(updated_rows)):
        earlier = historical.objects.filter(id__in=chunk).order_by("id", "history_id")
        for row in earlier:
            if row.history_id < updated_rows[row.id].history_id:
                before[row.id] = row
    objs = list(model.objects.filter(pk__in=list(before)))
    fields = [f.attname for f in historical.tracked_fields if f.attname != "id"]
    for obj in objs:
        for attname in fields:
            setattr(obj, attname, getattr(before[obj.pk], attname))
    model.objects.bulk_update(objs, fields, batch_size=500)
    history = write_history(model, objs, history_type="~", user=user, reason=reason, date=date)
    if kind.link_fields:
        at = _links_at(model, kind.link_fields, list(before.values()))
        # Every field named: a field without links at that version is emptied, not kept.
        desired = {
            obj.pk: {name: at.get(obj.pk, {}).get(name, set()) for name in kind.link_fields}
            for obj in objs
        }
        set_links(model, kind.link_fields, desired, history)
    return len(objs)


def _links_at(
    model: type[models.Model], field_names: list[str], history_rows: list[models.Model]
) -> dict[int, dict[str, set[int]]]:
    """The links each object had at the given history rows (one query per field and chunk)."""
    result: dict[int, dict[str, set[int]]] = {}
    history_ids = [row.history_id for row in history_rows]
    for name in field_names:
        _through, source, target = link_columns(model, name)
        snapshots = m2m_history_model(model, name).objects
        for chunk in chunks(history_ids):
            for owner, linked in snapshots.filter(history_id__in=chunk).values_list(source, target):
                result.setdefault(owner, {}).setdefault(name, set()).add(linked)
    return result
