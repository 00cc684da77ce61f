"""Large sheets are previewed and confirmed by a background worker; the request returns at once.

The upload keeps the file in the import storage and queues the run in the transaction that writes
the batch; the batch's page shows the run's progress (rows read, planned, written), which a small
JSON status endpoint sends to the page's script. What the worker ends with is what the request
would have: the same preview, the same rows written all or nothing, the same row errors. A worker
that dies mid-run leaves nothing written and a failed batch, which can be run again.
"""

import datetime as dt
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from common.roles import ADMINISTRATOR, DATA_STEWARD, EDITOR
from imports.engine import KINDS
from imports.formats import write_table
from imports.models import ImportBatch
from imports.progress import Progress, progress_name
from imports.services import import_batch_reap, keep_progress, stored_name
from portfolio.models import PartnerInstitution
from tests.factories import PartnerFactory, user_with_role

UPLOAD = "admin:imports_importbatch_upload"
PARTNER_HEADERS = KINDS["partners"]().headers()
DATABASE = {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
IMMEDIATE = {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"
    settings.IMPORT_BACKGROUND_BYTES = 1  # every upload of these tests goes to the background
    return settings.IMPORT_DIR


@pytest.fixture
def queued(settings):
    """Tasks wait in the database's queue until a worker (`db_worker`) runs them."""
    settings.TASKS = {"default": DATABASE}


@pytest.fixture
def at_once(settings):
    """Tasks run at once, in the process that queues them (django-tasks' immediate backend)."""
    settings.TASKS = {"default": IMMEDIATE}


@pytest.fixture
def steward(db):
    return user_with_role(DATA_STEWARD, username="kana", is_staff=True)


def partner_rows(count: int, start: int = 0, city: str = "Bangkok") -> list[list[object]]:
    return [[f"University {n:05d}", "", "TH", city, "", ""] for n in range(start, start + count)]


def partners_sheet(rows: list[list[object]], file_format: str = "csv") -> bytes:
    return write_table(file_format, PARTNER_HEADERS, rows)


def upload(client, user, content: bytes, file_format: str = "csv"):
    client.force_login(user)
    return client.post(
        reverse(UPLOAD),
        {"kind": "partners", "file": named(content, f"partners.{file_format}")},
    )


def named(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def preview_url(batch: ImportBatch) -> str:
    return reverse("admin:imports_importbatch_preview", args=[batch.pk])


def status_of(client, batch: ImportBatch) -> dict:
    response = client.get(reverse("admin:imports_importbatch_status", args=[batch.pk]))
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/json"
    return response.json()


def run_worker() -> None:
    """A database worker runs every queued task, then stops."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


# The upload returns at once ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_large_upload_is_queued_and_the_request_returns_to_its_page(client, steward, queued):
    response = upload(client, steward, partners_sheet(partner_rows(30)))

    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == preview_url(batch)
    assert (batch.status, batch.stage) == (ImportBatch.Status.PLANNING, ImportBatch.Stage.PREVIEW)
    [task] = DBTaskResult.objects.all()
    assert (task.task_path, task.status, str(task.id)) == (
        "imports.tasks.run_batch",
        "READY",
        batch.task_id,
    )
    assert task.args_kwargs["args"] == [batch.pk, "en"]
    assert batch.counts == {} and not PartnerInstitution.objects.exists()

    page = client.get(preview_url(batch)).content.decode()
    assert 'id="import-progress"' in page
    status_url = reverse("admin:imports_importbatch_status", args=[batch.pk])
    assert f'data-status-url="{status_url}"' in page
    assert "/static/admin/js/import_progress.js" in page
    # Without script, the page refreshes itself until the run is done.
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert "Confirm the import" not in page
    assert status_of(client, batch) == {
        "status": "planning",
        "status_label": "Being read",
        "running": True,
        "stage": "preview",
        "phase": "queued",
        "phase_label": "Waiting for a background worker",
        "waiting_long": False,
        "read": None,
        "rows": None,
        "planned": None,
        "to_write": None,
        "written": None,
        "failure": "",
    }


@pytest.mark.django_db(transaction=True)
def test_the_worker_previews_then_the_confirmation_is_written_in_the_background(
    client, steward, queued
):
    upload(client, steward, partners_sheet(partner_rows(30)))
    batch = ImportBatch.objects.get()
    run_worker()

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED
    assert batch.counts == {"new": 30, "updated": 0, "unchanged": 0, "failed": 0}
    assert status_of(client, batch)["running"] is False
    page = client.get(preview_url(batch)).content.decode()
    assert "Confirm the import" in page and 'id="import-progress"' not in page

    response = client.post(preview_url(batch))
    assert response.status_code == 302 and response["Location"] == preview_url(batch)
    batch.refresh_from_db()
    assert (batch.status, batch.stage) == (ImportBatch.Status.APPLYING, ImportBatch.Stage.CONFIRM)
    assert not PartnerInstitution.objects.exists()  # queued, not written
    status = status_of(client, batch)
    assert (status["running"], status["rows"], status["read"]) == (True, 30, 30)
    page = client.get(preview_url(batch)).content.decode()
    assert "Records written" in page and "Confirm the import" not in page

    run_worker()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLIED
    assert PartnerInstitution.objects.count() == 30
    history = PartnerInstitution.history.filter(history_change_reason=batch.reason)
    assert set(history.values_list("history_type", "history_user")) == {("+", steward.pk)}
    assert history.count() == 30
    tasks = DBTaskResult.objects.values_list("status", flat=True)
    assert list(tasks) == ["SUCCESSFUL", "SUCCESSFUL"]
    # The page the script reloads once the run has ended links to what it wrote.
    page = client.get(preview_url(batch)).content.decode()
    change = reverse("admin:imports_importbatch_change", args=[batch.pk])
    assert f'<a href="{change}" id="import-records">' in page
    assert not list(import_folder_of().glob("*.progress.json"))  # each run forgot its counts


def import_folder_of():
    from django.conf import settings

    return settings.IMPORT_DIR


def test_a_small_sheet_is_still_previewed_and_imported_within_the_request(
    client, steward, settings, queued
):
    content = partners_sheet(partner_rows(3))
    settings.IMPORT_BACKGROUND_BYTES = len(content) + 1
    response = upload(client, steward, content)
    batch = ImportBatch.objects.get()
    assert response["Location"] == preview_url(batch)
    assert batch.status == ImportBatch.Status.PREVIEWED and batch.stage == ""
    client.post(preview_url(batch))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLIED
    assert PartnerInstitution.objects.count() == 3
    assert not DBTaskResult.objects.exists()


# What the worker ends with is what the request would have -----------------------------------


def snapshot(batch: ImportBatch) -> dict:
    """What a batch's import did, without what names the batch itself."""
    batch.refresh_from_db()
    history = PartnerInstitution.history.filter(history_change_reason=batch.reason)
    return {
        "status": batch.status,
        "counts": batch.counts,
        "errors": batch.errors,
        "sample": batch.sample,
        "columns": batch.columns,
        "records": sorted(
            PartnerInstitution.objects.values_list("name", "country", "city", "website")
        ),
        "history": sorted(history.values_list("name", "city", "history_type", "history_user")),
    }


def import_twice(client, steward, content: bytes, settings) -> tuple[dict, dict]:
    """The same sheet imported in the request, then (from the same records) in the background."""
    from django.db import transaction

    with transaction.atomic():
        settings.IMPORT_BACKGROUND_BYTES = len(content) + 1
        upload(client, steward, content, "xlsx")
        in_request = ImportBatch.objects.latest("pk")
        client.post(preview_url(in_request))
        synchronous = snapshot(in_request)
        transaction.set_rollback(True)
    settings.IMPORT_BACKGROUND_BYTES = 1
    upload(client, steward, content, "xlsx")
    background = ImportBatch.objects.latest("pk")
    assert background.status == ImportBatch.Status.PREVIEWED
    client.post(preview_url(background))
    return synchronous, snapshot(background)


def test_the_background_import_ends_as_the_import_in_the_request(
    client, steward, settings, at_once
):
    PartnerFactory(name="University 00000", country="TH", city="Old city")
    PartnerFactory(name="University 00001", country="TH", city="Bangkok")
    content = partners_sheet(partner_rows(40), "xlsx")

    synchronous, background = import_twice(client, steward, content, settings)

    assert background == synchronous
    assert background["status"] == "applied"
    assert background["counts"] == {"new": 38, "updated": 1, "unchanged": 1, "failed": 0}


def test_the_background_preview_finds_the_same_row_errors(client, steward, settings, at_once):
    failing = [["", "", "TH", "", "", ""], ["University X", "", "Atlantis", "", "", ""]]
    rows = [*partner_rows(5), *failing]
    content = partners_sheet(rows, "xlsx")

    synchronous, background = import_twice(client, steward, content, settings)

    assert background == synchronous
    assert background["status"] == "previewed" and background["counts"]["failed"] == 2
    assert background["records"] == [] and background["history"] == []


# The progress, as the run goes ------------------------------------------------------------------


@pytest.fixture
def told_often(monkeypatch):
    """Counts told every 10 rows, and every count a run keeps, as it keeps it."""
    monkeypatch.setattr("imports.formats.ROWS_TOLD", 10)
    monkeypatch.setattr("imports.engine.ROWS_TOLD", 10)
    monkeypatch.setattr("imports.services.WRITTEN_TOLD", 10)
    seen: list[dict] = []
    update = Progress.update

    def update_and_see(self, **counts):
        update(self, **counts)
        seen.append(self.snapshot())

    monkeypatch.setattr(Progress, "update", update_and_see)
    return seen


def test_the_run_counts_the_rows_read_planned_and_written_as_it_goes(
    client, steward, at_once, told_often
):
    upload(client, steward, partners_sheet(partner_rows(45), "xlsx"), "xlsx")
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.PREVIEWED
    # Read in the confined child, which tells the rows it has read through a pipe of its own.
    # The parent passes on the latest count the child told (it may have told several meanwhile).
    read = [s["read"] for s in told_often if s["phase"] == "reading"]
    assert read and read == sorted(read) and read[-1] == 40  # of 46: the header and 45 rows
    assert set(read) <= {10, 20, 30, 40}
    planning = [s for s in told_often if s["phase"] == "planning"]
    assert planning[0]["rows"] == planning[0]["read"] == 45
    assert [s["planned"] for s in planning] == [0, 0, 10, 20, 30, 40, 45]
    assert {s["task"] for s in told_often} == {batch.task_id}

    told_often.clear()
    client.post(preview_url(batch))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLIED
    # The plan of the preview still holds: written as it is, 10 records at a time.
    assert told_often[0]["phase"] == "writing" and told_often[0]["to_write"] == 45
    assert [s["written"] for s in told_often[1:]] == [10, 20, 30, 40, 45]


@pytest.mark.django_db(transaction=True)
def test_the_status_endpoint_sends_what_the_running_worker_counted(client, steward, queued):
    upload(client, steward, partners_sheet(partner_rows(30)))
    batch = ImportBatch.objects.get()
    # A worker has taken the task and kept its counts a moment ago.
    DBTaskResult.objects.update(status="RUNNING", started_at=timezone.now())
    counts = {"phase": "planning", "read": 30, "rows": 30, "planned": 20}
    keep_progress(batch, {**counts, "task": batch.task_id, "beat": time.time()})

    status = status_of(client, batch)
    assert status["running"] is True and status["status"] == "planning"
    assert (status["phase"], status["phase_label"]) == ("planning", "Planning the rows")
    assert (status["read"], status["rows"], status["planned"]) == (30, 30, 20)
    # The page, without script, shows the same counts.
    page = client.get(preview_url(batch)).content.decode()
    assert '<span data-count="planned">20</span> / <span data-count="rows">30</span>' in page
    assert '<progress data-bar="planned" data-of="rows" max="30" value="20">' in page

    # Counts kept by another task (an earlier run of the batch) are not this run's.
    (import_folder_of() / progress_name(batch)).unlink()
    keep_progress(batch, {**counts, "task": "another", "beat": time.time()})
    assert status_of(client, batch)["planned"] is None


@pytest.mark.django_db(transaction=True)
def test_the_page_says_when_no_worker_has_taken_the_import_for_long(
    client, steward, queued, settings
):
    upload(client, steward, partners_sheet(partner_rows(3)))
    batch = ImportBatch.objects.get()
    assert status_of(client, batch)["waiting_long"] is False
    ImportBatch.objects.update(queued_at=timezone.now() - dt.timedelta(minutes=5))
    status = status_of(client, batch)
    assert (status["running"], status["waiting_long"]) == (True, True)  # waiting, not failed
    page = client.get(preview_url(batch)).content.decode()
    waiting = page.split('id="import-progress-waiting"')[1].split(">")[0]
    assert "hidden" not in waiting and "manage.py db_worker" in page


# Failures and retries ---------------------------------------------------------------------------


@pytest.fixture
def failing_writes(monkeypatch):
    """The second slice of history rows a confirmation writes fails: a worker stopped midway."""
    from imports import services

    monkeypatch.setattr(services, "WRITTEN_TOLD", 10)
    real, calls = services.write_history, []

    def write_history(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the worker stopped")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "write_history", write_history)
    return monkeypatch


def test_a_run_that_fails_midway_writes_nothing_and_can_be_run_again(
    client, steward, at_once, failing_writes
):
    upload(client, steward, partners_sheet(partner_rows(30)))
    batch = ImportBatch.objects.get()
    client.post(preview_url(batch))

    batch.refresh_from_db()
    assert (batch.status, batch.stage) == (ImportBatch.Status.FAILED, ImportBatch.Stage.CONFIRM)
    assert not PartnerInstitution.objects.exists() and not PartnerInstitution.history.exists()
    page = client.get(preview_url(batch)).content.decode()
    assert "The background run stopped with an error before it finished" in page
    assert 'id="import-retry"' in page and "Run it again" in page
    assert 'id="import-counts"' in page  # the preview it was confirming is still shown
    assert "This import is" not in page
    assert status_of(client, batch)["running"] is False

    failing_writes.undo()  # the worker is back
    response = client.post(reverse("admin:imports_importbatch_retry", args=[batch.pk]))
    assert response["Location"] == preview_url(batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLIED and batch.failure == {}
    assert PartnerInstitution.objects.count() == 30
    assert PartnerInstitution.history.count() == 30
    reasons = list(batch.history.order_by("history_id").values_list("history_change_reason"))
    assert [reason for (reason,) in reasons] == [
        "Uploaded; read and planned in the background",
        "Read and planned in the background",
        "Confirmed; written in the background",
        "Background run ended: The background run stopped with an error before it finished; "
        "nothing was written. Run it again, or upload the file again.",
        "Run again in the background",
        "Confirmed",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_batch_whose_task_is_gone_shows_as_failed_and_runs_again(client, steward, queued):
    upload(client, steward, partners_sheet(partner_rows(30)))
    batch = ImportBatch.objects.get()
    DBTaskResult.objects.all().delete()  # pruned, or the queue lost it

    status = status_of(client, batch)
    assert (status["running"], status["status"]) == (False, "failed")
    assert status["failure"].startswith("The background worker running this import stopped")
    batch.refresh_from_db()
    assert batch.history.latest().history_user is None  # the product found it, not the reader
    page = client.get(preview_url(batch)).content.decode()
    assert 'id="import-retry"' in page and 'id="import-counts"' not in page  # nothing previewed

    client.post(reverse("admin:imports_importbatch_retry", args=[batch.pk]))
    batch.refresh_from_db()
    [task] = DBTaskResult.objects.all()
    assert (batch.status, batch.task_id, task.status) == ("planning", str(task.id), "READY")
    run_worker()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED and batch.counts["new"] == 30


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_heartbeat_stopped_is_failed_and_a_beating_one_is_not(
    client, steward, queued, settings
):
    settings.IMPORT_BACKGROUND_STALE_SECONDS = 60
    upload(client, steward, partners_sheet(partner_rows(30)))
    batch = ImportBatch.objects.get()
    client.logout()
    DBTaskResult.objects.update(status="RUNNING", started_at=timezone.now())
    keep_progress(batch, {"phase": "reading", "task": batch.task_id, "beat": time.time() - 30})
    assert import_batch_reap(batch=batch) is False
    assert batch.status == ImportBatch.Status.PLANNING

    keep_progress(batch, {"phase": "reading", "task": batch.task_id, "beat": time.time() - 61})
    assert import_batch_reap(batch=batch) is True
    assert batch.status == ImportBatch.Status.FAILED

    # Should the lost worker come back to life, its run finds the batch no longer waits for it.
    from imports.services import import_batch_run

    assert import_batch_run(batch=batch.pk, task=batch.task_id) == "skipped"
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and batch.counts == {}


def test_a_file_the_background_preview_refuses_is_refused_on_its_page(client, steward, at_once):
    response = upload(client, steward, b"PK\x03\x04 not really a workbook", "xlsx")
    batch = ImportBatch.objects.get()
    assert response["Location"] == preview_url(batch)
    assert batch.status == ImportBatch.Status.REFUSED
    page = client.get(preview_url(batch)).content.decode()
    assert 'id="import-failure"' in page and "Upload a file again" in page
    assert 'id="import-retry"' not in page and 'id="import-counts"' not in page
    assert not import_folder_of().exists() or not list(import_folder_of().iterdir())


def test_what_needs_no_reading_is_refused_by_the_upload_itself(client, steward, at_once):
    response = upload(client, steward, b"name\nX\n", "txt")
    assert response.status_code == 200
    assert "is not a CSV, XLSX or ODS file" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_only_a_failed_run_is_run_again_and_only_by_its_steward(client, steward, at_once):
    upload(client, steward, partners_sheet(partner_rows(3)))
    batch = ImportBatch.objects.get()
    retry = reverse("admin:imports_importbatch_retry", args=[batch.pk])
    page = client.post(retry, follow=True).content.decode()
    assert "Only an import whose background run failed can be run again." in page
    ImportBatch.objects.update(status=ImportBatch.Status.FAILED)
    for other in (
        user_with_role(DATA_STEWARD, username="ren", is_staff=True),
        user_with_role(ADMINISTRATOR, username="root", is_staff=True),
    ):
        client.force_login(other)
        assert client.post(retry).status_code == 403
    assert ImportBatch.objects.get().status == ImportBatch.Status.FAILED


def test_a_failed_run_waits_as_a_preview_does_and_expires_alike(client, steward, at_once):
    upload(client, steward, partners_sheet(partner_rows(3)))
    batch = ImportBatch.objects.get()
    old = timezone.now() - dt.timedelta(days=30)
    ImportBatch.objects.update(status=ImportBatch.Status.FAILED, created_at=old)
    retry = reverse("admin:imports_importbatch_retry", args=[batch.pk])
    page = client.post(retry, follow=True).content.decode()
    assert "This preview expired" in page
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.EXPIRED
    assert not (import_folder_of() / batch.stored_name).exists()


# Who may read a batch's progress ----------------------------------------------------------------


def test_the_status_is_for_those_who_may_read_the_batch_and_not_found_for_others(
    client, steward, queued
):
    upload(client, steward, partners_sheet(partner_rows(3)))
    batch = ImportBatch.objects.get()
    url = reverse("admin:imports_importbatch_status", args=[batch.pk])
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 405
    answers = {}
    for name, user in {
        "another steward": user_with_role(DATA_STEWARD, username="ren", is_staff=True),
        "an editor": user_with_role(EDITOR, username="kenji", is_staff=True),
        "an administrator": user_with_role(ADMINISTRATOR, username="root", is_staff=True),
    }.items():
        client.force_login(user)
        answers[name] = client.get(url).status_code
    assert answers == {"another steward": 404, "an editor": 404, "an administrator": 200}
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    no_such = reverse("admin:imports_importbatch_status", args=[batch.pk + 1])
    client.force_login(steward)
    assert client.get(no_such).status_code == 404


# Through the storage, wherever it keeps the files -----------------------------------------------


def test_the_worker_reads_the_upload_through_the_import_storage(client, steward, at_once, settings):
    """Kept by a storage with no folder at all (as S3 is to the app servers): the worker reads
    the upload from it, the confined reader still reading it in a child process."""
    assert settings.IMPORT_READ_CONFINED
    settings.STORAGES = {
        **settings.STORAGES,
        "imports": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    upload(client, steward, partners_sheet(partner_rows(12), "ods"), "ods")
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.PREVIEWED
    client.post(preview_url(batch))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLIED
    assert PartnerInstitution.objects.count() == 12
    assert not import_folder_of().exists()  # nothing went to the folder of the default storage

    from imports.storage import import_storage

    kept = sorted(import_storage().listdir("")[1])
    assert kept == sorted(
        stored_name(batch, suffix) for suffix in ("", ".table.json", ".plan.json")
    )


@pytest.mark.django_db(transaction=True)
def test_the_progress_speaks_the_readers_language(client, steward, queued, settings):
    upload(client, steward, partners_sheet(partner_rows(3)))
    batch = ImportBatch.objects.get()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    page = client.get(preview_url(batch)).content.decode()
    assert "読み込んだ行" in page and "確認した行" in page
    assert "バックグラウンド処理の開始を待っています" in page
    status = status_of(client, batch)
    assert (status["status_label"], status["phase_label"]) == (
        "読み込み中",
        "バックグラウンド処理の開始を待っています",
    )
    change = client.get(reverse("admin:imports_importbatch_change", args=[batch.pk]))
    assert f'href="{preview_url(batch)}"' in change.content.decode()


def test_a_large_sheet_is_mapped_again_in_the_background(client, steward, at_once):
    """As a small sheet's mapping is (tests/imports/test_mapping.py), but read again by a
    worker from the table kept at the preview."""
    from imports.mapping import header_key, suggest
    from tests.imports.test_mapping import KOREAN
    from units.models import Institution

    Institution.objects.create(code="KU", name="Kyoto University")
    upload(client, steward, KOREAN.read_bytes())
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.PREVIEWED and batch.counts["new"] == 0
    suggested = suggest(KINDS["partners"](), batch.columns["headers"])
    form = {f"column-{index}": target for index, target in enumerate(suggested)}
    response = client.post(reverse("admin:imports_importbatch_map", args=[batch.pk]), form)

    assert response["Location"] == preview_url(batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED
    assert batch.counts["new"] == 12
    assert batch.mapping["columns"][header_key("대학명")] == "name"
    reasons = [row.history_change_reason for row in batch.history.order_by("history_id")][-2:]
    assert reasons == [
        "Mapped; read again in the background",
        "Read and planned in the background",
    ]
