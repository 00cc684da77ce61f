"""Writes of the units app: each saves its record with history (user, reason)."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from common.services import record_save
from imports.mapping import Mapping, signature
from units.models import Institution, Person, SheetMapping, Unit, UserScope


@transaction.atomic
def sheet_mapping_save(
    *, user, institution_id: int, kind: str, headers: list[str], mapping: Mapping, reason: str
) -> SheetMapping:
    """Save (or replace, under the same name) an institution's mapping of a sheet's columns."""
    saved = (
        SheetMapping.objects.select_for_update()
        .filter(institution_id=institution_id, kind=kind, name=mapping.name)
        .first()
    ) or SheetMapping(institution_id=institution_id, kind=kind, name=mapping.name)
    saved.signature = signature(headers)
    saved.headers = list(headers)
    saved.columns = mapping.columns
    saved.values = mapping.values
    return record_save(saved, user=user, reason=reason)


def unit_create(*, unit: Unit, user: AbstractBaseUser | None, reason: str) -> Unit:
    """Insert a unit, its history row naming ``user`` and ``reason``."""
    return record_save(unit, user=user, reason=reason)


def person_create(*, person: Person, user: AbstractBaseUser | None, reason: str) -> Person:
    """Insert a person, its history row naming ``user`` and ``reason``."""
    return record_save(person, user=user, reason=reason)


def person_login_link(
    *, person: Person, login: AbstractBaseUser | None, user: AbstractBaseUser | None, reason: str
) -> Person:
    """Name ``login`` as the person's login (None: they have none), so that what the person owns
    (an initiative's reports) is owed by that login; the history row names ``user`` and
    ``reason``."""
    person.user = login
    return record_save(person, user=user, reason=reason)


@transaction.atomic
def user_scope_create(
    *,
    scope: UserScope,
    institutions: Iterable[Institution],
    units: Iterable[Unit],
    user: AbstractBaseUser | None,
    reason: str,
) -> UserScope:
    """Insert a login's scope and what it reaches; the links' history rows carry the same user
    and reason as the scope's own."""
    record_save(scope, user=user, reason=reason)
    scope.institutions.set(institutions)
    scope.units.set(units)
    return scope
