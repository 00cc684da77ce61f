"""Writes of the disclosure app: the computed actuals of the indicators adopted from the library.

They go through ``common.services.record_save``, so each change leaves a history row (the user,
if any, and the reason, which says how the figure was counted) and the caches learn of it.
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from common.services import record_save
from disclosure.computed import computed_counts
from policies.models import Computation, Indicator, IndicatorValue

CENT = Decimal("0.01")


@transaction.atomic
def computed_refresh(
    *, institution_ids: Iterable[int] | None = None, user: AbstractBaseUser | None = None
) -> int:
    """Write each computed indicator's actual for every year its records (or its own rows)
    reach, except where the office overrode it with a reason. How many actuals changed."""
    adopted = Indicator.objects.exclude(library__computation="").filter(library__isnull=False)
    if institution_ids is not None:
        adopted = adopted.filter(goal__framework__institution_id__in=list(institution_ids))
    adopted = list(adopted.select_related("library", "goal__framework"))
    if not adopted:
        return 0
    by_computation: dict[str, list[Indicator]] = defaultdict(list)
    for indicator in adopted:
        by_computation[indicator.library.computation].append(indicator)
    values = {
        (value.indicator_id, value.fiscal_year): value
        for value in IndicatorValue.objects.select_for_update().filter(indicator__in=adopted)
    }
    changed = 0
    for computation, indicators in by_computation.items():
        institutions = {indicator.goal.framework.institution_id for indicator in indicators}
        counts = computed_counts(computation, institutions)
        absent = None if computation == Computation.INTERNATIONAL_STUDENT_RATIO else Decimal(0)
        for indicator in indicators:
            institution = indicator.goal.framework.institution_id
            years = {year for owner, year in counts if owner == institution}
            years |= {year for pk, year in values if pk == indicator.pk}
            for year in sorted(years):
                value = values.get((indicator.pk, year)) or IndicatorValue(
                    indicator=indicator, fiscal_year=year
                )
                if value.override_reason.strip():
                    continue
                count = counts.get((institution, year))
                actual = count.value.quantize(CENT) if count else absent
                if value.pk is not None and value.actual == actual:
                    continue
                if value.pk is None and actual is None:
                    continue
                value.actual = actual
                how = count.how if count else _("no records count towards it")
                record_save(value, user=user, reason=_("Computed by the product: %s") % how)
                changed += 1
    return changed
