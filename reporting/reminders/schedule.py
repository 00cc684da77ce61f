"""A day's reminders: for every open cycle, the occasions that fall on the day, each recipient's
digest claimed, then handed to ``send_digest``."""

import datetime as dt
import logging
from dataclasses import dataclass

from reporting.models import Reminder
from reporting.reminders.digests import digests_for, occasions_on
from reporting.reminders.mail import mail_is_configured
from reporting.reminders.services import reminder_claim, reminder_release
from reporting.selectors import open_cycles

logger = logging.getLogger(__name__)


@dataclass
class Checked:
    """What a check did: digests claimed and handed on, and those another run already held."""

    claimed: int = 0
    held: int = 0


def run_checks(today: dt.date, *, backend: str | None = None) -> Checked:
    """Claim and send the digests of every open cycle's occasions on ``today``.

    Each digest is claimed (a ``Reminder`` row, once per recipient, cycle, occasion and day) before
    it is handed to the ``send_digest`` task; a digest claimed already, by an earlier run or by
    another worker now, is left alone. Safe to run as often, and in as many workers, as wanted.
    ``backend`` names the tasks backend that sends (the default one unless given).
    """
    from reporting.tasks import send_digest

    if backend:
        send_digest = send_digest.using(backend=backend)
    checked = Checked()
    if not mail_is_configured():
        logger.info("No mail is configured (EMAIL_HOST or EMAIL_BACKEND): no reminders sent.")
        return checked
    for cycle in open_cycles().select_related("institution").order_by("pk"):
        for occasion in occasions_on(cycle, today):
            digests = digests_for(cycle, occasion, today)
            if digests:
                hand_on(cycle, occasion, today, digests, send_digest, checked)
    return checked


def hand_on(cycle, occasion: str, today: dt.date, digests: list, send_digest, checked: Checked):
    """Claim each of ``digests`` (of one occasion of ``cycle`` on ``today``) and enqueue its
    sending; a digest claimed already, by an earlier run or another worker, counts as held."""
    # One query skips what an earlier run claimed; the claim itself is what guards.
    taken = set(
        Reminder.objects.filter(cycle=cycle, occasion=occasion, day=today).values_list(
            "recipient", flat=True
        )
    )
    for digest in digests:
        if digest.recipient in taken:
            checked.held += 1
            continue
        claim = reminder_claim(
            recipient=digest.recipient,
            cycle=cycle.pk,
            occasion=occasion,
            day=today,
            items=len(digest.items),
        )
        if claim is None:
            checked.held += 1
            continue
        try:
            send_digest.enqueue(reminder=claim.pk, digest=digest.as_payload())
        except Exception:
            reminder_release(reminder=claim.pk)
            raise
        checked.claimed += 1
