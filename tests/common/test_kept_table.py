"""The confirmation plans from the table read at the preview, kept beside the upload as data."""

import datetime as dt
import json

import pytest

from common import services
from common.services import import_confirm, import_preview, kept_table_path
from common.sheets import write_table
from portfolio.models import PartnerInstitution
from tests.common.test_imports_faults import PARTNER_HEADERS, steward_named


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
    path = kept_table_path(batch)
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
