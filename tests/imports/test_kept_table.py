"""The confirmation works from what the preview kept beside the upload, as data: the table read,
and the plan made, while nothing it was made from has changed since."""

import datetime as dt
import json

import pytest

from imports import services
from imports.formats import write_table
from imports.services import import_confirm, import_preview, kept_plan_name, kept_table_name
from portfolio.models import PartnerInstitution
from tests.imports.test_imports_faults import PARTNER_HEADERS, steward_named


@pytest.fixture
def steward(db):
    return steward_named("steward")


@pytest.fixture
def import_folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"
    return settings.IMPORT_DIR


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The names of the files read from their bytes."""
    seen: list[str] = []
    read = services.read_workbook

    def counting(name, content, limits=None):
        seen.append(name)
        return read(name, content, limits)

    monkeypatch.setattr(services, "read_workbook", counting)
    return seen


def preview(user):
    rows = [["Mahidol University", "", "TH"], ["Chulalongkorn University", "", "TH"]]
    content = write_table("xlsx", PARTNER_HEADERS, rows)
    batch, _plan = import_preview(kind="partners", file_name="p.xlsx", content=content, user=user)
    return batch


@pytest.fixture
def plans(monkeypatch) -> list[str]:
    """The kinds of sheet planned row by row."""
    seen: list[str] = []
    plan = services.plan_import

    def counting(kind, table, chosen=None):
        seen.append(kind.key)
        return plan(kind, table, chosen)

    monkeypatch.setattr(services, "plan_import", counting)
    return seen


@pytest.mark.django_db
def test_the_confirmation_writes_the_previewed_plan_when_nothing_changed(
    steward, import_folder, plans
):
    batch = preview(steward)
    import_confirm(batch=batch, user=steward)
    assert plans == ["partners"]  # planned once, at the preview
    mahidol = PartnerInstitution.objects.get(name="Mahidol University")
    assert mahidol.country == "TH"
    assert mahidol.history.get().history_change_reason == batch.reason
    batch.refresh_from_db()
    assert batch.status == batch.Status.APPLIED
    assert batch.counts["new"] == 2


@pytest.mark.django_db
def test_a_record_written_after_the_preview_makes_the_confirmation_plan_again(
    steward, import_folder, plans
):
    batch = preview(steward)
    # Someone adds one of the sheet's partners by hand while the preview waits.
    PartnerInstitution.objects.create(name="Mahidol University", country="TH", city="Salaya")
    import_confirm(batch=batch, user=steward)
    assert plans == ["partners", "partners"]
    assert PartnerInstitution.objects.filter(name="Mahidol University").count() == 1
    batch.refresh_from_db()
    assert (batch.counts["new"], batch.counts["updated"]) == (1, 1)  # the city blanked by the sheet


@pytest.mark.django_db
def test_a_kept_plan_of_other_content_is_ignored_and_the_rows_planned_again(
    steward, import_folder, plans
):
    batch = preview(steward)
    path = import_folder / kept_plan_name(batch)
    kept = json.loads(path.read_text())
    kept["sha256"] = "0" * 64
    kept["new"][0][0]["name"] = "Smuggled University"
    path.write_text(json.dumps(kept))
    import_confirm(batch=batch, user=steward)
    assert plans == ["partners", "partners"]
    assert not PartnerInstitution.objects.filter(name="Smuggled University").exists()
    assert PartnerInstitution.objects.count() == 2


@pytest.mark.django_db
def test_the_confirmation_reads_the_kept_table_not_the_file_again(steward, import_folder, reads):
    batch = preview(steward)
    assert reads == ["p.xlsx"]
    import_confirm(batch=batch, user=steward)
    assert reads == ["p.xlsx"]  # read once, at the preview
    assert PartnerInstitution.objects.count() == 2


@pytest.mark.django_db
def test_a_kept_table_of_other_content_is_ignored_and_the_file_read_again(
    steward, import_folder, reads
):
    batch = preview(steward)
    (import_folder / kept_plan_name(batch)).unlink()  # so that the confirmation needs the table
    path = import_folder / kept_table_name(batch)
    kept = json.loads(path.read_text())
    kept["sha256"] = "0" * 64
    kept["rows"] = [["Smuggled University", "", "TH"]]
    path.write_text(json.dumps(kept))
    import_confirm(batch=batch, user=steward)
    assert reads == ["p.xlsx", "p.xlsx"]
    assert set(PartnerInstitution.objects.values_list("name", flat=True)) == {
        "Mahidol University",
        "Chulalongkorn University",
    }


def test_dates_and_times_survive_the_kept_table():
    cells = [dt.date(2025, 4, 1), dt.datetime(2025, 4, 1, 9, 30), dt.time(9, 30), 1.5, None, "x"]
    text = json.dumps(cells, default=services._json_cell)
    assert json.loads(text, object_hook=services._cell_from_json) == cells
