"""The kept figures' writes: slices marked stale by the writes of records, and rebuilt.

The dashboards read their activity figures from ``ActivityFigure``, ``TypeFigure``,
``PartnerFigure`` and ``UnitFigure`` (``figures``), kept per goal or unit, fiscal year and
what the filters narrow by. They are kept in slices: one institution's fiscal year, the
institution being an activity's initiative's (its unit's where it has none), so that every
activity lies in exactly one slice.

- **Marked**: every write of a record leaves a history row (one at a time, or in bulk); the
  slices it may change get their ``version`` raised in the writer's own transaction
  (``history_written``). A changed activity marks the slices of its new and its earlier states;
  an initiative, those of its activities (its status and goals are theirs); a goal, a framework
  or a unit, every slice of its institution.
- **Rebuilt**: once the write commits, the stale slices are counted again from the records
  (``refresh``), in a fixed number of statements however many slices are stale. A page about to
  read figures first rebuilds whatever is still stale (a rebuild that failed, a write whose
  process died after committing), so a figure read always equals the records.

A rebuild locks its slices' rows, so two never interleave; a write that marks a slice while it
is rebuilt waits for the rebuild to commit, and leaves it stale again.
"""

import logging
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, pre_save
from django.utils import timezone
from simple_history.signals import post_create_historical_record

from common.history import chunks, history_written_in_bulk
from policies.models import Framework, Goal
from portfolio.dashboards import figures
from portfolio.models import (
    Activity,
    ActivityFigure,
    FigureSlice,
    Initiative,
    PartnerFigure,
    TypeFigure,
    UnitFigure,
)
from units.models import Unit

log = logging.getLogger(__name__)

Slice = tuple[int, int]  # (institution id, fiscal year)


# --- Marking -------------------------------------------------------------------------------------


def mark(slices: Iterable[Slice]) -> int:
    """Raise the version of each slice (made where it is new): they are stale until rebuilt.
    How many slices were marked."""
    wanted = sorted({(i, y) for i, y in slices if i is not None and y is not None})
    if not wanted:
        return 0
    for part in chunks(wanted, 300):
        existing = FigureSlice.objects.filter(figures.slices_q(part))
        have = set(existing.values_list("institution_id", "fiscal_year"))
        existing.update(version=F("version") + 1)
        new = [
            FigureSlice(institution_id=i, fiscal_year=y, version=1, built_version=0)
            for i, y in part
            if (i, y) not in have
        ]
        # Made meanwhile by another writer: that one is stale too.
        FigureSlice.objects.bulk_create(new, ignore_conflicts=True)
    transaction.on_commit(refresh_quietly)
    return len(wanted)


def mark_institutions(institution_ids: Iterable[int]) -> None:
    """Every slice of the institutions is stale (their goal trees or units changed)."""
    ids = {i for i in institution_ids if i is not None}
    if ids:
        years = FigureSlice.objects.filter(institution_id__in=ids).values_list(
            "institution_id", "fiscal_year"
        )
        mark(list(years))


def mark_everything() -> int:
    """Every slice that holds an activity is stale (rows written past the product); how many."""
    return mark(figures.slices_of_activities(Activity.objects.all()))


def owners(states: Iterable[tuple[int | None, int | None, int]]) -> set[Slice]:
    """The slices of activities given as (unit id, initiative id, fiscal year)."""
    states = set(states)
    initiative_ids = {i for _u, i, _y in states if i is not None}
    unit_ids = {u for u, i, _y in states if i is None and u is not None}
    of_initiative = dict(
        Initiative.objects.filter(pk__in=initiative_ids).values_list("pk", "institution_id")
    )
    of_unit = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "institution_id"))
    slices = set()
    for unit, initiative, year in states:
        owner = of_initiative.get(initiative) if initiative is not None else of_unit.get(unit)
        slices.add((owner, year))
    return slices


def activity_states(ids: list[int], new: Iterable) -> set[Slice]:
    """The slices of activities' new states and of every state their history holds."""
    states = {(a.unit_id, a.initiative_id, a.fiscal_year) for a in new}
    for part in chunks(ids):
        states |= set(
            Activity.history.filter(id__in=part)
            .values_list("unit_id", "initiative_id", "fiscal_year")
            .distinct()
        )
    return owners(states)


# What the kept figures hold of an initiative: its activities are counted under its status and
# its institution (its goals are links, marked by ``links_changed``).
COUNTED_INITIATIVE_FIELDS = ("status", "institution_id")


def counted_differently(records: list) -> list[int]:
    """The initiatives whose figures the writes may change: every one written but those whose
    change (a history row of type ``~``) left their status and institution as they were, such as
    a new title, a health or a description, so that an edit of those rebuilds nothing."""
    changed = [r for r in records if getattr(r, "history_type", None) == "~"]
    ids = {r.id for r in records} - {r.id for r in changed}
    history_ids = {r.history_id for r in changed}
    earlier: dict[int, tuple] = {}
    for part in chunks(sorted({r.id for r in changed})):
        rows = (
            Initiative.history.filter(id__in=part)
            .exclude(history_id__in=history_ids)
            .order_by("id", "history_date", "history_id")
            .values_list("id", "history_date", *COUNTED_INITIATIVE_FIELDS)
        )
        for row in rows:
            earlier.setdefault(row[0], []).append(row)
    for record in changed:
        before = [row[2:] for row in earlier.get(record.id, []) if row[1] <= record.history_date]
        now = tuple(getattr(record, f) for f in COUNTED_INITIATIVE_FIELDS)
        if not before or before[-1] != now:
            ids.add(record.id)
    return sorted(ids)


def initiatives_touched(ids: list[int]) -> set[Slice]:
    """The slices of the initiatives' activities, under each institution they have belonged to."""
    slices: set[Slice] = set()
    for part in chunks(ids):
        years = set(
            Activity.objects.filter(initiative_id__in=part)
            .values_list("fiscal_year", flat=True)
            .distinct()
        )
        institutions = set(
            Initiative.history.filter(id__in=part).values_list("institution_id", flat=True)
        ) | set(Initiative.objects.filter(pk__in=part).values_list("institution_id", flat=True))
        slices |= {(i, y) for i in institutions for y in years}
    return slices


def institutions_of(model: type, records: list) -> set[int]:
    """The institutions whose goal trees or units the records are part of."""
    ids = [r.id for r in records]
    if model is Goal:
        frameworks = {r.framework_id for r in records}
    elif model is Framework:
        frameworks = set(ids)
    else:  # a unit: every institution it has belonged to
        return {r.institution_id for r in records} | set(
            Unit.history.filter(id__in=ids).values_list("institution_id", flat=True)
        )
    return set(Framework.objects.filter(pk__in=frameworks).values_list("institution_id", flat=True))


def records_written(model: type, records: list, *, links: str | None = None) -> None:
    """Mark what the written records (their new states, or their history rows) may change;
    ``links``: the rows are history rows that now hold the records' links of that field."""
    if not records:
        return
    model = getattr(model, "instance_type", model)
    ids = [r.id for r in records]
    if model is Activity:
        mark(activity_states(ids, records))
    elif model is Initiative:
        if links is None:
            mark(initiatives_touched(counted_differently(records)))
        elif links == "goals":  # (its partners and contributing units are in no figure)
            mark(initiatives_touched(ids))
    elif model in (Goal, Framework, Unit):
        mark_institutions(institutions_of(model, records))
        if model is Unit:
            mark(figures.slices_of_activities(Activity.objects.filter(unit_id__in=ids)))


def initiative_to_be_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    """Note what the figures count of an initiative as it is stored, before a save changes it."""
    if instance.pk is not None and not raw:
        instance._counted_before = (
            Initiative.objects.filter(pk=instance.pk)
            .values_list(*COUNTED_INITIATIVE_FIELDS)
            .first()
        )


def history_written(sender, history_instance, instance=None, **kwargs) -> None:
    before = getattr(instance, "_counted_before", None)
    if isinstance(instance, Initiative) and history_instance.history_type == "~" and before:
        # A save through the ORM: compared with the row it replaced, history or not.
        if before != tuple(getattr(instance, f) for f in COUNTED_INITIATIVE_FIELDS):
            mark(initiatives_touched([instance.pk]))
        return
    records_written(history_instance.instance_type, [history_instance])


def written_in_bulk(sender, records=(), links=None, changed=None, **kwargs) -> None:
    """History rows written in bulk; where they hold links, only those of the records in
    ``changed`` changed (all of them, where it is None)."""
    records = [r for r in records if changed is None or r.id in changed]
    records_written(sender, records, links=links)


def links_changed(sender, instance, action: str, reverse: bool, pk_set=None, **kwargs) -> None:
    """An initiative's goals, a goal's realisations: figures of its goals' subtrees change.

    (Their history rows mark the same, where the links' history is kept; a link set without
    history still changes the figures.)"""
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if sender is Initiative.goals.through:
        ids = list(pk_set or []) if reverse else [instance.pk]
        if reverse and action == "post_clear":
            ids = []
        mark(initiatives_touched(ids))
    else:
        mark_institutions([instance.framework.institution_id])


pre_save.connect(initiative_to_be_saved, sender=Initiative, dispatch_uid="figures_initiative")
post_create_historical_record.connect(history_written, dispatch_uid="figures_history")
history_written_in_bulk.connect(written_in_bulk, dispatch_uid="figures_bulk_history")
for through in (Initiative.goals.through, Goal.realises.through):
    m2m_changed.connect(links_changed, sender=through, dispatch_uid=f"figures_{through.__name__}")


# --- Rebuilding ----------------------------------------------------------------------------------


def stale() -> list[Slice]:
    return list(
        FigureSlice.objects.filter(version__gt=F("built_version"))
        .order_by("pk")
        .values_list("institution_id", "fiscal_year")
    )


def refresh() -> int:
    """Count the stale slices again from the records; how many there were."""
    if not stale():
        return 0
    with transaction.atomic():
        # Locked in one order by every rebuild; where another rebuild held them, it has built
        # them by the time the lock is granted.
        locked = list(
            FigureSlice.objects.select_for_update()
            .filter(version__gt=F("built_version"))
            .order_by("pk")
            .values_list("pk", "institution_id", "fiscal_year", "version")
        )
        if not locked:
            return 0
        slices = [(institution, year) for _pk, institution, year, _v in locked]
        where = figures.slices_q(slices, institution="owner_id")
        ActivityFigure.objects.filter(where).delete()
        PartnerFigure.objects.filter(where).delete()
        TypeFigure.objects.filter(where).delete()
        UnitFigure.objects.filter(where).delete()
        with connection.cursor() as cursor:
            for sql, params in figures.build_statements(slices):
                cursor.execute(sql, params)
        # The rows are locked: no write raised a version since they were read.
        FigureSlice.objects.filter(pk__in=[row[0] for row in locked]).update(
            built_version=F("version"), built_at=timezone.now()
        )
    return len(locked)


def refresh_quietly() -> None:
    """Rebuild once a write has committed; a failure leaves the slices stale for the next read
    (which rebuilds them) instead of failing a write that is already saved."""
    try:
        refresh()
    except Exception:
        log.exception("Kept figures not rebuilt after a write; the next page read rebuilds them")


def ensure_fresh() -> None:
    """Before figures are read: rebuild what is stale (one query where nothing is)."""
    if connection.in_atomic_block and connection.needs_rollback:
        return
    refresh()
