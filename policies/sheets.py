"""The indicator-values spreadsheet (targets and actuals by fiscal year) and the headcount sheet
(enrolment and faculty on a snapshot day), see imports.engine."""

import datetime as dt
from collections.abc import Hashable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.access import reach_of
from common.history import chunks
from common.messages import message, message_of
from common.parsing import (
    parse_choice,
    parse_country,
    parse_date,
    parse_decimal,
    parse_fiscal_year,
    parse_int,
    text,
)
from common.text import code_key
from imports.engine import (
    COUNTRY,
    CodeList,
    Column,
    Lookup,
    Parsed,
    RowErrors,
    SheetKind,
    choice_codes,
    country_codes,
    register,
)
from policies.models import (
    Framework,
    Goal,
    Headcount,
    HeadcountGroup,
    HeadcountLevel,
    Indicator,
    IndicatorValue,
)
from units.models import Institution

INDICATOR_COLUMNS = [
    Column("framework", "戦略", required=True),
    Column("goal", "目標", required=True),
    Column("indicator", "指標", required=True),
]


class NamesIndicators(SheetKind):
    """A sheet kind whose rows name an indicator by its framework, goal and code (or name), as
    the indicator-values sheet does; the reporting cycle's figures sheet names them alike."""

    def code_lists(self, language: str) -> list[CodeList]:
        """Frameworks, goals and indicators the user's scope sees; a goal's code is its
        framework's, an indicator's its goal's (the columns name each within the one before)."""
        visible = self.access.visible
        frameworks = Framework.objects.filter(visible(reach_of(Framework))).order_by("code")
        goals = Goal.objects.filter(visible(reach_of(Goal))).select_related("framework")
        indicators = Indicator.objects.filter(visible(reach_of(Indicator))).select_related(
            "goal__framework"
        )
        return [
            CodeList(
                (_("framework"), _("title")),
                [(f.code, str(f.shown("title", language))) for f in frameworks],
                ("framework",),
            ),
            CodeList(
                (_("goal"), _("title"), _("framework")),
                [
                    (goal.code, str(goal.shown("title", language)), goal.framework.code)
                    for goal in goals.order_by("framework__code", "code")
                ],
                ("goal",),
            ),
            CodeList(
                (_("indicator"), _("name"), _("goal"), _("framework")),
                [
                    (i.code, str(i.shown("name", language)), i.goal.code, i.goal.framework.code)
                    for i in indicators.order_by("goal__framework__code", "goal__code", "code")
                ],
                ("indicator",),
            ),
        ]

    def prepare(self, rows: list[dict]) -> None:
        self.frameworks = Lookup(
            message("framework"), message("Its code is used by two institutions.")
        )
        for framework in Framework.objects.all():
            self.frameworks.add(framework.code, framework)
        self.goals = {(goal.framework_id, code_key(goal.code)): goal for goal in Goal.objects.all()}
        self.indicators: dict[tuple[int, str], Indicator] = {}
        for indicator in Indicator.objects.all():
            self.indicators[(indicator.goal_id, code_key(indicator.code))] = indicator
            self.indicators.setdefault((indicator.goal_id, code_key(indicator.name)), indicator)

    def indicator_of(self, raw: dict, errors: RowErrors) -> Indicator | None:
        """The indicator the row's framework, goal and indicator cells name, its goal and
        framework set on it (so that a probe follows them without queries); None, with the
        failing cell noted, when they name none."""
        framework = goal = indicator = None
        try:
            framework = self.frameworks.find(text(raw.get("framework")))
        except ValueError as error:
            errors.add("framework", message_of(error))
        if framework:
            goal = self.goals.get((framework.pk, code_key(text(raw.get("goal")))))
            if goal is None:
                errors.add(
                    "goal",
                    message(
                        "%(framework)s has no goal “%(goal)s”.",
                        framework=framework.code,
                        goal=text(raw.get("goal")),
                    ),
                )
        if goal:
            indicator = self.indicators.get((goal.pk, code_key(text(raw.get("indicator")))))
            if indicator is None:
                errors.add(
                    "indicator",
                    message(
                        "Goal %(goal)s has no indicator “%(indicator)s”; "
                        "add it in the admin first.",
                        goal=goal.code,
                        indicator=text(raw.get("indicator")),
                    ),
                )
        if indicator:
            goal.framework, indicator.goal = framework, goal
        return indicator


@register
class IndicatorValueSheet(NamesIndicators):
    key = "indicator-values"
    label = gettext_lazy("Indicator values")
    model = IndicatorValue
    columns = [
        *INDICATOR_COLUMNS,
        Column("fiscal_year", "年度", required=True),
        Column("target", "目標値"),
        Column("actual", "実績値"),
    ]
    example = {
        "framework": "ISO-KU",
        "goal": "CONNECT",
        "indicator": "INBOUND",
        "fiscal_year": 2025,
        "target": 1200,
        "actual": 1150,
    }

    def parse(self, raw: dict, errors: RowErrors) -> Parsed | None:
        indicator = self.indicator_of(raw, errors)
        if indicator:
            self.check_reach(
                errors,
                "framework",
                lambda: IndicatorValue(indicator=indicator),
                indicator.pk,
            )
        year = errors.cell(raw, "fiscal_year", parse_fiscal_year)
        if year is None and not any(e.column == "fiscal_year" for e in errors.items):
            errors.add("fiscal_year", message("This cell must not be empty."))
        elif year is not None and not 1900 <= year <= 2200:
            errors.add(
                "fiscal_year", message("%(year)s is not a plausible fiscal year.", year=year)
            )
        return Parsed(
            {
                "indicator_id": indicator.pk if indicator else None,
                "fiscal_year": year,
                "target": errors.cell(raw, "target", parse_decimal),
                "actual": errors.cell(raw, "actual", parse_decimal),
            }
        )

    def key_of(self, parsed: Parsed) -> Hashable:
        return (parsed.values["indicator_id"], parsed.values["fiscal_year"])

    def existing(self, keys: list[Hashable]) -> dict:
        indicator_ids = sorted({indicator_id for indicator_id, _year in keys})
        found = {}
        for chunk in chunks(indicator_ids):
            for value in IndicatorValue.objects.filter(indicator_id__in=chunk):
                found[(value.indicator_id, value.fiscal_year)] = value
        return {key: found[key] for key in keys if key in found}

    def export_queryset(self):
        return IndicatorValue.objects.select_related("indicator__goal__framework").order_by(
            "indicator__goal__framework__code",
            "indicator__goal__code",
            "indicator__code",
            "fiscal_year",
        )

    def export_row(self, obj: IndicatorValue) -> list[object]:
        goal = obj.indicator.goal
        return [
            goal.framework.code,
            goal.code,
            obj.indicator.code,
            obj.fiscal_year,
            obj.target,
            obj.actual,
        ]


def fiscal_year_cell(raw: dict, errors: RowErrors) -> int | None:
    """The row's fiscal year: required, and plausible."""
    year = errors.cell(raw, "fiscal_year", parse_fiscal_year)
    if year is None and not any(e.column == "fiscal_year" for e in errors.items):
        errors.add("fiscal_year", message("This cell must not be empty."))
    elif year is not None and not 1900 <= year <= 2200:
        errors.add("fiscal_year", message("%(year)s is not a plausible fiscal year.", year=year))
        return None
    return year


@register
class HeadcountSheet(SheetKind):
    """How many students (by level, and international students by country or region of origin,
    as JASSO counts them) and full-time faculty an institution had on a snapshot day of a fiscal
    year: the figures the computed ratios divide by. A row without a snapshot day is of 1 May."""

    key = "headcounts"
    label = gettext_lazy("Headcounts")
    model = Headcount
    columns = [
        Column("institution", "大学", required=True, writes=("institution_id",)),
        Column("fiscal_year", "年度", required=True),
        Column("as_of", "基準日"),
        Column("level", "課程", required=True, choices=HeadcountLevel),
        Column("group", "区分", choices=HeadcountGroup),
        Column("country", "国・地域", choices=COUNTRY),
        Column("count", "人数", required=True),
    ]
    example = {
        "institution": "KU",
        "fiscal_year": 2025,
        "as_of": "2025-05-01",
        "level": HeadcountLevel.MASTER,
        "group": HeadcountGroup.INTERNATIONAL,
        "country": "CN",
        "count": 412,
    }

    def code_lists(self, language: str) -> list[CodeList]:
        institutions = Institution.objects.filter(self.access.visible(reach_of(Institution)))
        return [
            CodeList(
                (_("institution"), _("name")),
                [(i.code, str(i.shown("name", language))) for i in institutions.order_by("code")],
                ("institution",),
            ),
            choice_codes(_("level"), HeadcountLevel, ("level",)),
            choice_codes(_("group"), HeadcountGroup, ("group",)),
            country_codes(_("country or region"), ("country",)),
        ]

    def prepare(self, rows: list[dict]) -> None:
        self.institutions = Lookup(message("institution"))
        for institution in Institution.objects.all():
            self.institutions.add(institution.code, institution)

    def parse(self, raw: dict, errors: RowErrors) -> Parsed | None:
        institution = None
        try:
            institution = self.institutions.find(text(raw.get("institution")))
        except ValueError as error:
            errors.add("institution", message_of(error))
        year = fiscal_year_cell(raw, errors)
        as_of = errors.cell(raw, "as_of", parse_date)
        if as_of is None and year is not None and not text(raw.get("as_of")):
            as_of = dt.date(year, 5, 1)
        level = errors.cell(raw, "level", parse_choice, choices=HeadcountLevel)
        if level is None and not any(e.column == "level" for e in errors.items):
            errors.add("level", message("This cell must not be empty."))
        group = errors.cell(raw, "group", parse_choice, choices=HeadcountGroup) or (
            HeadcountGroup.ALL
        )
        country = errors.cell(raw, "country", parse_country) or ""
        count = errors.cell(raw, "count", parse_int)
        if count is None and not any(e.column == "count" for e in errors.items):
            errors.add("count", message("This cell must not be empty."))
        if country and group != HeadcountGroup.INTERNATIONAL:
            errors.add(
                "country",
                message("Only international students are counted by country or region."),
            )
        faculty = level == HeadcountLevel.FACULTY
        if (
            level
            and faculty != (group == HeadcountGroup.FOREIGN_OR_FOREIGN_DEGREE)
            and (group != HeadcountGroup.ALL)
        ):
            errors.add("group", message("This group is not counted at this level."))
        self.check_reach(
            errors,
            "institution",
            lambda: Headcount(institution=institution),
            institution and institution.pk,
        )
        return Parsed(
            {
                "institution_id": institution.pk if institution else None,
                "fiscal_year": year,
                "as_of": as_of,
                "level": level,
                "group": group,
                "country": country,
                "count": count,
            }
        )

    def key_of(self, parsed: Parsed) -> Hashable:
        values = parsed.values
        return tuple(
            values[name]
            for name in ("institution_id", "fiscal_year", "as_of", "level", "group", "country")
        )

    def existing(self, keys: list[Hashable]) -> dict:
        institution_ids = sorted({key[0] for key in keys if key[0] is not None})
        found = {}
        for chunk in chunks(institution_ids):
            for row in Headcount.objects.filter(institution_id__in=chunk):
                key = (
                    row.institution_id,
                    row.fiscal_year,
                    row.as_of,
                    row.level,
                    row.group,
                    row.country,
                )
                found[key] = row
        return {key: found[key] for key in keys if key in found}

    def export_queryset(self):
        return Headcount.objects.select_related("institution").order_by(
            "institution__code", "fiscal_year", "as_of", "level", "group", "country"
        )

    def export_row(self, obj: Headcount) -> list[object]:
        return [
            obj.institution.code,
            obj.fiscal_year,
            obj.as_of,
            obj.level,
            obj.group,
            obj.country.code if obj.country else "",
            obj.count,
        ]
