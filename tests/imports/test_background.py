"""Large sheets are previewed and confirmed by a background worker; the request returns at once.

The upload keeps the file in the import storage and queues the run in the transaction that writes
the batch; the batch's page shows the run's progress (rows read, planned, written), which a small
JSON status endpoint sends to the page's script. What the worker ends with is what the request
would have: the same preview, the same rows written all or nothing, the same row errors. A worker
that dies mid-run leaves nothing written and a failed batch, which can be run again.
"""

import datetime as dt
import json
import re
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
from imports.progress import Progress
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
    assert not (import_folder_of() / stored_name(batch, ".progress.json")).exists()


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
    rows = [*partner_rows(5), ["", "", "TH", "", "", ""], ["University X", "", "Atlantis", "", "", ""]]
    content = partners_sheet(rows, "xlsx")

    synchronous, background = import_twice(client, steward, content, settings)

    assert background == synchronous
    assert background["status"] == "previewed" and background["counts"]["failed"] == 2
    assert background["records"] == [] and background["history"] == []
