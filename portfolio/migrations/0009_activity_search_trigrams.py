"""Trigram indexes for the admin's search of activities, on PostgreSQL only.

The admin searches ``external_ref``, ``title``, ``city`` and ``description`` with Django's
``icontains``, which PostgreSQL runs as ``UPPER(col::text) LIKE UPPER('%term%')``: without an
index, a scan of every activity. A GIN index of ``pg_trgm``'s trigrams on that same expression
serves it for any term of three characters or more, Japanese included (the database's character
classes, ``C.UTF-8`` or any UTF-8 locale, count kana and kanji as letters), and the rows it
finds are checked against the term, so the answer is the same as without it.

On SQLite (development, the SQLite test run) this migration does nothing and the search scans.
``CREATE EXTENSION pg_trgm`` needs the right to create in the database (pg_trgm is a trusted
extension: the database's owner has it) unless an administrator created the extension before.
The indexes are not in the model's state (``Meta.indexes`` cannot hold an index SQLite cannot
build), so ``makemigrations`` neither sees nor drops them.
"""

from django.db import migrations

COLUMNS = ["external_ref", "title", "city", "description"]


def index_name(column: str) -> str:
    return f"portfolio_act_{column}_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {index_name(column)} ON portfolio_activity "
            f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index_name(column)}")


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0008_admin_list_indexes"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
