"""The figures of a reporting cycle by spreadsheet: the indicator-values sheet, marked as a
cycle's, through the same review (see imports.engine).

A steward downloads what the open cycles still owe, fills in the actuals and uploads the sheet
back. Each row names an indicator as the indicator-values sheet does (framework, goal,
indicator) and the cycle it is owed in; confirming submits each figure for review in the
steward's name, as ``figure_submit`` would, and a reviewer approves or returns it as any other.
The sheet only submits what is owed: it creates no figure report, and a row naming a closed
cycle, an indicator the cycle does not owe, or a figure already submitted or approved fails.

A cycle is named by its institution's code, its fiscal year and its period: ``KU FY2025 Q4`` (as
the export writes it), ``KU 2025 q4``, ``KU 2025年度 第4四半期`` or ``KU FY2025 Whole year``; the
period by its code (``q4``, ``h2``, ``year``) or its label in English or Japanese, with or
without the months in brackets.
"""

import re
from collections.abc import Hashable
from functools import cache

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.access import reach_of
from common.messages import message, message_of
from common.parsing import parse_decimal, plain_text, text
from common.text import code_key
from imports.engine import CodeList, Column, Lookup, Parsed, RowErrors
from imports.engine import register as register_kind
from policies.sheets import INDICATOR_COLUMNS, NamesIndicators
from reporting.models import EDITABLE, FigureReport, Period, ReportingCycle, State

PRODUCT_LANGUAGES = ("en", "ja")
# The institution, the fiscal year (``FY2025``, ``2025``, ``2025年度``) and the period.
CYCLE_NAME = re.compile(
    r"(?P<institution>.+?)\s+(?:FY\s*)?(?P<year>\d{4})(?:\s*年度)?\s*(?P<period>\S.*)",
    re.IGNORECASE,
)


def cycle_name(cycle: ReportingCycle) -> str:
    """How the sheet names a cycle: ``KU FY2025 Q4``."""
    return f"{cycle.institution.code} FY{cycle.fiscal_year} {cycle.period.upper()}"


@cache
def period_keys() -> dict[str, str]:
    """Each period by its code and its labels in each language, whole or without the months."""
    keys = {code_key(period.value): period.value for period in Period}
    for language in PRODUCT_LANGUAGES:
        with translation.override(language):
            for period in Period:
                label = text(str(period.label))
                keys.setdefault(code_key(label), period.value)
                keys.setdefault(code_key(label.split("(")[0]), period.value)
    return keys


@register_kind
class CycleFigureSheet(NamesIndicators):
    key = "cycle-figures"
    label = gettext_lazy("Figures of a reporting cycle")
    model = FigureReport
    columns = [
        *INDICATOR_COLUMNS,
        Column("cycle", "報告サイクル", required=True),
        Column("actual", "実績値", required=True),
        Column("note", "備考", multiline=True),
    ]
    example = {
        "framework": "ISO-KU",
        "goal": "CONNECT",
        "indicator": "INBOUND",
        "cycle": "KU FY2025 Q4",
        "actual": 1150,
        "note": "",
    }

    def open_cycles(self):
        return ReportingCycle.objects.filter(
            self.access.visible(reach_of(ReportingCycle)), closed_at__isnull=True
        ).select_related("institution")

    def code_lists(self, language: str) -> list[CodeList]:
        cycles = self.open_cycles().order_by("institution__code", "-fiscal_year", "period")
        with translation.override(language):
            owed = CodeList(
                (_("cycle"), _("due date")),
                [(cycle_name(cycle), cycle.due_date) for cycle in cycles],
                ("cycle",),
            )
        return [owed, *super().code_lists(language)]

    def prepare(self, rows: list[dict]) -> None:
        super().prepare(rows)
        # Only the cycles the steward sees: another institution's are not known at all.
        visible = ReportingCycle.objects.filter(
            self.access.visible(reach_of(ReportingCycle))
        ).select_related("institution")
        self.cycles = Lookup(message("reporting cycle"))
        for cycle in visible:
            self.cycles.add(cycle_name(cycle), cycle)
        open_ids = [cycle.pk for cycle in visible if cycle.closed_at is None]
        self.owed: dict[tuple[int, int], str] = {
            (cycle_id, indicator_id): state
            for cycle_id, indicator_id, state in FigureReport.objects.filter(
                cycle__in=open_ids
            ).values_list("cycle_id", "indicator_id", "state")
        }

    def cycle_of(self, raw: dict, errors: RowErrors) -> ReportingCycle | None:
        written = text(raw.get("cycle"))
        if not written:
            errors.add("cycle", message("This cell must not be empty."))
            return None
        found = CYCLE_NAME.fullmatch(written)
        period = period_keys().get(code_key(found["period"])) if found else None
        if period is None:
            errors.add(
                "cycle",
                message(
                    "“%(value)s” names no reporting cycle: write the institution, the fiscal "
                    "year and the period, as in “KU FY2025 Q4”.",
                    value=written,
                ),
            )
            return None
        name = f"{found['institution']} FY{found['year']} {period.upper()}"
        try:
            cycle = self.cycles.find(name)
        except ValueError as error:
            errors.add("cycle", message_of(error))
            return None
        if cycle.closed_at is not None:
            errors.add(
                "cycle",
                message(
                    "The cycle %(cycle)s is closed: its figures can no longer be submitted.",
                    cycle=cycle_name(cycle),
                ),
            )
            return None
        return cycle

    def parse(self, raw: dict, errors: RowErrors) -> Parsed | None:
        indicator = self.indicator_of(raw, errors)
        cycle = self.cycle_of(raw, errors)
        if indicator and cycle:
            state = self.owed.get((cycle.pk, indicator.pk))
            if state is None:
                errors.add(
                    "indicator",
                    message(
                        "The cycle %(cycle)s owes no figure for indicator %(indicator)s.",
                        cycle=cycle_name(cycle),
                        indicator=indicator.code,
                    ),
                )
            elif state == State.APPROVED:
                errors.add(
                    "actual",
                    message("This figure is approved already: it can no longer be changed."),
                )
            elif state not in EDITABLE:
                errors.add(
                    "actual",
                    message(
                        "This figure is submitted already and waits for review: it can no "
                        "longer be changed."
                    ),
                )
        actual = errors.cell(raw, "actual", parse_decimal)
        if actual is None and not any(error.column == "actual" for error in errors.items):
            errors.add(
                "actual", message("Give the actual: a figure cannot be submitted without one.")
            )
        return Parsed(
            {
                "actual": actual,
                "note": plain_text(raw.get("note")),
                "state": State.SUBMITTED,
                "cycle_id": cycle.pk if cycle else None,
                "indicator_id": indicator.pk if indicator else None,
            }
        )

    def key_of(self, parsed: Parsed) -> Hashable:
        return (parsed.values["cycle_id"], parsed.values["indicator_id"])

    def existing(self, keys: list[Hashable]) -> dict:
        cycle_ids = sorted({cycle_id for cycle_id, _indicator in keys})
        wanted = set(keys)
        return {
            (figure.cycle_id, figure.indicator_id): figure
            for figure in FigureReport.objects.filter(cycle__in=cycle_ids)
            if (figure.cycle_id, figure.indicator_id) in wanted
        }

    def stamp(self, objs: list[FigureReport], *, user, now) -> set[str]:
        """Each figure is submitted by whoever confirms the import, when they confirm it."""
        for figure in objs:
            figure.submitted_at, figure.submitted_by_id = now, user.pk
        return {"submitted_at", "submitted_by_id"}

    def export_queryset(self):
        """What the open cycles still owe: their figures not yet submitted, or returned."""
        return (
            FigureReport.objects.filter(cycle__closed_at__isnull=True, state__in=EDITABLE)
            .select_related("cycle__institution", "indicator__goal__framework")
            .order_by(
                "cycle__institution__code",
                "-cycle__fiscal_year",
                "cycle__period",
                "indicator__goal__framework__code",
                "indicator__goal__code",
                "indicator__code",
            )
        )

    def export_row(self, obj: FigureReport) -> list[object]:
        goal = obj.indicator.goal
        return [
            goal.framework.code,
            goal.code,
            obj.indicator.code,
            cycle_name(obj.cycle),
            obj.actual,
            obj.note,
        ]
