"""Nothing is lost or written twice when an import meets a fault: a dropped database connection,
two confirmations of one file at once, a tampered batch, or cells no field can hold."""

import re
import threading
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

import psycopg2
import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse

from imports import services
from imports.engine import KINDS, plan_import
from imports.formats import SheetRefused, Table, write_table
from imports.models import ImportBatch
from imports.services import CONNECTION_LOST, ImportInterrupted, import_confirm, import_preview
from portfolio.models import Activity, PartnerInstitution
from tests.factories import (
    InitiativeFactory,
    InstitutionFactory,
    PartnerFactory,
    UnitFactory,
    UserFactory,
    scoped_everywhere,
)

ACTIVITY_HEADERS = KINDS["activities"]().headers()
PARTNER_HEADERS = KINDS["partners"]().headers()


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path) -> Path:
    settings.IMPORT_DIR = tmp_path / "var" / "imports"
    return settings.IMPORT_DIR


@pytest.fixture
def steward(db, request):
    if "world" in request.fixturenames:
        request.getfixturevalue("world")  # its institution within the steward's scope
    return steward_named("steward")


def steward_named(username: str):
    user = UserFactory(username=username, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["import_sheets", "view_importbatch"])
    )
    return scoped_everywhere(user)


@pytest.fixture
def world(db):
    """An institution's office, an initiative it leads, and a partner the activities name."""
    ku = InstitutionFactory(code="KU")
    office = UnitFactory(institution=ku, code="ISO-KU")
    InitiativeFactory(institution=ku, code="ONSITE", lead_unit=office)
    PartnerFactory(name="Chulalongkorn University", country="TH")


def activity_row(n: int, **changes) -> list[object]:
    row = {
        "external_ref": f"KU-2025-{n:04d}",
        "title": f"Joint symposium {n}",
        "activity_type": "symposium",
        "start_date": "2025-04-01",
        "end_date": "",
        "unit": "ISO-KU",
        "initiative": "ONSITE",
        "country": "TH",
        "city": "Bangkok",
        "partner_institution": "Chulalongkorn University",
        "inbound_participants": "2",
        "outbound_participants": "3",
        "description": "",
        "mode": "",
    }
    row.update(changes)
    return [row[name] for name in ACTIVITY_HEADERS]


def activities_file(rows: list[list[object]]) -> bytes:
    return write_table("csv", ACTIVITY_HEADERS, rows)


def preview(content: bytes, user, name: str = "fy2025.csv") -> ImportBatch:
    batch, plan = import_preview(kind="activities", file_name=name, content=content, user=user)
    assert not plan.failed, plan.errors[:3]
    return batch


def history_of(batch: ImportBatch):
    return Activity.history.filter(history_change_reason=batch.reason)


# A dropped database connection -------------------------------------------------------------


def end_backend_from_outside(pid: int) -> None:
    """End a server process from a second connection, as an administrator or a crash would."""
    db = connection.settings_dict
    other = psycopg2.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"],
        port=db["PORT"] or 5432,
    )
    other.autocommit = True
    with closing(other), other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone() == (True,)
        # Wait for the process to be gone, so that the import's next statement meets a closed
        # connection rather than racing the server's shutdown of it.
        for _attempt in range(1000):
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone() is None:
                return
            time.sleep(0.01)


@pytest.fixture
def drop_connection_at(monkeypatch):
    """Arm a drop of the import's connection at the n-th write of history rows (between batches
    of rows: the rows before it are written, those after it not yet)."""
    real = services.write_history

    def arm(call: int) -> None:
        calls = Counter()

        def write_history(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == call:
                end_backend_from_outside(connection.connection.info.backend_pid)
            return real(*args, **kwargs)

        monkeypatch.setattr(services, "write_history", write_history)

    return arm


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_dropped_connection_mid_import_writes_nothing_and_the_import_can_be_retried(
    world, steward, drop_connection_at
):
    before = preview(activities_file([activity_row(n) for n in range(3)]), steward, "a.csv")
    import_confirm(batch=before, user=steward)
    rows = [activity_row(n, title=f"Renamed {n}") for n in range(3)]
    rows += [activity_row(n) for n in range(100, 700)]
    batch = preview(activities_file(rows), steward, "b.csv")
    # apply_plan writes 600 new rows (in two batches) and their 600 history rows, then drops
    # before the history of the 3 changed rows.
    drop_connection_at(2)

    with pytest.raises(ImportInterrupted) as refused:
        import_confirm(batch=batch, user=steward)

    assert str(refused.value) == CONNECTION_LOST
    assert sorted(Activity.objects.values_list("title", flat=True)) == [
        f"Joint symposium {n}" for n in range(3)
    ]
    assert Activity.history.count() == 3 and not history_of(batch).exists()
    batch.refresh_from_db()
    assert batch.status == "previewed" and batch.applied_at is None

    plan = import_confirm(batch=batch, user=steward)

    assert plan.summary() == "600 new, 3 updated, 0 unchanged, 0 failed"
    assert Activity.objects.count() == 603
    written = Counter(history_of(batch).values_list("id", flat=True))
    assert written == Counter(Activity.objects.values_list("id", flat=True))
    batch.refresh_from_db()
    assert batch.status == "applied"


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_the_admin_says_the_connection_was_lost_and_confirming_again_imports(
    world, steward, drop_connection_at, client
):
    batch = preview(activities_file([activity_row(n) for n in range(5)]), steward)
    client.force_login(steward)
    url = reverse("admin:imports_importbatch_preview", args=[batch.pk])
    drop_connection_at(1)

    page = client.post(url, follow=True).content.decode()

    assert CONNECTION_LOST in page and "Confirm the import" in page
    assert Activity.objects.count() == 0 and Activity.history.count() == 0
    client.post(url)
    assert Activity.objects.count() == 5 and history_of(batch).count() == 5


# Two confirmations of one file ---------------------------------------------------------------


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_confirmations_of_one_file_at_the_same_moment_import_it_once(world, steward):
    content = activities_file([activity_row(n) for n in range(40)])
    batches = [preview(content, steward), preview(content, steward_named("colleague"))]
    barrier = threading.Barrier(len(batches))
    outcomes: dict[int, str] = {}

    def confirm(batch: ImportBatch) -> None:
        try:
            barrier.wait()
            import_confirm(batch=batch, user=batch.user)
            outcomes[batch.pk] = "imported"
        except SheetRefused as refusal:
            outcomes[batch.pk] = str(refusal)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=[batch]) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    imported = [pk for pk, outcome in outcomes.items() if outcome == "imported"]
    assert len(imported) == 1, outcomes
    (refused,) = [outcome for pk, outcome in outcomes.items() if pk not in imported]
    assert re.fullmatch(
        rf"The same file was imported by batch {imported[0]} at \d{{4}}-\d\d-\d\d \d\d:\d\d; "
        r"nothing was written\. Preview it again to see what it would change\.",
        refused,
    )
    assert Activity.objects.count() == 40 and Activity.history.count() == 40
    statuses = sorted(ImportBatch.objects.values_list("status", flat=True))
    assert statuses == ["applied", "previewed"]


@pytest.mark.django_db
def test_confirming_a_preview_of_a_file_imported_since_is_refused(world, steward):
    content = activities_file([activity_row(n) for n in range(3)])
    first, second = preview(content, steward), preview(content, steward)
    import_confirm(batch=first, user=steward)

    with pytest.raises(SheetRefused, match=rf"imported by batch {first.pk} at .*nothing was"):
        import_confirm(batch=second, user=steward)

    second.refresh_from_db()
    assert second.status == "previewed"
    assert Activity.objects.count() == 3 and Activity.history.count() == 3
    # Previewed again, the file shows it changes nothing, and that preview may be confirmed.
    third = preview(content, steward)
    assert import_confirm(batch=third, user=steward).counts["unchanged"] == 3
    assert Activity.history.count() == 3


@pytest.mark.django_db
def test_another_file_imported_meanwhile_does_not_block_a_confirmation(world, steward):
    first = preview(activities_file([activity_row(1)]), steward)
    second = preview(activities_file([activity_row(2)]), steward)
    import_confirm(batch=second, user=steward)
    assert import_confirm(batch=first, user=steward).counts["new"] == 1
    assert Activity.objects.count() == 2


# Tampered confirmations and upload names -------------------------------------------------------


@pytest.fixture
def sentinel(tmp_path) -> Path:
    """A readable partners sheet outside the import folder: were it read, a partner would appear."""
    path = tmp_path / "somewhere"
    path.write_bytes(write_table("csv", PARTNER_HEADERS, [["Sentinel University", "", "TH"]]))
    return path


@pytest.fixture
def reads(monkeypatch) -> list[Path]:
    """Every file the product reads during the test, by its resolved path."""
    read: list[Path] = []
    real = Path.read_bytes

    def read_bytes(self):
        read.append(self.resolve())
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    return read


def partners_preview(user) -> ImportBatch:
    content = write_table("csv", PARTNER_HEADERS, [["Mahidol University", "", "TH"]])
    batch, _plan = import_preview(
        kind="partners", file_name="partners.csv", content=content, user=user
    )
    return batch


def confirm_in_admin(client, batch: ImportBatch):
    return client.post(reverse("admin:imports_importbatch_preview", args=[batch.pk]), follow=True)


@pytest.mark.django_db
def test_another_users_batch_is_forbidden_and_its_file_never_read(client, steward, sentinel, reads):
    batch = partners_preview(steward)
    client.force_login(steward_named("intruder"))
    reads.clear()
    for name in ["preview", "errors"]:
        url = reverse(f"admin:imports_importbatch_{name}", args=[batch.pk])
        assert client.get(url).status_code == 403
        assert client.post(url).status_code == 403
    assert reads == []
    assert PartnerInstitution.objects.count() == 0
    batch.refresh_from_db()
    assert batch.status == "previewed"


@pytest.mark.django_db
def test_a_batch_whose_file_is_gone_says_so(client, steward, import_folder):
    batch = partners_preview(steward)
    (import_folder / batch.stored_name).unlink()
    client.force_login(steward)
    page = confirm_in_admin(client, batch).content.decode()
    assert "The uploaded file of this import is no longer there; upload it again." in page
    assert PartnerInstitution.objects.count() == 0


@pytest.mark.parametrize("where", ["parent", "absolute", "link"])
@pytest.mark.django_db
def test_a_tampered_stored_name_reads_nothing_outside_the_import_folder(
    client, steward, import_folder, sentinel, reads, where
):
    batch = partners_preview(steward)
    stored_name = {"parent": "../../somewhere", "absolute": "/etc/passwd", "link": "link.csv"}
    (import_folder / "link.csv").symlink_to(sentinel)
    ImportBatch.objects.filter(pk=batch.pk).update(stored_name=stored_name[where])
    untouched = (sentinel.read_bytes(), sentinel.stat().st_mtime_ns)
    client.force_login(steward)
    reads.clear()

    page = confirm_in_admin(client, batch).content.decode()

    assert "This import&#x27;s file is not in the import folder." in page
    assert reads == []  # neither the sentinel nor any other file
    assert (sentinel.read_bytes(), sentinel.stat().st_mtime_ns) == untouched
    assert PartnerInstitution.objects.count() == 0
    batch.refresh_from_db()
    assert batch.status == "previewed"


@pytest.mark.parametrize("name", ["../../evil.csv", "..\\..\\evil.csv", "/tmp/evil.csv"])
@pytest.mark.django_db
def test_an_upload_is_kept_under_a_name_the_product_chose(steward, import_folder, tmp_path, name):
    batch = partners_preview_named(steward, name)
    assert batch.file_name == "evil.csv"
    assert re.fullmatch(r"[0-9a-f]{32}\.csv", batch.stored_name)
    # The upload, and beside it the plan made and the table read from it (for the confirmation).
    assert sorted(path.name for path in import_folder.iterdir()) == [
        batch.stored_name,
        batch.stored_name + ".plan.json",
        batch.stored_name + ".table.json",
    ]
    assert not list(tmp_path.rglob("evil.csv"))


def partners_preview_named(user, name: str) -> ImportBatch:
    content = write_table("csv", PARTNER_HEADERS, [["Mahidol University", "", "TH"]])
    batch, _plan = import_preview(kind="partners", file_name=name, content=content, user=user)
    return batch


# Cells no field can hold ----------------------------------------------------------------------


def plan_activities(rows: list[list[object]]):
    return plan_import(
        KINDS["activities"](), Table(ACTIVITY_HEADERS, rows, list(range(2, len(rows) + 2)))
    )


@pytest.mark.parametrize(
    "column, value, message",
    [
        ("title", "Joint\x00symposium", "Contains NUL (U+0000), which text cannot hold"),
        ("external_ref", "KU-\x1b[31m", "Contains a control character (U+001B)"),
        ("city", "Bang\x7fkok", "Contains a control character (U+007F)"),
        ("title", "Joint\tsymposium", "Contains a tab (U+0009); this column holds one line"),
        ("title", "Joint\nsymposium", "Contains a line break (U+000A); this column holds one"),
        ("description", "Notes\x00", "Contains NUL (U+0000)"),
        ("description", "Line\x0bbreak", "Contains a control character (U+000B)"),
    ],
)
@pytest.mark.django_db
def test_control_characters_are_row_errors_naming_row_and_column(world, column, value, message):
    plan = plan_activities([activity_row(1), activity_row(2, **{column: value})])
    assert [(error.row, error.column) for error in plan.errors] == [(3, column)]
    assert message in plan.errors[0].message
    assert plan.counts["new"] == 1 and plan.counts["failed"] == 1


@pytest.mark.django_db
def test_a_description_keeps_its_tabs_and_line_breaks(world, steward):
    description = "Day 1:\tlectures\r\nDay 2:\tvisits"
    batch = preview(activities_file([activity_row(1, description=description)]), steward)
    import_confirm(batch=batch, user=steward)
    assert Activity.objects.get().description == description


@pytest.mark.django_db
def test_a_nul_byte_deep_in_a_csv_fails_its_row_and_writes_nothing(world, steward):
    # The first 64 KB decide whether a .csv is text; a NUL byte further on reaches a cell.
    rows = [activity_row(n) for n in range(600)] + [activity_row(600, title="Bad\x00title")]
    batch, plan = import_preview(
        kind="activities", file_name="big.csv", content=activities_file(rows), user=steward
    )
    assert [(e.row, e.column) for e in plan.errors] == [(602, "title")]
    with pytest.raises(ValueError, match="failing rows"):
        services.apply_plan(plan, user=steward, reason=batch.reason)
    assert import_confirm(batch=batch, user=steward).failed
    assert Activity.objects.count() == 0 and Activity.history.count() == 0


@pytest.mark.parametrize(
    "kind, row, column, limit",
    [
        ("activities", {"external_ref": "K" * 61}, "external_ref", 60),
        ("activities", {"city": "京" * 101}, "city", 100),
        ("partners", {"local_name": "チ" * 301}, "local_name", 300),
        ("partners", {"website": "https://example.org/" + "a" * 481}, "website", 500),
        ("initiatives", {"code": "C" * 41}, "code", 40),
        ("activities", {"description": "説" * 20_001}, "description", 20_000),
    ],
)
@pytest.mark.django_db
def test_text_longer_than_its_field_is_a_row_error_naming_the_column(
    world, kind, row, column, limit
):
    sheet = KINDS[kind]()
    values = {
        "activities": dict(zip(ACTIVITY_HEADERS, activity_row(1), strict=True)),
        "partners": {"name": "Mahidol University", "country": "TH"},
        "initiatives": {"code": "NEW", "title": "Drills", "institution": "KU"},
    }[kind] | row
    plan = plan_import(
        sheet, Table(sheet.headers(), [[values.get(h) for h in sheet.headers()]], [2])
    )
    assert [(error.row, error.column) for error in plan.errors] == [(2, column)]
    assert plan.errors[0].message == f"Too long: {limit + 1} characters; at most {limit}."
