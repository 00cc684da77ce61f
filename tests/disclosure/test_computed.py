"""Indicators the product counts itself: each equals a count made here independently, at two
data sizes with the same queries; the counts reach the adopting indicators' actuals through the
write door, on commit, except where the office overrode them with a reason."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from common.fiscal import fiscal_year_of
from common.services import record_save
from disclosure.computed import computed_counts, snapshot_day
from disclosure.services import computed_refresh
from policies.models import Computation, Headcount, IndicatorValue, LibraryIndicator
from portfolio.models import Activity, Agreement
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    GoalFactory,
    IndicatorFactory,
    InitiativeFactory,
    InstitutionFactory,
    PartnerFactory,
    RegionFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db
COUNTRIES = ["TH", "VN", "FR", "DE", "US", "BR"]


def fill(institution, rng: random.Random, partners: int, activities: int) -> None:
    unit = UnitFactory(institution=institution)
    initiative = InitiativeFactory(institution=institution, lead_unit=unit)
    made = [PartnerFactory(country=rng.choice(COUNTRIES)) for _ in range(partners)]
    for partner in made[: partners * 2 // 3]:
        signed = dt.date(rng.randint(2018, 2024), rng.randint(1, 12), rng.randint(1, 28))
        expires = rng.choice([None, signed + dt.timedelta(days=rng.randint(200, 2500))])
        AgreementFactory(partner=partner, unit=unit, signed_on=signed, expires_on=expires)
    for _ in range(activities):
        ActivityFactory(
            initiative=initiative,
            unit=unit,
            partner=rng.choice([*made, None]),
            start_date=dt.date(rng.randint(2019, 2025), rng.randint(1, 12), rng.randint(1, 28)),
            outbound_participants=rng.randint(0, 9),
        )


def in_force(agreement: Agreement, day: dt.date) -> bool:
    return (agreement.signed_on is None or agreement.signed_on <= day) and (
        agreement.expires_on is None or agreement.expires_on >= day
    )


def independent_outbound(institution) -> dict[int, int]:
    agreements = list(Agreement.objects.filter(unit__institution=institution))
    totals: dict[int, int] = {}
    for activity in Activity.objects.filter(unit__institution=institution):
        if activity.partner_id is None or not activity.outbound_participants:
            continue
        if any(
            a.partner_id == activity.partner_id and in_force(a, activity.start_date)
            for a in agreements
        ):
            year = fiscal_year_of(activity.start_date)
            totals[year] = totals.get(year, 0) + activity.outbound_participants
    return totals


def independent_agreements(institution, year: int, *, partners: bool) -> int:
    day = dt.date(year, 5, 1)
    live = [a for a in Agreement.objects.filter(unit__institution=institution) if in_force(a, day)]
    return len({a.partner_id for a in live}) if partners else len(live)


@pytest.mark.parametrize("size", [(6, 20), (24, 80)])
def test_students_sent_under_agreements_equal_an_independent_count(size):
    rng = random.Random(size[1])
    home, other = InstitutionFactory(), InstitutionFactory()
    fill(home, rng, *size)
    fill(other, rng, 4, 10)
    counts = computed_counts(Computation.OUTBOUND_UNDER_AGREEMENTS, [home.pk])
    expected = independent_outbound(home)
    assert expected, "the data set has students sent under agreements"
    assert {y: int(c.value) for (i, y), c in counts.items()} == expected
    assert {i for i, _y in counts} == {home.pk}


def test_an_agreement_outside_its_dates_or_of_another_institution_does_not_count():
    home, other = InstitutionFactory(), InstitutionFactory()
    unit = UnitFactory(institution=home)
    partner = PartnerFactory()
    AgreementFactory(partner=partner, unit=UnitFactory(institution=other), signed_on=None)
    AgreementFactory(partner=partner, unit=unit, signed_on=dt.date(2025, 7, 1), expires_on=None)
    initiative = InitiativeFactory(institution=home, lead_unit=unit)
    for start, students in [(dt.date(2025, 6, 30), 4), (dt.date(2025, 7, 1), 3)]:
        ActivityFactory(
            initiative=initiative, partner=partner, start_date=start, outbound_participants=students
        )
    counts = computed_counts(Computation.OUTBOUND_UNDER_AGREEMENTS, [home.pk])
    assert {y: c.value for (_i, y), c in counts.items()} == {2025: Decimal(3)}


@pytest.mark.parametrize("size", [(6, 0), (30, 0)])
def test_agreements_and_partners_in_force_by_region_equal_an_independent_count(size):
    rng = random.Random(size[0])
    home = InstitutionFactory()
    RegionFactory(code="SEA", countries=["TH", "VN"])
    RegionFactory(code="EU", countries=["FR", "DE"])
    fill(home, rng, *size)
    # A partner with two agreements counts once among partners, twice among agreements.
    first = Agreement.objects.filter(unit__institution=home).first()
    AgreementFactory(partner=first.partner, unit=first.unit, signed_on=first.signed_on)
    for partners, computation in [
        (True, Computation.PARTNERS_UNDER_AGREEMENTS),
        (False, Computation.AGREEMENTS_IN_FORCE),
    ]:
        counts = computed_counts(computation, [home.pk])
        for (_i, year), count in counts.items():
            assert int(count.value) == independent_agreements(home, year, partners=partners)
            if not partners:
                assert sum(count.parts.values()) == count.value
        assert set(count.parts) <= {"SEA", "EU", ""}


def test_the_international_student_ratio_comes_from_the_latest_snapshot():
    home = InstitutionFactory()
    rows = [
        ("undergraduate", "all", "", 8000),
        ("undergraduate", "international", "", 400),
        ("master", "all", "", 2000),
        ("master", "international", "", 600),
        ("master", "international", "CN", 350),  # a breakdown, not counted twice
        ("faculty", "all", "", 3000),
    ]
    for level, group, country, count in rows:
        Headcount.objects.create(
            institution=home,
            fiscal_year=2025,
            as_of=snapshot_day(2025),
            level=level,
            group=group,
            country=country,
            count=count,
        )
    Headcount.objects.create(
        institution=home,
        fiscal_year=2025,
        as_of=dt.date(2025, 4, 1),
        level="master",
        group="all",
        count=1,
    )
    counts = computed_counts(Computation.INTERNATIONAL_STUDENT_RATIO, [home.pk])
    assert counts[(home.pk, 2025)].value == Decimal("10.00")  # 1000 of 10000


@pytest.mark.parametrize("computation", list(Computation)[1:])
def test_each_computation_issues_the_same_queries_at_two_sizes(computation):
    def queries(size: int) -> int:
        home = InstitutionFactory()
        fill(home, random.Random(size), size, size * 3)
        for year in range(2019, 2019 + size // 4):
            Headcount.objects.create(
                institution=home,
                fiscal_year=year,
                as_of=snapshot_day(year),
                level="undergraduate",
                group="all",
                count=100 + year,
            )
        computed_counts(computation, [home.pk])  # warm
        with CaptureQueriesContext(connection) as captured:
            computed_counts(computation, [home.pk])
        return len(captured)

    assert queries(4) == queries(24)


@pytest.fixture
def adopted(sources):
    home = InstitutionFactory()
    goal = GoalFactory(framework__institution=home)
    indicator = IndicatorFactory(goal=goal, library=LibraryIndicator.objects.get(code="PF-OUT-AGR"))
    unit = UnitFactory(institution=home)
    partner = PartnerFactory()
    AgreementFactory(partner=partner, unit=unit, signed_on=dt.date(2020, 1, 1), expires_on=None)
    initiative = InitiativeFactory(institution=home, lead_unit=unit)
    return indicator, initiative, partner


def test_the_refresh_writes_the_counts_with_history_and_keeps_an_override(adopted, admin_user):
    indicator, initiative, partner = adopted
    for year, students in [(2023, 5), (2024, 7)]:
        ActivityFactory(
            initiative=initiative,
            partner=partner,
            start_date=dt.date(year, 9, 1),
            outbound_participants=students,
        )
    IndicatorValue.objects.create(indicator=indicator, fiscal_year=2022, target=10, actual=3)
    assert computed_refresh(user=admin_user) == 3
    actuals = dict(indicator.values.values_list("fiscal_year", "actual"))
    assert actuals == {2022: Decimal(0), 2023: Decimal(5), 2024: Decimal(7)}
    row = indicator.values.get(fiscal_year=2024).history.first()
    assert row.history_user == admin_user
    assert "7 students sent abroad under agreements" in row.history_change_reason
    # The office overrides 2024 with a reason: the next count leaves it.
    value = indicator.values.get(fiscal_year=2024)
    value.actual, value.override_reason = Decimal(9), "Two were recorded late."
    record_save(value, user=admin_user, reason="Override")
    ActivityFactory(
        initiative=initiative,
        partner=partner,
        start_date=dt.date(2024, 10, 1),
        outbound_participants=1,
    )
    assert computed_refresh() == 0
    assert indicator.values.get(fiscal_year=2024).actual == Decimal(9)
    assert computed_refresh() == 0  # nothing changed: no history row


@pytest.mark.django_db(transaction=True)
def test_a_committed_write_counts_again_once(adopted, monkeypatch):
    from disclosure import services

    indicator, initiative, partner = adopted
    calls = []
    refresh = services.computed_refresh
    monkeypatch.setattr(services, "computed_refresh", lambda **kw: calls.append(1) or refresh(**kw))
    with transaction.atomic():
        for day in (1, 2, 3):
            ActivityFactory(
                initiative=initiative,
                partner=partner,
                start_date=dt.date(2025, 6, day),
                outbound_participants=2,
            )
        assert calls == []  # not before the commit
    assert calls == [1]
    assert indicator.values.get(fiscal_year=2025).actual == Decimal(6)
    with pytest.raises(RuntimeError), transaction.atomic():
        ActivityFactory(initiative=initiative, partner=partner, outbound_participants=5)
        raise RuntimeError("rolled back")
    assert calls == [1]
    ActivityFactory(initiative=initiative, partner=partner, start_date=dt.date(2025, 7, 1))
    assert calls == [1, 1]  # a rolled-back block leaves nothing queued that blocks the next


def test_the_demo_command_counts_nothing_twice(adopted):
    indicator, initiative, partner = adopted
    ActivityFactory(initiative=initiative, partner=partner, outbound_participants=4)
    call_command("refresh_computed", verbosity=0)
    call_command("refresh_computed", verbosity=0)
    assert indicator.values.get().actual == Decimal(4)
    assert indicator.values.get().history.count() == 1


def test_the_goal_page_says_where_each_actual_comes_from(adopted, admin_user, client):
    from django.urls import reverse

    from common.roles import LEADERSHIP
    from tests.factories import user_with_role

    indicator, initiative, partner = adopted
    ActivityFactory(initiative=initiative, partner=partner, outbound_participants=4)
    computed_refresh()
    client.force_login(
        user_with_role(LEADERSHIP, institutions=[indicator.goal.framework.institution])
    )
    page = client.get(reverse("dashboards:goal", args=[indicator.goal_id])).content.decode()
    assert "computed: Students sent abroad under agreements" in page
    value = indicator.values.get()
    value.actual, value.override_reason = Decimal(5), "One recorded late."
    record_save(value, user=admin_user, reason="Override")
    page = client.get(reverse("dashboards:goal", args=[indicator.goal_id])).content.decode()
    assert "overridden: One recorded late." in page
