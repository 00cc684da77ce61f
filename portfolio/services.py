"""Writes of the portfolio that carry an audit reason or touch several rows."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from common.fiscal import fiscal_year_of
from common.history import history_written_in_bulk
from policies.models import Goal
from portfolio.models import Activity, Initiative


@transaction.atomic
def initiative_set_goals(
    *, initiative: Initiative, goals: Iterable[Goal], user: AbstractBaseUser | None, reason: str
) -> None:
    """Replace the goals an initiative pursues; the history row names the user and the reason."""
    initiative._change_reason = reason
    initiative._history_user = user
    initiative.goals.set(goals)


@transaction.atomic
def activities_create(
    *, activities: list[Activity], user: AbstractBaseUser | None, reason: str
) -> list[Activity]:
    """Insert activities in bulk, each with its fiscal year and a history row."""
    for activity in activities:
        activity.fiscal_year = fiscal_year_of(activity.start_date)
    created = bulk_create_with_history(
        activities, Activity, batch_size=500, default_user=user, default_change_reason=reason
    )
    history_written_in_bulk.send(sender=Activity)
    return created
