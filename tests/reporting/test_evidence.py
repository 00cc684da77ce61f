"""Evidence files are kept for what their bytes are, not what their names say."""

import io
import os
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from reporting.models import Evidence
from reporting.services import evidence_add, evidence_remove
from tests.reporting.conftest import open_cycle


@pytest.fixture
def report(home, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return open_cycle(home["institution"], home["admin"]).reports.get()


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
ODS = zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b""})


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("minutes.pdf", b"%PDF-1.7\n...", "application/pdf"),
        ("signing.png", b"\x89PNG\r\n\x1a\n....", "image/png"),
        ("signing.jpg", b"\xff\xd8\xff\xe0....", "image/jpeg"),
        (
            "report.docx",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("figures.ods", ODS, "application/vnd.oasis.opendocument.spreadsheet"),
        ("students.csv", "大学,人数\n京都大学,12\n".encode(), "text/plain"),
        ("students-sjis.csv", "大学,人数\n京都大学,12\n".encode("cp932"), "text/plain"),
        ("no-extension", b"%PDF-1.4 named nothing", "application/pdf"),
    ],
)
def test_a_file_is_kept_with_the_type_its_content_has(home, report, name, content, kind):
    evidence = evidence_add(
        report=report, upload=SimpleUploadedFile(name, content), user=home["editor"]
    )

    evidence.refresh_from_db()
    assert (evidence.file_name, evidence.content_type, evidence.size) == (name, kind, len(content))
    assert evidence.added_by == home["editor"]
    with evidence.file.open("rb") as stored:
        assert stored.read() == content


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("minutes.pdf", b"<!DOCTYPE html><script>alert(1)</script>"),
        ("minutes.pdf", b"  <html><body>hi</body></html>"),
        ("photo.png", b"MZ\x90\x00\x03 a Windows program"),
        ("archive.docx", zipped({"payload.exe": b"MZ"})),
        ("empty.txt", b""),
    ],
)
def test_a_file_of_another_kind_is_refused_by_name(home, report, name, content):
    with pytest.raises(ValidationError) as refused:
        evidence_add(report=report, upload=SimpleUploadedFile(name, content), user=home["editor"])

    assert f"“{name}” is not a PDF" in refused.value.messages[0]
    assert not Evidence.objects.exists()


def test_a_file_over_the_limit_is_refused(home, report, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    upload = SimpleUploadedFile("scan.pdf", b"%PDF-1.7" + b"0" * 1000)

    with pytest.raises(ValidationError, match=re.escape("“scan.pdf” is 1008")):
        evidence_add(report=report, upload=upload, user=home["editor"])


def test_a_removed_file_leaves_the_storage_and_a_history_row(
    home, report, django_capture_on_commit_callbacks
):
    evidence = evidence_add(
        report=report, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.7"), user=home["editor"]
    )
    stored = evidence.file.path

    with django_capture_on_commit_callbacks(execute=True):
        evidence_remove(evidence=evidence, user=home["editor"], reason="Wrong file")

    assert not Evidence.objects.exists()
    assert Evidence.history.filter(history_type="-").get().history_change_reason == "Wrong file"
    assert not os.path.exists(stored)
