"""Dashboard speed at two sizes, in one run: each page built, at 100,000 and 1,000,000 activities.

    .venv/bin/python bench/dashboard_bench.py [--small 100000] [--large 1000000] [--initiatives N]
    DATABASE_URL=postgres://… .venv/bin/python bench/dashboard_bench.py
    .venv/bin/python bench/dashboard_bench.py --smoke

Runs on a throwaway database (a SQLite file in a temporary directory, or ``<name>_dashboard_bench``
beside the PostgreSQL database DATABASE_URL names, never that one). Loads the sources' goals, then
10,000 initiatives and the small number of activities with ``bench/bulk_data.py``'s generator
(set-based SQL on PostgreSQL: a million activities in well under a minute); counts the kept
figures (``rebuild_figures``, timed and printed: the generator writes past the product's doors,
as a restore would); times every dashboard page (median of several requests through Django's test
client, signed in as a leadership reader scoped to every institution, so the pages show every
record); then grows to the large number and times them again.

**Every timed request builds its page**: the run's settings have no page cache (the dashboards'
cache alias is Django's ``DummyCache``), and the run checks it: each timed request must issue as
many queries as a build does, and the table says so. Beside each page's time it prints the time
of the **summary read** in the same run: the two aggregates over the kept figures that the page's
figures need, as the floor a page build is compared with (``page / summary``). Targets, at the
large size: every page at most 150 ms, and at most 1.5 times its own time at the small size.

``--smoke`` runs at tiny sizes, in seconds, on a database built from the models instead of the
migrations, so that ``tests/test_bench_smoke.py`` notices when the benchmark stops running; its
figures mean nothing.
"""

import argparse
import datetime as dt
import io
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
if __name__ == "__main__":
    # This run's own data directory. (bench/load.py imports the generators below and keeps its
    # own settings.)
    WORKDIR = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    os.environ["PORTFOLIO_DATA_DIR"] = str(WORKDIR)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

TARGET_RATIO = 1.5
TARGET_MS = 150
REPEATS = 5
# The first words of the table a run prints; tests/test_bench_smoke.py looks for them.
SMOKE_TABLE = "Dashboards on"
SMOKE_SIZES = {"small": 20, "large": 200, "initiatives": 30, "repeats": 1}
NO_PAGE_CACHE = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}


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


def summary_read(fiscal_year: int) -> float:
    """The floor: the two aggregates over the kept figures of every goal that a page needs."""
    from common.access import EVERYTHING
    from common.fiscal import fiscal_today
    from policies.models import Goal
    from portfolio.dashboards import figures
    from portfolio.dashboards.filters import Filters

    filters = Filters(fiscal_year=fiscal_year, access=EVERYTHING, today=fiscal_today())
    goals = list(Goal.objects.values_list("pk", flat=True))
    started = time.perf_counter()
    figures.activity_totals(filters, goals, {fiscal_year: None, fiscal_year - 1: None})
    figures.partners_engaged(filters, goals, None)
    return time.perf_counter() - started


def get(client: Client, name: str, url: str, fiscal_year: int) -> float:
    started = time.perf_counter()
    response = client.get(url, {"fy": fiscal_year})
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{name} page: status {response.status_code}")
    return seconds


def time_pages(client: Client, fiscal_year: int, repeats: int) -> dict[str, dict[str, float]]:
    """Per page: the median time of a build, the summary read's, and the queries of each build."""
    from portfolio.dashboards.cache import page_cache

    if page_cache() is not None:
        raise SystemExit("a page cache is configured: the run would time cache hits")
    timings = {}
    for name, url in pages().items():
        get(client, name, url, fiscal_year)  # warm Python's and the database's caches
        built, counts = [], set()
        for _ in range(repeats):
            with CaptureQueriesContext(connection) as captured:
                built.append(get(client, name, url, fiscal_year))
            counts.add(len(captured))
        if len(counts) != 1:
            raise SystemExit(f"{name}: timed requests issued {sorted(counts)} queries")
        summary = statistics.median(summary_read(fiscal_year) for _ in range(repeats))
        timings[name] = {
            "built": statistics.median(built),
            "summary": summary,
            "queries": counts.pop(),
        }
    return timings


def create_reader():
    """A leadership reader scoped to every institution: the pages show every record."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from common.access import access_for
    from common.roles import LEADERSHIP
    from portfolio.models import Activity, Initiative
    from units.models import Institution, UserScope

    reader = get_user_model().objects.create_user("reader", password="x")
    reader.groups.add(Group.objects.get(name=LEADERSHIP))
    UserScope.objects.create(user=reader).institutions.set(Institution.objects.all())
    access = access_for(reader)
    for model in (Initiative, Activity):
        if model.objects.exclude(access.visible(model.reach)).exists():
            raise SystemExit(f"the reader does not reach every {model._meta.verbose_name}")
    return reader


def use_throwaway_database(smoke: bool) -> str:
    """Create and migrate this run's database; returns the name of the one configured."""
    suffix = f"_dashboard_bench{f'_smoke_{os.getpid()}' if smoke else ''}"
    original = connection.settings_dict["NAME"]
    test = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(WORKDIR / f"bench{suffix}.sqlite3")
    else:
        test["NAME"] = f"{original}{suffix}"
    test["MIGRATE"] = not smoke  # a smoke run builds the tables from the models, in a second
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return original


def rebuild() -> float:
    """Count every kept figure again (the generator wrote past the doors); seconds taken."""
    started = time.perf_counter()
    call_command("rebuild_figures", stdout=io.StringIO())
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--initiatives", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timed requests per page")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: checks that the benchmark runs"
    )
    args = parser.parse_args()
    if args.smoke:
        for name, value in SMOKE_SIZES.items():
            setattr(args, name, value)

    from bench import bulk_data

    # Production runs with DEBUG off; a DEBUG process also keeps every query it runs.
    settings.DEBUG = False
    settings.CACHES = {**settings.CACHES, "dashboards": NO_PAGE_CACHE}
    from django.core.cache import caches

    caches._settings = caches.settings = settings.CACHES  # read again by the next caches[...]
    setup_test_environment()
    try:
        old_name = use_throwaway_database(args.smoke)
        try:
            call_command("load_sources", stdout=io.StringIO())
            bulk_data.fill(args.initiatives, args.small)
            reader = create_reader()
            client = Client()
            client.force_login(reader)
            fiscal_year = 2024
            rebuilt_small = rebuild()
            analyze()
            small = time_pages(client, fiscal_year, args.repeats)
            bulk_data.fill_activities(args.large)
            rebuilt_large = rebuild()
            analyze()
            large = time_pages(client, fiscal_year, args.repeats)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)

    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    if args.smoke:
        print("Smoke run: tiny sizes, tables from the models; the figures mean nothing")
    print(
        f"Dashboards on {vendor}: {args.initiatives:,} initiatives; "
        f"{args.small:,} then {args.large:,} activities; median of {args.repeats} requests, "
        "each built (no page cache: every timed request ran a build's queries)"
    )
    print(
        f"{'page':<12}{'small (ms)':>12}{'large (ms)':>12}{'ratio':>8}"
        f"{'summary (ms)':>14}{'page/summary':>14}{'queries':>9}"
    )
    worst_ratio, slowest = 0.0, 0.0
    for name in small:
        built_small, built_large = small[name]["built"], large[name]["built"]
        ratio = built_large / built_small
        worst_ratio = max(worst_ratio, ratio)
        slowest = max(slowest, built_large)
        summary = large[name]["summary"]
        print(
            f"{name:<12}{built_small * 1000:>12.1f}{built_large * 1000:>12.1f}{ratio:>8.2f}"
            f"{summary * 1000:>14.1f}{built_large / summary:>14.1f}{large[name]['queries']:>9}"
        )
    print(
        f"Kept figures counted from the records: {rebuilt_small:.1f} s at {args.small:,}, "
        f"{rebuilt_large:.1f} s at {args.large:,} activities"
    )
    ratio_verdict = "met" if worst_ratio <= TARGET_RATIO else "NOT met"
    time_verdict = "met" if slowest * 1000 <= TARGET_MS else "NOT met"
    print(
        f"Slowest page at {args.large:,}: {slowest * 1000:.0f} ms "
        f"(target ≤ {TARGET_MS} ms: {time_verdict})"
    )
    print(f"Worst ratio large/small: {worst_ratio:.2f} (target ≤ {TARGET_RATIO}x: {ratio_verdict})")


if __name__ == "__main__":
    main()
