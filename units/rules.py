"""Rules across rows of the units app, kept by the database (see ``common.triggers``)."""

from common.triggers import Rule

RULES = [
    Rule(
        name="units_unit_parent_same_institution",
        table="units_unit",
        violated_when=(
            "NEW.parent_id IS NOT NULL AND "
            "(SELECT institution_id FROM units_unit WHERE id = NEW.parent_id) <> NEW.institution_id"
        ),
        message="a unit's parent must belong to the same institution",
    ),
    Rule(
        name="units_unit_parent_not_descendant",
        table="units_unit",
        violated_when=(
            "NEW.parent_id IS NOT NULL AND EXISTS ("
            "WITH RECURSIVE up(id) AS (SELECT NEW.parent_id UNION "
            "SELECT u.parent_id FROM units_unit u JOIN up ON u.id = up.id "
            "WHERE u.parent_id IS NOT NULL) "
            "SELECT 1 FROM up WHERE up.id = NEW.id)"
        ),
        message="a unit cannot sit under itself or its own sub-unit",
        events=("UPDATE",),
    ),
]
