"""Benchmark of a large sheet imported in the background against the same sheet in two requests.

Generates a 50,000-row activities XLSX (the rows of ``bench/import_bench.py``) and, on one
throwaway database, in one run:

* in the request: the upload (which reads and plans the sheet) and the confirmation (which writes
  it), two POSTs to the admin through Django's test client (the whole middleware stack and the
  views, no network), with ``IMPORT_BACKGROUND_BYTES`` above the file's size;
* in the background: the same two POSTs with the setting at its default, each of which queues a
  task and returns; meanwhile the status endpoint is asked every ``--poll`` seconds, as the
  batch's page does, until the preview, then the import, is done. The work is done by a real
  ``manage.py db_worker`` in a process of its own (started before the upload, as in production),
  whose peak resident memory (``VmHWM``) is read from ``/proc``, and that of the confined child
  it forks to read the upload.

Both start from a table without activities; the records each writes are compared. The targets:
the upload request answers in 2 s or less; the progress reaches the end (every row read,
planned and written); the background import, from the upload to the moment its page sees it
done, takes at most 1.2 times the two requests; the worker's peak RSS is under 500 MB.

    .venv/bin/python bench/background_import_bench.py [--rows 50000] [--poll 0.5]
    .venv/bin/python bench/background_import_bench.py --smoke

Runs on SQLite (a file in a temporary directory) unless DATABASE_URL names a database; on
PostgreSQL it creates and drops its own database ``<name>_bg_import_bench``, never the one named.
A 50,000-row sheet of all 13 activity columns holds 650,000 cells: this run raises
``IMPORT_MAX_CELLS`` (and, where needed, the other limits) for itself and its worker, and says so.
"""
# ruff: noqa: E402  (Django is set up, by import_bench, before the product's modules are imported)

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

# The limits a 50,000-row sheet needs, before the settings are read (here and in the worker).
RAISED = {"IMPORT_MAX_CELLS": "1000000", "IMPORT_MAX_SHEET_CHARS": "40000000"}
for _name, _value in RAISED.items():
    os.environ.setdefault(_name, _value)
# Its tasks wait in the throwaway database, for the db_worker it starts, whatever queue the
# environment names.
os.environ["TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"

sys.path.insert(0, str(Path(__file__).resolve().parent))
import import_bench as base  # sets up Django on a temporary directory of its own
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse

from imports.models import ImportBatch
from portfolio.models import Activity

# The first words of the table a run prints; tests/test_bench_smoke.py looks for them.
SMOKE_TABLE = "Background import on"
SMOKE_ROWS = 300
TARGET_UPLOAD_SECONDS = 2.0
TARGET_TOTAL_RATIO = 1.2  # background total / the two requests
TARGET_MEMORY_MB = 500.0
BACKGROUND_BYTES = settings.IMPORT_BACKGROUND_BYTES  # the setting as the environment has it
WORKER_SECRET = "bench-only-secret-key-of-a-throwaway-worker-" + "x" * 20


# --- The two paths ---------------------------------------------------------------------------


def steward_client(user) -> Client:
    get_user_model().objects.filter(pk=user.pk).update(is_staff=True)  # the admin's screens
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def post_upload(client: Client, content: bytes) -> tuple[float, ImportBatch]:
    upload = base.io.BytesIO(content)
    upload.name = "bench.xlsx"
    start = time.perf_counter()
    response = client.post(
        reverse("admin:imports_importbatch_upload"), {"kind": "activities", "file": upload}
    )
    seconds = time.perf_counter() - start
    if response.status_code != 302:
        raise SystemExit(f"the upload was refused:\n{response.content.decode()[:3000]}")
    return seconds, ImportBatch.objects.latest("pk")


def post_confirm(client: Client, batch: ImportBatch) -> float:
    start = time.perf_counter()
    response = client.post(reverse("admin:imports_importbatch_preview", args=[batch.pk]))
    seconds = time.perf_counter() - start
    if response.status_code != 302:
        raise SystemExit(f"the confirmation failed: {response.status_code}")
    return seconds


def in_the_request(client: Client, content: bytes) -> dict:
    settings.IMPORT_BACKGROUND_BYTES = len(content) + 1
    preview, batch = post_upload(client, content)
    if batch.status != ImportBatch.Status.PREVIEWED or batch.counts.get("failed"):
        raise SystemExit(f"the preview failed: {batch.status} {batch.errors[:3]}")
    confirm = post_confirm(client, batch)
    batch.refresh_from_db()
    if batch.status != ImportBatch.Status.APPLIED:
        raise SystemExit(f"the import in the request ended {batch.status}")
    return {"preview": preview, "confirm": confirm, "seconds": preview + confirm}


def poll(client: Client, batch: ImportBatch, every: float, seen: dict) -> dict:
    """Ask the status as the page's script does until the run has ended; the last answer."""
    url = reverse("admin:imports_importbatch_status", args=[batch.pk])
    while True:
        started = time.perf_counter()
        response = client.get(url)
        took = time.perf_counter() - started
        seen["polls"] += 1
        seen["slowest poll"] = max(seen["slowest poll"], took)
        status = response.json()
        for name in ("read", "planned", "written"):
            if status.get(name) is not None:
                seen[name] = max(seen[name], status[name])
        if not status["running"]:
            return status
        time.sleep(max(0.0, every - took))


def in_the_background(client: Client, content: bytes, every: float) -> dict:
    settings.IMPORT_BACKGROUND_BYTES = min(BACKGROUND_BYTES, len(content))  # a smoke run's too
    seen = {"polls": 0, "slowest poll": 0.0, "read": 0, "planned": 0, "written": 0}
    start = time.perf_counter()
    upload, batch = post_upload(client, content)
    status = poll(client, batch, every, seen)
    previewed = time.perf_counter()
    batch.refresh_from_db()
    if status["status"] != ImportBatch.Status.PREVIEWED or batch.counts.get("failed"):
        raise SystemExit(f"the background preview ended {status}")
    confirm = post_confirm(client, batch)
    status = poll(client, batch, every, seen)
    done = time.perf_counter()
    if status["status"] != ImportBatch.Status.APPLIED:
        raise SystemExit(f"the background import ended {status}")
    batch.refresh_from_db()
    total = sum(batch.counts.get(name, 0) for name in ("new", "updated", "unchanged"))
    return {
        "upload": upload,
        "preview": previewed - start,
        "confirm request": confirm,
        "confirm": done - previewed,
        "seconds": done - start,
        "rows": total,
        **seen,
    }


# --- The worker ------------------------------------------------------------------------------


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user, password = quote(db["USER"], safe=""), quote(db["PASSWORD"], safe="")
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}:{password}@{host}:{port}/{db['NAME']}"


class Worker:
    """``manage.py db_worker`` on the throwaway database, and the peak memory of it and its
    children, sampled while it runs."""

    def __init__(self, log: Path) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_DEBUG": "0",  # as in production: no query log growing in memory
            "DJANGO_SECRET_KEY": WORKER_SECRET,
            "DJANGO_SSL_REDIRECT": "0",
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        }
        self.log = log.open("w")
        command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"]
        self.process = subprocess.Popen(
            command, cwd=base.ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.peak_mb = self.child_peak_mb = self.baseline_mb = 0.0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak_mb = max(self.peak_mb, status_mb(self.process.pid, "VmHWM"))
            if not self.baseline_mb:
                self.baseline_mb = status_mb(self.process.pid, "VmRSS")
            for child in children(self.process.pid):
                self.child_peak_mb = max(self.child_peak_mb, status_mb(child, "VmHWM"))

    def ready(self) -> None:
        """Wait until Django is set up in the worker (its resident memory stops growing)."""
        last, steady = 0.0, 0
        deadline = time.monotonic() + 120
        while steady < 5 and time.monotonic() < deadline:
            time.sleep(0.2)
            if self.process.poll() is not None:
                raise SystemExit(f"the worker stopped:\n{Path(self.log.name).read_text()}")
            now = status_mb(self.process.pid, "VmRSS")
            steady = steady + 1 if now and abs(now - last) < 0.5 else 0
            last = now
        self.baseline_mb = last

    def stop(self) -> None:
        self.peak_mb = max(self.peak_mb, status_mb(self.process.pid, "VmHWM"))
        self._stop.set()
        self._sampler.join()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # finishes the task it runs, then stops
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def status_mb(pid: int, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def children(pid: int) -> list[int]:
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(child) for child in listed.split()]
    except (OSError, ValueError):
        return []


# --- Report ----------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def report(label: str, rows: int, size: int, sync: dict, background: dict, worker: Worker) -> None:
    print(
        f"\nBackground import on {label}, {os.cpu_count()} CPUs: {rows:,}-row activities XLSX "
        "(best of the repetitions; the slowest upload request)"
    )
    print(f"  ({size / 1e6:.1f} MB; {', '.join(f'{k}={v}' for k, v in RAISED.items())})")
    print(f"{'path':<16}{'upload':>9}{'preview':>9}{'confirm':>9}{'total':>9}")
    print(
        f"{'in the request':<16}{sync['preview']:>9.2f}{sync['preview']:>9.2f}"
        f"{sync['confirm']:>9.2f}{sync['seconds']:>9.2f}"
    )
    print(
        f"{'background':<16}{background['upload']:>9.2f}{background['preview']:>9.2f}"
        f"{background['confirm']:>9.2f}{background['seconds']:>9.2f}"
    )
    print(
        f"  (background preview and confirm: from the request to the poll that saw the run end; "
        f"the confirmation request itself took {background['confirm request']:.2f} s; "
        f"{background['polls']} polls, the slowest {background['slowest poll']:.2f} s)"
    )
    ratio = background["seconds"] / sync["seconds"]
    reached = all(background[name] == rows for name in ("read", "planned", "written"))
    print("\nTargets:")
    upload_met = background["upload"] <= TARGET_UPLOAD_SECONDS
    print(
        f"  upload request {background['upload']:.2f} s, target <= {TARGET_UPLOAD_SECONDS:g} s: "
        f"{verdict(upload_met)}"
    )
    print(
        f"  progress seen: {background['read']:,} read, {background['planned']:,} planned, "
        f"{background['written']:,} written of {rows:,}: {verdict(reached)}"
    )
    print(
        f"  total {background['seconds']:.2f} s / {sync['seconds']:.2f} s in the request = "
        f"{ratio:.2f}x, target <= {TARGET_TOTAL_RATIO:g}x: {verdict(ratio <= TARGET_TOTAL_RATIO)}"
    )
    print(
        f"  worker peak RSS {worker.peak_mb:.0f} MB (after start {worker.baseline_mb:.0f} MB; "
        f"its confined reader {worker.child_peak_mb:.0f} MB), target < {TARGET_MEMORY_MB:g} MB: "
        f"{verdict(worker.peak_mb < TARGET_MEMORY_MB)}"
    )


# --- Main ------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between status polls")
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs of each path, in alternating order (best kept)"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a tiny sheet and an unmigrated database: checks that the benchmark runs",
    )
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.repeat = SMOKE_ROWS, 1
    return args


def main() -> None:
    args = parse_args()
    base.SMOKE = args.smoke
    try:
        original = base.use_throwaway_database(base.database_suffix("_bg_import_bench"))
        try:
            label = base.database_label()
            if args.smoke:
                print("Smoke run: a tiny sheet, tables from the models; the figures mean nothing")
            print(f"Database: {label} (throwaway); files in {base.WORKDIR}", flush=True)
            ref = base.create_reference()
            base.create_reference_initiatives(ref)
            specs = base.activity_specs(
                args.rows,
                units=len(ref.units),
                initiatives=len(ref.initiatives),
                partners=len(ref.partners),
            )
            content = base.sheet("activities", "xlsx", base.activity_rows(specs, ref))
            client = steward_client(ref.user)
            # One worker for every background run, started first, as a server's is.
            worker = Worker(base.WORKDIR / "worker.log")
            runs: dict[str, list[dict]] = {"sync": [], "background": []}
            digests = set()
            try:
                worker.ready()
                for repetition in range(args.repeat):
                    order = ["sync", "background"][:: 1 if repetition % 2 == 0 else -1]
                    for path in order:
                        base.wipe("activities")
                        if path == "sync":
                            runs[path].append(in_the_request(client, content))
                        else:
                            runs[path].append(in_the_background(client, content, args.poll))
                        digests.add(base.fingerprint("activities"))
                        written = Activity.objects.count(), Activity.history.count()
                        if written != (args.rows, args.rows):
                            raise SystemExit(f"{path} wrote {written} rows and history rows")
                        print(json.dumps({path: runs[path][-1]}, default=float), flush=True)
            finally:
                worker.stop()
            if len(digests) != 1:
                raise SystemExit("the background import wrote other records than the request")
            sync = min(runs["sync"], key=lambda run: run["seconds"])
            background = min(runs["background"], key=lambda run: run["seconds"])
            background["upload"] = max(run["upload"] for run in runs["background"])
        finally:
            base.drop_throwaway_database(original)
        report(label, args.rows, len(content), sync, background, worker)
    finally:
        base.shutil.rmtree(base.WORKDIR, ignore_errors=True)


if __name__ == "__main__":
    main()
