import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction

# The settings a run of the suite may take from its environment that a test of the defaults, in a
# process of its own, must not inherit: the tests' own and a deployment's (.ci/run runs the suite
# once with Redis as cache and task queue).
RUN_SETTINGS = ("DJANGO_", "DATABASE_", "REDIS_", "TASKS_", "STORAGE_")


@contextmanager
def refused_by_database(rule: str | None = None) -> Iterator[None]:
    """The write inside is refused by the database itself (by the named rule's trigger, if any)."""
    with pytest.raises(IntegrityError, match=rule), transaction.atomic():
        yield


def download_table(content: bytes | str) -> str:
    """A dashboard download's table, header first: the text after the filters it starts with
    (one ``# …`` line each, then a blank line)."""
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    notes, blank, table = text.partition("\r\n\r\n")
    lines = list(csv.reader(io.StringIO(notes)))
    assert blank and all(len(cells) == 1 and cells[0].startswith("# ") for cells in lines), text
    return table
