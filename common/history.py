"""A record's history where ``Model.save()`` writes none: bulk inserts, updates, deletes and links.

simple-history's own bulk helpers write no history for many-to-many links and cannot write a
deletion; these helpers build the same rows its signal handlers would, in bulk. A save of a record
with its links is one history entry (``links_in_entry``): simple-history alone would write one row
for the fields and one more for each list of links changed.
"""

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.apps import apps
from django.db import models
from django.db.models import Max
from django.dispatch import Signal

BATCH = 500

# Sent after history rows are written in bulk, which sends none of simple-history's own signals:
# whatever keeps copies of the records (the dashboards' kept figures and cache) learns they
# changed. ``records``: the history rows written (or the records, in their new state);
# ``links``: the name of the many-to-many field whose links the rows hold, where those are what
# the rows record; ``changed``: the ids of the records whose links changed (None: any of them).
history_written_in_bulk = Signal()


def write_history(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    history_type: str,
    user,
    reason: str,
    date: dt.datetime,
) -> list[models.Model]:
    """One history row per object ("+" created, "~" changed, "-" deleted), saved in bulk."""
    historical = model.history.model
    rows = [
        historical(
            history_date=date,
            history_user=user,
            history_change_reason=reason,
            history_type=history_type,
            **{field.attname: getattr(obj, field.attname) for field in historical.tracked_fields},
        )
        for obj in objs
    ]
    written = historical.objects.bulk_create(rows, batch_size=BATCH)
    history_written_in_bulk.send(sender=model, records=written)
    return written


def m2m_history_model(model: type[models.Model], field_name: str) -> type[models.Model]:
    historical = model.history.model
    return historical._meta.get_field(f"{historical._meta.model_name}_{field_name}").related_model


def write_link_history(
    model: type[models.Model],
    field_name: str,
    history_rows: Iterable[models.Model],
    links: dict[int, list[tuple[int, int]]],
    changed: Iterable[int] | None = None,
) -> None:
    """Snapshot an object's links (through id, target id) under each of its new history rows;
    ``changed``: the objects whose links these rows changed, where the caller knows them."""
    field = model._meta.get_field(field_name)
    source_attname = field.m2m_column_name()
    target_attname = field.m2m_reverse_name()
    snapshot_model = m2m_history_model(model, field_name)
    rows = [
        snapshot_model(
            history=history_row,
            id=through_id,
            **{source_attname: history_row.id, target_attname: target_id},
        )
        for history_row in history_rows
        for through_id, target_id in links.get(history_row.id, [])
    ]
    snapshot_model.objects.bulk_create(rows, batch_size=BATCH)
    history_written_in_bulk.send(
        sender=model,
        records=list(history_rows),
        links=field_name,
        changed=None if changed is None else frozenset(changed),
    )


def chunks(items: Sequence, size: int = 900) -> Iterable[Sequence]:
    """Slices small enough for an ``IN (…)`` on any database."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def has_link_history(model: type[models.Model]) -> bool:
    """Whether the model's history records its many-to-many links beside its fields."""
    history = getattr(model, "history", None)
    return bool(history is not None and history.model._history_m2m_fields)


def record_links(obj: models.Model, row: models.Model) -> None:
    """Make history row ``row`` of ``obj`` hold its links as they are now, in place of any
    it held: the links saved with the fields go into the same entry."""
    model = type(obj)
    for field in row._history_m2m_fields:
        m2m_history_model(model, field.name).objects.filter(history=row).delete()
        links = field.remote_field.through.objects.filter(**{field.m2m_field_name(): obj.pk})
        pairs = list(links.values_list("pk", field.m2m_reverse_field_name()))
        # The links as they are: each change of them was signalled as it was made (Django's
        # m2m_changed), so this snapshot changes none.
        write_link_history(model, field.name, [row], {obj.pk: pairs}, changed=())


@contextmanager
def links_in_entry(obj: models.Model, version: int) -> Iterator[None]:
    """Links of ``obj`` set inside are recorded in its history row ``version`` (the one its save
    just wrote), not one row more for each list of links: a save is one entry."""
    # simple-history writes no row on a link change of an object that carries this mark.
    obj.skip_history_when_saving = True
    try:
        yield
    finally:
        del obj.skip_history_when_saving
    record_links(obj, type(obj).history.get(history_id=version))


def links_as_of(row: models.Model) -> dict[str, list]:
    """The ids each list of links held at history row ``row``, by field name."""
    links = {}
    for field in row._history_m2m_fields:
        snapshot = getattr(row, field.name)
        target = snapshot.model._meta.get_field(field.m2m_reverse_field_name()).attname
        links[field.name] = list(snapshot.values_list(target, flat=True))
    return links


def history_version(*, leaving_out: Iterable[type[models.Model]] = ()) -> dict[str, int]:
    """The newest history row of every kind of record with history, by model label.

    Every write through the product's doors leaves a history row (a deletion too), so an equal
    version means that no record has changed in between: what was worked out from the records
    then still holds. One query per kind of record, each on the primary key's index.
    """
    left_out = set(leaving_out)
    return {
        model._meta.label: model.history.aggregate(newest=Max("history_id"))["newest"] or 0
        for model in apps.get_models()
        if getattr(model._meta, "simple_history_manager_attribute", None) == "history"
        and model not in left_out
    }
