"""Scope at work: each role reaches its own institution's records, and a unit editor its units'.

The permission matrix (test_permissions.py) holds who may open which page; these tests hold what
the pages then show and accept: the rows of a list, the choices of a picker, what a save or an
import may write, what an export and a dashboard count.
"""

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from common.roles import DATA_STEWARD, EDITOR, LEADERSHIP, UNIT_EDITOR
from imports.engine import OUT_OF_SCOPE
from imports.formats import write_table
from imports.services import import_preview
from policies.models import Alignment
from portfolio.models import Activity, Initiative
from tests.admin_forms import form_data
from tests.factories import (
    ActivityFactory,
    FrameworkFactory,
    GoalFactory,
    InitiativeFactory,
    InstitutionFactory,
    UnitFactory,
    user_with_role,
)
from tests.helpers import download_table

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def two(settings, tmp_path):
    """Two institutions, each with two units, an initiative per unit and an activity each."""
    settings.IMPORT_DIR = tmp_path
    made = {}
    for code in ["HOME", "AWAY"]:
        institution = InstitutionFactory(code=code)
        goal = GoalFactory(framework=FrameworkFactory(institution=institution), code=f"{code}-G")
        for number in (1, 2):
            unit = UnitFactory(institution=institution, code=f"{code}-U{number}")
            initiative = InitiativeFactory(
                institution=institution, lead_unit=unit, code=f"{code}-I{number}"
            )
            initiative.goals.add(goal)
            ActivityFactory(
                initiative=initiative, unit=unit, external_ref=f"{code}-A{number}", country="TH"
            )
            made[f"{code}-U{number}"], made[f"{code}-I{number}"] = unit, initiative
        made[code], made[f"{code}-G"] = institution, goal
    return made


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def signed_in(client, user):
    client.force_login(user)
    return client


def test_an_editor_lists_and_opens_only_their_institutions_records(client, two):
    editor = user_with_role(EDITOR, institutions=[two["HOME"]], is_staff=True)
    signed_in(client, editor)
    listing = client.get(reverse("admin:portfolio_initiative_changelist")).content.decode()
    assert "HOME-I1" in listing and "HOME-I2" in listing
    assert "AWAY-I1" not in listing
    assert client.get(change_url(two["AWAY-I1"])).status_code == 404
    history = reverse("admin:portfolio_initiative_history", args=[two["AWAY-I1"].pk])
    assert client.get(history).status_code == 404


def test_the_history_of_a_deleted_record_stays_with_its_institution(client, two):
    initiative = two["AWAY-I2"]
    initiative.activities.all().delete()
    pk = initiative.pk
    initiative.delete()
    history = reverse("admin:portfolio_initiative_history", args=[pk])
    home_editor = user_with_role(EDITOR, institutions=[two["HOME"]], is_staff=True)
    assert signed_in(client, home_editor).get(history).status_code == 404
    away_editor = user_with_role(EDITOR, institutions=[two["AWAY"]], is_staff=True)
    assert signed_in(client, away_editor).get(history).status_code == 200


def test_a_unit_editor_edits_their_units_initiative_and_reads_the_rest(client, two):
    user = user_with_role(UNIT_EDITOR, units=[two["HOME-U1"]], is_staff=True)
    signed_in(client, user)
    own, neighbour = two["HOME-I1"], two["HOME-I2"]

    page = client.get(change_url(own))
    data = {**form_data(page), "title": "Renamed by the unit"}
    assert client.post(change_url(own), data).status_code == 302
    own.refresh_from_db()
    assert own.title == "Renamed by the unit"

    page = client.get(change_url(neighbour))
    assert page.status_code == 200 and b'name="title"' not in page.content  # read-only
    assert client.post(change_url(neighbour), data).status_code == 403
    assert client.get(change_url(two["AWAY-I1"])).status_code == 404


def test_a_unit_editor_cannot_pick_another_unit(client, two):
    user = user_with_role(UNIT_EDITOR, units=[two["HOME-U1"]], is_staff=True)
    signed_in(client, user)
    page = client.get(reverse("admin:portfolio_activity_add"))
    choices = page.context["adminform"].form.fields["unit"].queryset
    assert list(choices) == [two["HOME-U1"]]

    activity = Activity.objects.get(external_ref="HOME-A1")
    data = {**form_data(client.get(change_url(activity))), "unit": two["HOME-U2"].pk}
    data["initiative"] = ""
    response = client.post(change_url(activity), data)
    assert response.status_code == 200
    assert "Select a valid choice" in str(response.context["adminform"].form.errors["unit"])
    activity.refresh_from_db()
    assert activity.unit == two["HOME-U1"]


def test_the_autocomplete_offers_a_unit_editor_only_their_units(client, two):
    user = user_with_role(UNIT_EDITOR, units=[two["HOME-U1"]], is_staff=True)
    response = signed_in(client, user).get(
        reverse("admin:autocomplete"),
        {"app_label": "portfolio", "model_name": "activity", "field_name": "unit", "term": ""},
    )
    offered = [item["text"] for item in json.loads(response.content)["results"]]
    assert offered == [str(two["HOME-U1"])]


def activity_rows(*rows):
    headers = ["external_ref", "title", "start_date", "unit"]
    return write_table("csv", headers, [list(row) for row in rows])


def test_an_import_row_outside_the_stewards_scope_fails_on_its_column(two):
    steward = user_with_role(DATA_STEWARD, institutions=[two["HOME"]], is_staff=True)
    content = activity_rows(
        ["NEW-1", "Ours", "2025-05-01", "HOME-U1"],
        ["NEW-2", "Theirs", "2025-05-01", "AWAY-U1"],
        ["AWAY-A1", "Rewriting theirs", "2025-05-01", "HOME-U1"],
    )
    _batch, plan = import_preview(
        kind="activities", file_name="fy.csv", content=content, user=steward
    )
    failing = {(error.row, error.column) for error in plan.errors}
    assert failing == {(3, "unit"), (4, "external_ref")}
    assert all(OUT_OF_SCOPE in error.message for error in plan.errors)
    assert plan.counts["new"] == 1 and plan.counts["failed"] == 2


def test_an_export_holds_only_the_exporters_institution(client, two):
    steward = user_with_role(DATA_STEWARD, institutions=[two["HOME"]], is_staff=True)
    url = reverse("admin:imports_importbatch_export", args=["activities", "csv"])
    content = signed_in(client, steward).get(url).content.decode("utf-8-sig")
    refs = {row["external_ref"] for row in csv.DictReader(io.StringIO(content))}
    assert refs == {"HOME-A1", "HOME-A2"}


def test_leadership_sees_only_their_institutions_dashboards(client, two):
    leader = user_with_role(LEADERSHIP, institutions=[two["HOME"]])
    signed_in(client, leader)
    overview = client.get(reverse("dashboards:overview")).content.decode()
    assert "HOME-G" in overview and "AWAY-G" not in overview
    assert client.get(reverse("dashboards:goal", args=[two["AWAY-G"].pk])).status_code == 404
    assert client.get(reverse("dashboards:unit", args=[two["AWAY-U1"].pk])).status_code == 404
    regions = client.get(reverse("dashboards:regions"), {"fy": 2025, "csv": "countries"})
    rows = csv.DictReader(io.StringIO(download_table(regions.content)))
    counted = {row["country"]: row["activities"] for row in rows}
    assert counted["Thailand"] == "2"  # HOME's two activities, not AWAY's


def test_a_user_without_a_scope_sees_no_institution(client, two):
    signed_in(client, user_with_role(LEADERSHIP))
    overview = client.get(reverse("dashboards:overview")).content.decode()
    assert "HOME-G" not in overview and "AWAY-G" not in overview
    assert Initiative.objects.count() == 4


def test_the_demo_logins_show_what_each_role_sees(client, sources):
    call_command("load_demo", stdout=io.StringIO())
    client.force_login(User.objects.get(username="demo-leader-tmu"))
    overview = client.get(reverse("dashboards:overview")).content.decode()
    assert "Internationalization Basic Policies" in overview and "CONNECT" not in overview
    client.force_login(User.objects.get(username="demo-asean-center"))
    led = Initiative.objects.filter(lead_unit__code="ASEAN-CENTER").first()
    other = (
        Initiative.objects.exclude(lead_unit__code="ASEAN-CENTER")
        .filter(institution__code="KU")
        .first()
    )
    assert b'name="title"' in client.get(change_url(led)).content
    assert b'name="title"' not in client.get(change_url(other)).content


def test_an_editor_aligns_their_goal_with_another_institutions_goal(client, two):
    editor = user_with_role(EDITOR, institutions=[two["HOME"]], is_staff=True)
    signed_in(client, editor)

    def offered(field_name: str) -> list[str]:
        query = {"app_label": "policies", "model_name": "alignment", "field_name": field_name}
        response = client.get(reverse("admin:autocomplete"), {**query, "term": "G"})
        return sorted(item["text"] for item in json.loads(response.content)["results"])

    assert offered("source") == [str(two["HOME-G"])]
    assert offered("target") == sorted([str(two["HOME-G"]), str(two["AWAY-G"])])
    response = client.post(
        reverse("admin:policies_alignment_add"),
        {"source": two["HOME-G"].pk, "target": two["AWAY-G"].pk, "note": "Common ground"},
    )
    assert response.status_code == 302
    assert Alignment.objects.filter(source=two["HOME-G"], target=two["AWAY-G"]).exists()


def test_the_crosswalks_recent_changes_name_only_alignments_in_reach(client, two):
    away_goal = GoalFactory(framework=FrameworkFactory(institution=two["AWAY"]), code="AWAY-G2")
    Alignment.objects.create(source=two["AWAY-G"], target=away_goal, note="Away's own crosswalk")
    Alignment.objects.create(source=two["HOME-G"], target=two["AWAY-G"], note="Common ground")
    signed_in(client, user_with_role(LEADERSHIP, institutions=[two["HOME"]]))
    page = client.get(reverse("dashboards:crosswalk")).content.decode()
    assert "Common ground" in page or str(two["HOME-G"]) in page
    assert "AWAY-G2" not in page
