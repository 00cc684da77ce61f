"""The annual report: one institution's goals in a fiscal year, as a PDF for the board and the
ministry, in English or Japanese.

For each framework of the institution, its goals in their tree's order, each with its title word
for word (in the report's language, or the other one marked where it has none), the initiatives
serving it whose dates overlap the year, with their status and health, and its indicators'
targets and disclosable actuals by year (``disclosure.figures``: an approved actual for a year
that has a reporting cycle), as a table and a bar chart (an SVG drawn here, no script). A report
of one goal holds that goal and the goals below it.

``annual_report_pdf`` builds it from the product's templates (``templates/disclosure/annual/``)
with WeasyPrint, in the fonts of Debian's ``fonts-noto-cjk``; the download (``annual.py``) and
``manage.py annual_report`` both call it. It issues the same queries whatever the number of
goals, initiatives and indicators: seven, the institution's look-up aside.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.access import EVERYTHING, Access
from common.bilingual import reader_language
from common.fiscal import fiscal_year_label
from disclosure.figures import YearFigure, disclosed_figures
from policies.models import Framework, Goal, Indicator
from portfolio.dashboards.filters import Filters
from portfolio.models import Health, Initiative
from units.models import Institution

LANGUAGES = ("en", "ja")
STYLESHEET = "disclosure/annual.css"
# A goal's initiatives are listed in a table up to this many; the rest by their codes alone, so
# that an institution of thousands of initiatives still gets a report of readable length.
TABLE_ROWS = 40
# The health bars' colours, by health (presentation attributes of the SVG, not styles).
HEALTH_COLOURS = {
    Health.ON_TRACK: "#2e7d32",
    Health.AT_RISK: "#f9a825",
    Health.OFF_TRACK: "#c62828",
}
TARGET_COLOUR, ACTUAL_COLOUR = "#b0bec5", "#1565c0"


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str = ""
    value: str = ""


@dataclass
class Chart:
    """An SVG bar chart, its geometry in the viewBox's units."""

    width: int
    height: int
    baseline: float
    bars: list[Bar] = field(default_factory=list)
    labels: list[Bar] = field(default_factory=list)  # x-axis labels (x, y, text in ``label``)
    empty: bool = False


@dataclass
class IndicatorRows:
    indicator: Indicator
    years: list[YearFigure]
    chart: Chart


@dataclass
class GoalSection:
    goal: Goal
    depth: int
    initiatives: list[Initiative]
    more: list["More"]  # beyond the table: the codes of each health, as one text
    more_count: int
    health: list[tuple[str, str, int]]
    indicators: list[IndicatorRows]


@dataclass
class More:
    health: str
    label: str
    count: int
    codes: str


def more_by_health(initiatives: list[Initiative]) -> list[More]:
    """The initiatives beyond a goal's table, by health: their codes joined in one text each
    (one run of text lays out far faster than thousands of boxes)."""
    found = []
    for health, label in Health.choices:
        codes = [i.code for i in initiatives if i.health == health]
        if codes:
            found.append(More(health, label, len(codes), ", ".join(codes)))
    return found


@dataclass
class FrameworkSection:
    framework: Framework
    goals: list[GoalSection]


def plain(value: Decimal | None) -> str:
    if value is None:
        return ""
    if value == value.to_integral():
        return f"{value:,.0f}"
    return f"{value.normalize():,}"


def indicator_chart(years: list[YearFigure]) -> Chart:
    """Each year's target (grey) and actual (blue), side by side, on one scale."""
    width, height, top, bottom = 480, 150, 14, 20
    numbers = [v for y in years for v in (y.target, y.actual) if v is not None]
    chart = Chart(width, height, height - bottom, empty=not numbers)
    if not numbers:
        return chart
    biggest = max(max(numbers), Decimal(0)) or Decimal(1)
    slot = width / max(len(years), 1)
    bar = min(slot * 0.35, 40)
    scale = (height - top - bottom) / float(biggest)
    for index, year in enumerate(years):
        left = index * slot + (slot - 2 * bar) / 2
        for offset, value, colour in (
            (0, year.target, TARGET_COLOUR),
            (1, year.actual, ACTUAL_COLOUR),
        ):
            if value is None:
                continue
            tall = max(float(value), 0) * scale
            chart.bars.append(
                Bar(
                    round(left + offset * bar, 1),
                    round(chart.baseline - tall, 1),
                    round(bar - 2, 1),
                    round(tall, 1),
                    colour,
                    value=plain(value),
                )
            )
        chart.labels.append(
            Bar(
                round(index * slot + slot / 2, 1),
                height - 6,
                0,
                0,
                "",
                fiscal_year_label(year.fiscal_year),
            )
        )
    return chart


def health_chart(counts: list[tuple[str, str, int]]) -> Chart:
    """One horizontal-axis bar per health: how many initiatives are on track, at risk, off."""
    width, height, top, bottom = 360, 130, 16, 20
    chart = Chart(width, height, height - bottom, empty=not any(n for *_h, n in counts))
    biggest = max((n for *_h, n in counts), default=0) or 1
    slot = width / len(counts)
    scale = (height - top - bottom) / biggest
    for index, (health, label, count) in enumerate(counts):
        tall = count * scale
        chart.bars.append(
            Bar(
                round(index * slot + slot * 0.2, 1),
                round(chart.baseline - tall, 1),
                round(slot * 0.6, 1),
                round(tall, 1),
                HEALTH_COLOURS[health],
                value=f"{count:,}",
            )
        )
        chart.labels.append(Bar(round(index * slot + slot / 2, 1), height - 6, 0, 0, "", label))
    return chart


def health_counts(initiatives) -> list[tuple[str, str, int]]:
    """(health, its label, how many of ``initiatives`` have it), for every health."""
    counted = Counter(i.health for i in initiatives)
    return [(health, label, counted.get(health, 0)) for health, label in Health.choices]


def tree_order(goals: list[Goal], top: Goal | None = None) -> list[tuple[Goal, int]]:
    """The goals depth first in their order, each with its depth; only ``top`` and the goals
    below it where given."""
    children: dict[int | None, list[Goal]] = defaultdict(list)
    known = {g.pk for g in goals}
    for goal in goals:
        children[goal.parent_id if goal.parent_id in known else None].append(goal)
    ordered: list[tuple[Goal, int]] = []

    def walk(goal: Goal, depth: int) -> None:
        ordered.append((goal, depth))
        for child in children.get(goal.pk, []):
            walk(child, depth + 1)

    for root in [top] if top is not None else children[None]:
        walk(root, 0)
    return ordered


def annual_context(
    institution: Institution,
    fiscal_year: int,
    *,
    access: Access = EVERYTHING,
    goal: Goal | None = None,
) -> dict:
    """What the report's template shows, in the active language (a fixed number of queries)."""
    filters = Filters(fiscal_year=fiscal_year, access=access)
    frameworks = list(
        filters.reachable(Framework)
        .filter(institution=institution)
        .filter(**({"pk": goal.framework_id} if goal else {}))
        .order_by("code")
    )
    in_year = filters.in_year(
        filters.reachable(Initiative).filter(institution=institution)
    ).select_related("lead_unit")
    goals = list(
        filters.reachable(Goal)
        .filter(framework__in=frameworks)
        .order_by("framework__code", "order", "code")
        .prefetch_related(Prefetch("initiatives", in_year.order_by("code"), to_attr="in_year"))
    )
    shown_goals = {
        framework.pk: tree_order(
            [g for g in goals if g.framework_id == framework.pk],
            next((g for g in goals if g.pk == goal.pk), None) if goal else None,
        )
        for framework in frameworks
    }
    ids = [g.pk for pairs in shown_goals.values() for g, _depth in pairs]
    indicators = list(
        filters.reachable(Indicator)
        .filter(goal_id__in=ids)
        .select_related("goal__framework")
        .order_by("goal_id", "code")
    )
    figures = disclosed_figures(indicators)
    by_goal: dict[int, list[IndicatorRows]] = defaultdict(list)
    for indicator in indicators:
        years = [
            y if y.fiscal_year <= fiscal_year else YearFigure(y.fiscal_year, y.target, None)
            for y in figures.get(indicator.pk, [])
            if y.fiscal_year <= fiscal_year or y.target is not None
        ]
        by_goal[indicator.goal_id].append(IndicatorRows(indicator, years, indicator_chart(years)))
    sections, serving = [], {}
    for framework in frameworks:
        parts = []
        for node, depth in shown_goals[framework.pk]:
            serving.update({i.pk: i for i in node.in_year})
            parts.append(
                GoalSection(
                    node,
                    depth,
                    node.in_year[:TABLE_ROWS],
                    more_by_health(node.in_year[TABLE_ROWS:]),
                    max(len(node.in_year) - TABLE_ROWS, 0),
                    health_counts(node.in_year),
                    by_goal.get(node.pk, []),
                )
            )
        sections.append(FrameworkSection(framework, parts))
    health = health_counts(serving.values())
    return {
        "institution": institution,
        "fiscal_year": fiscal_year,
        "goal": goal,
        "frameworks": sections,
        "health": health,
        "health_chart": health_chart(health),
        "initiative_count": len(serving),
        "goal_count": len(ids),
        "indicator_count": len(indicators),
        "made_at": timezone.now(),
        "language": reader_language(),
        "target_colour": TARGET_COLOUR,
        "actual_colour": ACTUAL_COLOUR,
        "table_rows": TABLE_ROWS,
    }


def refuse_fetching(url: str, *args, **kwargs):
    """The report fetches nothing: its stylesheet is read from disk and it holds no images."""
    raise ValueError(_("The annual report fetches no file (%s).") % url)


def stylesheet_path() -> Path:
    found = finders.find(STYLESHEET)
    return Path(found) if found else Path(settings.BASE_DIR) / "static" / STYLESHEET


def annual_report_pdf(
    institution: Institution,
    fiscal_year: int,
    *,
    language: str,
    access: Access = EVERYTHING,
    goal: Goal | None = None,
) -> bytes:
    """The report as PDF bytes, in ``language`` (``en`` or ``ja``)."""
    from weasyprint import CSS, HTML  # a second to import; only where a report is made

    with translation.override(language):
        context = annual_context(institution, fiscal_year, access=access, goal=goal)
        html = render_to_string("disclosure/annual/report.html", context)
    document = HTML(string=html, url_fetcher=refuse_fetching, base_url=str(settings.BASE_DIR))
    return document.write_pdf(stylesheets=[CSS(filename=str(stylesheet_path()))])


def report_name(institution: Institution, fiscal_year: int, language: str, goal=None) -> str:
    """``ku-annual-report-fy2025-ja.pdf``: ASCII, without a path's signs."""
    from django.utils.text import slugify

    parts = [institution.code, "annual-report", f"fy{fiscal_year}"]
    if goal is not None:
        parts += [goal.framework.code, goal.code]
    parts.append(language)
    words = (slugify(str(part).replace(".", "-")) for part in parts)  # goal 1.1: 1-1
    return "-".join(word for word in words if word) + ".pdf"
