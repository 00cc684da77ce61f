"""Write a full backup of the database: every record, its history, users, roles and imports.

The file is JSON (gzip-compressed when its name ends in ``.gz``): the migrations the database was
at, then every row in Django's serialization format, table by table, rows by primary key. Records
keep their ids, because history rows, links and import batches refer to them by id; content types
and permissions are written by their natural keys, because a freshly migrated database numbers
them its own way. Sessions are left out: a restored database starts with everyone signed out.
``manage.py restore`` reads it back into an empty database.
"""

import datetime as dt
import gzip
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.json import Serializer as JSONSerializer
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = "strategy-portfolio backup"
VERSION = 1
# Matched by natural key on restore: a migrated database already has its own rows and ids.
BY_NATURAL_KEY = (ContentType, Permission)
LEFT_OUT = (Session,)


def backed_up_models() -> list[type[models.Model]]:
    """Every table's model, content types and permissions first, then each model after the
    models it refers to (so that rules checked on insert find what a row points at)."""
    candidates = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
        and not model._meta.proxy
        and not issubclass(model, LEFT_OUT)
        and model not in BY_NATURAL_KEY
    ]
    ordered: list[type[models.Model]] = list(BY_NATURAL_KEY)
    pending = sorted(candidates, key=lambda model: model._meta.label)
    while pending:
        ready = [
            model for model in pending if not (references(model) & set(pending)) - {model}
        ] or pending[:1]  # a cycle: its rows are checked at commit instead
        ordered += ready
        pending = [model for model in pending if model not in ready]
    return ordered


def references(model: type[models.Model]) -> set[type[models.Model]]:
    return {
        field.related_model._meta.concrete_model
        for field in model._meta.local_fields
        if field.is_relation and field.related_model is not None
    }


def applied_migrations(alias: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(connections[alias]).applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


class ExactJSONEncoder(DjangoJSONEncoder):
    """Times to the microsecond: Django's encoder keeps milliseconds, which would merge history
    rows written within one millisecond and change their order."""

    def default(self, o: object) -> object:
        if isinstance(o, (dt.datetime, dt.time)):
            return o.isoformat()
        return super().default(o)


class BackupSerializer(JSONSerializer):
    """Django's JSON serializer, with content types and permissions referred to by natural key
    (and written without their ids), everything else by id.

    Many-to-many links are written as the rows of their own tables, with their ids, because the
    history of links refers to those ids; so no object carries its links itself.
    """

    def __init__(self) -> None:
        super().__init__()
        self.natural = {
            ContentType: {ct.pk: list(ct.natural_key()) for ct in ContentType.objects.all()},
            Permission: {
                permission.pk: list(permission.natural_key())
                for permission in Permission.objects.select_related("content_type")
            },
        }

    def get_dump_object(self, obj: models.Model) -> dict:
        data = super().get_dump_object(obj)
        if isinstance(obj, BY_NATURAL_KEY):
            del data["pk"]
        return data

    def handle_fk_field(self, obj: models.Model, field: models.Field) -> None:
        by_key = self.natural.get(field.related_model)
        value = getattr(obj, field.attname)
        if by_key is None or value is None:
            super().handle_fk_field(obj, field)
        else:
            self._current[field.name] = by_key[value]

    def handle_m2m_field(self, obj: models.Model, field: models.Field) -> None:
        pass


def all_rows(model_list: list[type[models.Model]], counts: Counter) -> Iterator[models.Model]:
    for model in model_list:
        for obj in model._base_manager.order_by("pk").iterator(chunk_size=2000):
            counts[model._meta.label] += 1
            yield obj


def open_for_writing(path: Path, *, compressed: bool) -> IO[str]:
    if compressed:
        return gzip.open(path, "wt", encoding="utf-8")
    return path.open("w", encoding="utf-8")


def write_backup(path: Path, alias: str = DEFAULT_DB_ALIAS) -> Counter:
    """Write the backup (rows by model) through a temporary file, so that a failed run leaves
    no half a backup under the name asked for."""
    connection = connections[alias]
    partial = path.with_name(path.name + ".partial")
    counts: Counter = Counter()
    outermost = not connection.in_atomic_block
    try:
        with (
            transaction.atomic(using=alias),
            open_for_writing(partial, compressed=path.name.endswith(".gz")) as stream,
        ):
            if connection.vendor == "postgresql" and outermost:
                # One consistent snapshot of every table, however long the backup takes.
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            header = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": timezone.now().isoformat(),
                "migrations": applied_migrations(alias),
            }
            stream.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "objects": ')
            rows = all_rows(backed_up_models(), counts)
            BackupSerializer().serialize(
                rows, stream=stream, cls=ExactJSONEncoder, ensure_ascii=False
            )
            stream.write("}\n")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return counts


class Command(BaseCommand):
    help = (
        "Write a full backup (every record and its history, users, roles, import batches) to FILE "
        "as JSON, gzip-compressed when FILE ends in .gz. Restore it with `manage.py restore`."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options) -> None:
        if not file.parent.is_dir():
            raise CommandError(
                _("There is no folder %(folder)s to write the backup into.")
                % {"folder": file.parent}
            )
        counts = write_backup(file)
        self.stdout.write(
            _("Backed up %(rows)s rows of %(tables)s tables to %(file)s.")
            % {"rows": f"{counts.total():,}", "tables": len(counts), "file": file}
        )
