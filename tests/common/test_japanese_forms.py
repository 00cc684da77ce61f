"""Japanese forms of data: fiscal year labels, cp932 exports, and names as Windows writes them."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from common.fiscal import fiscal_year_label
from common.models import ImportBatch
from common.parsing import parse_fiscal_year
from tests.factories import ActivityFactory, PartnerFactory, UserFactory, scoped_everywhere


@pytest.mark.parametrize(
    "language, label",
    [
        ("ja", "2025年度"),
        ("ja-jp", "2025年度"),
        ("JA", "2025年度"),
        ("en", "FY2025"),
        ("th", "FY2025"),
    ],
)
def test_fiscal_year_label_in_each_language(language, label):
    assert fiscal_year_label(2025, language) == label


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_fiscal_year_label_reads_back_as_its_year(language):
    assert parse_fiscal_year(fiscal_year_label(2025, language)) == 2025


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


def staff_with(*codenames: str):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return scoped_everywhere(user)


def export_url(kind: str = "activities", file_format: str = "csv") -> str:
    return reverse("admin:common_importbatch_export", args=[kind, file_format])


@pytest.mark.django_db
def test_cp932_export_reimports_with_no_changes(client):
    partner = PartnerFactory(name="京都大学", local_name="京都大学", city="京都")
    ActivityFactory(title="合同シンポジウム ①", partner=partner, description="髙橋先生の講演")
    ActivityFactory.create_batch(2, partner=partner)
    client.force_login(staff_with("view_activity", "import_sheets"))
    exported = client.get(export_url(), {"encoding": "cp932", "headers": "ja"})
    assert exported.status_code == 200
    assert exported["Content-Type"] == "text/csv; charset=Windows-31J"
    text = exported.content.decode("cp932")
    assert text.startswith("外部参照,件名") and "合同シンポジウム ①" in text and "京都大学" in text
    upload = io.BytesIO(exported.content)
    upload.name = "activities.csv"
    client.post(reverse("admin:common_importbatch_upload"), {"kind": "activities", "file": upload})
    assert ImportBatch.objects.get().counts == {"new": 0, "updated": 0, "unchanged": 3, "failed": 0}


@pytest.mark.django_db
def test_cp932_export_is_refused_naming_the_cells_it_cannot_hold(client):
    ActivityFactory(external_ref="A-1", title="Orientation")
    ActivityFactory(external_ref="A-2", title="Graduation 🎓", city="Zürich")
    client.force_login(staff_with("view_activity"))
    refused = client.get(export_url(), {"encoding": "cp932", "headers": "ja"})
    assert refused.status_code == 400
    assert refused["Content-Type"] == "text/plain; charset=utf-8"
    lines = refused.content.decode().splitlines()
    assert "Export as UTF-8 instead" in lines[0]
    assert lines[1:] == ["Row 3, column 件名: “🎓” (U+1F393)", "Row 3, column 都市: “ü” (U+00FC)"]
    utf8 = client.get(export_url())
    assert utf8.status_code == 200 and "Graduation 🎓" in utf8.content.decode("utf-8-sig")


@pytest.mark.django_db
def test_an_unknown_export_encoding_is_a_bad_request(client):
    client.force_login(staff_with("view_activity"))
    response = client.get(export_url(), {"encoding": "latin-1"})
    assert response.status_code == 400
    assert "encoding=cp932" in response.content.decode()
