"""What the roles may do in a reporting cycle; administrators open cycles."""

from common.roles import (
    EDITOR,
    RECORD_READERS,
    REVIEWER,
    UNIT_EDITOR,
    grant,
    records_and_history,
    writes,
)

RECORDS = ["reportingcycle", "report", "figurereport", "milestoneprogress", "comment", "evidence"]
REVIEW = "reporting.review_reports"

grant(RECORD_READERS, records_and_history("reporting", RECORDS))
# Owners: the editors of an initiative's institution or lead unit, who write its report.
OWNER_WRITES = {
    "report": "c",
    "figurereport": "c",
    "milestoneprogress": "acd",
    "comment": "a",
    "evidence": "ad",
}
grant([EDITOR, UNIT_EDITOR], writes("reporting", OWNER_WRITES))
grant([REVIEWER], [REVIEW, *writes("reporting", {"comment": "a"})])
