"""Benchmarks: institutions that share a library indicator see each other's figures by year with
their median; one that does not share shows nowhere, and opting out takes it away at once."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.roles import ADMINISTRATOR, LEADERSHIP
from common.services import record_save
from policies.models import LibraryIndicator
from reporting.models import FigureReport, Period, ReportingCycle, State
from tests.factories import (
    GoalFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    InstitutionFactory,
    user_with_role,
)

URL = reverse("disclosure:benchmarks")


def adopt(institution, library, figures: dict[int, int], *, shared: bool = True):
    indicator = IndicatorFactory(
        goal=GoalFactory(framework__institution=institution), library=library, benchmarked=shared
    )
    for year, actual in figures.items():
        IndicatorValueFactory(indicator=indicator, fiscal_year=year, target=None, actual=actual)
    return indicator


def reader(institution) -> Client:
    client = Client()
    client.force_login(user_with_role(LEADERSHIP, institutions=[institution]))
    return client


def table_rows(response, code: str) -> dict[str, list[str]]:
    from html.parser import HTMLParser

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.inside, self.row, self.cell = [], False, None, None

        def handle_starttag(self, tag, attrs):
            if tag == "table" and dict(attrs).get("id") == f"benchmark-{code.lower()}-data":
                self.inside = True
            elif self.inside and tag == "tr":
                self.row = []
            elif self.inside and tag in {"td", "th"}:
                self.cell = ""

        def handle_endtag(self, tag):
            if tag == "table":
                self.inside = False
            elif self.inside and tag in {"td", "th"} and self.row is not None:
                self.row.append(self.cell.strip())
                self.cell = None
            elif self.inside and tag == "tr" and self.row is not None:
                self.rows.append(self.row)
                self.row = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell += data

    parser = Rows()
    parser.feed(response.content.decode())
    return {row[0]: row[1:] for row in parser.rows[1:]}  # below the header row


@pytest.fixture
def three(sources):
    library = LibraryIndicator.objects.get(code="TGU-02")
    a = InstitutionFactory(name="Alpha University")
    b = InstitutionFactory(name="Beta University")
    c = InstitutionFactory(name="Gamma University")
    adopt(a, library, {2023: 4, 2024: 6})
    adopt(b, library, {2023: 8, 2024: 10})
    adopt(c, library, {2023: 99, 2024: 99}, shared=False)
    return library, a, b, c


def test_sharing_institutions_see_each_other_and_the_median(three):
    _library, a, b, c = three
    rows = table_rows(reader(a).get(URL), "TGU-02")
    assert set(rows) == {"Alpha University", "Beta University", "Median of those sharing"}
    assert rows["Median of those sharing"] == ["6", "8"]
    assert rows["Beta University"] == ["8", "10"]
    # Gamma does not share: it sees no table, and nobody sees its figures.
    gamma = reader(c).get(URL)
    assert table_rows(gamma, "TGU-02") == {}
    assert b"Gamma University" not in reader(b).get(URL).content
    admin = Client()
    admin.force_login(user_with_role(ADMINISTRATOR, is_staff=True))
    assert set(table_rows(admin.get(URL), "TGU-02")) == set(rows)


def test_a_year_with_a_cycle_shows_only_the_approved_figure(three, admin_user):
    _library, a, b, _c = three
    indicator = b.frameworks.get().goals.get().indicators.get()
    cycle = ReportingCycle.objects.create(
        institution=b, fiscal_year=2024, period=Period.YEAR, due_date="2025-04-30"
    )
    report = FigureReport.objects.create(cycle=cycle, indicator=indicator, actual=11)
    rows = table_rows(reader(a).get(URL), "TGU-02")
    assert rows["Beta University"] == ["8", ""]  # 10 was typed, 11 awaits review
    report.state = State.APPROVED
    record_save(report, user=admin_user, reason="Approved")
    rows = table_rows(reader(a).get(URL), "TGU-02")
    assert rows["Beta University"] == ["8", "11"]
    assert rows["Median of those sharing"] == ["6", "8.5"]


@pytest.mark.django_db(transaction=True)
def test_opting_out_takes_an_institution_away_at_once(committing_roles):
    from django.core.management import call_command

    call_command("load_sources", verbosity=0)
    library = LibraryIndicator.objects.get(code="TGU-05")
    a, b = InstitutionFactory(name="Alpha University"), InstitutionFactory(name="Beta University")
    adopt(a, library, {2024: 5})
    shared = adopt(b, library, {2024: 7})
    client = reader(a)
    assert "Beta University" in table_rows(client.get(URL), "TGU-05")  # and now it is cached
    shared.benchmarked = False
    record_save(shared, user=None, reason="Beta stops sharing")
    assert "Beta University" not in table_rows(client.get(URL), "TGU-05")


def test_the_page_issues_the_same_queries_at_two_sizes(sources):
    library = LibraryIndicator.objects.get(code="TGU-03")
    home = InstitutionFactory()
    adopt(home, library, {2024: 1})
    client = reader(home)

    def count() -> int:
        client.get(URL)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    small = count()
    for n in range(12):
        adopt(InstitutionFactory(), library, {2020 + y: n + y for y in range(5)})
    adopt(home, LibraryIndicator.objects.get(code="TGU-04"), {2024: Decimal(2)})
    assert count() == small
