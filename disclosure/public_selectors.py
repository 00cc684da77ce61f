"""What the public pages read: the institutions that serve them, their goals opted in and the
indicators opted in under those goals, with the figures ``disclosure.figures`` lets out.

Nothing here names a person: the pages show the goals' and indicators' own texts (title, name,
description, in both languages), their codes, units of measure and the disclosed figures only,
never a note (a goal's source note, a figure's note or override reason).
An indicator shows only where it, its goal and its institution are all opted in. The queries are
as many whatever the number of goals, indicators and years.
"""

from dataclasses import dataclass, field

from django.http import Http404

from disclosure.figures import YearFigure, disclosed_figures
from policies.models import Framework, Goal, Indicator
from units.models import Institution


@dataclass
class PublicIndicator:
    indicator: Indicator
    years: list[YearFigure]

    @property
    def latest(self) -> YearFigure | None:
        """The latest year with an actual, else the latest with a target."""
        measured = [year for year in self.years if year.actual is not None]
        return (measured or self.years or [None])[-1]


@dataclass
class PublicGoal:
    goal: Goal
    indicators: list[PublicIndicator] = field(default_factory=list)


@dataclass
class PublicFramework:
    framework: Framework
    goals: list[PublicGoal] = field(default_factory=list)


def public_institutions() -> list[Institution]:
    """The institutions whose public pages are on, by code."""
    return list(Institution.objects.filter(public_pages=True).order_by("code"))


def public_institution(code: str) -> Institution:
    """The institution of ``code`` if its public pages are on; else not found."""
    institution = Institution.objects.filter(code=code, public_pages=True).first()
    if institution is None:
        raise Http404
    return institution


def public_goals(institution: Institution, goal_id: int | None = None) -> list[PublicFramework]:
    """The institution's public goals (or the one public goal ``goal_id``), by framework, each
    with its public indicators and their disclosed figures."""
    goals = (
        Goal.objects.filter(framework__institution=institution, public=True)
        .select_related("framework")
        .order_by("framework__code", "order", "code", "pk")
    )
    if goal_id is not None:
        goals = goals.filter(pk=goal_id)
    goals = list(goals)
    indicators = list(
        Indicator.objects.filter(goal__in=[goal.pk for goal in goals], public=True)
        .select_related("goal__framework")
        .order_by("code", "pk")
    )
    figures = disclosed_figures(indicators) if indicators else {}
    by_goal: dict[int, list[PublicIndicator]] = {}
    for indicator in indicators:
        shown = PublicIndicator(indicator, figures.get(indicator.pk, []))
        by_goal.setdefault(indicator.goal_id, []).append(shown)
    frameworks: dict[int, PublicFramework] = {}
    for goal in goals:
        entry = frameworks.setdefault(goal.framework_id, PublicFramework(goal.framework))
        entry.goals.append(PublicGoal(goal, by_goal.get(goal.pk, [])))
    return list(frameworks.values())


def public_goal(institution: Institution, goal_id: int) -> tuple[Framework, PublicGoal]:
    """One public goal of the institution, with its public indicators; else not found."""
    found = public_goals(institution, goal_id)
    if not found:
        raise Http404
    return found[0].framework, found[0].goals[0]
