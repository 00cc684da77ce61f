"""The doors of the ``Reminder`` rows: a claim before a digest goes, its mark, its release.

A digest is mailed at most once per recipient, cycle, occasion and day, however many workers run
the check at once. The claim is an insert under the unique (recipient, cycle, occasion, day)
constraint in a transaction of its own, committed before the mail is sent: the worker whose
insert commits sends the mail; any other worker's insert fails with an ``IntegrityError`` (on
PostgreSQL it waits for the first one's commit; on SQLite the ``IMMEDIATE`` transactions of the
settings take turns) and it sends nothing. No transaction is held open while a mail is sent.

A claim is marked sent (``sent_at``) once the mail has gone. A send that fails releases the
claim, the row is deleted, so that the next check (a few minutes later) claims and sends it
again; a claim is never left marked sent for a mail that did not go. A worker killed between its
claim and its send leaves a claim with no ``sent_at``: that digest is not sent again that day
(at most once wins over at least once), and the admin shows it as never sent.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from reporting.models import Reminder


def reminder_claim(
    *, recipient: int, cycle: int, occasion: str, day, items: int
) -> Reminder | None:
    """The claim of one digest, or None when another worker (or an earlier run) holds it."""
    try:
        with transaction.atomic():
            return Reminder.objects.create(
                recipient_id=recipient, cycle_id=cycle, occasion=occasion, day=day, items=items
            )
    except IntegrityError:
        return None


def reminder_mark_sent(*, reminder: int) -> None:
    """The claim's mail has gone."""
    Reminder.objects.filter(pk=reminder).update(sent_at=timezone.now())


def reminder_release(*, reminder: int) -> None:
    """The claim's mail did not go: the claim is given up, so that the next check sends it."""
    Reminder.objects.filter(pk=reminder, sent_at__isnull=True).delete()
