"""A batch after its import: the records it wrote, undoing it by its steward, expiring previews."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from common.roles import ADMINISTRATOR, DATA_STEWARD
from imports import admin as imports_admin
from imports.formats import SheetRefused, write_table
from imports.models import ImportBatch
from imports.services import import_confirm, stored_name
from portfolio.models import PartnerInstitution
from tests.factories import PartnerFactory, user_with_role
from tests.imports.test_import_admin import UPLOAD, partners_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


def stored_path(batch: ImportBatch, suffix: str = ""):
    """Where the import folder keeps a batch's upload (or a file kept beside it)."""
    from django.conf import settings

    return settings.IMPORT_DIR / stored_name(batch, suffix)


def steward(username: str):
    return user_with_role(DATA_STEWARD, username=username, is_staff=True)


def upload(client, user, sheet) -> ImportBatch:
    """Upload ``sheet`` as ``user``: the batch of its preview."""
    client.force_login(user)
    response = client.post(reverse(UPLOAD), {"kind": "partners", "file": sheet})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportBatch.objects.filter(user=user).latest("pk")


def imported(client, user, sheet) -> ImportBatch:
    """Upload and confirm ``sheet`` as ``user``: the applied batch."""
    batch = upload(client, user, sheet)
    client.post(reverse("admin:imports_importbatch_preview", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLIED
    return batch


def section(page: str, anchor: str) -> str:
    return page.split(f'id="{anchor}"')[1].split("</div>")[0]


def change_url(partner: PartnerInstitution) -> str:
    return reverse("admin:portfolio_partnerinstitution_change", args=[partner.pk])


def make_old(batch: ImportBatch, days: int) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days)
    )


# The records a batch wrote


def test_a_batch_page_links_to_the_records_it_created_and_updated(client):
    PartnerFactory(name="Mahidol University", country="TH", city="Salaya")
    batch = imported(client, steward("kana"), partners_file("Mahidol University", "Kasetsart"))
    page = client.get(reverse("admin:imports_importbatch_change", args=[batch.pk])).content.decode()
    created, updated = section(page, "batch-created"), section(page, "batch-updated")
    kasetsart = PartnerInstitution.objects.get(name="Kasetsart")
    mahidol = PartnerInstitution.objects.get(name="Mahidol University")
    assert f'<a href="{change_url(kasetsart)}">Kasetsart (TH)</a>' in created
    assert "Mahidol" not in created
    assert f'<a href="{change_url(mahidol)}">Mahidol University (TH)</a>' in updated
    assert "Kasetsart" not in updated


def test_a_batch_page_shows_the_first_records_and_counts_the_rest(client, monkeypatch):
    monkeypatch.setattr(imports_admin, "RECORDS_SHOWN", 3)
    names = [f"University {n}" for n in range(5)]
    batch = imported(client, steward("kana"), partners_file(*names))
    page = client.get(reverse("admin:imports_importbatch_change", args=[batch.pk])).content.decode()
    created = section(page, "batch-created")
    assert "(5)" in created and created.count("<li>") == 3
    assert "… and 2 more." in created


def test_after_an_undo_the_page_says_the_created_records_are_gone(admin_client, superuser):
    batch = imported(admin_client, superuser, partners_file("Kasetsart", "Mahidol"))
    admin_client.post(reverse("admin:imports_importbatch_undo", args=[batch.pk]))
    url = reverse("admin:imports_importbatch_change", args=[batch.pk])
    created = section(admin_client.get(url).content.decode(), "batch-created")
    assert "<li>" not in created
    assert "2 are no longer there to show" in created


def test_a_batch_page_issues_as_many_queries_for_many_records_as_for_few(
    admin_client, superuser, django_assert_num_queries
):
    def page_of(count: int) -> str:
        """The page of a batch that updates ``count`` partners and creates as many."""
        stored = PartnerFactory.create_batch(count, country="TH", city="Salaya")
        names = [partner.name for partner in stored]
        batch = imported(
            admin_client, superuser, partners_file(*names, *[f"New {n}" for n in names])
        )
        return reverse("admin:imports_importbatch_change", args=[batch.pk])

    small = page_of(2)
    # Once before counting: Django keeps the content types it read for the rest of the process,
    # so a first page in a fresh process reads one more.
    admin_client.get(small)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(small).status_code == 200
    expected = len(few)  # counted now: the log it slices moves on with every later query
    large = page_of(30)
    # session, user, the batch, the reader's groups (their access); the batch's history rows
    # counted by kind, the first ids of each of the two kinds, the records they name; the
    # admin's own content type and the batch's user
    with django_assert_num_queries(expected):
        page = admin_client.get(large).content.decode()
    assert section(page, "batch-created").count("<li>") == 30
    assert section(page, "batch-updated").count("<li>") == 30


# Undoing one's own batch


def test_a_steward_undoes_their_own_batch(client):
    kana = steward("kana")
    batch = imported(client, kana, partners_file("Kasetsart", "Mahidol"))
    page = client.get(reverse("admin:imports_importbatch_change", args=[batch.pk])).content.decode()
    undo = reverse("admin:imports_importbatch_undo", args=[batch.pk])
    assert undo in page
    assert client.post(undo).status_code == 302
    assert PartnerInstitution.objects.count() == 0
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.UNDONE and batch.undone_by == kana
    removal = PartnerInstitution.history.filter(
        history_type="-", history_change_reason=batch.undo_reason
    )
    assert sorted(removal.values_list("name", "history_user__username")) == [
        ("Kasetsart", "kana"),
        ("Mahidol", "kana"),
    ]


def test_another_stewards_batch_stays_theirs(client):
    batch = imported(client, steward("kana"), partners_file("Kasetsart"))
    client.force_login(steward("ren"))
    undo = reverse("admin:imports_importbatch_undo", args=[batch.pk])
    assert client.get(undo).status_code == 403
    assert client.post(undo).status_code == 403
    assert PartnerInstitution.objects.count() == 1
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.APPLIED


def test_an_administrator_undoes_anyones_batch(client):
    batch = imported(client, steward("kana"), partners_file("Kasetsart"))
    client.force_login(user_with_role(ADMINISTRATOR, username="root", is_staff=True))
    page = client.get(reverse("admin:imports_importbatch_change", args=[batch.pk])).content.decode()
    undo = reverse("admin:imports_importbatch_undo", args=[batch.pk])
    assert undo in page
    assert client.post(undo).status_code == 302
    assert PartnerInstitution.objects.count() == 0


def test_an_undo_after_a_later_change_is_refused_naming_it(client):
    kana, ren = steward("kana"), steward("ren")
    first = imported(client, kana, partners_file("Kasetsart", "Mahidol"))
    later_sheet = io.BytesIO(
        write_table("csv", ["name", "country", "city"], [["Kasetsart", "TH", "Bang Khen"]])
    )
    later_sheet.name = "cities.csv"
    later = imported(client, ren, later_sheet)
    client.force_login(kana)
    undo = reverse("admin:imports_importbatch_undo", args=[first.pk])
    page = client.post(undo, follow=True).content.decode()
    assert "This batch cannot be undone" in page
    assert "Kasetsart (TH)" in page and "ren" in page and later.reason in page
    assert PartnerInstitution.objects.count() == 2
    assert PartnerInstitution.objects.get(name="Kasetsart").city == "Bang Khen"
    assert ImportBatch.objects.get(pk=first.pk).status == ImportBatch.Status.APPLIED


# Previews that wait too long


def test_the_command_expires_old_previews_and_deletes_their_files(client, settings):
    settings.IMPORT_PREVIEW_DAYS = 7
    kana = steward("kana")
    old = upload(client, kana, partners_file("Kasetsart"))
    fresh = upload(client, kana, partners_file("Mahidol"))
    files = [stored_path(old, suffix) for suffix in ["", ".table.json", ".plan.json"]]
    assert all(path.is_file() for path in files)
    make_old(old, days=8)
    make_old(fresh, days=6)
    out = io.StringIO()
    call_command("expire_previews", stdout=out)
    assert "1 preview older than 7 days expired." in out.getvalue()
    old.refresh_from_db()
    assert old.status == ImportBatch.Status.EXPIRED
    assert not any(path.exists() for path in files)
    last = old.history.latest()
    assert last.status == "expired" and last.history_user is None
    assert last.history_change_reason.startswith("Expired: not confirmed within 7 days")
    assert ImportBatch.objects.get(pk=fresh.pk).status == ImportBatch.Status.PREVIEWED
    assert stored_path(fresh).is_file()


def test_the_days_come_from_the_setting(client, settings):
    batch = upload(client, steward("kana"), partners_file("Kasetsart"))
    make_old(batch, days=2)
    settings.IMPORT_PREVIEW_DAYS = 3
    call_command("expire_previews", stdout=io.StringIO())
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.PREVIEWED
    settings.IMPORT_PREVIEW_DAYS = 1
    call_command("expire_previews", stdout=io.StringIO())
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.EXPIRED


def test_an_upload_expires_old_previews_without_a_scheduler(client):
    kana = steward("kana")
    old = upload(client, kana, partners_file("Kasetsart"))
    make_old(old, days=30)
    upload(client, steward("ren"), partners_file("Mahidol"))
    old.refresh_from_db()
    assert old.status == ImportBatch.Status.EXPIRED
    assert not stored_path(old).exists()


def test_an_upload_expires_only_a_bounded_number(client, monkeypatch):
    monkeypatch.setattr("imports.services.PREVIEWS_EXPIRED_PER_UPLOAD", 2)
    kana = steward("kana")
    waiting = [upload(client, kana, partners_file(f"U{n}")) for n in range(3)]
    for batch in waiting:
        make_old(batch, days=30)
    upload(client, kana, partners_file("Mahidol"))
    statuses = [ImportBatch.objects.get(pk=batch.pk).status for batch in waiting]
    assert statuses == ["expired", "expired", "previewed"]  # the oldest first


def test_confirming_an_expired_preview_is_refused(client):
    kana = steward("kana")
    batch = upload(client, kana, partners_file("Kasetsart"))
    make_old(batch, days=8)
    call_command("expire_previews", stdout=io.StringIO())
    url = reverse("admin:imports_importbatch_preview", args=[batch.pk])
    page = client.post(url, follow=True).content.decode()
    assert "This preview expired: it was not confirmed within 7 days" in page
    assert 'id="import-expired"' in page and "Confirm the import" not in page
    assert PartnerInstitution.objects.count() == 0


def test_a_preview_past_its_days_expires_when_confirmed(client):
    kana = steward("kana")
    batch = upload(client, kana, partners_file("Kasetsart"))
    make_old(batch, days=8)
    batch.refresh_from_db()
    with pytest.raises(SheetRefused, match="This preview expired"):
        import_confirm(batch=batch, user=kana)
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.EXPIRED
    assert not stored_path(batch).exists() and PartnerInstitution.objects.count() == 0
