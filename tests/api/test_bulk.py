"""Many rows at once through the API: the import engine's plan and write, every row or none, the
failing rows named by row and column, the batch kept, and large bodies run in the background."""

import json

import pytest
from django.core.management import call_command
from django.test import Client

from common.roles import DATA_STEWARD, EDITOR
from imports.models import ImportBatch
from imports.services import import_undo
from portfolio.models import Activity
from tests.api.helpers import a_token
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db
IMMEDIATE = {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
DATABASE = {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


@pytest.fixture
def steward(kyoto):
    return user_with_role(DATA_STEWARD, institutions=[kyoto], username="kana", is_staff=True)


def post(user, body: object, **headers):
    client = Client(
        headers={"Authorization": f"Bearer {a_token(user, read_only=False)}", **headers}
    )
    return client, client.post("/api/import-batches/", json.dumps(body), "application/json")


def rows(count: int, **over) -> list[dict]:
    return [
        {
            "external_ref": f"KU-API-{n:05d}",
            "title": f"Joint symposium {n}",
            "activity_type": "symposium",
            "start_date": "2025/6/1",
            "unit": "ISO-KU",
            "initiative": "ONSITE",
            "country": "Thailand",
            "partner_institution": "Chulalongkorn University",
            "inbound_participants": 10,
            "outbound_participants": 2,
            **over,
        }
        for n in range(count)
    ]


def test_rows_sent_at_once_are_written_as_one_import_batch_that_can_be_undone(steward):
    _client, answer = post(steward, {"kind": "activities", "rows": rows(3)})
    assert answer.status_code == 201, answer.content
    batch = ImportBatch.objects.get(pk=answer.json()["id"])
    assert answer.json()["status"] == "applied" and answer.json()["counts"]["new"] == 3
    assert answer["Location"] == f"/api/import-batches/{batch.pk}/"
    written = Activity.objects.order_by("external_ref")
    assert [(a.external_ref, a.country.code, a.partner.city, a.fiscal_year) for a in written] == [
        (f"KU-API-{n:05d}", "TH", "Bangkok", 2025) for n in range(3)
    ]
    history = Activity.history.filter(history_type="+")
    assert {(row.history_user, row.history_change_reason) for row in history} == {
        (steward, batch.reason)
    }
    # Sent again unchanged, nothing changes; sent changed, the records are updated.
    assert (
        post(steward, {"kind": "activities", "rows": rows(3)})[1].json()["counts"]["unchanged"] == 3
    )
    import_undo(batch=batch, user=steward)
    assert not Activity.objects.exists()


def test_rows_that_fail_are_named_by_row_and_column_and_nothing_is_written(steward):
    sent = rows(4)
    sent[1]["start_date"] = "2025-02-30"
    sent[3]["unit"] = "NO-SUCH-UNIT"
    client, answer = post(
        steward, {"kind": "activities", "rows": sent}, **{"Accept-Language": "ja"}
    )
    assert answer.status_code == 422, answer.content
    errors = answer.json()["errors"]
    assert {(e["index"], e["row"], e["column"]) for e in errors} == {
        (1, 3, "start_date"),
        (3, 5, "unit"),
    }
    assert all(any("\u3040" <= char <= "\u9fff" for char in e["message"]) for e in errors), errors
    assert not Activity.objects.exists()
    # The batch says the same to whoever reads it later.
    status = client.get(answer["Location"], headers={"Accept-Language": "en"})
    assert status.json()["status"] == "previewed" and len(status.json()["errors"]) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "detail"),
        ({"kind": "nothing", "rows": [{}]}, "kind"),
        ({"kind": "activities", "rows": []}, "rows"),
        ({"kind": "activities", "rows": [{"title": "x", "colour": "red"}]}, "rows"),
        ({"kind": "activities", "rows": [{"title": "x"}, {"title": "y", "city": "Kyoto"}]}, "rows"),
        ({"kind": "activities", "rows": [{"title": ["x"]}]}, "rows"),
        ({"kind": "activities", "rows": ["x"]}, "rows"),
        ({"kind": "activities", "rows": [{"title": "x"}], "file_name": "a.xlsx"}, "file_name"),
    ],
)
def test_a_body_that_is_no_list_of_rows_is_refused_saying_what_is_wrong(steward, body, field):
    _client, answer = post(steward, body)
    assert answer.status_code == 400, answer.content
    assert field in answer.json()
    assert not ImportBatch.objects.exists()


def test_only_a_role_that_imports_sheets_sends_rows(kyoto):
    editor = user_with_role(EDITOR, institutions=[kyoto], username="editor", is_staff=True)
    _client, answer = post(editor, {"kind": "activities", "rows": rows(1)})
    assert answer.status_code == 403
    assert not ImportBatch.objects.exists()


def test_a_large_body_is_planned_and_written_in_the_background(committing, steward, settings):
    settings.IMPORT_BACKGROUND_BYTES = 1
    settings.TASKS = {"default": DATABASE}
    client, answer = post(steward, {"kind": "activities", "rows": rows(5)})
    assert answer.status_code == 202, answer.content
    assert answer.json()["status"] == "planning" and not Activity.objects.exists()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    status = client.get(answer["Location"])
    assert status.json()["status"] == "applied", status.json()
    assert Activity.objects.count() == 5
    assert {row.history_user for row in Activity.history.all()} == {steward}


def test_a_large_body_whose_rows_fail_waits_as_a_preview_with_its_errors(steward, settings):
    settings.IMPORT_BACKGROUND_BYTES = 1
    settings.TASKS = {"default": IMMEDIATE}
    client, answer = post(steward, {"kind": "activities", "rows": rows(3, start_date="")})
    assert answer.status_code in (202, 422), answer.content
    status = client.get(answer["Location"]).json()
    assert status["status"] == "previewed"
    assert {e["column"] for e in status["errors"]} == {"start_date"}
    assert not Activity.objects.exists()


def test_a_steward_reads_only_their_own_batches(steward, kyoto):
    other = user_with_role(DATA_STEWARD, institutions=[kyoto], username="other", is_staff=True)
    _client, answer = post(steward, {"kind": "activities", "rows": rows(1)})
    theirs, _ = post(other, {"kind": "activities", "rows": rows(1, title="Changed")})
    assert theirs.get(answer["Location"]).status_code == 404
    assert len(theirs.get("/api/import-batches/").json()["results"]) == 1
