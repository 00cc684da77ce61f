"""Queue the reporting cycle's check every few minutes, for `manage.py db_worker` to run.

Each check sends the digests due that day that no run has sent yet, so a scheduler that runs
twice, or a check that runs in two workers at once, sends nothing twice.
"""

import datetime as dt
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from reporting.reminders.schedule import run_checks
from reporting.tasks import check_cycles


class Command(BaseCommand):
    help = (
        "Queue the reporting cycle's reminders check every REMINDER_CHECK_MINUTES (a db_worker "
        "runs it); --once queues it once, --now runs it here without a worker."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--minutes",
            type=float,
            default=settings.REMINDER_CHECK_MINUTES,
            help="minutes between two checks (default: REMINDER_CHECK_MINUTES, 15)",
        )
        parser.add_argument("--once", action="store_true", help="queue one check and stop")
        parser.add_argument(
            "--now",
            action="store_true",
            help="run one check and send its mails in this process, with no worker, and stop",
        )
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            help="the day to check, YYYY-MM-DD (default: today, in TIME_ZONE)",
        )

    def handle(self, *args, minutes, once, now, today, **options):
        day = today.isoformat() if today else None
        if now:
            checked = run_checks(today or timezone.localdate(), backend="immediate")
            self.stdout.write(f"{checked.claimed} digest(s) sent, {checked.held} sent before.")
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        while True:
            result = check_cycles.enqueue(today=day)
            self.stdout.write(f"Queued the reminders check ({result.id}).")
            if once or stop.wait(minutes * 60):
                return
