"""A large sheet's page in a real browser: its progress moves without the page being reloaded (the
script of static/admin/js/import_progress.js asks the batch's status), and once the background
worker is done the page reloads itself into the preview, then into the import."""

import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from playwright.sync_api import expect

from common.roles import DATA_STEWARD
from imports.models import ImportBatch
from imports.services import keep_progress
from portfolio.models import PartnerInstitution
from tests.browser.helpers import log_in
from tests.factories import user_with_role
from tests.imports.test_background import DATABASE, partner_rows, partners_sheet

pytestmark = pytest.mark.browser


@pytest.fixture
def background(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"
    settings.IMPORT_BACKGROUND_BYTES = 1
    settings.TASKS = {"default": DATABASE}
    settings.DEBUG = False
    return tmp_path


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_the_progress_moves_without_a_reload_and_the_page_follows_the_run(
    page, live_server, transactional_db, background
):
    user_with_role(DATA_STEWARD, username="kana", is_staff=True)
    sheet = background / "partners.csv"
    sheet.write_bytes(partners_sheet(partner_rows(30)))
    upload = live_server.url + reverse("admin:imports_importbatch_upload")
    log_in(page, upload, "kana")
    page.wait_for_url(upload)
    page.get_by_label("What the sheet holds").select_option(label="Partner institutions")
    page.get_by_label("Spreadsheet (CSV, XLSX or ODS)").set_input_files(sheet)
    page.get_by_role("button", name="Upload and preview").click()

    batch = ImportBatch.objects.get()
    preview = reverse("admin:imports_importbatch_preview", args=[batch.pk])
    page.wait_for_url(live_server.url + preview)
    expect(page.locator("#import-progress-phase")).to_have_text("Waiting for a background worker")
    page.evaluate("window.sameDocument = true")

    # A worker takes the task and counts: the page shows the counts as they are kept.
    DBTaskResult.objects.update(status="RUNNING", started_at=timezone.now())
    counts = {"phase": "planning", "read": 30, "rows": 30, "planned": 12}
    keep_progress(batch, {**counts, "task": batch.task_id, "beat": time.time()})
    expect(page.locator("#import-progress-phase")).to_have_text("Planning the rows")
    expect(page.locator('[data-count="planned"]')).to_have_text("12")
    planned = page.locator('progress[data-bar="planned"]')
    assert planned.evaluate("bar => [bar.value, bar.max]") == [12, 30]
    assert page.evaluate("window.sameDocument") is True  # moved without a reload

    # The worker finishes the preview: the page reloads itself into it.
    DBTaskResult.objects.update(status="READY")
    run_worker()
    confirm = page.get_by_role("button", name="Confirm the import")
    expect(confirm).to_be_visible(timeout=15_000)
    assert page.evaluate("window.sameDocument") is None
    assert page.locator("#import-counts tbody td").first.inner_text() == "30"

    confirm.click()
    expect(page.locator("#import-progress")).to_contain_text("Records written")
    run_worker()
    expect(page.locator("#import-records")).to_be_visible(timeout=15_000)
    assert PartnerInstitution.objects.count() == 30
