"""What the roles may do with frameworks, goals, alignments and indicators."""

from common.roles import DATA_STEWARD, EDITOR, RECORD_READERS, grant, records_and_history, writes

RECORDS = ["framework", "goal", "alignment", "indicator", "indicatorvalue", "headcount"]

grant(RECORD_READERS, records_and_history("policies", [*RECORDS, "libraryindicator"]))
grant([EDITOR], writes("policies", dict.fromkeys(RECORDS, "acdv")))
# The headcount sheet is kept by those who keep the institution's figures; the library indicators
# are the installation's, kept by administrators.
grant([DATA_STEWARD], writes("policies", {"headcount": "acdv"}))
