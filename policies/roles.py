"""What the roles may do with frameworks, goals, alignments and indicators."""

from common.roles import EDITOR, RECORD_READERS, grant, records_and_history, writes

RECORDS = ["framework", "goal", "alignment", "indicator", "indicatorvalue"]

grant(RECORD_READERS, records_and_history("policies", RECORDS))
grant([EDITOR], writes("policies", dict.fromkeys(RECORDS, "acdv")))
