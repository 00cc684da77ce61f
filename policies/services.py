"""Writes of the policies app: each saves its record with history (user, reason)."""

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction

from common.services import record_save
from policies.models import Alignment, Indicator, IndicatorValue


@transaction.atomic
def source_record_load(*, obj: models.Model, links: dict[str, list], reason: str) -> None:
    """Save one record of a source fixture, validated first, and set its links (one history
    row each, with the fixture named as the reason)."""
    obj.full_clean(validate_unique=True)
    obj._change_reason = reason
    obj.save()
    for field_name, values in links.items():
        if values:
            getattr(obj, field_name).set(values)


def alignment_create(
    *, alignment: Alignment, user: AbstractBaseUser | None, reason: str
) -> Alignment:
    """Insert an alignment of two goals, its history row naming ``user`` and ``reason``."""
    return record_save(alignment, user=user, reason=reason)


@transaction.atomic
def indicator_create(
    *,
    indicator: Indicator,
    values: list[IndicatorValue],
    user: AbstractBaseUser | None,
    reason: str,
) -> Indicator:
    """Insert an indicator and its yearly targets and actuals (``values``, built for it), each
    with a history row naming ``user`` and ``reason``."""
    record_save(indicator, user=user, reason=reason)
    for value in values:
        value.indicator = indicator
        record_save(value, user=user, reason=reason)
    return indicator


@transaction.atomic
def indicator_actual_record(
    *,
    indicator: Indicator,
    fiscal_year: int,
    actual: Decimal,
    user: AbstractBaseUser | None,
    reason: str,
) -> IndicatorValue:
    """Write an indicator's actual for a fiscal year (an approved figure), keeping its target;
    the year's row is created where the indicator had none."""
    value = (
        IndicatorValue.objects.select_for_update()
        .filter(indicator=indicator, fiscal_year=fiscal_year)
        .first()
    ) or IndicatorValue(indicator=indicator, fiscal_year=fiscal_year)
    value.actual = actual.quantize(Decimal("0.01"))
    return record_save(value, user=user, reason=reason)


@transaction.atomic
def indicator_target_record(
    *,
    indicator: Indicator,
    fiscal_year: int,
    target: Decimal,
    user: AbstractBaseUser | None,
    reason: str,
) -> IndicatorValue:
    """Write an indicator's target for a fiscal year, keeping its actual; the year's row is
    created where the indicator had none. A year with a target owes its actual in the
    reporting cycle that closes the year."""
    value = (
        IndicatorValue.objects.select_for_update()
        .filter(indicator=indicator, fiscal_year=fiscal_year)
        .first()
    ) or IndicatorValue(indicator=indicator, fiscal_year=fiscal_year)
    value.target = target.quantize(Decimal("0.01"))
    return record_save(value, user=user, reason=reason)
