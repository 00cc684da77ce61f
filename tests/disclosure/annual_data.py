"""The records both annual report tests read: an institution's framework with goals in English
and Japanese, an indicator's figures, initiatives of each health, and another institution."""

import datetime as dt
from decimal import Decimal

from common.roles import LEADERSHIP
from tests.factories import (
    FrameworkFactory,
    GoalFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    InitiativeFactory,
    InstitutionFactory,
    user_with_role,
)

YEAR = 2025
HEALTHS = ["on_track", "at_risk", "off_track"]


def annual_world() -> dict:
    home = InstitutionFactory(code="KU", name="Kyoto University", name_ja="京都大学")
    other = InstitutionFactory(code="TMU", name="Tokyo Metropolitan University")
    framework = FrameworkFactory(
        institution=home, code="ISO", title="International Strategy", title_ja="国際戦略"
    )
    mission = GoalFactory(
        framework=framework,
        code="LEARN",
        title="Advance international learning",
        title_ja="国際的な学びの推進",
    )
    child = GoalFactory(
        framework=framework,
        parent=mission,
        code="1.1",
        title="Send more students abroad",
        title_ja="学生の海外派遣の拡大",
    )
    indicator = IndicatorFactory(
        goal=child, code="OUT", name="Students sent abroad", name_ja="海外派遣学生数"
    )
    for year, target, actual in ((2023, 1200, 1187), (2024, 1300, 1342), (2025, 1400, 1415)):
        IndicatorValueFactory(
            indicator=indicator, fiscal_year=year, target=Decimal(target), actual=Decimal(actual)
        )
    IndicatorValueFactory(indicator=indicator, fiscal_year=2026, target=Decimal(1500), actual=None)
    other_goal = GoalFactory(framework=FrameworkFactory(institution=other), title="Not theirs")
    return {
        "home": home,
        "other": other,
        "framework": framework,
        "mission": mission,
        "child": child,
        "other_goal": other_goal,
        "reader": user_with_role(LEADERSHIP, institutions=[home], username="ku-leader"),
        "outsider": user_with_role(LEADERSHIP, institutions=[other], username="tmu-leader"),
    }


def add_initiatives(world: dict, count: int, start: int = 0) -> None:
    """``count`` initiatives of the year, each serving both goals, of every health in turn."""
    for n in range(start, start + count):
        initiative = InitiativeFactory(
            institution=world["home"],
            code=f"INI-{n:03d}",
            title=f"Exchange programme {n}",
            title_ja=f"交流プログラム{n}",
            health=HEALTHS[n % 3],
            start_date=dt.date(2024, 4, 1),
        )
        initiative.goals.add(world["mission"], world["child"])


def add_goals(world: dict, count: int, start: int = 0) -> None:
    """``count`` more goals under the mission, each with an indicator and a year's figures."""
    for n in range(start, start + count):
        goal = GoalFactory(
            framework=world["framework"], parent=world["mission"], code=f"2.{n}", title=f"Aim {n}"
        )
        indicator = IndicatorFactory(goal=goal, code=f"AIM{n}")
        IndicatorValueFactory(indicator=indicator, fiscal_year=YEAR, target=10, actual=n)
