"""Writes of the portfolio that carry an audit reason or touch several rows."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from common.history import history_written_in_bulk
from portfolio.models import Activity


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
    history_written_in_bulk.send(sender=Activity)
    return created
