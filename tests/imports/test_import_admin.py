"""The import screens in the admin: who may use them, and the upload-preview-confirm flow."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from imports.engine import KINDS
from imports.formats import read_table, write_table
from imports.models import ImportBatch
from portfolio.models import Activity, PartnerInstitution
from tests.factories import ActivityFactory, PartnerFactory, UserFactory, scoped_everywhere

pytestmark = pytest.mark.django_db
UPLOAD = "admin:imports_importbatch_upload"


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


def staff_with(*codenames: str):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return scoped_everywhere(user)


def partners_file(*names: str, file_format: str = "xlsx"):
    content = write_table(
        file_format,
        KINDS["partners"]().headers(),
        [[name, "", "TH", "Bangkok", ""] for name in names],
    )
    upload = io.BytesIO(content)
    upload.name = f"partners.{file_format}"
    return upload


def test_staff_with_view_rights_only_gets_403_on_every_import_screen(client):
    client.force_login(staff_with("view_importbatch", "view_partnerinstitution"))
    assert client.get(reverse(UPLOAD)).status_code == 403
    response = client.post(reverse(UPLOAD), {"kind": "partners", "file": partners_file("A")})
    assert response.status_code == 403
    assert PartnerInstitution.objects.count() == 0 and ImportBatch.objects.count() == 0


def test_upload_preview_confirm(client):
    steward = staff_with("import_sheets", "view_importbatch")
    client.force_login(steward)
    response = client.post(reverse(UPLOAD), {"kind": "partners", "file": partners_file("A", "B")})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:imports_importbatch_preview", args=[batch.pk])
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert PartnerInstitution.objects.count() == 0
    page = preview.content.decode()
    assert "Confirm the import" in page and "<td>2</td>" in page
    confirmed = client.post(response["Location"])
    assert confirmed.status_code == 302
    assert PartnerInstitution.objects.count() == 2
    history = PartnerInstitution.history.filter(
        history_change_reason=ImportBatch.objects.get().reason
    )
    assert set(history.values_list("history_user", flat=True)) == {steward.pk}


def test_failing_rows_are_listed_and_cannot_be_confirmed(client):
    client.force_login(staff_with("import_sheets"))
    content = write_table(
        "csv",
        KINDS["partners"]().headers(),
        [["Good", "", "TH", "", ""], ["Bad", "", "Atlantis", "", ""]],
    )
    upload = io.BytesIO(content)
    upload.name = "partners.csv"
    response = client.post(reverse(UPLOAD), {"kind": "partners", "file": upload}, follow=True)
    page = response.content.decode()
    assert "Rows that fail" in page and "<td>3</td><td>country</td>" in page
    assert "Confirm the import" not in page
    batch = ImportBatch.objects.get()
    client.post(reverse("admin:imports_importbatch_preview", args=[batch.pk]))
    assert PartnerInstitution.objects.count() == 0


def test_a_refused_file_is_a_form_error(client):
    client.force_login(staff_with("import_sheets"))
    upload = io.BytesIO(b"PK\x03\x04 not really")
    upload.name = "partners.csv"
    response = client.post(reverse(UPLOAD), {"kind": "partners", "file": upload})
    assert response.status_code == 200
    assert "extension that matches its content" in response.content.decode()
    assert ImportBatch.objects.count() == 0


def test_another_users_batch_cannot_be_previewed_or_confirmed(client):
    owner = staff_with("import_sheets")
    client.force_login(owner)
    client.post(reverse(UPLOAD), {"kind": "partners", "file": partners_file("A")})
    batch = ImportBatch.objects.get()
    client.force_login(staff_with("import_sheets"))
    url = reverse("admin:imports_importbatch_preview", args=[batch.pk])
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert PartnerInstitution.objects.count() == 0


def test_export_needs_view_rights(client):
    PartnerFactory(name='=HYPERLINK("http://evil")')
    url = reverse("admin:imports_importbatch_export", args=["partners", "xlsx"])
    client.force_login(staff_with("import_sheets"))
    assert client.get(url).status_code == 403
    client.force_login(staff_with("view_partnerinstitution"))
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cell = sheet["A2"]
    # Text stays text exactly as it is: a string cell never runs as a formula.
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil")', "s")


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "ods"])
def test_blank_templates_carry_the_fixed_columns(client, file_format):
    client.force_login(staff_with("import_sheets"))
    response = client.get(
        reverse("admin:imports_importbatch_template", args=["activities", file_format])
    )
    assert response.status_code == 200
    table = read_table(f"t.{file_format}", response.content)
    assert table.headers == KINDS["activities"]().headers()
    # A workbook has an example row, which the import skips; a CSV or ODS, the header alone.
    examples = [row[0].startswith("EXAMPLE-") for row in table.rows]
    assert examples == ([True] if file_format == "xlsx" else [])


def test_japanese_header_template(client):
    client.force_login(staff_with("import_sheets"))
    url = reverse("admin:imports_importbatch_template", args=["activities", "csv"])
    response = client.get(url, {"headers": "ja"})
    assert response.content.decode("utf-8-sig").startswith("外部参照,件名,活動種別,開始日")


def test_undo_from_the_admin_needs_its_permission(client):
    steward = staff_with("import_sheets", "view_importbatch")
    client.force_login(steward)
    client.post(reverse(UPLOAD), {"kind": "partners", "file": partners_file("A")})
    batch = ImportBatch.objects.get()
    client.post(reverse("admin:imports_importbatch_preview", args=[batch.pk]))
    undo = reverse("admin:imports_importbatch_undo", args=[batch.pk])
    assert client.post(undo).status_code == 403
    assert PartnerInstitution.objects.count() == 1
    client.force_login(staff_with("undo_importbatch", "view_importbatch"))
    assert client.post(undo).status_code == 302
    assert PartnerInstitution.objects.count() == 0


def test_batch_list_queries_do_not_grow(admin_client, superuser, django_assert_num_queries):
    url = reverse("admin:imports_importbatch_changelist")

    def make(count):
        for n in range(count):
            ImportBatch.objects.create(
                kind="partners",
                file_name=f"f{n}.csv",
                stored_name="x.csv",
                user=superuser,
                status="applied",
            )

    make(2)
    admin_client.get(url)
    with CaptureQueriesContext(connection) as small:
        admin_client.get(url)
    make(30)
    # session, user, count, the page of batches with their users, the filters' choices
    with django_assert_num_queries(len(small)):
        assert admin_client.get(url).status_code == 200


def test_activity_export_reimports_unchanged(client, tmp_path):
    ActivityFactory.create_batch(3)
    client.force_login(staff_with("view_activity", "import_sheets"))
    exported = client.get(reverse("admin:imports_importbatch_export", args=["activities", "ods"]))
    upload = io.BytesIO(exported.content)
    upload.name = "activities.ods"
    client.post(reverse(UPLOAD), {"kind": "activities", "file": upload})
    assert ImportBatch.objects.get().counts == {"new": 0, "updated": 0, "unchanged": 3, "failed": 0}
    assert Activity.objects.count() == 3


def test_the_activity_list_links_to_import_and_export(admin_client):
    page = admin_client.get(reverse("admin:portfolio_activity_changelist")).content.decode()
    assert reverse("admin:imports_importbatch_export", args=["activities", "xlsx"]) in page
    assert reverse(UPLOAD) + "?kind=activities" in page
    unit_page = admin_client.get(reverse("admin:units_unit_changelist")).content.decode()
    assert "Export XLSX" not in unit_page


def test_the_preview_says_what_each_column_changes_and_which_it_leaves_alone(client):
    PartnerFactory(name="Chulalongkorn University", country="TH", city="Bangkok")
    client.force_login(staff_with("import_sheets", "view_importbatch"))
    upload = io.BytesIO(
        write_table(
            "csv",
            ["name", "country", "website"],
            [["Chulalongkorn University", "TH", "https://www.chula.ac.th/"]],
        )
    )
    upload.name = "websites.csv"
    response = client.post(reverse(UPLOAD), {"kind": "partners", "file": upload})
    page = client.get(response["Location"]).content.decode()
    changes = page.split('id="import-column-changes"')[1].split("</table>")[0]
    assert "<td>website</td><td>1</td>" in changes and "city" not in changes
    untouched = page.split('id="import-untouched"')[1].split("</p>")[0]
    assert "<code>city</code>" in untouched and "<code>local_name</code>" in untouched
    client.post(response["Location"])
    assert PartnerInstitution.objects.get().city == "Bangkok"


def test_the_preview_shows_the_notes_of_the_plan(client):
    client.force_login(staff_with("import_sheets", "view_importbatch"))
    upload = io.BytesIO(write_table("csv", ["name", "country", "colour"], [["A", "TH", "red"]]))
    upload.name = "colours.csv"
    response = client.post(reverse(UPLOAD), {"kind": "partners", "file": upload})
    notes = client.get(response["Location"]).content.decode().split('id="import-notes"')[1]
    assert "Column “colour” is not in the template and was ignored." in notes.split("</ul>")[0]


def test_the_preview_groups_a_problem_that_recurs_with_its_row_count(client):
    client.force_login(staff_with("import_sheets", "view_importbatch"))
    rows = [[f"University {n}", "Atlantis"] for n in range(30)] + [["Lone", "Nowhere"]]
    upload = io.BytesIO(write_table("csv", ["name", "country"], rows))
    upload.name = "countries.csv"
    response = client.post(reverse(UPLOAD), {"kind": "partners", "file": upload})
    page = client.get(response["Location"]).content.decode()
    groups = page.split('id="import-error-groups"')[1].split("</table>")[0]
    assert "<td>30</td><td>2</td><td>country</td><td>“Atlantis” is not a country." in groups
    assert "Nowhere" not in groups  # a problem of one row is listed with the rows only
