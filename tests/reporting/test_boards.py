"""The reporting cycle's boards: who reads them, what they count, and at a constant cost."""

import datetime as dt

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse
from django.utils import timezone

import config.urls
from common.roles import ADMINISTRATOR, EDITOR, LEADERSHIP, REVIEWER, UNIT_EDITOR
from portfolio.models import Initiative
from reporting.models import FigureReport, Report, ReportingCycle, State
from tests.factories import (
    FrameworkFactory,
    GoalFactory,
    IndicatorFactory,
    InitiativeFactory,
    InstitutionFactory,
    PersonFactory,
    ProgressUpdateFactory,
    UnitFactory,
    UserFactory,
    user_with_role,
)
from tests.helpers import download_table

pytestmark = pytest.mark.django_db

# The states the items take in turn: a board of n items holds each state about n/5 times.
STATES = [State.NOT_STARTED, State.DRAFT, State.SUBMITTED, State.RETURNED, State.APPROVED]


class World:
    """An institution with two units, a goal, a cycle past its due date and its items."""

    def __init__(self) -> None:
        self.home = InstitutionFactory(code="HOME")
        self.other = InstitutionFactory(code="OTHER")
        self.lead = UnitFactory(institution=self.home, code="LEAD", name="Lead office")
        self.measuring = UnitFactory(institution=self.home, code="MEAS", name="Measuring office")
        framework = FrameworkFactory(institution=self.home)
        self.mission = GoalFactory(framework=framework, code="M1")
        self.goal = GoalFactory(framework=framework, code="M1.1", parent=self.mission)
        self.elsewhere = GoalFactory(framework=framework, code="M2")
        self.goal.units.add(self.measuring)
        self.cycle = ReportingCycle.objects.create(
            institution=self.home,
            fiscal_year=2025,
            period="q1",
            due_date=timezone.localdate() - dt.timedelta(days=3),
        )
        self.other_cycle = ReportingCycle.objects.create(
            institution=self.other, fiscal_year=2025, period="q1", due_date=timezone.localdate()
        )
        self.owner = user_with_role(EDITOR, units=[], username="owner", is_staff=True)
        self.person = PersonFactory(name="Owner Person", user=self.owner)
        self.initiatives = 0

    def add(self, n: int, *, goal=None) -> None:
        """``n`` initiatives serving ``goal`` with their reports, and ``n`` indicators' figures."""
        for _ in range(n):
            state = STATES[self.initiatives % len(STATES)]
            self.initiatives += 1
            initiative = InitiativeFactory(
                institution=self.home, lead_unit=self.lead, owner=self.person
            )
            initiative.goals.add(goal or self.goal)
            submitted = timezone.now() if state in (State.SUBMITTED, State.APPROVED) else None
            Report.objects.create(
                cycle=self.cycle, initiative=initiative, state=state, submitted_at=submitted
            )
            indicator = IndicatorFactory(goal=goal or self.goal)
            FigureReport.objects.create(
                cycle=self.cycle, indicator=indicator, state=state, submitted_at=submitted
            )


@pytest.fixture
def world(db) -> World:
    return World()


def signed_in(client, user):
    client.force_login(user)
    return client


def board_url(world: World) -> str:
    return reverse("reporting:cycle", args=[world.cycle.pk])


def test_the_board_lists_every_item_with_its_state_and_overdue(client, world):
    world.add(5)
    editor = user_with_role(EDITOR, institutions=[world.home], username="editor", is_staff=True)
    page = signed_in(client, editor).get(board_url(world)).content.decode()
    # Counts per state on top: one report and one figure in each state.
    for label in ["Not started", "Draft", "Submitted", "Returned", "Approved"]:
        assert f"{label}: 2</a>" in page, label
    # Overdue: past the due date and not submitted (not started, draft, returned), in SQL.
    assert "Overdue: 6</a>" in page
    assert page.count('<strong class="overdue">Overdue</strong>') == 6
    # Staff read each code as a link to the item's page in the admin.
    for initiative in Initiative.objects.all():
        report = initiative.reports.get()
        change = reverse("admin:reporting_report_change", args=[report.pk])
        assert f'<a href="{change}">{initiative.code}</a></th>' in page
    # The named owner is listed as the owner of each report.
    first = Initiative.objects.first().code
    assert "owner" in page.split(f">{first}</a></th>")[1].split("</tr>")[0]


def test_the_board_filters_by_unit_and_state(client, world):
    world.add(5)
    leader = user_with_role(LEADERSHIP, institutions=[world.home], username="leader")
    client = signed_in(client, leader)
    by_lead = client.get(board_url(world), {"unit": world.lead.pk, "csv": "items"})
    rows = download_table(by_lead.content).splitlines()[1:]
    assert len(rows) == 5 and all(row.startswith("report,") for row in rows)
    by_goal_unit = client.get(board_url(world), {"unit": world.measuring.pk, "csv": "items"})
    rows = download_table(by_goal_unit.content).splitlines()[1:]
    assert len(rows) == 5 and all(row.startswith("figure report,") for row in rows)
    overdue = client.get(board_url(world), {"state": "overdue", "csv": "items"})
    rows = download_table(overdue.content).splitlines()[1:]
    assert len(rows) == 6 and all(",yes," in row for row in rows)
    drafts = client.get(board_url(world), {"state": "draft", "csv": "items"})
    assert len(download_table(drafts.content).splitlines()[1:]) == 2


def test_the_board_download_is_written_by_the_one_writer(client, world):
    world.add(1)
    initiative = Initiative.objects.get()
    initiative.title = "=HYPERLINK(1)"
    initiative.save()
    editor = user_with_role(EDITOR, institutions=[world.home], username="editor", is_staff=True)
    response = signed_in(client, editor).get(board_url(world), {"csv": "items"})
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    assert 'filename="home-fy2025-q1-board.csv"' in response["Content-Disposition"]
    lines = download_table(response.content).splitlines()
    assert lines[0] == "kind,code,name,units,state,overdue,owners,submitted at"
    assert "'=HYPERLINK(1)" in lines[1]  # a formula is written as text


@pytest.mark.parametrize("role", [ADMINISTRATOR, REVIEWER, EDITOR, UNIT_EDITOR, LEADERSHIP])
def test_the_cycles_readers_see_the_board_and_others_do_not_find_it(client, world, role):
    scope = {"units": [world.lead]} if role == UNIT_EDITOR else {"institutions": [world.home]}
    reader = user_with_role(role, username=role.lower(), **scope)
    client = signed_in(client, reader)
    assert client.get(board_url(world)).status_code == 200
    listed = client.get(reverse("reporting:cycles")).content.decode()
    # An administrator acts for every institution; every other reader for their own.
    everywhere = role == ADMINISTRATOR
    assert str(world.cycle) in listed and (str(world.other_cycle) in listed) == everywhere
    other = reverse("reporting:cycle", args=[world.other_cycle.pk])
    assert client.get(other).status_code == (200 if everywhere else 404)


def test_another_institutions_user_does_not_find_the_board(client, world):
    outsider = user_with_role(EDITOR, institutions=[world.other], username="out", is_staff=True)
    client = signed_in(client, outsider)
    assert client.get(board_url(world)).status_code == 404
    assert str(world.cycle) not in client.get(reverse("reporting:cycles")).content.decode()


def test_a_user_without_a_role_may_not_read_the_boards(client, world):
    client = signed_in(client, UserFactory(username="nobody"))
    for url in [reverse("reporting:cycles"), board_url(world), reverse("reporting:mine")]:
        assert client.get(url).status_code == 403


def owner_admin_urls():
    """The product's URLs with an admin site where the reports have change pages (the reporting
    admin is built on its own branch); the first ``admin`` namespace is the one reversed."""
    site = admin.AdminSite(name="admin")
    site.register(Report)
    site.register(FigureReport)
    return [path("admin/", site.urls), *config.urls.urlpatterns]


urlpatterns = owner_admin_urls()


@pytest.mark.urls(__name__)
def test_an_owner_sees_what_they_owe_with_links_to_change_it(client, world):
    world.add(5)
    page = signed_in(client, world.owner).get(reverse("reporting:mine")).content.decode()
    owed = Report.objects.filter(state__in=[State.NOT_STARTED, State.DRAFT, State.RETURNED])
    assert owed.count() == 3
    for report in owed:
        change = reverse("admin:reporting_report_change", args=[report.pk])
        assert f'<a href="{change}">{report.initiative.code}</a>' in page
    for report in Report.objects.exclude(pk__in=owed):
        assert report.initiative.code not in page
    assert page.count('<strong class="overdue">Overdue</strong>') == 3
    assert world.cycle.due_date.isoformat() in page
    assert "Waiting for your review" not in page  # an owner is no reviewer
    # The header of the site links to the page for signed-in staff.
    assert f'href="{reverse("reporting:mine")}"' in page


@pytest.mark.urls(__name__)
def test_the_board_links_each_item_to_its_change_page_for_staff(client, world):
    world.add(1)
    report, figure = Report.objects.get(), FigureReport.objects.get()
    links = [
        reverse("admin:reporting_report_change", args=[report.pk]),
        reverse("admin:reporting_figurereport_change", args=[figure.pk]),
    ]
    editor = user_with_role(EDITOR, institutions=[world.home], username="editor", is_staff=True)
    page = signed_in(client, editor).get(board_url(world)).content.decode()
    assert all(f'href="{link}"' in page for link in links)
    leader = user_with_role(LEADERSHIP, institutions=[world.home], username="leader")
    page = signed_in(client, leader).get(board_url(world)).content.decode()
    assert not any(link in page for link in links)  # leadership has no admin


def test_hostile_parameters_of_the_board_are_ignored(client, world):
    world.add(1)
    editor = user_with_role(EDITOR, institutions=[world.home], username="editor", is_staff=True)
    client = signed_in(client, editor)
    for value in ["'; DROP TABLE x; --", "\x00", "9" * 40, "-1", "overdue\n", "%00", "ünït"]:
        response = client.get(board_url(world), {"unit": value, "state": value, "csv": value})
        assert response.status_code == 200, value
        assert "Not started: 2</a>" in response.content.decode()  # a report and a figure


def test_a_reviewer_sees_what_waits_for_their_review(client, world):
    world.add(5)
    reviewer = user_with_role(REVIEWER, institutions=[world.home], username="reviewer")
    page = signed_in(client, reviewer).get(reverse("reporting:mine")).content.decode()
    waiting = page.split("Waiting for your review")[1]
    for report in Report.objects.filter(state=State.SUBMITTED):
        assert report.initiative.code in waiting
    for report in Report.objects.exclude(state=State.SUBMITTED):
        assert report.initiative.code not in waiting
    for figure in FigureReport.objects.filter(state=State.SUBMITTED):
        assert figure.indicator.code in waiting
    outsider = user_with_role(REVIEWER, institutions=[world.other], username="reviewer2")
    page = signed_in(client, outsider).get(reverse("reporting:mine")).content.decode()
    assert "Nothing waits for your review." in page


def test_leadership_reads_the_cycles_completion_on_the_overview_and_goal_pages(client, world):
    world.add(5)
    world.add(5, goal=world.elsewhere)
    leader = user_with_role(LEADERSHIP, institutions=[world.home], username="leader")
    client = signed_in(client, leader)
    overview = client.get(reverse("dashboards:overview")).content.decode()
    # 20 items owed, 4 approved, 4 submitted, 12 overdue.
    assert "4 of 20 approved (20%)" in overview
    assert "4 submitted, waiting for review" in overview and "12 overdue" in overview
    assert f'href="{board_url(world)}"' in overview
    # The mission's page counts the items of its subtree only: 10, of M1.1's.
    mission = client.get(reverse("dashboards:goal", args=[world.mission.pk])).content.decode()
    assert "2 of 10 approved (20%)" in mission
    # A goal that nothing owed is reported for shows no cycle.
    lone = GoalFactory(framework=world.goal.framework, code="M3")
    page = client.get(reverse("dashboards:goal", args=[lone.pk])).content.decode()
    assert "Reports owed for this goal" not in page


def test_an_initiatives_page_leads_with_its_latest_update_and_its_health_over_time(client, world):
    initiative = InitiativeFactory(institution=world.home, lead_unit=world.lead)
    ProgressUpdateFactory(initiative=initiative, fiscal_year=2024, quarter=4, health="at_risk")
    ProgressUpdateFactory(initiative=initiative, fiscal_year=2025, quarter=1, health="off_track")
    leader = user_with_role(LEADERSHIP, institutions=[world.home], username="leader")
    page = signed_in(client, leader).get(reverse("dashboards:initiative", args=[initiative.pk]))
    latest = page.content.decode().split('id="latest-update"')[1].split("</section>")[0]
    assert "FY2025 Q1" in latest and '<strong class="h-off_track">Off track</strong>' in latest
    response = client.get(reverse("dashboards:initiative", args=[initiative.pk]), {"csv": "health"})
    assert download_table(response.content).splitlines() == [
        "quarter,health",
        "FY2024 Q4,At risk",
        "FY2025 Q1,Off track",
    ]


def count_queries(client, url: str) -> int:
    client.get(url)  # the session and the caches warm
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["cycles", "cycle", "mine", "overview", "goal"])
def test_the_boards_queries_do_not_grow_with_the_data(
    client, world, django_assert_num_queries, page
):
    reviewer = user_with_role(REVIEWER, institutions=[world.home], username="rev", is_staff=True)
    reviewer.groups.add(*world.owner.groups.all())
    world.person.user = reviewer
    world.person.save()
    client = signed_in(client, reviewer)
    url = {
        "cycles": reverse("reporting:cycles"),
        "cycle": board_url(world),
        "mine": reverse("reporting:mine"),
        "overview": reverse("dashboards:overview"),
        "goal": reverse("dashboards:goal", args=[world.mission.pk]),
    }[page]
    world.add(3)
    small = count_queries(client, url)
    world.add(27)
    with django_assert_num_queries(small):
        assert client.get(url).status_code == 200
