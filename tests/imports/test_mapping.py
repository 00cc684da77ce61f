"""A sheet written elsewhere is read through the steward's mapping of its headers and values.

The sample is 15 rows of a real Korean university's partner list (tests/data/README.md): 29
Korean headers, consortia with ``-`` for a country, a partner listed twice.
"""

from pathlib import Path

import pytest
from django.urls import reverse

from imports.admin_mapping import mapping_context
from imports.engine import KINDS
from imports.formats import write_table
from imports.mapping import BLANK, IGNORE, Mapping, header_key, needs_mapping, suggest
from imports.models import ImportBatch
from imports.services import import_confirm, import_preview, import_remap
from portfolio.models import Activity, ActivityMode, PartnerInstitution
from tests.factories import InstitutionFactory, UnitFactory, scoped_everywhere
from tests.imports.test_imports_faults import steward_named
from units.models import SheetMapping

KOREAN = Path(__file__).resolve().parent.parent / "data" / "exchange-partners-ko.csv"
CONSORTIA = {
    "GE3(Global Engineering Education Exchange)",
    "ISEP(International Student Exchange Programs)",
}
DUPLICATE = "Amsterdam University of Applied Sciences"


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


@pytest.fixture
def steward(db):
    InstitutionFactory(code="KU", name="Kyoto University")
    return steward_named("steward")


def korean_preview(user) -> ImportBatch:
    batch, _plan = import_preview(
        kind="partners", file_name=KOREAN.name, content=KOREAN.read_bytes(), user=user
    )
    return batch


def suggested_mapping(batch: ImportBatch) -> Mapping:
    headers = batch.columns["headers"]
    targets = suggest(KINDS["partners"](), headers)
    return Mapping({header_key(h): t for h, t in zip(headers, targets, strict=True)})


def failed_names(batch: ImportBatch) -> dict[str, set[str]]:
    """Per failing row's name (from the sample), the columns it fails on."""
    import csv

    with KOREAN.open(encoding="utf-8", newline="") as sample:
        rows = list(csv.reader(sample))
    name_at = {number: row[1] for number, row in enumerate(rows, start=1)}
    found: dict[str, set[str]] = {}
    for error in batch.errors:
        found.setdefault(name_at[error["row"]], set()).add(error["column"])
    return found


def test_the_korean_headers_are_suggested_as_the_columns_they_name():
    headers = ["순번", "대학명", "웹사이트", "언어권", "국가", "학제", "파견인원-TO", "GPA"]
    assert suggest(KINDS["partners"](), headers) == [
        IGNORE, "name", "website", IGNORE, "country", IGNORE, IGNORE, IGNORE,
    ]  # fmt: skip


def test_headers_in_chinese_japanese_and_with_a_typo_are_suggested_too():
    kind = KINDS["activities"]()
    assert suggest(kind, ["编号", "活动名称", "開始日", "Countyr", "派遣人数"]) == [
        "external_ref", "title", "start_date", "country", "outbound_participants",
    ]  # fmt: skip
    # One column is suggested once: the second header that names it is left out.
    assert suggest(kind, ["Title", "Name"]) == ["title", IGNORE]


def test_a_foreign_sheet_lists_the_headers_found_and_imports_once_mapped(steward):
    batch = korean_preview(steward)
    assert batch.counts["failed"] == 15  # the name column is missing: nothing can be read
    shown = mapping_context(batch, steward)
    headers = {choice.header: choice.selected for choice in shown["mapping_headers"]}
    assert len(headers) == 29
    assert (headers["대학명"], headers["웹사이트"], headers["국가"]) == (
        "name",
        "website",
        "country",
    )
    assert headers["GPA"] == IGNORE

    plan = import_remap(batch=batch, user=steward, mapping=suggested_mapping(batch))
    # Left as errors: the consortia, which have no country, and the partner listed twice.
    assert set(failed_names(batch)) == {*CONSORTIA, DUPLICATE}
    assert failed_names(batch)[DUPLICATE] == {"name"}
    assert plan.counts["failed"] == 3 and plan.counts["new"] == 12
    assert any("Left out as the mapping says" in note["message"] for note in batch.columns["notes"])


def test_one_choice_reads_every_row_of_a_value_and_is_saved_for_the_next_sheet(steward):
    batch = korean_preview(steward)
    mapping = suggested_mapping(batch)
    import_remap(batch=batch, user=steward, mapping=mapping)
    offered = {(c.column, c.written): c for c in mapping_context(batch, steward)["mapping_values"]}
    # GE3's "-"; ISEP fails before its country is read, on a web address of several lines.
    assert offered[("country", "-")].rows == 1
    assert (BLANK, "(leave the cell empty)") in offered[("country", "-")].options

    mapping.values = {"country": {header_key("-"): BLANK}}
    mapping.name = "Korean exchange list"
    kyoto = steward.scope.institutions.get(code="KU")
    import_remap(batch=batch, user=steward, mapping=mapping, save_for=kyoto.pk)
    # GE3 now imports without a country; ISEP's web address is a paragraph a person must read.
    assert set(failed_names(batch)) == {"ISEP(International Student Exchange Programs)", DUPLICATE}
    saved = SheetMapping.objects.get()
    assert (saved.institution, saved.name) == (kyoto, "Korean exchange list")
    assert saved.history.get().history_user == steward

    again = korean_preview(steward)  # the next sheet with these headers
    assert again.counts == batch.counts
    assert "Korean exchange list" in again.columns["notes"][0]["message"]


def test_the_fixed_sheet_confirms_through_its_mapping(steward):
    batch = korean_preview(steward)
    mapping = suggested_mapping(batch)
    mapping.columns[header_key("순번")] = IGNORE
    import_remap(batch=batch, user=steward, mapping=mapping)
    # Drop the rows a person must decide on; what is left imports through the same mapping.
    content = KOREAN.read_bytes().decode("utf-8")
    import csv
    import io

    rows = list(csv.reader(io.StringIO(content)))
    kept = [rows[0], *[r for r in rows[1:] if r[1] not in {*CONSORTIA, DUPLICATE}][:3]]
    fixed = io.StringIO()
    csv.writer(fixed).writerows(kept)
    fresh, plan = import_preview(
        kind="partners", file_name="fixed.csv", content=fixed.getvalue().encode(), user=steward
    )
    assert plan.failed  # a sheet with other rows but these headers is not read so by itself
    import_remap(batch=fresh, user=steward, mapping=mapping)
    fresh.refresh_from_db()
    assert fresh.counts["failed"] == 0
    import_confirm(batch=fresh, user=steward)
    twente = PartnerInstitution.objects.get(name="University of Twente")
    assert (twente.country, twente.website) == ("NL", "https://www.utwente.nl/en/")
    assert PartnerInstitution.objects.count() == 3


def test_online_in_the_country_column_is_an_online_activity(db):
    ku = InstitutionFactory(code="KU")
    UnitFactory(institution=ku, code="ISO-KU")
    user = scoped_everywhere(steward_named("steward"))
    kind = KINDS["activities"]()
    webinar = ["W-1", "Webinar", "symposium", "2025-05-01", "", "ISO-KU", "", "Online"]
    visit = ["W-2", "Visit", "delegation_visit", "2025-05-02", "", "ISO-KU", "", "TH"]
    rest = ["", "", 0, 0, ""]
    content = write_table("csv", kind.headers(), [[*webinar, *rest], [*visit, *rest, "hybrid"]])
    batch, plan = import_preview(kind="activities", file_name="a.csv", content=content, user=user)
    assert not plan.failed
    import_confirm(batch=batch, user=user)
    webinar, visit = Activity.objects.order_by("external_ref")
    assert (webinar.country, webinar.mode) == ("", ActivityMode.ONLINE)
    assert (visit.country, visit.mode) == ("TH", ActivityMode.HYBRID)


def test_the_preview_page_walks_the_mapping_step(client, steward):
    client.force_login(steward)
    with KOREAN.open("rb") as upload:
        client.post(
            reverse("admin:imports_importbatch_upload"), {"kind": "partners", "file": upload}
        )
    batch = ImportBatch.objects.get()
    page = client.get(
        reverse("admin:imports_importbatch_preview", args=[batch.pk])
    ).content.decode()
    assert 'id="import-mapping"' in page and "대학명" in page
    assert '<option value="name" selected>' in page
    suggested = suggest(KINDS["partners"](), batch.columns["headers"])
    form = {f"column-{index}": target for index, target in enumerate(suggested)}
    response = client.post(reverse("admin:imports_importbatch_map", args=[batch.pk]), form)
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.counts["new"] == 12
    assert batch.mapping["columns"][header_key("대학명")] == "name"


def test_a_mistyped_unit_and_activity_type_are_answered_with_what_they_likely_mean(db):
    ku = InstitutionFactory(code="KU")
    UnitFactory(institution=ku, code="ISO-KU")
    user = scoped_everywhere(steward_named("steward"))
    kind = KINDS["activities"]()
    row = ["W-1", "Webinar", "symposum", "2025-05-01", "", "ISO-K", "", "TH", "", "", 0, 0, ""]
    content = write_table("csv", kind.headers(), [row])
    _batch, plan = import_preview(kind="activities", file_name="a.csv", content=content, user=user)
    problems = {error.column: error.message for error in plan.errors}
    assert problems["unit"] == "No unit “ISO-K” is known. Did you mean ISO-KU?"
    assert problems["activity_type"].endswith("Did you mean Symposium or workshop (symposium)?")


def test_a_sheet_with_the_templates_headers_and_an_errors_column_needs_no_mapping():
    kind = KINDS["partners"]()
    assert not needs_mapping(kind, [*kind.headers("ja"), "エラー"])
    assert needs_mapping(kind, [*kind.headers("en"), "GPA"])
    assert needs_mapping(kind, ["대학명", "country"])  # the name column is missing
