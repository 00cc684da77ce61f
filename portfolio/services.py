"""Writes of the portfolio that carry an audit reason or touch several rows."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from common.history import history_written_in_bulk
from common.services import record_save
from policies.models import Goal
from portfolio.models import (
    Activity,
    Agreement,
    Initiative,
    Milestone,
    PartnerInstitution,
    ProgressUpdate,
)


@transaction.atomic
def activities_create(
    *, activities: list[Activity], user: AbstractBaseUser | None, reason: str
) -> list[Activity]:
    """Insert activities in bulk, each with its fiscal year and a history row."""
    for activity in activities:
        activity.fiscal_year = Activity.fiscal_year_of_start(activity.start_date)
    created = bulk_create_with_history(
        activities, Activity, batch_size=500, default_user=user, default_change_reason=reason
    )
    history_written_in_bulk.send(sender=Activity, records=created)
    return created


def partner_create(
    *, partner: PartnerInstitution, user: AbstractBaseUser | None, reason: str
) -> PartnerInstitution:
    """Insert a partner institution, its history row naming ``user`` and ``reason``."""
    return record_save(partner, user=user, reason=reason)


@transaction.atomic
def initiative_create(
    *,
    initiative: Initiative,
    goals: Iterable[Goal],
    partners: Iterable[PartnerInstitution],
    user: AbstractBaseUser | None,
    reason: str,
) -> Initiative:
    """Insert an initiative with the goals it pursues and its partners; the links' history rows
    carry the same user and reason as the initiative's own."""
    record_save(initiative, user=user, reason=reason)
    initiative.goals.set(goals)
    initiative.partners.set(partners)
    return initiative


def agreement_create(
    *, agreement: Agreement, user: AbstractBaseUser | None, reason: str
) -> Agreement:
    """Insert an agreement with a partner, its history row naming ``user`` and ``reason``."""
    return record_save(agreement, user=user, reason=reason)


def progress_update_create(
    *, update: ProgressUpdate, user: AbstractBaseUser | None, reason: str
) -> ProgressUpdate:
    """Insert an initiative's progress update, its history row naming ``user`` and ``reason``."""
    return record_save(update, user=user, reason=reason)


@transaction.atomic
def progress_update_publish(
    *,
    initiative: Initiative,
    fiscal_year: int,
    quarter: int,
    health: str,
    narrative: str,
    narrative_ja: str,
    user: AbstractBaseUser | None,
    reason: str,
) -> ProgressUpdate:
    """The initiative's update for a quarter, written or rewritten from an approved report: one
    update per initiative, year and quarter, whichever report published it last."""
    update = (
        ProgressUpdate.objects.select_for_update()
        .filter(initiative=initiative, fiscal_year=fiscal_year, quarter=quarter)
        .first()
    ) or ProgressUpdate(initiative=initiative, fiscal_year=fiscal_year, quarter=quarter)
    update.health, update.narrative, update.narrative_ja = health, narrative, narrative_ja
    update.author = update.author or user
    return record_save(update, user=user, reason=reason)


def milestones_done(
    *, milestones: Iterable[Milestone], user: AbstractBaseUser | None, reason: str
) -> list[Milestone]:
    """Mark milestones done (an approved report said so); those already done are left as they
    are, with no history row more."""
    marked = []
    for milestone in milestones:
        if not milestone.done:
            milestone.done = True
            marked.append(record_save(milestone, user=user, reason=reason))
    return marked
