"""Row errors are kept as codes and read in the reader's language, whoever uploaded the sheet.

A batch previewed with an English interface is read by a Japanese colleague in Japanese, and the
other way round: its errors, their columns (by the header the reader's language gives them), the
grouped errors, the notes, the error workbook and the command's report. Batches stored before
errors had codes still show the text they hold.
"""

import io
import json
from pathlib import Path

import openpyxl
import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command, get_commands
from django.core.management.commands import makemessages as django_makemessages
from django.urls import reverse
from django.utils import translation

from common.management.commands.makemessages import Command as MakeMessages
from common.messages import Message, as_data, from_data, message, plural_message
from imports.engine import KINDS, RowError, error_groups
from imports.formats import write_table
from imports.models import ImportBatch
from tests.factories import UserFactory, scoped_everywhere

pytestmark = pytest.mark.django_db
UPLOAD = "admin:imports_importbatch_upload"
ACTIVITY_HEADERS = KINDS["activities"]().headers()
# Msgids of the catalogue with their Japanese, as the import shows them.
UNKNOWN_UNIT = ("No unit “NOPE” is known.", "部局「NOPE」は登録されていません。")
EMPTY = ("This cell must not be empty.", "このセルは空にできません。")
IGNORED = ("Column “colour” is not in the template and was ignored.", "列「colour」はひな形に")


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


@pytest.fixture
def steward(sources):
    user = UserFactory(username="steward", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["import_sheets", "view_importbatch"])
    )
    return scoped_everywhere(user)


def activity(ref: str, unit: str = "ISO-KU") -> list[str]:
    return [ref, f"Visit {ref}", "symposium", "2025-04-01", "", unit]


def failing_sheet() -> bytes:
    """Two rows naming an unknown unit (a recurring problem), one without its reference, and a
    column the template does not have."""
    rows = [
        [*activity("KU-1", unit="NOPE"), "red"],
        [*activity("KU-2", unit="NOPE"), "red"],
        [*activity(""), "red"],
    ]
    return write_table("xlsx", [*ACTIVITY_HEADERS[:6], "colour"], rows)


def upload(client, steward, *, language: str) -> ImportBatch:
    client.force_login(steward)
    sheet = io.BytesIO(failing_sheet())
    sheet.name = "visits.xlsx"
    response = client.post(
        reverse(UPLOAD), {"kind": "activities", "file": sheet}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 302
    return ImportBatch.objects.get()


def preview(client, batch: ImportBatch, *, language: str) -> dict[str, str]:
    """The preview's notes, grouped errors and errors, read with ``language`` asked for."""
    url = reverse("admin:imports_importbatch_preview", args=[batch.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    return {
        part: page.split(f'id="import-{part}"')[1].split("</table>")[0].split("</ul>")[0]
        for part in ("notes", "error-groups", "errors")
    }


def test_errors_of_an_english_upload_read_in_japanese_with_japanese_headers(client, steward):
    batch = upload(client, steward, language="en")
    shown = preview(client, batch, language="ja")
    assert f"<td>2</td><td>部局</td><td>{UNKNOWN_UNIT[1]}</td>" in shown["errors"]
    assert f"<td>4</td><td>外部参照</td><td>{EMPTY[1]}</td>" in shown["errors"]
    assert f"<td>2</td><td>2</td><td>部局</td><td>{UNKNOWN_UNIT[1]}</td>" in shown["error-groups"]
    assert IGNORED[1] in shown["notes"]
    for english in (UNKNOWN_UNIT[0], EMPTY[0], "external_ref"):
        assert english not in " ".join(shown.values())
    # The English reader of the same batch reads English, the column by its English header.
    shown = preview(client, batch, language="en")
    assert f"<td>4</td><td>external_ref</td><td>{EMPTY[0]}</td>" in shown["errors"]
    assert f"<td>2</td><td>2</td><td>unit</td><td>{UNKNOWN_UNIT[0]}</td>" in shown["error-groups"]
    assert IGNORED[0] in shown["notes"]


def test_errors_of_a_japanese_upload_read_in_english(client, steward):
    batch = upload(client, steward, language="ja")
    # What the batch stores does not depend on the uploader's language: codes, and English.
    assert batch.errors[0] == {
        "row": 2,
        "column": "unit",
        "code": "No %(noun)s “%(reference)s” is known.",
        "params": {"noun": {"code": "unit", "params": {}}, "reference": "NOPE"},
        "message": UNKNOWN_UNIT[0],
        "value": "NOPE",
    }
    shown = preview(client, batch, language="en")
    assert f"<td>2</td><td>unit</td><td>{UNKNOWN_UNIT[0]}</td>" in shown["errors"]
    assert IGNORED[0] in shown["notes"]
    assert UNKNOWN_UNIT[1] not in shown["errors"] and "部局" not in shown["errors"]


def workbook_values(client, batch: ImportBatch, *, language: str) -> list[list]:
    url = reverse("admin:imports_importbatch_errors", args=[batch.pk])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_error_workbook_downloaded_in_japanese_is_in_japanese(client, steward):
    batch = upload(client, steward, language="en")
    values = workbook_values(client, batch, language="ja")
    assert values[0][-1] == "エラー"
    assert [row[-1] for row in values[1:]] == [
        f"部局: {UNKNOWN_UNIT[1]}",
        f"部局: {UNKNOWN_UNIT[1]}",
        f"外部参照: {EMPTY[1]}",
    ]
    values = workbook_values(client, batch, language="en")
    assert values[0][-1] == "errors" and values[3][-1] == f"external_ref: {EMPTY[0]}"


def test_a_batch_stored_before_errors_had_codes_still_shows_them(client, steward):
    batch = upload(client, steward, language="en")
    # As an earlier revision stored them: the text in the uploader's language, notes as text.
    ImportBatch.objects.filter(pk=batch.pk).update(
        errors=[{"row": row, "column": "unit", "message": UNKNOWN_UNIT[1]} for row in (2, 3)],
        columns={**batch.columns, "notes": ["列「colour」はひな形にないため、無視しました。"]},
    )
    shown = preview(client, batch, language="en")
    assert f"<td>2</td><td>unit</td><td>{UNKNOWN_UNIT[1]}</td>" in shown["errors"]
    assert f"<td>2</td><td>2</td><td>unit</td><td>{UNKNOWN_UNIT[1]}</td>" in shown["error-groups"]
    assert IGNORED[1] in shown["notes"]
    values = workbook_values(client, batch, language="ja")
    assert [row[-1] for row in values[1:] if row[-1]] == [f"部局: {UNKNOWN_UNIT[1]}"] * 2


def test_the_command_reports_in_the_language_it_runs_in(steward, tmp_path):
    path = tmp_path / "visits.xlsx"
    path.write_bytes(failing_sheet())
    out, err = io.StringIO(), io.StringIO()
    with translation.override("ja"), pytest.raises(CommandError, match="3"):
        call_command(
            "import_sheet", "activities", str(path), user="steward", stdout=out, stderr=err
        )
    assert f"2行目、列 部局: {UNKNOWN_UNIT[1]}" in err.getvalue()
    assert f"4行目、列 外部参照: {EMPTY[1]}" in err.getvalue()
    assert IGNORED[1] in out.getvalue()


def test_the_same_sheet_stores_the_same_errors_under_either_interface(client, steward):
    """Counts and stored errors alike, whether a Japanese or an English interface planned them."""
    stored = {}
    for language in ("en", "ja"):
        batch = upload(client, steward, language=language)
        stored[language] = (batch.counts, batch.errors, batch.columns["notes"])
        batch.delete()
    assert stored["en"] == stored["ja"]
    assert stored["en"][0] == {"new": 0, "updated": 0, "unchanged": 0, "failed": 3}


# --- The message type -------------------------------------------------------------------------


def in_both(text) -> tuple[str, str]:
    with translation.override("en"):
        english = str(text)
    with translation.override("ja"):
        return english, str(text)


def test_a_message_renders_as_read_and_round_trips_through_json():
    made = message("No %(noun)s “%(reference)s” is known.", noun=message("unit"), reference="NOPE")
    assert in_both(made) == UNKNOWN_UNIT
    stored = json.loads(json.dumps(as_data(made)))
    assert stored["message"] == UNKNOWN_UNIT[0]  # the English, for any other reader
    assert from_data(stored) == made and in_both(from_data(stored)) == UNKNOWN_UNIT
    # A parser's refusal carries the message; str() of the error reads it in the active language.
    with translation.override("ja"):
        assert str(ValueError(made)) == UNKNOWN_UNIT[1]


def test_a_plural_message_chooses_its_form_by_count_in_either_language():
    def too_long(length: int) -> Message:
        return plural_message(
            "Too long: %(length)s character; at most %(limit)s.",
            "Too long: %(length)s characters; at most %(limit)s.",
            length,
            length=length,
            limit=1,
        )

    assert in_both(too_long(1))[0] == "Too long: 1 character; at most 1."
    english, japanese = in_both(from_data(json.loads(json.dumps(as_data(too_long(3))))))
    assert english == "Too long: 3 characters; at most 1."
    assert japanese == "長すぎます: 3 文字あります。上限は 1 文字です。"
    assert too_long(3).english() == english


def test_text_stored_before_messages_had_codes_is_shown_as_it_is():
    assert (
        from_data({"row": 2, "column": "unit", "message": "部局がありません"}) == "部局がありません"
    )
    assert from_data("a note") == "a note"
    assert in_both(
        RowError.from_dict({"row": 2, "column": "x", "message": "as typed"}).message
    ) == (
        "as typed",
        "as typed",
    )
    # Old and new errors group together where their English is the same.
    new = RowError(3, "unit", message("This cell must not be empty.")).as_dict()
    [group] = error_groups([{"row": 2, "column": "unit", "message": EMPTY[0]}, new])
    assert (group.rows, group.first_row) == (2, 2)


# --- The catalogue finds what the import shows -----------------------------------------------


def codes(data) -> set[str]:
    """Every msgid in stored message data, nested ones included."""
    if isinstance(data, dict):
        own = {data["code"]} if "code" in data else set()
        if "plural" in data:
            own.add(data["plural"])
        return own.union(*(codes(value) for value in data.get("params", {}).values()))
    if isinstance(data, list):
        return set().union(*(codes(item) for item in data))
    return set()


def catalogued() -> set[str]:
    """The msgids of the committed Japanese catalogue, which ``make messages`` extracts."""
    with Path(settings.BASE_DIR, "locale/ja/LC_MESSAGES/django.po").open("rb") as source:
        catalogue = read_po(source, ignore_obsolete=True)
    return {
        msgid
        for entry in catalogue
        for msgid in (entry.id if isinstance(entry.id, tuple) else (entry.id,))
        if msgid and entry.string and not entry.fuzzy
    }


def test_makemessages_is_the_projects_and_every_code_an_import_stores_is_translated(
    client, steward
):
    assert get_commands()["makemessages"] == "common"
    assert issubclass(MakeMessages, django_makemessages.Command)
    # xgettext is told of the product's own markers, plurals with both forms.
    assert {"--keyword=message", "--keyword=plural_message:1,2"} <= set(
        MakeMessages.xgettext_options
    )
    batch = upload(client, steward, language="en")
    stored = codes(batch.errors) | codes(batch.columns["notes"])
    assert {"No %(noun)s “%(reference)s” is known.", "unit", EMPTY[0]} <= stored
    found = catalogued()
    assert stored <= found
    assert {"Too long: %(length)s characters; at most %(limit)s.", "%(name)s (%(code)s)"} <= found
