"""Dashboard speed at two data sizes, in one run: each page at 1,000 and at 100,000 activities.

    .venv/bin/python bench/dashboard_bench.py [--small 1000] [--large 100000] [--initiatives 10000]
    DATABASE_URL=postgres://… .venv/bin/python bench/dashboard_bench.py

Runs on a throwaway database (a temporary SQLite file, or a test database beside the one
DATABASE_URL names). Loads the sources' goals, then 10,000 initiatives over the goals and the
small number of activities; times every dashboard page (median of several requests through
Django's test client, logged in as a reader); then grows to the large number of activities and
times them again. Prints each page's time at both sizes and the ratio large / small last; the
target is a ratio of at most 3.
"""

import argparse
import datetime as dt
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("PORTFOLIO_DATA_DIR", tempfile.mkdtemp(prefix="dashboard-bench-"))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

TARGET = 3.0
REPEATS = 5


def fill_initiatives(count: int, rng: random.Random) -> list[int]:
    from policies.models import Goal
    from portfolio.models import Initiative, PartnerInstitution
    from units.models import Institution

    goals_of = {
        inst.pk: list(Goal.objects.filter(framework__institution=inst).values_list("pk", flat=True))
        for inst in Institution.objects.all()
    }
    units_of = {
        inst.pk: list(inst.units.values_list("pk", flat=True)) for inst in Institution.objects.all()
    }
    initiatives = []
    for n in range(count):
        inst = rng.choice([pk for pk in goals_of if units_of[pk]])
        initiatives.append(
            Initiative(
                institution_id=inst,
                code=f"BENCH-{n:05d}",
                title=f"Bench initiative {n}",
                lead_unit_id=rng.choice(units_of[inst]),
                status=rng.choice(
                    ["proposed", "planned", "active", "completed", "on_hold", "cancelled"]
                ),
                health=rng.choice(["on_track", "at_risk", "off_track"]),
            )
        )
    created = Initiative.objects.bulk_create(initiatives, batch_size=1000)
    links = Initiative.goals.through
    link_rows = [
        links(initiative_id=i.pk, goal_id=g)
        for i in created
        for g in rng.sample(goals_of[i.institution_id], rng.choice([1, 2, 3]))
    ]
    links.objects.bulk_create(link_rows, batch_size=2000)
    PartnerInstitution.objects.bulk_create(
        [
            PartnerInstitution(
                name=f"Bench partner {n}",
                country=rng.choice(["TH", "DE", "US", "VN", "FR", "CA", "KR"]),
            )
            for n in range(300)
        ],
        batch_size=500,
    )
    return [i.pk for i in created]


def fill_activities(total: int, initiative_ids: list[int], rng: random.Random) -> None:
    from common.fiscal import fiscal_year_of
    from portfolio.models import Activity, Initiative, PartnerInstitution

    have = Activity.objects.count()
    partners = list(PartnerInstitution.objects.values_list("pk", "country"))
    lead = dict(Initiative.objects.values_list("pk", "lead_unit_id"))
    first = dt.date(2021, 4, 1)
    batch = []
    for n in range(have, total):
        initiative = rng.choice(initiative_ids)
        partner, country = rng.choice(partners)
        start = first + dt.timedelta(days=rng.randrange(2000))
        batch.append(
            Activity(
                external_ref=f"BENCH-A-{n:07d}",
                initiative_id=initiative,
                unit_id=lead[initiative],
                activity_type="symposium",
                title=f"Bench activity {n}",
                start_date=start,
                fiscal_year=fiscal_year_of(start),
                country=country,
                partner_id=partner,
                inbound_participants=rng.randrange(20),
                outbound_participants=rng.randrange(10),
            )
        )
        if len(batch) == 5000:
            Activity.objects.bulk_create(batch)
            batch = []
    Activity.objects.bulk_create(batch)


def analyze() -> None:
    """Refresh the planner's statistics after a bulk load, as autovacuum (PostgreSQL) would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")


def pages() -> dict[str, str]:
    from policies.models import Framework, Goal
    from units.models import Unit

    framework = Framework.objects.get(code="ISO-KU")
    return {
        "overview": reverse("dashboards:overview"),
        "framework": reverse("dashboards:framework", args=[framework.pk]),
        "goal": reverse("dashboards:goal", args=[Goal.objects.get(code="CONNECT").pk]),
        "unit": reverse("dashboards:unit", args=[Unit.objects.get(code="ISO-KU").pk]),
        "crosswalk": reverse("dashboards:crosswalk"),
        "regions": reverse("dashboards:regions"),
    }


def time_pages(client: Client, fiscal_year: int) -> dict[str, float]:
    timings = {}
    for name, url in pages().items():
        client.get(url, {"fy": fiscal_year})  # warm caches, as a reader's second visit would
        samples = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            response = client.get(url, {"fy": fiscal_year})
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200, (name, response.status_code)
        timings[name] = statistics.median(samples)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--initiatives", type=int, default=10_000)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        call_command("load_sources", stdout=io.StringIO())
        from django.contrib.auth import get_user_model

        reader = get_user_model().objects.create_user("reader", password="x")
        client = Client()
        client.force_login(reader)
        rng = random.Random(2025)
        initiative_ids = fill_initiatives(args.initiatives, rng)
        fiscal_year = 2024
        fill_activities(args.small, initiative_ids, rng)
        analyze()
        small = time_pages(client, fiscal_year)
        fill_activities(args.large, initiative_ids, rng)
        analyze()
        large = time_pages(client, fiscal_year)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(
        f"Dashboards on {vendor}: {args.initiatives:,} initiatives; "
        f"{args.small:,} then {args.large:,} activities; median of {REPEATS} requests"
    )
    print(f"{'page':<12}{'small (ms)':>12}{'large (ms)':>12}{'ratio':>8}")
    worst = 0.0
    for name in small:
        ratio = large[name] / small[name]
        worst = max(worst, ratio)
        print(f"{name:<12}{small[name] * 1000:>12.1f}{large[name] * 1000:>12.1f}{ratio:>8.2f}")
    verdict = "met" if worst <= TARGET else "NOT met"
    print(f"Worst ratio large/small: {worst:.2f} (target ≤ {TARGET:.0f}x: {verdict})")


if __name__ == "__main__":
    main()
