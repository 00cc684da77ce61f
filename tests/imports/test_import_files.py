"""The files an import hands back: the error workbook (the whole sheet, its failing cells marked)
and the templates (a header, an example the import skips, the codes a column takes)."""

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from common.roles import DATA_STEWARD
from imports.engine import KINDS, error_workbook, plan_import
from imports.formats import read_table
from imports.models import ImportBatch
from imports.services import batch_table
from imports.writing import write_table
from portfolio.models import Activity, ActivityType
from tests.factories import UnitFactory, user_with_role
from units.models import Institution

pytestmark = pytest.mark.django_db
HEADERS = KINDS["activities"]().headers()
COLUMN = {name: index for index, name in enumerate(HEADERS)}
RED = "00FFC7CE"


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


@pytest.fixture
def steward(sources, client):
    """A data steward of Kyoto only; Tokyo Metropolitan has a unit they may not see."""
    UnitFactory(institution=Institution.objects.get(code="TMU"), code="TMU-INTL")
    user = user_with_role(
        DATA_STEWARD, institutions=[Institution.objects.get(code="KU")], is_staff=True
    )
    client.force_login(user)
    return user


def activity(n: int, **changes) -> list[object]:
    row = {
        "external_ref": f"KU-2025-{n:04d}",
        "title": f"Joint symposium {n}",
        "activity_type": "symposium",
        "start_date": dt.date(2025, 4, n),
        "unit": "ISO-KU",
        "country": "TH",
        **changes,
    }
    return [row.get(name) for name in HEADERS]


def upload(client, content: bytes, name: str = "activities.xlsx") -> ImportBatch:
    file = io.BytesIO(content)
    file.name = name
    client.post(reverse("admin:imports_importbatch_upload"), {"kind": "activities", "file": file})
    return ImportBatch.objects.latest("pk")


def confirm(client, batch: ImportBatch) -> ImportBatch:
    client.post(reverse("admin:imports_importbatch_preview", args=[batch.pk]))
    batch.refresh_from_db()
    return batch


def workbook(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def test_the_error_workbook_is_the_whole_sheet_and_imports_once_fixed(client, steward):
    rows = [
        activity(1),
        activity(2, country="Atlantis"),
        [],  # a blank row: the rows after it keep their numbers
        activity(3),
        activity(4, unit="NOPE"),
        activity(5),
    ]
    batch = upload(client, write_table("xlsx", HEADERS, rows))
    assert batch.counts["failed"] == 2 and Activity.objects.count() == 0
    preview = client.get(reverse("admin:imports_importbatch_preview", args=[batch.pk]))
    advice = preview.content.decode()
    assert "Nothing was imported" in advice and "every row is imported" in advice
    assert "the failing rows with an" not in advice

    response = client.get(reverse("admin:imports_importbatch_errors", args=[batch.pk]))
    sheet = workbook(response.content).active
    errors = len(HEADERS) + 1
    assert [cell.value for cell in sheet[1]] == [*HEADERS, "errors"]
    # Data row N of the upload is row N here, the blank row 4 included.
    refs = {row: sheet.cell(row, 1).value for row in range(2, 8)}
    assert refs == {
        2: "KU-2025-0001",
        3: "KU-2025-0002",
        4: None,
        5: "KU-2025-0003",
        6: "KU-2025-0004",
        7: "KU-2025-0005",
    }
    marked = {
        cell.coordinate for row in sheet.iter_rows() for cell in row if cell.fill.fgColor.rgb == RED
    }
    country, unit = COLUMN["country"] + 1, COLUMN["unit"] + 1
    assert marked == {sheet.cell(3, country).coordinate, sheet.cell(6, unit).coordinate}
    assert sheet.cell(3, errors).value.startswith("country: “Atlantis” is not a country")
    assert sheet.cell(6, errors).value.startswith("unit: ")
    assert sheet.cell(2, errors).value is None

    sheet.cell(3, country).value = "TH"
    sheet.cell(6, unit).value = "ISO-KU"
    fixed = io.BytesIO()
    sheet.parent.save(fixed)
    again = upload(client, fixed.getvalue(), "activities-errors.xlsx")
    # The errors column is the workbook's own: ignored without a word.
    assert again.errors == [] and again.columns["notes"] == []
    assert confirm(client, again).status == "applied"
    assert Activity.objects.count() == 5


def test_a_japanese_reader_gets_and_gives_back_the_errors_column_in_japanese(client, steward):
    batch = upload(client, write_table("xlsx", HEADERS, [activity(1, unit="NOPE")]))
    kind = KINDS["activities"]()
    with translation.override("ja"):
        content = error_workbook(batch_table(batch), batch.errors, kind)
    assert workbook(content).active.cell(1, len(HEADERS) + 1).value == "エラー"
    plan = plan_import(kind, read_table("errors.xlsx", content))
    assert plan.notes == [] and [error.column for error in plan.errors] == ["unit"]


def test_an_error_workbook_uploaded_again_and_failing_has_one_errors_column(client, steward):
    first = upload(client, write_table("xlsx", HEADERS, [activity(1, unit="NOPE")]))
    errors_url = reverse("admin:imports_importbatch_errors", args=[first.pk])
    again = upload(client, client.get(errors_url).content, "activities-errors.xlsx")
    errors_url = reverse("admin:imports_importbatch_errors", args=[again.pk])
    header = [cell.value for cell in workbook(client.get(errors_url).content).active[1]]
    assert header == [*HEADERS, "errors"]


def template(client, kind: str = "activities", language: str = "en"):
    url = reverse("admin:imports_importbatch_template", args=[kind, "xlsx"])
    return client.get(url, {"headers": language})


def test_the_template_has_an_example_codes_of_the_scope_and_drop_downs(client, steward):
    response = template(client)
    assert response["Content-Disposition"] == 'attachment; filename="activities-template-en.xlsx"'
    book = workbook(response.content)
    assert book.sheetnames == ["Activities", "Codes"]
    main, codes = book.worksheets
    assert [cell.value for cell in main[1]] == HEADERS
    example = main[2]
    assert example[0].value.startswith("EXAMPLE-")
    assert example[COLUMN["activity_type"]].value == "symposium"
    assert all(cell.font.i for cell in example)  # grey italics: not a row of one's own

    lists = [[cell.value for cell in column] for column in codes.iter_cols()]
    units = next(column for column in lists if column[0] == "unit")
    institutions = lists[lists.index(units) + 2]
    assert "ISO-KU" in units and "TMU-INTL" not in units  # the steward's scope only
    assert set(institutions[1:]) - {None} == {"KU"}
    rows = list(codes.iter_rows(values_only=True))
    types = next(column for column in lists if column[0] == "activity type")
    at = lists.index(types)
    assert [row[at : at + 3] for row in rows[1:] if row[at] == "symposium"] == [
        ("symposium", "Symposium or workshop", "シンポジウム・ワークショップ")
    ]
    assert len([value for value in types[1:] if value]) == len(ActivityType)
    countries = lists.index(next(column for column in lists if column[0] == "country"))
    assert ("TH", "Thailand", "タイ") in [row[countries : countries + 3] for row in rows]

    validations = {str(v.sqref): v for v in main.data_validations.dataValidation}
    letter = openpyxl.utils.get_column_letter(COLUMN["activity_type"] + 1)
    offered = validations[f"{letter}2:{letter}1048576"]
    code_letter = openpyxl.utils.get_column_letter(at + 1)
    end = len(ActivityType) + 1
    assert (offered.type, offered.formula1) == (
        "list",
        f"'Codes'!${code_letter}$2:${code_letter}${end}",
    )


def test_a_filled_template_imports_its_rows_and_not_its_example(client, steward):
    book = workbook(template(client).content)
    main = book.worksheets[0]
    main.append(activity(7))
    filled = io.BytesIO()
    book.save(filled)
    batch = upload(client, filled.getvalue(), "activities-template-en.xlsx")
    assert batch.counts == {"new": 1, "updated": 0, "unchanged": 0, "failed": 0}
    assert any("template's example" in note["message"] for note in batch.columns["notes"])
    assert confirm(client, batch).status == "applied"
    assert list(Activity.objects.values_list("external_ref", flat=True)) == ["KU-2025-0007"]


def test_the_japanese_template_says_its_language_in_its_name(client, steward):
    response = template(client, language="ja")
    assert response["Content-Disposition"] == 'attachment; filename="activities-template-ja.xlsx"'
    main = workbook(response.content).worksheets[0]
    assert [cell.value for cell in main[1]] == KINDS["activities"]().headers("ja")
    assert main["A2"].value.startswith("EXAMPLE-")


@pytest.mark.parametrize("key", ["partners", "initiatives", "indicator-values"])
def test_every_kind_has_a_template_whose_example_is_skipped(client, steward, key):
    content = template(client, key).content
    table = read_table("t.xlsx", content)
    assert table.headers == KINDS[key]().headers() and len(table.rows) == 1
    plan = plan_import(KINDS[key](), table)
    assert plan.counts["failed"] == 0 and plan.counts["new"] == 0
