"""What leadership's figures mean: the fiscal year of an initiative, indicators, year to date,
the crosswalk for a reader of one institution, and TMU's sectors realising its basic policies."""

import datetime as dt
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from common.roles import LEADERSHIP
from policies.models import Framework, Goal
from portfolio.models import Initiative
from portfolio.templatetags.portfolio_figures import figure, figure_writer
from tests.admin_forms import form_data
from tests.factories import (
    ActivityFactory,
    FrameworkFactory,
    GoalFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    InitiativeFactory,
    InstitutionFactory,
    RegionFactory,
    user_with_role,
)
from units.models import Institution

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


def text_of(html: str) -> str:
    spaced = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    return re.sub(r" ([,.:])", r"\1", spaced)


def card(page: str, code: str) -> str:
    """The text of a goal's card on the overview (or its row of a framework's tree)."""
    match = re.search(rf">{re.escape(code)}</a>(.*?)</(article|li)>", page, re.S)
    assert match, code
    return text_of(match.group(1))


@pytest.fixture
def clock(monkeypatch):
    """The dashboards' clock set to a given moment in Tokyo."""

    def set_to(*args):
        moment = dt.datetime(*args, 12, 0, tzinfo=TOKYO)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


@pytest.fixture
def mission(db):
    """One institution with one mission and a leader who reads only that institution."""
    institution = InstitutionFactory(code="SOLO")
    framework = FrameworkFactory(institution=institution, code="SOLO-PLAN")
    goal = GoalFactory(framework=framework, code="REACH", title="REACH out")
    return goal


def reader_of(client, *institutions):
    client.force_login(user_with_role(LEADERSHIP, institutions=institutions))
    return client


def overview(client, fy: int) -> str:
    response = client.get(reverse("dashboards:overview"), {"fy": fy})
    assert response.status_code == 200
    return response.content.decode()


def serving(goal: Goal, **fields) -> Initiative:
    initiative = InitiativeFactory(institution=goal.framework.institution, **fields)
    initiative.goals.set([goal])
    return initiative


# --- An initiative counts in the fiscal years its dates overlap ------------------------------


def test_an_initiative_counts_only_in_the_fiscal_years_its_dates_overlap(client, mission, clock):
    clock(2026, 12, 1)
    reader = reader_of(client, mission.framework.institution)
    # Activities in FY2022 make the year one the filter offers.
    ActivityFactory(initiative=serving(mission, code="OLD", end_date=dt.date(2023, 3, 31)),
                    start_date=dt.date(2022, 5, 1))  # fmt: skip
    serving(mission, code="LATER", start_date=dt.date(2026, 4, 1))
    serving(mission, code="OPEN")  # no dates: open at both ends
    serving(mission, code="ENDED", start_date=dt.date(2020, 4, 1), end_date=dt.date(2022, 3, 31))

    assert "Initiatives 2 " in card(overview(reader, 2022), "REACH")  # OLD, OPEN
    assert "Initiatives 2 " in card(overview(reader, 2026), "REACH")  # LATER, OPEN
    assert "Initiatives 1 " in card(overview(reader, 2024), "REACH")  # OPEN


def test_a_units_initiatives_are_those_of_the_chosen_year(client, mission, clock):
    clock(2026, 12, 1)
    reader = reader_of(client, mission.framework.institution)
    later = serving(mission, code="LATER", start_date=dt.date(2026, 4, 1))
    # An activity of another initiative makes FY2022 a year the filter offers.
    ActivityFactory(initiative=serving(mission, code="OLD"), start_date=dt.date(2022, 5, 1))
    url = reverse("dashboards:unit", args=[later.lead_unit_id])
    assert "LATER" not in text_of(reader.get(url, {"fy": 2022}).content.decode())
    assert "LATER" in text_of(reader.get(url, {"fy": 2026}).content.decode())


def table_text(page: str, table_id: str) -> str:
    """The text of one of a page's tables, its title included."""
    match = re.search(rf'<section class="table-block" id="{table_id}">(.*?)</section>', page, re.S)
    assert match, table_id
    return text_of(match.group(1))


def test_a_units_page_follows_the_status_and_region_filters(client, mission, clock):
    clock(2026, 12, 1)
    reader = reader_of(client, mission.framework.institution)
    running = serving(mission, code="RUNNING", status="active")
    unit = running.lead_unit
    finished = serving(mission, code="FINISHED", status="completed", lead_unit=unit)
    for initiative, country in ((running, "TH"), (finished, "DE")):
        ActivityFactory(
            initiative=initiative, unit=unit, country=country, start_date=dt.date(2026, 6, 1)
        )
    RegionFactory(code="SEA", name="Southeast Asia", countries=["TH", "VN"])
    url = reverse("dashboards:unit", args=[unit.pk])

    def tables(**filters) -> tuple[str, str]:
        page = reader.get(url, {"fy": 2026, **filters}).content.decode()
        return table_text(page, "initiatives"), table_text(page, "activities-by-country")

    initiatives, countries = tables()
    assert "RUNNING" in initiatives and "FINISHED" in initiatives
    assert "Thailand" in countries and "Germany" in countries

    initiatives, countries = tables(status="completed")
    assert "FINISHED" in initiatives and "RUNNING" not in initiatives
    assert "Germany" in countries and "Thailand" not in countries

    initiatives, countries = tables(status="active", region="SEA")
    assert "RUNNING" in initiatives and "FINISHED" not in initiatives
    assert "Thailand" in countries and "Germany" not in countries
    _initiatives, countries = tables(status="completed", region="SEA")
    assert "Nothing recorded" in countries


# --- Indicators: what is measured, and what is not yet -----------------------------------------


def test_a_year_with_targets_and_no_actual_says_not_yet_measured(client, mission, clock):
    clock(2026, 12, 1)
    reader = reader_of(client, mission.framework.institution)
    students = IndicatorFactory(goal=mission, code="STU")
    IndicatorValueFactory(indicator=students, fiscal_year=2024, target=100, actual=Decimal(120))
    IndicatorValueFactory(indicator=students, fiscal_year=2025, target=110, actual=Decimal(90))
    IndicatorValueFactory(indicator=students, fiscal_year=2026, target=120, actual=None)

    this_year = card(overview(reader, 2026), "REACH")
    # The latest actual (FY2025, 90 against 110) is what is judged, with its year.
    assert "Indicators on track 0 of 1 latest actuals: FY2025" in this_year
    assert "1 of 1 not yet measured in FY2026" in this_year
    assert "0 of 0" not in this_year

    before = card(overview(reader, 2024), "REACH")
    assert "Indicators on track 1 of 1 latest actuals: FY2024" in before
    assert "not yet measured" not in before


def test_a_goal_without_indicators_says_so(client, mission, clock):
    clock(2026, 12, 1)
    reader = reader_of(client, mission.framework.institution)
    assert "Indicators on track No indicators" in card(overview(reader, 2026), "REACH")
    IndicatorValueFactory(
        indicator=IndicatorFactory(goal=mission), fiscal_year=2026, target=5, actual=None
    )
    assert "Indicators on track Not yet measured" in card(overview(reader, 2026), "REACH")


# --- The year so far against the same part of the year before --------------------------------


def test_a_running_year_is_compared_with_the_same_part_of_the_year_before(client, mission, clock):
    clock(2026, 12, 1)  # FY2026, two thirds over
    reader = reader_of(client, mission.framework.institution)
    initiative = serving(mission, code="RUN")
    for day in [dt.date(2025, 6, 1), dt.date(2025, 11, 30), dt.date(2026, 2, 1)]:
        ActivityFactory(
            initiative=initiative, start_date=day, inbound_participants=10, outbound_participants=0
        )
    ActivityFactory(
        initiative=initiative,
        start_date=dt.date(2026, 7, 1),
        inbound_participants=4,
        outbound_participants=0,
    )

    running = card(overview(reader, 2026), "REACH")
    # FY2025's February activity falls after 1 December: it is not set against FY2026 yet.
    assert "Activities FY2026 to December 1 1 FY2025 to December 1: 2" in running
    assert "Participants in / out 4 / 0 FY2025 to December 1: 20 / 0" in running

    over = card(overview(reader, 2025), "REACH")
    assert "Activities FY2025 3 FY2024: 0" in over


def test_the_download_labels_the_years_it_compares(client, mission, clock):
    clock(2026, 12, 1)
    reader = reader_of(client, mission.framework.institution)
    page = overview(reader, 2026)
    download = re.search(r'href="\?([^"]*csv=[^"]+)"', page).group(1).replace("&amp;", "&")
    content = reader.get(reverse("dashboards:overview") + "?" + download).content.decode(
        "utf-8-sig"
    )
    assert "activities FY2026 to December 1" in content
    assert "activities FY2025 to December 1" in content


# --- The crosswalk and the goal page for a reader of one institution -------------------------


@pytest.fixture
def kyoto_reader(client, sources):
    call_command("load_demo", stdout=io.StringIO())
    return reader_of(client, Institution.objects.get(code="KU"))


def test_a_goal_page_names_the_other_institutions_aligned_goals_without_opening_them(
    kyoto_reader,
):
    connect = Goal.objects.get(framework__code="ISO-KU", code="CONNECT")
    tmu_goal = Goal.objects.get(framework__code="TMU-IBP", code="2.1")
    page = kyoto_reader.get(reverse("dashboards:goal", args=[connect.pk])).content.decode()
    assert "No goal of another framework is aligned" not in page
    assert "TMU-IBP:2.1" in page and tmu_goal.title in page
    assert reverse("dashboards:goal", args=[tmu_goal.pk]) not in page
    # The other institution's pages stay closed to this reader.
    assert kyoto_reader.get(reverse("dashboards:goal", args=[tmu_goal.pk])).status_code == 404


def test_the_crosswalk_shows_a_reader_of_one_institution_the_matrix_with_a_legend(kyoto_reader):
    page = kyoto_reader.get(reverse("dashboards:crosswalk")).content.decode()
    assert "Two frameworks are needed" not in page
    matrix = page.split('id="crosswalk-matrix"')[1].split("</table>")[0]
    assert "2.1" in matrix and "CONNECT" in matrix
    assert re.search(r">1 / \d+</a>", matrix)  # an alignment counted
    assert "How to read a cell" in page
    # No other institution's goal page is linked, and none of its initiatives is named.
    for goal in Goal.objects.filter(framework__code="TMU-IBP"):
        assert reverse("dashboards:goal", args=[goal.pk]) not in page
    for code in Initiative.objects.filter(institution__code="TMU").values_list("code", flat=True):
        assert code not in page


# --- TMU's sectors realise its basic policies --------------------------------------------------


def test_the_fixtures_say_each_sector_realises_the_three_basic_policies(sources):
    for sector in Goal.objects.filter(framework__code="TMU-IBP", kind="sector"):
        assert sorted(sector.realises.values_list("code", flat=True)) == ["BP1", "BP2", "BP3"]
    assert not Goal.objects.filter(framework__code="TMU-IBP", kind="basic_policy").filter(
        realises__isnull=False
    )


def test_basic_policies_carry_the_figures_of_the_sectors_that_realise_them(client, sources):
    call_command("load_demo", stdout=io.StringIO())
    reader = reader_of(client, Institution.objects.get(code="TMU"))
    framework = Framework.objects.get(code="TMU-IBP")
    fy = 2025
    page = overview(reader, fy)
    sectors = Goal.objects.filter(framework=framework, kind="sector")
    under_sectors = Goal.objects.filter(framework=framework).exclude(kind="basic_policy")
    expected = Initiative.objects.filter(goals__in=under_sectors).distinct().count()
    assert expected > 0
    for code in ["BP1", "BP2", "BP3"]:
        text = card(page, code)
        assert "Nothing pursues" not in text
        assert f"Initiatives {expected} " in text
        assert "Realised through" in text
        for sector in sectors:
            assert sector.title in text
    tree = reader.get(reverse("dashboards:framework", args=[framework.pk])).content.decode()
    assert "Nothing pursues" not in card(tree, "BP1")
    assert "Realises: BP1, BP2, BP3" in card(tree, "1")


def test_the_admin_refuses_a_realisation_across_frameworks_and_keeps_one_within(
    admin_client, sources
):
    sector = Goal.objects.get(framework__code="TMU-IBP", code="3")
    connect = Goal.objects.get(framework__code="ISO-KU", code="CONNECT")
    url = reverse("admin:policies_goal_change", args=[sector.pk])
    data = form_data(admin_client.get(url))
    data["realises"] = [str(connect.pk)]
    refused = admin_client.post(url, data)
    assert refused.status_code == 200
    assert "A goal realises only goals of its own framework; remove: CONNECT." in (
        refused.content.decode()
    )
    assert sorted(sector.realises.values_list("code", flat=True)) == ["BP1", "BP2", "BP3"]

    data["realises"] = [str(Goal.objects.get(framework__code="TMU-IBP", code="BP2").pk)]
    assert admin_client.post(url, data).status_code == 302
    assert list(sector.realises.values_list("code", flat=True)) == ["BP2"]


@pytest.mark.parametrize("language", ["en", "ja", "de", "fr"])
def test_a_tables_figures_are_grouped_as_the_readers_language_groups_them(language):
    """A table writes its many figures with ``figure_writer``: the same text, in every language,
    as ``figure`` gives for one (and where a language's separator is not English's: German's dots,
    French's spaces)."""
    values = [0, 7, 999, 1000, -1234, 1234567, 10**12, Decimal("100.00"), Decimal("12.50"), 3.5]
    with translation.override(language):
        write = figure_writer()
        assert [write(value) for value in values] == [figure(value) for value in values]
        assert write(1234567) != "1234567"
