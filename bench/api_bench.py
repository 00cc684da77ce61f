"""The REST API at scale: 100,000 activities listed page by page, and 10,000 sent at once.

    .venv/bin/python bench/api_bench.py [--activities 100000] [--page-size 1000] [--rows 10000]
        [--repeats 3]
    DATABASE_URL=postgres://… .venv/bin/python bench/api_bench.py
    .venv/bin/python bench/api_bench.py --smoke

Runs on a throwaway database (a SQLite file in a temporary directory, or ``<name>_api_bench``
beside the PostgreSQL database DATABASE_URL names, never that one): the sources' goals, then
``bench/bulk_data.py``'s ``fill`` (2,000 initiatives, 300 partners, ``--activities`` activities).
The requests go through Django's test client, with an administrator's token (a user in the
"Administrator" group) for the listing and a data steward's for the rows sent.

- **Listing**: every page of ``/api/activities/?page_size=…``, following each page's ``next``
  cursor to the end; the time of the whole walk, the slowest page, and the queries of the first
  and of the last page (they must be the same). The baseline, in the same run, reads the same
  rows by the ORM a page at a time by id (a keyset), as plain values: what any listing must do.
- **Rows sent at once**: ``POST /api/import-batches/`` of ``--rows`` activities as JSON, against
  the spreadsheet import of the same rows (the same CSV, ``import_preview`` then
  ``import_confirm``, as a steward's upload and confirmation run). Each run writes rows of its
  own (new references), the two alternating; the medians are compared, and the target is at most
  1.5 times the import. The POST is timed as the product runs it: its body is larger than
  IMPORT_BACKGROUND_BYTES, so it is planned and written by the worker, here django-tasks'
  immediate backend in the same process.

``--smoke`` runs every path at tiny sizes on a database built from the models, in seconds, so
that ``tests/test_bench_smoke.py`` notices when the benchmark stops running; its figures mean
nothing.
"""

import argparse
import io
import json
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
WORKDIR = Path(tempfile.mkdtemp(prefix="api-bench-"))
os.environ["PORTFOLIO_DATA_DIR"] = str(WORKDIR)
os.environ["IMPORT_DIR"] = str(WORKDIR / "imports")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from bench.bulk_data import analyze, database_named, fill, throwaway_database  # noqa: E402

TARGET_BULK_RATIO = 1.5  # the API's POST / the spreadsheet import of the same rows, at most
# The first words of the table a run prints; tests/test_bench_smoke.py looks for them.
SMOKE_TABLE = "REST API on"
SMOKE_SIZES = {"activities": 700, "page_size": 100, "rows": 60, "repeats": 1}
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def user_with(role: str, username: str):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from units.models import Institution, UserScope

    user = get_user_model().objects.create_user(username, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    UserScope.objects.create(user=user).institutions.set(Institution.objects.all())
    return user


def token_client(user) -> Client:
    import datetime as dt

    from django.utils import timezone

    from api.services import token_create

    _token, secret = token_create(
        user,
        name="Benchmark",
        read_only=False,
        expires_at=timezone.now() + dt.timedelta(days=1),
        reason="Benchmark",
    )
    return Client(headers={"Authorization": f"Bearer {secret}"})


def walk(client: Client, page_size: int) -> dict:
    """Every page of the activities, by their cursors; time, rows and queries."""
    url = f"/api/activities/?page_size={page_size}"
    pages, rows, slowest, queries = 0, 0, 0.0, []
    started = time.perf_counter()
    while url:
        with CaptureQueriesContext(connection) as captured:
            before = time.perf_counter()
            response = client.get(url)
            slowest = max(slowest, time.perf_counter() - before)
        if response.status_code != 200:
            raise SystemExit(f"GET {url}: {response.status_code} {response.content[:300]!r}")
        queries.append(len(captured.captured_queries))
        body = response.json()
        rows += len(body["results"])
        pages += 1
        url = body["next"]
    total = time.perf_counter() - started
    return {"seconds": total, "rows": rows, "pages": pages, "slowest": slowest, "queries": queries}


def walk_floor(page_size: int) -> dict:
    """The same rows by the ORM: a page at a time by id, as plain values."""
    from portfolio.models import Activity

    fields = [
        "id",
        "external_ref",
        "initiative_id",
        "unit_id",
        "activity_type",
        "mode",
        "title",
        "start_date",
        "end_date",
        "fiscal_year",
        "country",
        "city",
        "partner_id",
        "inbound_participants",
        "outbound_participants",
        "description",
    ]
    started, after, rows = time.perf_counter(), 0, 0
    while True:
        page = list(
            Activity.objects.filter(pk__gt=after).order_by("pk").values(*fields)[:page_size]
        )
        if not page:
            break
        json.dumps(page, default=str)  # as an answer would carry them
        rows += len(page)
        after = page[-1]["id"]
    return {"seconds": time.perf_counter() - started, "rows": rows}


def activity_rows(count: int, prefix: str) -> list[dict]:
    """Rows as a sheet holds them, under the benchmark's initiatives and partners."""
    from portfolio.models import Initiative

    initiatives = list(
        Initiative.objects.filter(code__startswith="BENCH-")
        .select_related("lead_unit")
        .order_by("pk")
        .values_list("code", "lead_unit__code")[:200]
    )
    return [
        {
            "external_ref": f"{prefix}-{n:06d}",
            "title": f"Joint symposium {n}",
            "activity_type": "symposium",
            "start_date": f"2025-{4 + n % 9:02d}-{1 + n % 28:02d}",
            "unit": initiatives[n % len(initiatives)][1],
            "initiative": initiatives[n % len(initiatives)][0],
            "country": "TH",
            "partner_institution": f"Bench partner {n % 300}",
            "inbound_participants": n % 20,
            "outbound_participants": n % 10,
        }
        for n in range(count)
    ]


def post_rows(client: Client, rows: list[dict]) -> float:
    body = json.dumps({"kind": "activities", "rows": rows})
    started = time.perf_counter()
    response = client.post("/api/import-batches/", body, "application/json")
    seconds = time.perf_counter() - started
    if response.status_code not in (201, 202) or response.json()["status"] != "applied":
        raise SystemExit(f"POST: {response.status_code} {response.content[:600]!r}")
    return seconds


def import_sheet(user, rows: list[dict]) -> float:
    from api.bulk import sheet_of
    from imports.services import import_confirm, import_preview

    content = sheet_of("activities", rows)  # the same CSV as the POST's
    started = time.perf_counter()
    batch, plan = import_preview(
        kind="activities", file_name="activities.csv", content=content, user=user
    )
    if plan.failed:
        raise SystemExit(f"import: {plan.errors[:3]}")
    import_confirm(batch=batch, user=user)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--initiatives", type=int, default=2_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks that it runs")
    args = parser.parse_args()
    if args.smoke:
        for name, value in SMOKE_SIZES.items():
            setattr(args, name, value)
        args.initiatives = 30

    from common.roles import ADMINISTRATOR, DATA_STEWARD

    settings.DEBUG = False  # a DEBUG process keeps every query it runs
    settings.TASKS = IMMEDIATE
    setup_test_environment()
    try:
        with throwaway_database("api_bench", smoke=args.smoke, workdir=WORKDIR):
            call_command("load_sources", stdout=io.StringIO())
            fill(args.initiatives, args.activities)
            analyze()
            reader = token_client(user_with(ADMINISTRATOR, "administrator"))
            walk(reader, args.page_size)  # warm: the token's first use, content types
            listing = walk(reader, args.page_size)
            floor = walk_floor(args.page_size)
            steward = user_with(DATA_STEWARD, "steward")
            sender = token_client(steward)
            posted, imported = [], []
            for run in range(args.repeats):
                imported.append(import_sheet(steward, activity_rows(args.rows, f"CSV{run}")))
                posted.append(post_rows(sender, activity_rows(args.rows, f"API{run}")))
                reset_queries()
            vendor = database_named(connection)
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)

    if args.smoke:
        print("Smoke run: tiny sizes, tables from the models; the figures mean nothing")
    print(f"REST API on {vendor}: {args.activities:,} activities, {args.initiatives:,} initiatives")
    ratio = listing["seconds"] / floor["seconds"]
    first, last = listing["queries"][0], listing["queries"][-1]
    print(
        f"Listing, {listing['pages']} pages of {args.page_size}: {listing['rows']:,} rows in "
        f"{listing['seconds']:.1f} s ({listing['rows'] / listing['seconds']:,.0f} rows/s), "
        f"slowest page {listing['slowest'] * 1000:.0f} ms; queries per page: first {first}, "
        f"last {last} ({'flat' if first == last else 'NOT flat'})"
    )
    print(
        f"  baseline, the ORM's keyset pages of plain values: {floor['seconds']:.1f} s "
        f"(the API takes {ratio:.1f}x)"
    )
    if listing["rows"] != floor["rows"] or first != last:
        raise SystemExit("The listing missed rows, or its queries grew with the pages.")
    post, sheet = statistics.median(posted), statistics.median(imported)
    bulk_ratio = post / sheet
    verdict = "met" if bulk_ratio <= TARGET_BULK_RATIO else "NOT met"
    print(
        f"Rows sent at once, {args.rows:,} activities (median of {args.repeats}): POST "
        f"{post:.1f} s, spreadsheet import {sheet:.1f} s; ratio {bulk_ratio:.2f} "
        f"(target ≤ {TARGET_BULK_RATIO}: {verdict})"
    )


if __name__ == "__main__":
    main()
