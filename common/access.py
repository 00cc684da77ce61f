"""What a user may reach: every record, the records of some institutions, or of some units.

A model says how its records reach an institution and a unit with a ``Reach`` (paths through its
foreign keys); ``Access.visible`` and ``Access.editable`` turn the two into filters, and
``Access.may_edit`` checks one unsaved record. Who has which ``Access`` is ``units.access``'s
business; this module knows nothing of users.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Q

NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Reach:
    """Paths from a model to the institution and to the unit its records belong to.

    ``institution``: paths to an institution id (any one matching is enough); empty for records
    every institution shares (regions, partner institutions). ``unit``: paths to the unit whose
    unit editors may edit the record; empty where unit editors may not edit it.
    """

    institution: tuple[str, ...] = ()
    unit: tuple[str, ...] = ()

    @property
    def shared(self) -> bool:
        return not self.institution


@dataclass(frozen=True)
class Access:
    everything: bool
    institution_ids: frozenset[int] = frozenset()
    unit_ids: frozenset[int] | None = None  # a unit editor's units; None: whole institutions

    def visible(self, reach: Reach) -> Q:
        if self.everything or reach.shared:
            return Q()
        return any_of(reach.institution, self.institution_ids)

    def editable(self, reach: Reach) -> Q:
        if self.unit_ids is None:
            return self.visible(reach)
        if not reach.unit:
            return NOTHING
        return any_of(reach.unit, self.unit_ids)

    def may_edit(self, reach: Reach, obj: models.Model) -> bool:
        """Whether ``obj``, as it would be saved, lies within what this user edits."""
        if self.everything:
            return True
        if self.unit_ids is None:
            return reach.shared or any(
                value_at(obj, path) in self.institution_ids for path in reach.institution
            )
        return any(value_at(obj, path) in self.unit_ids for path in reach.unit)

    def cache_key(self) -> str:
        if self.everything:
            return "all"
        units = "*" if self.unit_ids is None else ",".join(map(str, sorted(self.unit_ids)))
        return f"{','.join(map(str, sorted(self.institution_ids)))}/{units}"


def any_of(paths: tuple[str, ...], ids: frozenset[int]) -> Q:
    return reduce(or_, (Q(**{f"{path}__in": ids}) for path in paths))


def value_at(obj: models.Model, path: str) -> object:
    """The id at the end of a ``a__b__c`` path, following foreign keys of an unsaved object."""
    *hops, last = path.split("__")
    for hop in hops:
        obj = getattr(obj, hop, None)
        if obj is None:
            return None
    return getattr(obj, "pk" if last == "id" else f"{last}_id", None)


EVERYTHING = Access(everything=True)
NO_ACCESS = Access(everything=False)

_resolver: Callable[[object], Access] | None = None


def set_access_resolver(resolver: Callable[[object], Access]) -> None:
    """Name the function that tells a user's access (the ``units`` app does, when it starts)."""
    global _resolver
    _resolver = resolver


def access_for(user) -> Access:
    """What ``user`` may reach; nothing at all until a resolver is set."""
    return _resolver(user) if _resolver is not None else NO_ACCESS


def reach_of(model: type[models.Model]) -> Reach:
    """How a model's records belong to institutions and units; shared where it does not say."""
    return getattr(model, "reach", SHARED)


SHARED = Reach()
