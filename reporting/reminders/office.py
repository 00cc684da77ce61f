"""The office's reminder of one item, sent now: the board's "Send a reminder" button.

The owners of an item still owed (``reporting.selectors``: its named owner's login and its units'
editors) are each sent their digest of everything they owe in the item's cycle, the occasion
``manual``, in their own language. The digests are claimed and handed to the ``send_digest`` task
as the scheduler's are (``schedule.hand_on``), under the ``Reminder`` constraint of one per
recipient, cycle, occasion and day: a second click the same day, on this item or on another item
of the same owners, sends nothing more. The office's reminder is an occasion of its own, so it
neither takes the place of the day's scheduled digest nor is held back by it.
"""

import datetime as dt
from dataclasses import dataclass

from reporting.models import EDITABLE, FigureReport, Occasion, Report
from reporting.reminders.digests import mailable_digests, owed_by_owner
from reporting.reminders.mail import mail_is_configured
from reporting.reminders.schedule import Checked, hand_on
from reporting.selectors import figure_owners, report_owners

# Why nothing was sent, where nothing was.
CLOSED = "closed"
NOT_OWED = "not_owed"
NO_MAIL = "no_mail"
NO_OWNER = "no_owner"
NO_ADDRESS = "no_address"


@dataclass
class Reminded:
    """What a click did: the owners whose digest was queued now, those reminded already today,
    and, where nothing could be sent, why."""

    sent: int = 0
    held: int = 0
    unsent: str = ""


def remind_owners(
    record: Report | FigureReport, today: dt.date, *, backend: str | None = None
) -> Reminded:
    """Claim and enqueue, for each owner of ``record`` who can be mailed, their digest of what
    they owe in its cycle (occasion ``manual``, day ``today``)."""
    from reporting.tasks import send_digest

    if backend:
        send_digest = send_digest.using(backend=backend)
    cycle = record.cycle
    if cycle.closed_at is not None:
        return Reminded(unsent=CLOSED)
    if record.state not in EDITABLE:
        return Reminded(unsent=NOT_OWED)
    if isinstance(record, Report):
        owners = report_owners(Report.objects.filter(pk=record.pk)).get(record.pk, set())
    else:
        owners = figure_owners(FigureReport.objects.filter(pk=record.pk)).get(record.pk, set())
    if not owners:
        return Reminded(unsent=NO_OWNER)
    if not mail_is_configured():
        return Reminded(unsent=NO_MAIL)
    owed = owed_by_owner(cycle)
    wanted = {user: owed[user] for user in owners if user in owed}
    digests = mailable_digests(cycle, Occasion.MANUAL, today, wanted)
    if not digests:
        return Reminded(unsent=NO_ADDRESS)
    checked = Checked()
    hand_on(cycle, Occasion.MANUAL, today, digests, send_digest, checked)
    return Reminded(sent=checked.claimed, held=checked.held)
