"""The reporting cycle's background tasks (django-tasks; the database backend's `db_worker` runs
them): the daily check of the cycles, and the sending of one digest."""

import datetime as dt
import logging

from django.utils import timezone
from django_tasks import task

from reporting.models import Reminder
from reporting.reminders import mail
from reporting.reminders.digests import Digest
from reporting.reminders.schedule import run_checks
from reporting.reminders.services import reminder_mark_sent, reminder_release

logger = logging.getLogger(__name__)


@task()
def check_cycles(today: str | None = None) -> dict:
    """Send what the open cycles owe their owners, unit heads and reviewers today (``today`` in
    ISO form; the local date by default). Queued every few minutes by `run_scheduler`; running it
    again the same day, or in two workers at once, sends nothing twice."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    checked = run_checks(day)
    return {"day": day.isoformat(), "claimed": checked.claimed, "held": checked.held}


@task()
def send_digest(reminder: int, digest: dict) -> bool:
    """Mail one claimed digest and mark its claim sent; a failed send releases the claim (the next
    check sends it again) and fails the task."""
    claim = Reminder.objects.filter(pk=reminder, sent_at__isnull=True).first()
    if claim is None:  # sent already, or released
        return False
    try:
        mail.send(Digest.from_payload(digest))
    except Exception:
        logger.exception("The reminder %s could not be sent; the next check retries it.", reminder)
        reminder_release(reminder=reminder)
        raise
    reminder_mark_sent(reminder=reminder)
    return True
