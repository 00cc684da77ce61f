"""Hostile uploads to the served product: refused on the page, and no server worker lost.

The product runs as `make serve` runs it (DEBUG off, a secret key, the static files collected,
gunicorn with two workers on a free port of 127.0.0.1, plain HTTP as on a laptop), on a SQLite
database of its own in a temporary data directory. A superuser made by `manage.py
createsuperuser` signs in through the admin's login form and uploads every file of the small
hostile catalogue through the import form (``bench/hostile.py``, ``serve_and_upload``). Each
answer must be the form again (200) with a refusal naming what is wrong, never a 500, a 502 or
a dropped connection; a file of ``IMPORT_BACKGROUND_BYTES`` or more goes to the background
worker (``manage.py db_worker``, run beside the server), and its batch's page must say so once
the worker has read it. The gunicorn workers and the background worker must be the same
processes after every upload; and nothing may be kept of a refused file. The benign files must
reach their preview.

The server's database is a copy of this test session's database, which pytest-django migrated
(so the test does not spend a minute migrating again); `make serve` migrates it as well, which
finds nothing left to do. Where the tests run on PostgreSQL, a fresh SQLite file is migrated.
"""

import sqlite3
from pathlib import Path

import pytest
from django.db import connection

from bench.hostile import serve_and_upload, shorten
from bench.hostile_files import benign, catalogue

# The uploads stop after this long (each failing one may wait for its answer up to 30 s).
UPLOAD_SECONDS = 240


def migrated_database(path: Path) -> Path | None:
    """A copy of the session's migrated test database, where it is SQLite."""
    if connection.vendor != "sqlite":
        return None
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    try:
        connection.connection.backup(copy)
    finally:
        copy.close()
    return path


# The mark makes pytest-django migrate the test database, which the server starts from. Outside
# a transaction (a backup waits for the test's transaction to end), and the test writes nothing.
@pytest.mark.django_db(transaction=True)
def test_every_hostile_upload_is_refused_on_the_page_and_no_worker_dies(tmp_path):
    database = migrated_database(tmp_path / "migrated.sqlite3")
    uploads, problems = serve_and_upload(
        catalogue(small=True), benign(), tmp_path / "data", database, seconds=UPLOAD_SECONDS
    )
    failures = [
        f"{upload.sample.name}: {'; '.join(upload.failures)} "
        f"(answered {upload.status}: {shorten(upload.message, 160)})"
        for upload in uploads
        if upload.failures
    ]
    assert len(uploads) == len(catalogue(small=True)) + len(benign())
    assert not failures and not problems, "\n".join(failures + problems)
