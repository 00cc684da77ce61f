"""Restore a backup written by ``manage.py backup`` into an empty, migrated database.

Everything happens in one transaction: either the whole backup is restored, or nothing is
written. The database must be at the backup's migrations and hold no records. What migrating
creates by itself (content types, permissions, the role groups) does not count as records: content
types and permissions are matched by natural key, and the groups are replaced by the backup's,
with their permissions and members. Records keep their ids; the id sequences then continue after
the highest restored id, so that new records get fresh ids.
"""

import gzip
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from common.management.commands.backup import (
    BY_NATURAL_KEY,
    FORMAT,
    VERSION,
    applied_migrations,
    backed_up_models,
)

# Rows that migrating an empty database creates by itself, which a restore replaces or merges.
MADE_BY_MIGRATING = (*BY_NATURAL_KEY, Group, Group.permissions.through)
BATCH = 500


def read_backup(path: Path) -> dict:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CommandError(
            _("Cannot read %(file)s: %(error)s.") % {"file": path, "error": error.strerror}
        ) from error
    try:
        if raw.startswith(b"\x1f\x8b"):
            raw = gzip.decompress(raw)
        document = json.loads(raw)
    except (OSError, EOFError, ValueError) as error:
        raise CommandError(
            _("%(file)s is not a backup of this product: %(error)s.")
            % {"file": path, "error": error}
        ) from error
    if (
        not isinstance(document, dict)
        or document.get("format") != FORMAT
        or not isinstance(document.get("objects"), list)
    ):
        raise CommandError(_("%(file)s is not a backup of this product.") % {"file": path})
    if document.get("version") != VERSION:
        raise CommandError(
            _(
                "%(file)s is a backup of format version %(version)s; this product reads "
                "version %(ours)s."
            )
            % {"file": path, "version": document.get("version"), "ours": VERSION}
        )
    return document


def with_squashes(applied: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """``applied`` and each squashed migration whose replaced migrations are all in it: a backup
    written before a squash lists only the replaced ones, which ``migrate`` records the squashed
    one beside."""
    replacements = MigrationLoader(None, ignore_no_migrations=True).replacements
    return applied | {
        key for key, squashed in replacements.items() if set(squashed.replaces) <= applied
    }


def check_migrations(backup: dict[str, list[str]], alias: str) -> None:
    here = {(app, name) for app, names in applied_migrations(alias).items() for name in names}
    there = {(app, name) for app, names in backup.items() for name in names}
    here, there = with_squashes(here), with_squashes(there)
    if here != there:
        only_there = ", ".join(f"{app}.{name}" for app, name in sorted(there - here)) or _("none")
        only_here = ", ".join(f"{app}.{name}" for app, name in sorted(here - there)) or _("none")
        raise CommandError(
            _(
                "The backup was made at other migrations than this database is at (only in the "
                "backup: %(only_there)s; only here: %(only_here)s). Migrate this database to the "
                "backup's migrations, restore, then migrate to the latest. Nothing was restored."
            )
            % {"only_there": only_there, "only_here": only_here}
        )


def check_empty(model_list: Iterable[type[models.Model]], alias: str) -> None:
    held = []
    for model in model_list:
        if model in MADE_BY_MIGRATING:
            continue
        count = model._base_manager.using(alias).count()
        if count:
            noun = model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural
            held.append(f"{count:,} {noun}")
    if held:
        raise CommandError(
            _(
                "This database already holds records (%(records)s). Restore only into an empty "
                "database: create one, run `manage.py migrate`, then restore. Nothing was restored."
            )
            % {"records": ", ".join(held[:8]) + (", …" if len(held) > 8 else "")}
        )


def insert(model: type[models.Model], objs: list[models.Model], alias: str) -> None:
    """Insert rows as they are, ids and timestamps included, with no signals (so no history
    rows are added: the backup carries the history as it was)."""
    fields = model._meta.local_concrete_fields
    size = max(1, min(BATCH, connections[alias].ops.bulk_batch_size(fields, objs)))
    for start in range(0, len(objs), size):
        model._base_manager.using(alias)._insert(
            objs[start : start + size], fields=fields, using=alias, raw=True
        )


def load(objects: list[dict], alias: str) -> Counter:
    counts: Counter = Counter()
    pending: list[models.Model] = []
    pending_model = None
    for item in serializers.deserialize("python", objects, using=alias):
        model = type(item.object)
        if model in BY_NATURAL_KEY:
            item.save(using=alias)  # an update of the migrated row of that natural key, or new
        else:
            if model is not pending_model or len(pending) >= BATCH:
                if pending:
                    insert(pending_model, pending, alias)
                pending, pending_model = [], model
            pending.append(item.object)
        counts[model._meta.label] += 1
    if pending:
        insert(pending_model, pending, alias)
    return counts


def reset_sequences(model_list: list[type[models.Model]], alias: str) -> None:
    connection = connections[alias]
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def restore(path: Path, alias: str = DEFAULT_DB_ALIAS) -> Counter:
    document = read_backup(path)
    model_list = backed_up_models()
    with transaction.atomic(using=alias):
        check_migrations(document.get("migrations", {}), alias)
        check_empty(model_list, alias)
        Group.objects.using(alias).all().delete()  # the backup's roles replace the migrated ones
        try:
            counts = load(document["objects"], alias)
            reset_sequences(model_list, alias)
            connections[alias].check_constraints()
        except (DatabaseError, DeserializationError) as error:
            raise CommandError(
                _("The backup does not fit this database (%(error)s). Nothing was restored.")
                % {"error": " ".join(str(error).split())}
            ) from error
    ContentType.objects.clear_cache()
    return counts


class Command(BaseCommand):
    help = (
        "Restore a backup written by `manage.py backup` into an empty, migrated database, in one "
        "transaction; refuses, writing nothing, when the database already holds records."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options) -> None:
        counts = restore(file)
        self.stdout.write(
            _("Restored %(rows)s rows of %(tables)s tables from %(file)s.")
            % {"rows": f"{counts.total():,}", "tables": len(counts), "file": file}
        )
