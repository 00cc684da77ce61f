"""What the roles may do with institutions, regions, units, people and appointments."""

from common.roles import (
    DATA_STEWARD,
    EDITOR,
    LEADERSHIP,
    RECORD_READERS,
    REVIEWER,
    UNIT_EDITOR,
    grant,
    records_and_history,
    writes,
)

DASHBOARDS = "units.view_dashboards"
RECORDS = ["institution", "region", "unit", "person", "appointment"]

grant([LEADERSHIP, EDITOR, UNIT_EDITOR, DATA_STEWARD, REVIEWER], [DASHBOARDS])
grant(RECORD_READERS, records_and_history("units", RECORDS))
# Institutions and regions are the installation's own frame, kept by administrators; an editor
# may correct their institution.
grant([EDITOR], writes("units", {"unit": "acdv", "person": "acdv", "appointment": "acdv"}))
grant([EDITOR], writes("units", {"institution": "cv"}))
