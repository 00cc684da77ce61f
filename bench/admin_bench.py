"""The admin's activity list at a million activities: plain, searched, and deep in its pages.

    .venv/bin/python bench/admin_bench.py [--activities 1000000] [--initiatives 10000] [--repeats 5]
    DATABASE_URL=postgres://… .venv/bin/python bench/admin_bench.py
    .venv/bin/python bench/admin_bench.py --smoke

Runs on a throwaway database (a SQLite file in a temporary directory, or ``<name>_admin_bench``
beside the PostgreSQL database DATABASE_URL names, never that one): the sources' goals, then
``bench/bulk_data.py``'s ``fill`` (10,000 initiatives, 300 partners, a million activities, a third
of their titles Japanese), then ``VACUUM ANALYZE`` as autovacuum would after such a load. Then
it times the activity list through Django's test client as an administrator (a staff user in
the "Administrator" group, who reaches every institution): the list as it opens, searched for
an English word, for a Japanese word and for one activity's reference, filtered to a fiscal
year, and its page 500. Each is the median of several requests after one warm-up; the target is
at most 300 ms each. The queries of one request, the rows it shows and the count it shows are
printed beside.

``--smoke`` runs every request at tiny sizes, in seconds, on a database built from the models
instead of the migrations, so that ``tests/test_bench_smoke.py`` notices when the benchmark stops
running; its figures mean nothing (and with fewer than 50,000 activities page 500 does not
exist: the smoke run asks for the last page instead).
"""

import argparse
import io
import os
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
WORKDIR = Path(tempfile.mkdtemp(prefix="admin-bench-"))
os.environ["PORTFOLIO_DATA_DIR"] = str(WORKDIR)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.bulk_data import analyze, database_named, fill, throwaway_database  # noqa: E402

TARGET_MS = 300
REPEATS = 5
# The first words of the table a run prints; tests/test_bench_smoke.py looks for them.
SMOKE_TABLE = "Activity list on"
SMOKE_SIZES = {"initiatives": 30, "activities": 600, "repeats": 1}
ENGLISH, JAPANESE = "symposium", "共同研究"


def administrator():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from common.roles import ADMINISTRATOR

    user = get_user_model().objects.create_user("administrator", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=ADMINISTRATOR))
    return user


def requests(activities: int) -> dict[str, dict[str, str]]:
    """What is timed: a name and the list's query string."""
    from portfolio.models import Activity

    reference = Activity.objects.order_by("pk").values_list("external_ref", flat=True)[
        activities // 2
    ]
    page = 500 if activities >= 500 * 100 else max(1, -(-activities // 100))
    return {
        "plain": {},
        f"search “{ENGLISH}”": {"q": ENGLISH},
        f"search “{JAPANESE}”": {"q": JAPANESE},
        "search a reference": {"q": reference},
        "fiscal year 2024": {"fiscal_year": "2024"},
        f"page {page}": {"p": str(page)},
    }


def get(client: Client, params: dict[str, str]):
    response = client.get(reverse("admin:portfolio_activity_changelist"), params)
    if response.status_code != 200:
        raise SystemExit(f"{params}: status {response.status_code}")
    return response


def measure(client: Client, params: dict[str, str], repeats: int) -> dict[str, object]:
    response = get(client, params)  # warms Python's and the database's caches
    cl = response.context["cl"]
    rows = len(cl.result_list)
    if rows == 0:
        raise SystemExit(f"{params}: the list shows no activity")
    if "q" in params and not all(
        params["q"].upper() in f"{a.external_ref} {a.title}".upper() for a in cl.result_list
    ):
        raise SystemExit(f"{params}: the list shows activities without “{params['q']}”")
    paginator = cl.paginator
    estimated = getattr(paginator, "estimated", False)
    shown = f"about {paginator.shown_count:,}" if estimated else f"{cl.result_count:,}"
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        get(client, params)
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as captured:
        get(client, params)
    return {
        "ms": statistics.median(times) * 1000,
        "queries": len(captured),
        "rows": rows,
        "count": shown,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--initiatives", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timed requests each")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: checks that the benchmark runs"
    )
    args = parser.parse_args()
    if args.smoke:
        for name, value in SMOKE_SIZES.items():
            setattr(args, name, value)

    # Production runs with DEBUG off; a DEBUG process also keeps every query it runs.
    settings.DEBUG = False
    setup_test_environment()
    results, loading = {}, {}
    try:
        with throwaway_database("admin_bench", smoke=args.smoke, workdir=WORKDIR):
            call_command("load_sources", stdout=io.StringIO())
            started = time.perf_counter()
            fill(args.initiatives, args.activities)
            loading["fill"] = time.perf_counter() - started
            started = time.perf_counter()
            analyze()
            loading["analyze"] = time.perf_counter() - started
            client = Client()
            client.force_login(administrator())
            for name, params in requests(args.activities).items():
                results[name] = measure(client, params, args.repeats)
            vendor = database_named(connection)
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)

    if args.smoke:
        print("Smoke run: tiny sizes, tables from the models; the figures mean nothing")
    print(
        f"Activity list on {vendor}: {args.initiatives:,} initiatives, {args.activities:,} "
        f"activities (loaded in {loading['fill']:.1f} s, analysed in {loading['analyze']:.1f} s); "
        f"an administrator; median of {args.repeats} requests"
    )
    print(f"{'request':<26}{'ms':>9}{'queries':>9}{'rows':>6}  {'count shown':<22}target")
    worst = 0.0
    for name, result in results.items():
        worst = max(worst, result["ms"])
        verdict = "met" if result["ms"] <= TARGET_MS else "NOT met"
        print(
            f"{name:<26}{result['ms']:>9.1f}{result['queries']:>9}{result['rows']:>6}  "
            f"{result['count']:<22}≤ {TARGET_MS} ms: {verdict}"
        )
    verdict = "met" if worst <= TARGET_MS else "NOT met"
    print(f"Slowest: {worst:.1f} ms (target ≤ {TARGET_MS} ms each: {verdict})")


if __name__ == "__main__":
    main()
