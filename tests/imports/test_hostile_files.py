"""Hostile uploads, as a data steward sends them: refused, named, and nothing left behind.

Every file of ``bench/hostile_files.py``'s small catalogue (span bombs, shared-string and repeat
amplification, too many cells, rows or columns, lying and nested zips, DTDs, formulas and error
values in other spellings, malformed files) goes through ``import_preview``, the upload's own
path. Each must raise ``SheetRefused`` with a message naming what is wrong (a word of its class,
``hostile_files.KEYWORDS``), and write nothing: no import batch, no record, no history, no file
in the import folder. The benign files (UTF-16 CSV, LibreOffice's trailing repeats, Excel's and
other tools' ordinary spellings) must be read, row for row.

The small catalogue stays over the product's default limits (``config/settings.py``), so these
tests run with the settings as they are. ``bench/hostile.py`` measures the same files for time
and memory, and ``tests/test_hostile_http.py`` uploads them to the served product.
"""

import io
import resource
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest

from bench.hostile_files import (
    BENIGN_ROWS,
    KEYWORDS,
    PARTNER_HEADERS,
    Sample,
    benign,
    catalogue,
)
from common.roles import DATA_STEWARD
from imports.formats import SheetRefused, read_table
from imports.models import ImportBatch
from imports.services import import_preview
from policies.models import IndicatorValue
from portfolio.models import Activity, Initiative, PartnerInstitution
from tests.factories import InstitutionFactory, user_with_role

pytestmark = pytest.mark.django_db
HOSTILE = catalogue(small=True)
BENIGN = benign()
# How much address space a test may add: a reader that regresses ends the test with a
# MemoryError (or ends its process) instead of taking the machine's memory.
GUARD_BYTES = 2 << 30


def by_name(sample: Sample) -> str:
    return sample.name


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path) -> Path:
    settings.IMPORT_DIR = tmp_path / "imports"
    return settings.IMPORT_DIR


@pytest.fixture(autouse=True)
def bounded_address_space():
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    size = next(
        int(line.split()[1]) * 1024
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("VmSize:")
    )
    limit = size + GUARD_BYTES
    if soft != resource.RLIM_INFINITY:
        limit = min(limit, soft)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.fixture
def steward(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # quick to make
    return user_with_role(DATA_STEWARD, institutions=[InstitutionFactory()], is_staff=True)


def written() -> dict[str, int]:
    """What an import could have written: batches, records and their history."""
    models = [ImportBatch, PartnerInstitution, Activity, Initiative, IndicatorValue]
    counts = {model.__name__: model.objects.count() for model in models}
    for model in models:
        history = getattr(model, "history", None)
        if history is not None:
            counts[f"{model.__name__} history"] = history.model.objects.count()
    return counts


def kept_files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.rglob("*")) if folder.exists() else []


def cells_as_text(rows: list[list[object]]) -> list[list[str]]:
    """Cells as text, empty cells as "", without the empty cells that end a row."""
    cells = [["" if value is None else str(value) for value in row] for row in rows]
    for row in cells:
        while row and not row[-1]:
            row.pop()
    return cells


@pytest.mark.parametrize("sample", HOSTILE, ids=by_name)
def test_a_hostile_file_is_refused_naming_what_is_wrong_and_writes_nothing(
    sample, steward, import_folder
):
    before = written()
    with pytest.raises(SheetRefused) as refusal:
        import_preview(kind="partners", file_name=sample.name, content=sample.content, user=steward)
    message = str(refusal.value)
    assert sample.names_what_is_wrong(message), (
        f"{sample.description}\nrefused with “{message}”, which names none of "
        f"{', '.join(sample.keywords)}"
    )
    assert written() == before
    assert kept_files(import_folder) == []


@pytest.mark.parametrize("sample", BENIGN, ids=by_name)
def test_a_benign_file_is_read_row_for_row(sample, steward):
    table = read_table(sample.name, sample.content)
    assert table.headers == PARTNER_HEADERS
    assert cells_as_text(table.rows) == cells_as_text(BENIGN_ROWS)
    batch, plan = import_preview(
        kind="partners", file_name=sample.name, content=sample.content, user=steward
    )
    assert ImportBatch.objects.get() == batch
    assert sum(plan.counts.values()) == len(BENIGN_ROWS)


# --- The catalogue is what it says ----------------------------------------------------------


def test_every_class_has_files_and_every_file_a_class_with_words_to_look_for():
    assert {sample.kind for sample in HOSTILE} == set(KEYWORDS)
    assert {sample.kind for sample in BENIGN} == {"benign"}
    names = [sample.name for sample in HOSTILE + BENIGN]
    assert len(names) == len(set(names))


def test_the_small_files_are_small_and_within_the_upload_size(settings):
    for sample in HOSTILE + BENIGN:
        assert len(sample.content) < 3_000_000, sample.name
        assert len(sample.content) <= settings.IMPORT_MAX_BYTES, sample.name


def unpacked_size(archive: zipfile.ZipFile, info: zipfile.ZipInfo, content: bytes) -> int:
    """What the entry's data really unpacks to, whatever its headers say."""
    header = info.header_offset
    name_length = int.from_bytes(content[header + 26 : header + 28], "little")
    extra_length = int.from_bytes(content[header + 28 : header + 30], "little")
    start = header + 30 + name_length + extra_length
    data = content[start : start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        return len(data)
    stream, size = zlib.decompressobj(-15), 0
    for offset in range(0, len(data), 1 << 16):
        size += len(stream.decompress(data[offset : offset + (1 << 16)]))
    return size + len(stream.flush())


def samples(prefix: str) -> list[Sample]:
    return [sample for sample in HOSTILE if sample.name.startswith(prefix)]


def test_the_zip_bombs_unpack_to_what_they_declare_and_the_lying_ones_to_more():
    for sample in samples("bomb-"):
        with zipfile.ZipFile(io.BytesIO(sample.content)) as archive:
            assert sum(info.file_size for info in archive.infolist()) >= 300_000_000
    for sample in samples("lying-sizes") + samples("lying-size-"):
        with zipfile.ZipFile(io.BytesIO(sample.content)) as archive:
            liar = max(archive.infolist(), key=lambda info: info.compress_size)
            assert liar.file_size == 1_000
            assert unpacked_size(archive, liar, sample.content) >= 1_000_000


def test_the_many_parts_are_over_the_limit_and_the_nested_parts_are_zips(settings):
    for sample in samples("parts-"):
        with zipfile.ZipFile(io.BytesIO(sample.content)) as archive:
            assert len(archive.infolist()) == settings.IMPORT_MAX_ZIP_ENTRIES + 1
    for sample in samples("nested-"):
        with zipfile.ZipFile(io.BytesIO(sample.content)) as archive:
            assert any(archive.read(name).startswith(b"PK\x03\x04") for name in archive.namelist())


def test_each_dtd_sample_declares_an_entity_in_a_part():
    for sample in samples("dtd-"):
        with zipfile.ZipFile(io.BytesIO(sample.content)) as archive:
            texts = []
            for name in archive.namelist():
                data = archive.read(name)
                encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8"
                texts.append(data.decode(encoding, errors="replace"))
        assert any("<!ENTITY" in text for text in texts), sample.name


def test_the_benign_workbooks_open_in_openpyxl_as_well():
    for sample in BENIGN:
        if sample.name.endswith(".xlsx"):
            sheet = openpyxl.load_workbook(io.BytesIO(sample.content), read_only=True).active
            rows = [list(row) for row in sheet.iter_rows(values_only=True)]
            assert cells_as_text([r for r in rows if any(r)]) == cells_as_text(
                [PARTNER_HEADERS, *BENIGN_ROWS]
            )
