"""Records in English and Japanese in the admin: typed side by side, found in either language,
listed in the reader's language with a mark where it falls back; imports read Japanese names."""

import pytest
from django.test import Client
from django.urls import reverse

from common.roles import DATA_STEWARD, EDITOR
from imports.engine import KINDS
from imports.formats import write_table
from imports.services import import_confirm, import_preview
from portfolio.models import Activity, Initiative, PartnerInstitution
from tests.admin_forms import form_data
from tests.factories import (
    AgreementFactory,
    InitiativeFactory,
    InstitutionFactory,
    PartnerFactory,
    UnitFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

FALLBACK = 'class="fallback"'
ADD_INITIATIVE = "admin:portfolio_initiative_add"
INITIATIVES = "admin:portfolio_initiative_changelist"


@pytest.fixture
def institution():
    return InstitutionFactory(code="HOME")


@pytest.fixture
def editor(institution) -> Client:
    client = Client()
    client.force_login(
        user_with_role(EDITOR, institutions=[institution], username="aiko", is_staff=True)
    )
    return client


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


@pytest.mark.parametrize(
    "admin_name, english",
    [
        ("units_institution", "name"),
        ("units_region", "name"),
        ("units_unit", "name"),
        ("units_unit", "description"),
        ("policies_framework", "title"),
        ("policies_goal", "title"),
        ("policies_goal", "description"),
        ("policies_indicator", "name"),
        ("policies_indicator", "description"),
        ("portfolio_partnerinstitution", "name"),
        ("portfolio_initiative", "title"),
        ("portfolio_initiative", "summary"),
    ],
)
def test_each_english_text_and_its_japanese_sit_side_by_side_in_the_form(
    admin_client, admin_name, english
):
    page = admin_client.get(reverse(f"admin:{admin_name}_add")).content.decode()
    assert f"field-{english} field-{english}_ja" in page  # one form row holds both


def test_a_japanese_title_typed_in_the_admin_is_stored_and_found_in_japanese(editor, institution):
    UnitFactory(institution=institution)
    blank = form_data(editor.get(reverse(ADD_INITIATIVE)))
    for name in ["goals", "contributing_units", "partners"]:
        del blank[name]  # a browser sends nothing for a multiple choice left empty
    data = {
        **blank,
        "institution": str(institution.pk),
        "code": "BASES",
        "title": "Overseas bases",
        "title_ja": "海外拠点の強化",
        "summary_ja": "欧州とアジアの拠点を結ぶ。",
    }
    response = editor.post(reverse(ADD_INITIATIVE), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    initiative = Initiative.objects.get(code="BASES")
    assert (initiative.title_ja, initiative.summary_ja) == (
        "海外拠点の強化",
        "欧州とアジアの拠点を結ぶ。",
    )
    for term in ["海外拠点", "アジアの拠点"]:  # the title, the summary
        found = editor.get(reverse(INITIATIVES), {"q": term}).context["cl"].result_list
        assert list(found) == [initiative]


def test_the_list_shows_titles_in_the_readers_language_marked_where_they_fall_back(
    editor, institution
):
    InitiativeFactory(institution=institution, title="Joint degree")
    InitiativeFactory(institution=institution, title="Crisis drills", title_ja="危機管理訓練")

    english = editor.get(reverse(INITIATIVES)).content.decode()
    assert "Joint degree" in english and "Crisis drills" in english
    assert FALLBACK not in english

    japanese = editor.get(reverse(INITIATIVES), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "危機管理訓練" in japanese and "Crisis drills" not in japanese
    # The one without a Japanese title, in English with the mark that says so.
    assert japanese.count(FALLBACK) == 1
    assert '<span lang="en">Joint degree</span> <abbr class="fallback"' in japanese


def test_the_language_cookie_picks_the_title_too(editor, institution):
    InitiativeFactory(institution=institution, title="Crisis drills", title_ja="危機管理訓練")
    editor.cookies["django_language"] = "ja"
    page = editor.get(reverse(INITIATIVES)).content.decode()
    assert "危機管理訓練" in page and FALLBACK not in page


def test_the_history_of_an_edit_of_the_japanese_title_lists_that_change(editor, institution):
    initiative = InitiativeFactory(institution=institution, title="Crisis drills")
    change = reverse("admin:portfolio_initiative_change", args=[initiative.pk])
    data = {
        **form_data(editor.get(change)),
        "title_ja": "危機管理訓練",
        "change_reason": "Japanese title from the planning office",
    }
    assert editor.post(change, data).status_code == 302

    latest, previous = initiative.history.all()[:2]
    assert [c.field for c in latest.diff_against(previous).changes] == ["title_ja"]
    page = editor.get(reverse("admin:portfolio_initiative_history", args=[initiative.pk]))
    text = page.content.decode()
    assert "Japanese title from the planning office" in text
    assert "<strong>Title (Japanese):</strong>" in text and "危機管理訓練" in text


def test_agreements_are_found_by_their_partners_japanese_name(editor, institution):
    partner = PartnerFactory(name="Chulalongkorn University", name_ja="チュラロンコン大学")
    agreement = AgreementFactory(partner=partner, unit=UnitFactory(institution=institution))
    response = editor.get(reverse("admin:portfolio_agreement_changelist"), {"q": "チュラロンコン"})
    assert list(response.context["cl"].result_list) == [agreement]


@pytest.fixture
def steward(institution):
    return user_with_role(DATA_STEWARD, institutions=[institution], is_staff=True)


def imported(kind: str, headers: list[str], rows: list[list[object]], user):
    content = write_table("csv", headers, rows)
    batch, plan = import_preview(kind=kind, file_name=f"{kind}.csv", content=content, user=user)
    assert not plan.errors, plan.errors
    import_confirm(batch=batch, user=user)
    return plan


def test_an_activity_names_its_partner_by_the_partners_japanese_name(steward, institution):
    UnitFactory(institution=institution, code="HOME-INTL")
    partner = PartnerFactory(name="Chulalongkorn University", name_ja="チュラロンコン大学")
    row = {
        "external_ref": "HOME-2025-0001",
        "title": "Joint symposium",
        "start_date": "2025-04-01",
        "unit": "HOME-INTL",
        "country": "TH",
        "partner_institution": "チュラロンコン大学",
    }
    headers = KINDS["activities"]().headers()
    imported("activities", headers, [[row.get(name, "") for name in headers]], steward)
    assert Activity.objects.get(external_ref="HOME-2025-0001").partner == partner


def test_partner_sheets_carry_the_japanese_name_and_older_ones_leave_it(steward):
    partner = PartnerFactory(name="Mahidol University", country="TH", city="Bangkok")
    headers_ja = KINDS["partners"]().headers("ja")
    assert headers_ja[-1] == "機関名（日本語）"
    row = ["Mahidol University", "", "TH", "Salaya", "", "マヒドン大学"]
    imported("partners", headers_ja, [row], steward)
    partner.refresh_from_db()
    assert (partner.name_ja, partner.city) == ("マヒドン大学", "Salaya")

    # A sheet laid out before the Japanese column existed changes the city, not the Japanese name.
    imported(
        "partners", ["name", "country", "city"], [["Mahidol University", "TH", "Nakhon"]], steward
    )
    partner.refresh_from_db()
    assert (partner.name_ja, partner.city) == ("マヒドン大学", "Nakhon")
    assert PartnerInstitution.objects.count() == 1
