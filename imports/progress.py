"""A background run's progress: counted by its worker, kept beside the upload, read by its page.

The worker counts in memory (rows read, planned, written) and a thread of its own keeps the
counts, with the time, in the import storage every ``BEAT_SECONDS``: the run's heartbeat. Not a
database row: a confirmation writes in one transaction, which nobody else sees into before it
commits, and SQLite lets no other connection write meanwhile; the storage is what every app
server and worker shares anyway.

A run whose heartbeat is older than ``IMPORT_BACKGROUND_STALE_SECONDS``, or whose task the queue
no longer runs, has lost its worker: ``imports.services.import_batch_reap`` marks it failed
(its writes were one transaction, which died with the worker), and it can be run again.
"""

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from types import TracebackType

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_tasks import TaskResult, TaskResultStatus, task_backends
from django_tasks.exceptions import InvalidTaskBackendError, TaskResultDoesNotExist

from imports.formats import SheetRefused
from imports.models import RUNNING, ImportBatch
from imports.storage import stored_bytes, stored_name

log = logging.getLogger(__name__)

SUFFIX = ".progress.json"
BEAT_SECONDS = 1.0
# What a run is doing, as its page says it.
PHASES = {
    "queued": gettext_lazy("Waiting for a background worker"),
    "reading": gettext_lazy("Reading the file"),
    "planning": gettext_lazy("Planning the rows"),
    "writing": gettext_lazy("Writing the records"),
    "linking": gettext_lazy("Writing the links"),
}
COUNTS = ("read", "rows", "planned", "to_write", "written")
ENDED = (TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL)


class Progress:
    """What a run has done so far, kept by ``keep`` every ``every`` seconds while it runs.

    ``update`` is cheap (the engine calls it every thousand rows); a failure to keep the counts
    is logged and the run goes on: the page only shows the run as it was a moment longer.
    """

    def __init__(
        self,
        *,
        task: str,
        keep: Callable[[dict], None],
        phase: str = "reading",
        every: float = BEAT_SECONDS,
    ) -> None:
        self.task, self.keep, self.every = task, keep, every
        self.counts: dict = {"phase": phase, "read": 0, "rows": None, "planned": 0}
        self.counts |= {"to_write": None, "written": 0}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def update(self, **counts: object) -> None:
        with self._lock:
            self.counts.update(counts)

    def told(self, name: str) -> Callable[[int], None]:
        """A function the engine tells one count to, as it goes."""
        return lambda count: self.update(**{name: count})

    def snapshot(self) -> dict:
        with self._lock:
            return {**self.counts, "task": self.task, "beat": time.time()}

    def beat(self) -> None:
        try:
            self.keep(self.snapshot())
        except Exception:  # a storage that failed once: the next beat tries again
            log.warning("The progress of task %s could not be kept", self.task, exc_info=True)

    def __enter__(self) -> "Progress":
        self.beat()
        self._thread = threading.Thread(target=self._run, name=f"progress-{self.task}", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.beat()


def progress_name(batch: ImportBatch, task: str | None = None) -> str:
    """Where the run of ``task`` (the batch's current one by default) keeps its counts: a file
    of its own, so that a run that was given up for lost and comes back never overwrites the
    counts of the run that replaced it."""
    task = batch.task_id if task is None else task
    return stored_name(batch, f".{re.sub(r'[^A-Za-z0-9-]', '', task)[:64]}{SUFFIX}")


def kept_progress(batch: ImportBatch) -> dict | None:
    """The counts a run last kept, if they are there and of the batch's current task."""
    if not batch.task_id:
        return None
    try:
        data = json.loads(stored_bytes(progress_name(batch)))
    except (OSError, ValueError, SheetRefused):
        return None  # not yet kept, being rewritten this very moment, or gone
    if not isinstance(data, dict) or data.get("task") != batch.task_id:
        return None
    return data


def task_result(task_id: str) -> TaskResult | bool | None:
    """The queue's result of a task; None when the queue holds no such task; False when the
    backend cannot tell (one that runs each task at once keeps no results)."""
    try:
        return task_backends["default"].get_result(task_id)
    except TaskResultDoesNotExist:
        return None
    except (NotImplementedError, InvalidTaskBackendError):
        return False


def stale_after() -> float:
    return float(settings.IMPORT_BACKGROUND_STALE_SECONDS)


def lost(batch: ImportBatch, progress: dict | None) -> bool:
    """Whether a running batch has lost its worker: its task ended, or is gone from the queue,
    without the batch moving on; or it runs, but its heartbeat stopped."""
    if batch.status not in RUNNING:
        return False
    now = time.time()
    queued = batch.queued_at.timestamp() if batch.queued_at else now
    if not batch.task_id:  # queued in the same transaction as its task: it should have one
        return now - queued > stale_after()
    result = task_result(batch.task_id)
    if result is None or (result and result.status in ENDED):
        return True
    if result and result.status == TaskResultStatus.READY:
        return False  # waits for a worker; it has not started, so nothing of it is lost
    beat = progress.get("beat") if progress else None
    if not isinstance(beat, int | float):  # claimed, and about to beat for the first time
        beat = result.started_at.timestamp() if result and result.started_at else queued
    return now - beat > stale_after()


def waiting_long(batch: ImportBatch) -> bool:
    """Queued longer than a worker takes to start it: perhaps no worker runs."""
    if batch.status not in RUNNING or batch.queued_at is None:
        return False
    if (timezone.now() - batch.queued_at).total_seconds() <= stale_after():
        return False
    result = task_result(batch.task_id)
    return bool(result) and result.status == TaskResultStatus.READY


def batch_progress(batch: ImportBatch, progress: dict | None) -> dict:
    """What a batch's page shows of its background run, as its status endpoint sends it."""
    counts = {name: (progress or {}).get(name) for name in COUNTS}
    total = sum(batch.counts.get(name, 0) for name in ("new", "updated", "unchanged", "failed"))
    if batch.status == ImportBatch.Status.APPLYING and total:
        # Read and planned at the preview: a confirmation plans again only when records changed.
        counts["rows"] = counts["rows"] or total
        counts["read"] = counts["rows"]
        counts["planned"] = counts["planned"] or 0
    if batch.status in (ImportBatch.Status.PREVIEWED, ImportBatch.Status.APPLIED) and total:
        # Done: every row read and planned, and once imported, every record written.
        counts.update(read=total, rows=total, planned=total)
        if batch.status == ImportBatch.Status.APPLIED:
            written = batch.counts.get("new", 0) + batch.counts.get("updated", 0)
            counts.update(to_write=written, written=written)
    running = batch.status in RUNNING
    phase = (progress or {}).get("phase") if running and progress else "queued"
    if not running:
        phase = ""
    return {
        "status": batch.status,
        "status_label": str(batch.get_status_display()),
        "running": running,
        "stage": batch.stage,
        "phase": phase,
        "phase_label": str(PHASES.get(phase, "")),
        "waiting_long": running and phase == "queued" and waiting_long(batch),
        **{name: value if isinstance(value, int) else None for name, value in counts.items()},
    }
