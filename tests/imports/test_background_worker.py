"""A real background worker (`manage.py db_worker`, a process of its own) killed with SIGKILL in the
middle of a confirmation's writes: nothing is written, the batch shows as failed once its
heartbeat is stale, and running it again imports every row.

The worker is the product's own command, started with one thing added: after its first slice of
records is written (inside the confirmation's transaction), it says so in a file and sleeps, its
heartbeat still beating, until the test kills it. So the kill falls mid-apply every time, however
fast or slow the machine. On SQLite the worker and this test share the test database through a
file (the in-memory test database is copied into one); on PostgreSQL they share the test
database itself.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from common.roles import DATA_STEWARD
from imports.models import ImportBatch
from portfolio.models import PartnerInstitution
from tests.factories import user_with_role
from tests.imports.test_background import (
    DATABASE,
    named,
    partner_rows,
    partners_sheet,
    preview_url,
    status_of,
)

ROOT = Path(__file__).resolve().parents[2]
ROWS = 600
# The product's worker, pausing once its first slice of 100 records is written.
PAUSING_WORKER = """
import sys
import time
from pathlib import Path

import django

django.setup()

from django.core.management import call_command

from imports import services
from imports.progress import Progress

services.WRITTEN_TOLD = 100
paused = Path(sys.argv[1])
update = Progress.update


def update_then_pause(self, **counts):
    update(self, **counts)
    if counts.get("written"):
        paused.write_text(str(counts["written"]))
        time.sleep(600)  # inside the confirmation's transaction, until the test kills the worker


Progress.update = update_then_pause
call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
"""
WORKER = [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"]


@pytest.fixture
def shared_database(tmp_path):
    """The URL of the test database as another process opens it."""
    if connection.vendor != "sqlite":
        db = connection.settings_dict
        user, password = quote(db["USER"], safe=""), quote(db["PASSWORD"], safe="")
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        yield f"postgres://{user}:{password}@{host}:{port}/{db['NAME']}"
        return
    # The in-memory test database, copied into a file that this test's thread (below) and the
    # worker open; the main thread's in-memory connection is left alone.
    path = tmp_path / "shared.sqlite3"
    copy = sqlite3.connect(path)
    connection.ensure_connection()
    connection.connection.backup(copy)
    copy.close()
    settings_dict, name = connection.settings_dict, connection.settings_dict["NAME"]
    settings_dict["NAME"] = str(path)
    try:
        yield f"sqlite:///{path}"
    finally:
        settings_dict["NAME"] = name


def in_thread(function):
    """``function()`` in a thread of its own, with its own database connection."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = function()
        except BaseException as error:
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=600)
    assert not thread.is_alive(), "the scenario did not end"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_apply_leaves_nothing_written_and_the_run_is_retried(
    settings, tmp_path, shared_database
):
    settings.IMPORT_DIR = tmp_path / "imports"
    settings.IMPORT_BACKGROUND_BYTES = 1
    settings.IMPORT_BACKGROUND_STALE_SECONDS = 5
    settings.TASKS = {"default": DATABASE}
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": shared_database,
        "IMPORT_DIR": str(settings.IMPORT_DIR),
        "TASKS_BACKEND": DATABASE["BACKEND"],
    }
    logs = tmp_path / "worker.log"

    def worker(*command: str) -> subprocess.Popen:
        with logs.open("a") as log:
            return subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def finished(process: subprocess.Popen) -> None:
        assert process.wait(timeout=180) == 0, logs.read_text()

    def scenario() -> None:
        steward = user_with_role(DATA_STEWARD, username="kana", is_staff=True)
        client = Client()
        client.force_login(steward)
        content = partners_sheet(partner_rows(ROWS))
        upload = {"kind": "partners", "file": named(content, "partners.csv")}
        client.post(reverse("admin:imports_importbatch_upload"), upload)
        batch = ImportBatch.objects.get()
        finished(worker(*WORKER))  # the preview
        batch.refresh_from_db()
        assert batch.status == ImportBatch.Status.PREVIEWED, logs.read_text()

        client.post(preview_url(batch))
        batch.refresh_from_db()
        assert batch.status == ImportBatch.Status.APPLYING
        status_of(client, batch)  # the session's last activity, written before the worker locks
        paused = tmp_path / "paused"
        process = worker(sys.executable, "-c", PAUSING_WORKER, str(paused))
        try:
            wait_for(paused.exists, 120, "the worker to write its first slice")
            assert paused.read_text() == "100"
            # The heartbeat keeps the counts every second: the page sees them within a beat.
            wait_for(lambda: status_of(client, batch)["written"], 10, "the counts to be kept")
            status = status_of(client, batch)
            assert (status["running"], status["phase"]) == (True, "writing")
            assert (status["written"], status["to_write"]) == (100, ROWS)
            assert not PartnerInstitution.objects.exists()  # written, but not committed
            os.kill(process.pid, signal.SIGKILL)
            assert process.wait(timeout=30) == -signal.SIGKILL
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

        assert not PartnerInstitution.objects.exists()
        assert not PartnerInstitution.history.exists()
        wait_for(lambda: not status_of(client, batch)["running"], 60, "the run to show lost")
        status = status_of(client, batch)
        assert status["status"] == "failed"
        assert status["failure"].startswith("The background worker running this import stopped")
        killed = DBTaskResult.objects.get(id=batch.task_id)
        assert killed.status == "RUNNING"  # nobody finished it: the queue's worker died with it

        page = client.get(preview_url(batch)).content.decode()
        assert 'id="import-retry"' in page
        client.post(reverse("admin:imports_importbatch_retry", args=[batch.pk]))
        finished(worker(*WORKER))
        batch.refresh_from_db()
        assert batch.status == ImportBatch.Status.APPLIED, logs.read_text()
        assert PartnerInstitution.objects.count() == ROWS
        history = PartnerInstitution.history.filter(history_change_reason=batch.reason)
        assert history.count() == PartnerInstitution.history.count() == ROWS

    in_thread(scenario)
