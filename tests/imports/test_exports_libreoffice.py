"""The product's files as Debian's LibreOffice shows them (`make test-libreoffice`).

Each format's exports of every sheet kind, and one file of every value type the writer takes, are
converted to CSV by ``soffice`` in one run, writing each cell as shown: text exactly as the record
holds it (no apostrophe kept, nothing run as a formula), dates as 2025-04-21 and not as a serial
number such as 45768, numbers as numbers (1200.5, not the text "1200.50"), booleans as TRUE.
"""

import csv
import datetime as dt
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from imports.engine import KINDS
from imports.writing import write_table
from tests.imports.test_writing import RUNNING, TEXTS, expected_rows, make_records, runs

pytestmark = [pytest.mark.libreoffice, pytest.mark.django_db]
# Comma-separated, double-quoted, UTF-8 (76), from line 1; on export each cell as shown (the
# ninth field), every sheet (-1) to its own file.
TO_CSV = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
FROM_CSV = "CSV:44,34,76,1"
WRITER_ROW = [
    "\rCR-leading",
    "tab\tinside  two spaces",
    "_x0041_",
    True,
    dt.datetime(2025, 4, 21, 9, 30, 15),
    dt.time(9, 30),
    Decimal("-5.00"),
    None,
]
WRITER_SHOWN = ["\rCR-leading", "tab\tinside  two spaces", "_x0041_", "TRUE"]
WRITER_SHOWN += ["2025-04-21 09:30:15", "09:30:00", "-5", ""]


def soffice() -> str:
    found = shutil.which("soffice")
    if found is None:
        pytest.fail(
            "soffice is not installed; these tests need Debian's LibreOffice: "
            "apt-get install libreoffice-calc-nogui"
        )
    return found


def shown_by_libreoffice(files: list[Path], tmp_path: Path) -> dict[str, list[list[str]]]:
    """Each file's first sheet as LibreOffice shows it, by the file's stem; one soffice run.

    A profile of the test's own, so that tests running side by side do not share one.
    """
    out = tmp_path / "shown"
    command = [
        soffice(),
        f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
        "--headless",
        f"--infilter={FROM_CSV}",
        "--convert-to",
        TO_CSV,
        "--outdir",
        str(out),
        *map(str, files),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    shown = {}
    for file in files:
        converted = sorted(out.glob(f"{file.stem}*.csv"))
        assert converted, f"LibreOffice did not convert {file.name}: {result.stdout}{result.stderr}"
        with converted[0].open(encoding="utf-8", newline="") as stream:
            shown[file.stem] = list(csv.reader(stream))
    return shown


def as_shown(value: object, file_format: str) -> str:
    """A record's value as LibreOffice should show it."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, str) and file_format == "csv" and runs(value):
        return "'" + value  # the CSV escape is shown, and nothing runs
    return str(value)


@pytest.mark.parametrize("file_format", ["xlsx", "ods", "csv"])
def test_libreoffice_shows_every_export_as_the_records_hold_it(admin_client, tmp_path, file_format):
    make_records()
    files = []
    for key in KINDS:
        url = reverse("admin:imports_importbatch_export", args=[key, file_format])
        files.append(tmp_path / f"{key}.{file_format}")
        files[-1].write_bytes(admin_client.get(url).content)
    if file_format != "csv":
        files.append(tmp_path / f"writer.{file_format}")
        files[-1].write_bytes(write_table(file_format, list("abcdefgh"), [WRITER_ROW]))
    shown = shown_by_libreoffice(files, tmp_path)
    for key in KINDS:
        expected = [[as_shown(value, file_format) for value in row] for row in expected_rows(key)]
        assert shown[key][0] == KINDS[key]().headers(), key
        assert shown[key][1:] == expected, key
    titles = {row[1] for row in shown["activities"][1:]}
    if file_format == "csv":
        assert {"'" + text for text in RUNNING} <= titles
    else:
        assert set(TEXTS) <= titles
        assert shown["writer"][1] == WRITER_SHOWN
