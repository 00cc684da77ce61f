from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction


@contextmanager
def refused_by_database(rule: str | None = None) -> Iterator[None]:
    """The write inside is refused by the database itself (by the named rule's trigger, if any)."""
    with pytest.raises(IntegrityError, match=rule), transaction.atomic():
        yield
