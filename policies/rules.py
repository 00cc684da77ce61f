"""Rules across rows of the policies app, kept by the database (see ``common.triggers``)."""

from common.triggers import Rule

FRAMEWORK_OF_GOAL = "(SELECT framework_id FROM policies_goal WHERE id = {})"
INSTITUTION_OF_GOAL = (
    "(SELECT f.institution_id FROM policies_goal g "
    "JOIN policies_framework f ON f.id = g.framework_id WHERE g.id = {})"
)

RULES = [
    Rule(
        name="policies_goal_parent_same_framework",
        table="policies_goal",
        violated_when=(
            f"NEW.parent_id IS NOT NULL AND {FRAMEWORK_OF_GOAL.format('NEW.parent_id')} "
            "<> NEW.framework_id"
        ),
        message="a goal's parent must belong to the same framework",
    ),
    Rule(
        name="policies_goal_parent_not_descendant",
        table="policies_goal",
        violated_when=(
            "NEW.parent_id IS NOT NULL AND EXISTS ("
            "WITH RECURSIVE up(id) AS (SELECT NEW.parent_id UNION "
            "SELECT g.parent_id FROM policies_goal g JOIN up ON g.id = up.id "
            "WHERE g.parent_id IS NOT NULL) "
            "SELECT 1 FROM up WHERE up.id = NEW.id)"
        ),
        message="a goal cannot sit under itself or one of its own sub-goals",
        events=("UPDATE",),
    ),
    Rule(
        name="policies_goal_framework_fixed",
        table="policies_goal",
        violated_when="NEW.framework_id <> OLD.framework_id",
        message="a goal cannot move to another framework",
        events=("UPDATE",),
    ),
    Rule(
        name="policies_framework_institution_fixed",
        table="policies_framework",
        violated_when="NEW.institution_id <> OLD.institution_id",
        message="a framework cannot move to another institution",
        events=("UPDATE",),
    ),
    Rule(
        name="policies_alignment_across_frameworks",
        table="policies_alignment",
        violated_when=(
            f"{FRAMEWORK_OF_GOAL.format('NEW.source_id')} = "
            f"{FRAMEWORK_OF_GOAL.format('NEW.target_id')}"
        ),
        message="an alignment links goals of two different frameworks",
    ),
    Rule(
        name="policies_goal_units_same_institution",
        table="policies_goal_units",
        violated_when=(
            "(SELECT institution_id FROM units_unit WHERE id = NEW.unit_id) <> "
            f"{INSTITUTION_OF_GOAL.format('NEW.goal_id')}"
        ),
        message="a goal is pursued only by units of its own institution",
    ),
]
