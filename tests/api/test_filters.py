"""The lists of initiatives and activities narrowed as the query string says, each filter
giving what an independent count of the records gives; a value naming nothing is refused."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from common.roles import EDITOR
from policies.models import Goal
from portfolio.models import Activity, Initiative
from tests.api.helpers import a_token
from tests.factories import (
    ActivityFactory,
    InitiativeFactory,
    InstitutionFactory,
    RegionFactory,
    UnitFactory,
    user_with_role,
)
from units.models import Institution, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(sources):
    home = Institution.objects.get(code="KU")
    user = user_with_role(EDITOR, institutions=[home], username="kana", is_staff=True)
    return Client(headers={"Authorization": f"Bearer {a_token(user)}"})


@pytest.fixture
def activities(sources):
    home = Institution.objects.get(code="KU")
    center, office = Unit.objects.get(code="ISO-KU"), UnitFactory(institution=home)
    connect_1 = Goal.objects.get(framework__code="ISO-KU", code="CONNECT.1")
    boost = Goal.objects.get(framework__code="ISO-KU", code="BOOST")
    serving_connect = InitiativeFactory(institution=home, lead_unit=center, status="active")
    serving_connect.goals.add(connect_1)
    serving_boost = InitiativeFactory(institution=home, lead_unit=office, status="completed")
    serving_boost.goals.add(boost)
    for year, country in [(2024, "TH"), (2025, "TH"), (2025, "DE"), (2025, "VN")]:
        start = dt.date(year, 6, 1)  # (the fiscal year follows from the start date)
        ActivityFactory(initiative=serving_connect, start_date=start, country=country)
        ActivityFactory(initiative=serving_boost, unit=office, start_date=start, country=country)
    # Another institution's activity: never listed.
    ActivityFactory(initiative=InitiativeFactory(institution=InstitutionFactory()))
    return home


def ids(client: Client, url: str, **params) -> set[int]:
    found, page = set(), client.get(url, params)
    assert page.status_code == 200, page.content
    while True:
        found |= {row["id"] for row in page.json()["results"]}
        if not page.json()["next"]:
            return found
        page = client.get(page.json()["next"])


def test_each_activity_filter_gives_what_the_records_hold(reader, activities):
    url = reverse("api:activity-list")
    mine = Activity.objects.filter(initiative__institution=activities)
    asean = RegionFactory(code="ASEAN-T", countries=["TH", "VN"])
    office = Unit.objects.filter(institution=activities).exclude(code="ISO-KU").last()
    connect = Goal.objects.get(framework__code="ISO-KU", code="CONNECT")
    cases = {
        "fiscal_year": (2025, mine.filter(fiscal_year=2025)),
        "unit": (office.pk, mine.filter(unit=office)),
        "country": ("de", mine.filter(country="DE")),
        "region": (asean.code, mine.filter(country__in=["TH", "VN"])),
        "status": ("completed", mine.filter(initiative__status="completed")),
        # CONNECT's subtree holds CONNECT.1: the activities of the initiative serving it.
        "goal": (connect.pk, mine.filter(initiative__goals__code="CONNECT.1")),
    }
    assert ids(reader, url) == set(mine.values_list("pk", flat=True))
    for name, (value, expected) in cases.items():
        got = ids(reader, url, **{name: value})
        assert got == set(expected.values_list("pk", flat=True)), name
        assert got, name  # each case picks something, and not everything
        assert got != ids(reader, url), name


def test_changed_since_lists_what_was_written_after_a_moment(reader, activities):
    url = reverse("api:activity-list")
    moment = timezone.now()
    later = ActivityFactory(initiative=Initiative.objects.filter(institution=activities).first())
    assert ids(reader, url, changed_since=moment.isoformat()) == {later.pk}
    initiatives = ids(reader, reverse("api:initiative-list"), changed_since=moment.isoformat())
    assert initiatives == set()
    # Offsets Python reads and PostgreSQL does not (over 15:59), and the calendar's ends.
    for since in (
        "1183-06-30T17:07:51-20:44",
        "0001-01-01T00:00:00+20:00",
        "9999-12-31T23:00-20:00",
    ):
        assert reader.get(url, {"changed_since": since}).status_code == 200, since


def test_a_filter_naming_nothing_in_reach_is_refused_with_its_name(reader, activities):
    theirs = Goal.objects.get(framework__code="TMU-IBP", code="1")
    for params in ({"goal": theirs.pk}, {"region": "NOWHERE"}, {"fiscal_year": "soon"}):
        response = reader.get(reverse("api:activity-list"), params)
        assert response.status_code == 400
        assert set(response.json()) == set(params)


def test_initiatives_are_found_by_institution_and_code(reader, activities):
    initiative = Initiative.objects.filter(institution=activities).first()
    found = reader.get(reverse("api:initiative-detail", args=[f"KU:{initiative.code}"])).json()
    assert found["id"] == initiative.pk and found["institution"] == "KU"
    assert found["goals"] == list(initiative.goals.values_list("pk", flat=True))


def test_a_filter_names_its_unit_or_goal_by_code_as_well_as_by_id(reader, activities):
    url = reverse("api:activity-list")
    connect = Goal.objects.get(framework__code="ISO-KU", code="CONNECT")
    center = Unit.objects.get(code="ISO-KU")
    assert ids(reader, url, goal="ISO-KU:CONNECT") == ids(reader, url, goal=connect.pk)
    assert ids(reader, url, unit="KU:ISO-KU") == ids(reader, url, unit=center.pk)
    assert ids(reader, url, unit="ISO-KU") == ids(reader, url, unit=center.pk)
    # Another institution's goal by its code, and a code no goal has, are refused alike.
    for goal in ("TMU-IBP:1", "ISO-KU:NOPE", "ISO-KU:CONNECT\x00"):
        assert reader.get(url, {"goal": goal}).status_code == 400, goal
