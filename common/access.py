"""What a user may reach: every record, the records of some institutions, or of some units.

A model says how its records reach an institution and a unit with a ``Reach`` (paths through its
foreign keys); ``Access.visible`` and ``Access.editable`` turn the two into filters, and
``Access.may_edit`` checks one unsaved record. Who has which ``Access`` is ``units.access``'s
business. ``readable_history`` is the one door to history rows that a reader sees: only rows of
records in reach, and an author (with their reason) named only to readers who share an
institution with them.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.query import ModelIterable
from django.utils.translation import gettext as _

from common.roles import ADMINISTRATOR

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
    # ``id`` itself, never ``pk``: a history row's pk is its own (history_id), its ``id`` the
    # record's.
    return getattr(obj, "id" if last == "id" else f"{last}_id", None)


EVERYTHING = Access(everything=True)
NO_ACCESS = Access(everything=False)

_resolver: Callable[[object], Access] | None = None


def set_access_resolver(resolver: Callable[[object], Access], *, authors: Reach) -> None:
    """Name the function that tells a user's access, and how a user, as the author of a change,
    belongs to institutions (the app that keeps users' scopes does, when it starts)."""
    global _resolver, _authors
    _resolver, _authors = resolver, authors


def access_for(user) -> Access:
    """What ``user`` may reach; nothing at all until a resolver is set."""
    return _resolver(user) if _resolver is not None else NO_ACCESS


def reach_of(model: type[models.Model]) -> Reach:
    """How a model's records belong to institutions and units; shared where it does not say."""
    return getattr(model, "reach", SHARED)


SHARED = Reach()


# How a user, as the author of a change, belongs to institutions: as the resolver of access says
# (``set_access_resolver``); until it is set, to none.
_authors: Reach | None = None


def readable_history(access: Access, history: QuerySet) -> QuerySet:
    """The rows of a history the reader may read; every list of history goes through here.

    Rows are those of records within the reader's reach. Shared records (partners, people,
    regions) and records of two institutions (alignments) are changed by users of other
    institutions too: a row whose author shares none of the reader's institutions (and is no
    administrator, who acts for all of them) comes out without its author and its reason, its
    author a stand-in named "a user of another institution". The author is decided in the same
    query (an EXISTS), so a list costs no query more, and the rows are stripped as they are read,
    so that no page, paginator or template showing them can forget to. A reader who reaches
    everything reads every row as it is.
    """
    rows = history.filter(access.visible(reach_of(history.model.instance_type)))
    if access.everything:
        return rows
    colleagues = (
        get_user_model()
        ._default_manager.filter(pk=OuterRef("history_user_id"))
        .filter(
            Q(is_superuser=True)
            | Q(groups__name=ADMINISTRATOR)
            | (access.visible(_authors) if _authors is not None else Q(pk__in=[]))
        )
    )
    rows = rows.annotate(author_shown=Exists(colleagues))
    rows._iterable_class = AuthorsOfOtherInstitutionsHidden
    return rows


class AuthorsOfOtherInstitutionsHidden(ModelIterable):
    """History rows as ``readable_history`` hands them out: strangers' names and reasons gone."""

    def __iter__(self) -> Iterator[models.Model]:
        for row in super().__iter__():
            if row.history_user_id is not None and not row.author_shown:
                # Unsaved, so it links nowhere; every page prints it where the author would be.
                row.history_user = get_user_model()(username=_("a user of another institution"))
                row.history_change_reason = ""
            yield row
