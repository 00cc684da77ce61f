"""The dashboards' kept figures equal the same figures counted from the records, whatever wrote
the records, at two data sizes; a write makes stale only the slices it touched."""

import datetime as dt
import io
import random

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.fiscal import fiscal_today
from common.services import record_delete, record_save
from policies.models import Goal
from portfolio.dashboards import checks, services
from portfolio.models import (
    Activity,
    ActivityFigure,
    FigureSlice,
    Initiative,
    PartnerInstitution,
    UnitFigure,
)
from portfolio.services import activities_create
from tests.admin_forms import form_data
from tests.factories import ActivityFactory, InitiativeFactory, PartnerFactory
from units.models import Institution, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(sources):
    call_command("load_demo", stdout=io.StringIO())


def every_difference() -> list[str]:
    """Under every institution, status and region, in the running year (whole months and the
    running month's days), the year before (compared up to the same day) and a year over (the
    one the generated dates cross the fiscal year's first day in)."""
    current = fiscal_today().year if fiscal_today().month >= 4 else fiscal_today().year - 1
    years = [current, current - 1, 2024]
    return [line for f in checks.every_filter(years) for line in checks.differences(f)]


def grow(count: int, rng: random.Random) -> None:
    """Activities of every kind the figures tell apart: both institutions, with and without an
    initiative, another institution's unit, the running month and the same month a year before,
    no partner, no country, several types."""
    initiatives = list(Initiative.objects.all())
    units = list(Unit.objects.all())
    partners = [*PartnerInstitution.objects.all(), None]
    today = fiscal_today()
    days = [
        today,
        today.replace(day=1),
        today - dt.timedelta(days=365),
        today - dt.timedelta(days=40),
        dt.date(2024, 3, 31),
        dt.date(2024, 4, 1),
    ]
    made = []
    for n in range(count):
        initiative = rng.choice([*initiatives, None])
        made.append(
            Activity(
                external_ref=f"GROW-{count}-{n}",
                initiative=initiative,
                unit=rng.choice(units) if initiative is None or n % 5 == 0 else None,
                activity_type=rng.choice(["symposium", "student_exchange", "delegation_visit"]),
                title=f"Grown {n}",
                start_date=rng.choice(days)
                if n % 2
                else today - dt.timedelta(days=rng.randrange(1500)),
                country=rng.choice(["TH", "VN", "DE", ""]),
                partner=rng.choice(partners),
                inbound_participants=rng.randrange(5),
                outbound_participants=rng.randrange(5),
            )
        )
        if made[-1].unit is None:
            made[-1].unit = initiative.lead_unit
    activities_create(activities=made, user=None, reason="test")


@pytest.mark.parametrize("size", [20, 200])
def test_kept_figures_equal_the_records_after_every_kind_of_write(demo, size):
    rng = random.Random(size)
    grow(size, rng)
    assert every_difference() == []

    # One at a time through the doors: a changed year, initiative and country; a deletion; an
    # initiative's status and goals; a goal moved under another.
    changed = Activity.objects.filter(initiative__isnull=False).order_by("pk")[0]
    changed.start_date = dt.date(2023, 5, 5)
    changed.initiative = Initiative.objects.exclude(pk=changed.initiative_id).order_by("pk")[0]
    changed.country = "DE"
    record_save(changed, user=None, reason="moved")
    record_delete(Activity.objects.order_by("-pk")[0], user=None, reason="gone")
    initiative = Initiative.objects.order_by("pk")[1]
    initiative.status = "cancelled" if initiative.status != "cancelled" else "active"
    record_save(initiative, user=None, reason="status")
    initiative.goals.set([Goal.objects.get(code="PROMOTE")])
    moved = Goal.objects.get(code="CONNECT.2")
    moved.parent = Goal.objects.get(code="BOOST")
    record_save(moved, user=None, reason="tree")
    assert every_difference() == []


def test_a_write_makes_stale_only_the_slices_it_touched(demo):
    services.refresh()
    ku = Institution.objects.get(code="KU")
    initiative = Initiative.objects.filter(institution=ku).first()
    ActivityFactory(initiative=initiative, start_date=dt.date(2022, 6, 1))
    stale = set(services.stale())
    assert stale == {(ku.pk, 2022)}


def test_figures_are_rebuilt_before_a_page_reads_them(demo, client):
    """A write whose commit hook never ran (a worker killed after committing) is counted by the
    next reading: the page says what the records say."""
    ActivityFactory.create_batch(3, initiative=Initiative.objects.first())
    assert services.stale()
    assert every_difference() == []
    assert services.stale() == []


def test_a_rebuild_costs_as_many_queries_at_either_size(demo):
    initiative = Initiative.objects.first()
    ActivityFactory(initiative=initiative)
    with CaptureQueriesContext(connection) as small:
        services.refresh()
    for year in (2021, 2022, 2023, 2024, 2025):
        ActivityFactory.create_batch(20, initiative=initiative, start_date=dt.date(year, 7, 1))
    ActivityFactory(initiative=InitiativeFactory(institution=Institution.objects.last()))
    assert len(services.stale()) > 2
    with CaptureQueriesContext(connection) as large:
        services.refresh()
    assert len(large) == len(small)


def test_check_figures_names_a_figure_that_differs(demo):
    call_command("check_figures", stdout=io.StringIO())
    # Rows changed past the product: the kept figures no longer say what the records say.
    Activity.objects.filter(pk=Activity.objects.first().pk).update(inbound_participants=999)
    with pytest.raises(CommandError, match="differ from the records"):
        call_command("check_figures", stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()
    call_command("rebuild_figures", stdout=out)
    assert "counted again" in out.getvalue()
    call_command("check_figures", stdout=io.StringIO())
    assert ActivityFigure.objects.exists()
    assert FigureSlice.objects.filter(built_at__isnull=False).exists()


def test_partners_engaged_count_each_partner_once_up_to_the_day(demo):
    initiative = Initiative.objects.filter(institution__code="KU").first()
    partner = PartnerFactory()
    today = fiscal_today()
    ActivityFactory(initiative=initiative, partner=partner, start_date=today.replace(day=1))
    ActivityFactory(initiative=initiative, partner=partner, start_date=today)
    assert every_difference() == []


def test_a_units_page_reads_its_kept_figures(demo):
    """A unit's tables (per country, per year) come from the kept figures, and the check names
    a unit whose kept figures differ from its records."""
    services.refresh()
    unit = Unit.objects.filter(institution__code="KU").order_by("pk").first()
    ActivityFactory(initiative=None, unit=unit, country="TH", start_date=fiscal_today())
    services.refresh()
    assert UnitFigure.objects.filter(unit=unit).exists()
    assert every_difference() == []
    UnitFigure.objects.filter(unit=unit).update(activities=999)
    assert any(line.startswith(f"unit {unit.code} ") for line in every_difference())


def test_an_initiative_edit_rebuilds_only_where_its_figures_change(demo):
    """A new title or health leaves every figure as it was: nothing is counted again. A new
    status moves its activities' figures: their slices are."""
    services.refresh()
    initiative = Initiative.objects.filter(activities__isnull=False).order_by("pk").first()
    initiative.title = "Renamed"
    initiative.health = "at_risk" if initiative.health != "at_risk" else "on_track"
    record_save(initiative, user=None, reason="title")
    assert services.stale() == []
    initiative.status = "on_hold" if initiative.status != "on_hold" else "active"
    record_save(initiative, user=None, reason="status")
    years = set(initiative.activities.values_list("fiscal_year", flat=True))
    assert set(services.stale()) == {(initiative.institution_id, y) for y in years}
    assert every_difference() == []


def test_an_initiative_renamed_in_the_admin_counts_nothing_again_and_new_goals_do(
    demo, admin_client
):
    """Its history rows hold its links as well: a save that leaves them as they were changes no
    figure, whether or not the initiative has history from before (rows loaded past the
    product, as a restore writes them)."""
    services.refresh()
    initiative = Initiative.objects.filter(activities__isnull=False).order_by("pk").first()
    Initiative.history.filter(id=initiative.pk).delete()
    change = reverse("admin:portfolio_initiative_change", args=[initiative.pk])
    data = form_data(admin_client.get(change))
    data["title"] = "Renamed in the admin"
    data["change_reason"] = "Wording"
    assert admin_client.post(change, data).status_code == 302
    assert services.stale() == []

    data = form_data(admin_client.get(change))  # the version the first save left
    data["goals"] = [str(Goal.objects.get(code="PROMOTE").pk)]
    data["change_reason"] = "Goals"
    assert admin_client.post(change, data).status_code == 302
    years = set(initiative.activities.values_list("fiscal_year", flat=True))
    assert set(services.stale()) == {(initiative.institution_id, y) for y in years}
    assert every_difference() == []
