"""The fixtures say exactly what the source documents say (tests/data/sources holds the texts)."""

import re
from pathlib import Path

import pytest

from policies.models import Framework, Goal
from units.models import Appointment, Institution, Region, Unit

SOURCES = Path(__file__).resolve().parent.parent / "data" / "sources"
KYOTO = (SOURCES / "kyoto-iso-ku.txt").read_text(encoding="utf-8")
TMU = (SOURCES / "tmu-internationalization-basic-policies.txt").read_text(encoding="utf-8")
MISSIONS = ["CONNECT", "BOOST", "PROMOTE", "STRENGTHEN"]

pytestmark = pytest.mark.django_db


def headline(code: str) -> str:
    return next(line for line in KYOTO.splitlines() if line.startswith(code + " "))


def in_source(phrase: str, source: str) -> bool:
    """The phrase appears in the source, allowing only a capital first letter."""
    return phrase in source or (phrase[0].lower() + phrase[1:]) in source


def test_both_frameworks_with_four_missions_and_ten_directions(sources):
    assert set(Framework.objects.values_list("code", flat=True)) == {"ISO-KU", "TMU-IBP"}
    missions = Goal.objects.filter(framework__code="ISO-KU", kind="mission")
    assert list(missions.order_by("order").values_list("code", flat=True)) == MISSIONS
    directions = Goal.objects.filter(framework__code="TMU-IBP", kind="direction")
    assert sorted(directions.values_list("code", flat=True)) == [
        "1.1",
        "1.2",
        "1.3",
        "1.4",
        "2.1",
        "2.2",
        "2.3",
        "3.1",
        "3.2",
        "3.3",
    ]


@pytest.mark.parametrize("code", MISSIONS)
def test_mission_title_and_description_are_the_source_words(sources, code):
    goal = Goal.objects.get(framework__code="ISO-KU", code=code)
    line = headline(code)
    expected_title = line.split(":")[0]
    if code == "PROMOTE":
        # The source's slip: the body says internationalization, so the title corrects it.
        assert "internalization" in expected_title
        expected_title = expected_title.replace("internalization", "internationalization")
        assert "internalization" in goal.source_note
    assert goal.title == expected_title
    assert goal.description.startswith(line + "\n\n")
    body = goal.description.removeprefix(line + "\n\n")
    assert body and body in KYOTO
    assert goal.parent is None


def test_promote_description_keeps_the_source_text(sources):
    goal = Goal.objects.get(framework__code="ISO-KU", code="PROMOTE")
    assert "PROMOTE internalization of the University's campuses and beyond" in goal.description


def test_lines_of_work_are_objectives_in_the_source_words(sources):
    objectives = Goal.objects.filter(framework__code="ISO-KU", kind="objective")
    assert objectives.count() == 11
    for goal in objectives.select_related("parent"):
        assert goal.parent.kind == "mission"
        assert goal.code.startswith(goal.parent.code + ".")
        assert in_source(goal.title, KYOTO), goal.title
        assert goal.description in KYOTO, goal.code
    titles = set(objectives.values_list("title", flat=True))
    for named in [
        "On-site Laboratory initiative",
        "Overseas Centers in ASEAN, Europe, and North America",
        "Provide effective international crisis management",
        "Support implementation of the Basic Concept",
    ]:
        assert named in titles


def test_tmu_basic_policies_sectors_and_directions_word_for_word(sources):
    framework = Framework.objects.get(code="TMU-IBP")
    bullets = [line.strip()[2:] for line in TMU.splitlines() if line.strip().startswith("• ")]
    policies = framework.goals.filter(kind="basic_policy").order_by("order")
    assert list(policies.values_list("title", flat=True)) == bullets
    sectors = dict(re.findall(r"^\((\d)\)\s+(.+?)\s*$", TMU, re.M))
    directions = dict(re.findall(r"^\((\d\.\d)\)\s+(.+?)\s*$", TMU, re.M))
    assert len(sectors) == 3 and len(directions) == 10
    for code, title in {**sectors, **directions}.items():
        goal = framework.goals.get(code=code)
        assert goal.title == title
    for code in directions:
        assert framework.goals.get(code=code).parent.code == code.split(".")[0]
    assert str(framework.adopted_on) == "2014-02-01"
    assert str(framework.revised_on) == "2022-07-01"


def test_no_goal_is_invented(sources):
    # 4 missions + 11 lines of work; 3 basic policies + 3 sectors + 10 directions.
    assert Goal.objects.filter(framework__code="ISO-KU").count() == 15
    assert Goal.objects.filter(framework__code="TMU-IBP").count() == 16


def test_iso_ku_organisation(sources):
    iso = Unit.objects.get(code="ISO-KU")
    assert iso.location == "University Head Office (building #14)"
    titles = list(iso.appointments.values_list("title", flat=True))
    assert "Director, who is also the University's Vice President for International Strategy" in (
        titles
    )
    assert "Vice-Director for global engagement" in titles
    assert "Vice-Director for administrative matters" in titles
    assert (
        titles.count("Faculty member serving full-time, focusing on specific regions and functions")
        == 3
    )
    for center in ["ASEAN Center", "European Center", "North American Center"]:
        assert f"Director of the {center}" in titles
    assert Appointment.objects.filter(person__isnull=False).count() == 0  # the source names no one


def test_overseas_centers_regions_and_public_facts(sources):
    centers = {
        unit.name: unit
        for unit in Unit.objects.filter(kind="overseas_center").select_related("region")
    }
    assert {
        name: (unit.region.code, unit.host_city, unit.host_country.code, unit.active_from.year)
        for name, unit in centers.items()
    } == {
        "ASEAN Center": ("ASEAN", "Bangkok", "TH", 2014),
        "European Center": ("EUROPE", "Heidelberg", "DE", 2014),
        "North American Center": ("NORTH_AMERICA", "Washington, D.C.", "US", 2018),
    }
    assert all("public record" in unit.source_note for unit in centers.values())
    asean = Region.objects.get(code="ASEAN")
    assert len(asean.countries) == 11 and "TL" in [c.code for c in asean.countries]


def test_network_and_its_four_evp_portfolios(sources):
    network = Unit.objects.get(code="ISO-KU-NETWORK")
    assert network.kind == "network_office" and network.parent.code == "ISO-KU"
    portfolios = network.children.filter(kind="executive_office")
    assert portfolios.count() == 4
    for unit in portfolios:
        assert (
            f"for: {unit.name}" in KYOTO
            or f"; {unit.name}" in KYOTO
            or (f"and {unit.name}." in KYOTO)
        ), unit.name


def test_former_organisation_ended_in_2016(sources):
    former = Unit.objects.get(kind="former")
    assert former.name == "Organization for the Promotion of International Relations"
    assert former.name in KYOTO
    assert former.active_until.year == 2016


def test_units_pursue_goals_as_the_source_says(sources):
    connect = Goal.objects.get(code="CONNECT")
    assert list(connect.units.values_list("code", flat=True)) == ["ISO-KU"]
    centers = Goal.objects.get(code="CONNECT.2").units.values_list("code", flat=True)
    assert set(centers) == {"ASEAN-CENTER", "EUROPEAN-CENTER", "NORTH-AMERICAN-CENTER"}


def test_institutions(sources):
    assert dict(Institution.objects.values_list("code", "name")) == {
        "KU": "Kyoto University",
        "TMU": "Tokyo Metropolitan University",
    }
