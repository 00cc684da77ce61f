"""A data steward reads a Korean partner list through the import's mapping step in a real browser:
the headers suggested as the columns they name, a mapping saved by name, and one choice that reads
a failing value as an empty cell, all in the preview, before anything is written."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from portfolio.models import PartnerInstitution
from reporting.management.commands.load_demo import DEMO_PASSWORD
from tests.browser.helpers import log_in
from units.models import SheetMapping

pytestmark = pytest.mark.browser
KOREAN = Path(__file__).resolve().parent.parent / "data" / "exchange-partners-ko.csv"
READ_AGAIN = "Read the sheet again with this mapping"


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


def counts(page) -> dict[str, str]:
    """The preview's counts table as a reader sees it: heading → number."""
    table = page.locator("#import-counts")
    # The admin's style writes the headings in capitals; their text is as the template has it.
    headings = [text.strip() for text in table.locator("thead th").all_text_contents()]
    numbers = table.locator("tbody td").all_inner_texts()
    return dict(zip(headings, numbers, strict=True))


def failed(page):
    """The preview's count of failing rows (waited on: each reading loads the preview anew)."""
    return page.locator("#import-counts tbody td").nth(3)


def read_as(page, header: str):
    """The select that says which column the sheet's ``header`` is read as."""
    return (
        page.locator("#import-mapping-columns tbody tr")
        .filter(has=page.get_by_role("rowheader", name=header, exact=True))
        .locator("select")
    )


def test_a_steward_maps_a_korean_partner_list_before_anything_is_written(page, demo_site):
    partners_before = PartnerInstitution.objects.count()
    upload = demo_site.url + reverse("admin:imports_importbatch_upload")
    log_in(page, upload, "demo-steward-ku", DEMO_PASSWORD)
    page.wait_for_url(upload)

    page.get_by_label("What the sheet holds").select_option(label="Partner institutions")
    page.get_by_label("Spreadsheet (CSV, XLSX or ODS)").set_input_files(KOREAN)
    page.get_by_role("button", name="Upload and preview").click()

    # The preview lists each of the 29 Korean headers with the column it is read as.
    mapping = page.locator("#import-mapping")
    expect(mapping).to_be_visible()
    expect(mapping.locator("select[name^=column-]")).to_have_count(29)
    expect(read_as(page, "대학명")).to_have_value("name")
    expect(read_as(page, "웹사이트")).to_have_value("website")
    expect(read_as(page, "국가")).to_have_value("country")
    expect(read_as(page, "GPA")).to_have_value("")  # left out

    page.locator("#mapping-name").fill("Korean exchange list")
    page.get_by_role("button", name=READ_AGAIN).click()

    # Read through the mapping: the consortia (a country "-", a web address of several lines)
    # and the partner listed twice fail; the rest would be new.
    expect(failed(page)).to_have_text("3")
    assert counts(page) == {"New": "12", "Updated": "0", "Unchanged": "0", "Failed": "3"}
    dash = page.locator("#import-mapping-values tbody tr").filter(
        has=page.locator("code", has_text=re.compile(r"^-$"))
    )
    expect(dash).to_have_count(1)
    expect(dash.locator("td").first).to_have_text("country")

    dash.locator("select").select_option(label="(leave the cell empty)")
    page.get_by_role("button", name=READ_AGAIN).click()

    expect(failed(page)).to_have_text("2")
    assert counts(page)["New"] == "13"
    # The failing rows leave nothing to confirm, and the preview wrote no partner.
    expect(page.get_by_role("button", name="Confirm the import")).to_have_count(0)
    assert PartnerInstitution.objects.count() == partners_before
    saved = SheetMapping.objects.get(name="Korean exchange list")
    assert saved.institution.code == "KU"
