"""Rules across rows of the portfolio app, kept by the database (see ``common.triggers``)."""

from common.triggers import Rule
from policies.rules import INSTITUTION_OF_GOAL

RULES = [
    Rule(
        name="portfolio_initiative_goals_same_institution",
        table="portfolio_initiative_goals",
        violated_when=(
            f"{INSTITUTION_OF_GOAL.format('NEW.goal_id')} <> "
            "(SELECT institution_id FROM portfolio_initiative WHERE id = NEW.initiative_id)"
        ),
        message="an initiative pursues only goals of its own institution's frameworks",
    ),
    Rule(
        name="portfolio_initiative_institution_keeps_goals",
        table="portfolio_initiative",
        violated_when=(
            "NEW.institution_id <> OLD.institution_id AND EXISTS ("
            "SELECT 1 FROM portfolio_initiative_goals ig "
            "JOIN policies_goal g ON g.id = ig.goal_id "
            "JOIN policies_framework f ON f.id = g.framework_id "
            "WHERE ig.initiative_id = NEW.id AND f.institution_id <> NEW.institution_id)"
        ),
        message="an initiative pursues only goals of its own institution's frameworks",
        events=("UPDATE",),
    ),
]
