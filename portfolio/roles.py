"""What the roles may do with partners, agreements, initiatives, activities and updates."""

from common.roles import EDITOR, RECORD_READERS, UNIT_EDITOR, grant, records_and_history, writes

RECORDS = [
    "partnerinstitution",
    "agreement",
    "initiative",
    "activity",
    "progressupdate",
    "milestone",
]

grant(RECORD_READERS, records_and_history("portfolio", RECORDS))
grant([EDITOR], writes("portfolio", dict.fromkeys(RECORDS, "acdv")))
# A unit's editor keeps its own work; partners are the institution's, kept by its editors.
UNIT_WORK = ["initiative", "activity", "agreement", "progressupdate", "milestone"]
grant([UNIT_EDITOR], writes("portfolio", dict.fromkeys(UNIT_WORK, "acdv")))
