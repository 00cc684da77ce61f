"""Where uploads and the files kept beside them live: the storage ``STORAGES["imports"]``.

By default a folder, ``IMPORT_DIR``; several app servers and their background workers share an
S3-compatible bucket instead (django-storages, README "Uploads on shared storage"). Everything the
engine keeps goes through this storage, so the worker that plans or writes a sheet reads the very
upload the web server received, wherever each of them runs.
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.translation import gettext as _

from imports.formats import SheetRefused
from imports.models import ImportBatch

ALIAS = "imports"


class ImportFolder(FileSystemStorage):
    """The import folder: ``IMPORT_DIR`` (read when used, so a test or a setting may move it),
    whose files are never reached through a link or a path that leads out of it."""

    @property
    def base_location(self) -> str:
        return str(self._location or settings.IMPORT_DIR)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def path(self, name: str) -> str:
        path = Path(super().path(name))
        folder = Path(self.location).resolve()
        # resolve() follows links: a link inside the folder to a file outside it is refused too.
        if path.resolve().parent != folder:
            raise SuspiciousFileOperation(f"{name!r} is not a file of the import folder")
        return str(path)


def import_storage() -> Storage:
    return storages[ALIAS]


def stored_name(batch: ImportBatch, suffix: str = "") -> str:
    """The name of a batch's upload (or of a file kept beside it) in the import storage."""
    name = batch.stored_name
    if not name or name in {".", ".."} or "/" in name or "\\" in name:
        raise SheetRefused(_("This import's file is not in the import folder."))
    return name + suffix


def stored_exists(name: str) -> bool:
    try:
        return import_storage().exists(name)
    except SuspiciousFileOperation as error:
        raise SheetRefused(_("This import's file is not in the import folder.")) from error


def stored_bytes(name: str) -> bytes:
    """A kept file's content; ``FileNotFoundError`` (an ``OSError``) when it is not there."""
    storage = import_storage()
    try:
        if not storage.exists(name):
            raise FileNotFoundError(name)
        with storage.open(name, "rb") as kept:
            return kept.read()
    except SuspiciousFileOperation as error:
        raise SheetRefused(_("This import's file is not in the import folder.")) from error
