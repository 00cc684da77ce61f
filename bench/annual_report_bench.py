"""The annual report's PDF at two sizes in one run: Kyoto's report at 100 and 10,000 initiatives.

    .venv/bin/python bench/annual_report_bench.py [--small 100] [--large 10000] [--repeats 3]
    DATABASE_URL=postgres://… .venv/bin/python bench/annual_report_bench.py
    .venv/bin/python bench/annual_report_bench.py --smoke

Runs on a throwaway database of its own (``bench/bulk_data.py``'s ``throwaway_database``). Loads
the sources' goals, gives each of Kyoto's goals an indicator with targets and actuals for five
fiscal years, and ``--small`` initiatives of Kyoto (codes ``ANNUAL-00000`` …), each led by one of
its units, of a status and a health drawn at random, serving 1–3 of its goals, with open dates
(so every one is of the year); then times the report of the year in English and in Japanese
(median of ``--repeats``), and the same after topping up to ``--large`` initiatives. Each size
also times the dashboards' overview page for a reader of every institution (median of
``--repeats``), the baseline the report is set against in the same run: ``pdf / overview``.

Each report is timed in its three parts: the context (the queries and the Python that shapes
them, ``report.annual_context``), the template's HTML, and WeasyPrint's layout and PDF. The run
checks that the context issues as many queries at both sizes, and fails where it does not.

``--smoke`` runs at tiny sizes, in seconds, on a database built from the models, so that
``tests/test_bench_smoke.py`` notices when the benchmark stops running; its figures mean nothing.
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The first words of the table a run prints; tests/test_bench_smoke.py looks for them.
SMOKE_TABLE = "Annual report on"
SMOKE_SIZES = {"small": 10, "large": 30, "repeats": 1}
REPEATS = 3
YEAR = 2025
INSTITUTION = "KU"


def fill_indicators() -> int:
    """An indicator per goal of Kyoto, with a target and an actual for 2021–2025."""
    from decimal import Decimal

    from policies.models import Goal, Indicator, IndicatorValue

    goals = list(Goal.objects.filter(framework__institution__code=INSTITUTION))
    indicators = Indicator.objects.bulk_create(
        Indicator(goal=goal, code=f"AR{n}", name=f"Bench indicator {n}", unit_of_measure="people")
        for n, goal in enumerate(goals)
    )
    IndicatorValue.objects.bulk_create(
        IndicatorValue(
            indicator=indicator,
            fiscal_year=year,
            target=Decimal(100 + 10 * (year - 2021)),
            actual=Decimal(95 + 12 * (year - 2021) + n % 7),
        )
        for n, indicator in enumerate(indicators)
        for year in range(2021, 2026)
    )
    return len(indicators)


def fill_initiatives(first: int, count: int, seed: int = 1) -> None:
    """Kyoto's initiatives ``first`` to ``first + count``, each serving 1–3 of its goals."""
    from bench.bulk_data import HEALTHS, STATUSES, cursor_in_transaction
    from policies.models import Goal
    from portfolio.models import Initiative
    from units.models import Institution, Unit

    rng = random.Random(seed * 104729 + first)
    institution = Institution.objects.get(code=INSTITUTION)
    goals = list(
        Goal.objects.filter(framework__institution=institution).values_list("pk", flat=True)
    )
    units = list(Unit.objects.filter(institution=institution).values_list("pk", flat=True))
    rows, links = [], []
    for n in range(first, first + count):
        code = f"ANNUAL-{n:05d}"
        rows.append(
            (
                institution.pk,
                code,
                f"Bench initiative {n}",
                f"ベンチ施策{n}",
                rng.choice(units),
                rng.choice(STATUSES),
                rng.choice(HEALTHS),
            )
        )
        links.append((code, rng.sample(goals, rng.choice([1, 2, 3]))))
    with cursor_in_transaction() as cursor:
        cursor.executemany(
            f"INSERT INTO {Initiative._meta.db_table} (institution_id, code, title, title_ja, "
            "summary, summary_ja, lead_unit_id, status, health) "
            "VALUES (%s, %s, %s, %s, '', '', %s, %s, %s)",
            rows,
        )
        ids = dict(Initiative.objects.filter(code__startswith="ANNUAL-").values_list("code", "pk"))
        cursor.executemany(
            f"INSERT INTO {Initiative.goals.through._meta.db_table} (initiative_id, goal_id) "
            "VALUES (%s, %s)",
            [(ids[code], goal) for code, goals in links for goal in goals],
        )


def time_report(language: str, repeats: int) -> dict:
    """The report's median time in its three parts, its pages, size and context's queries."""
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation
    from weasyprint import CSS, HTML

    from disclosure.report import annual_context, refuse_fetching, stylesheet_path
    from units.models import Institution

    institution = Institution.objects.get(code=INSTITUTION)
    stylesheet = CSS(filename=str(stylesheet_path()))
    parts: dict[str, list[float]] = {"context": [], "html": [], "pdf": [], "total": []}
    queries, pdf = set(), b""
    for _ in range(repeats):
        started = time.perf_counter()
        with translation.override(language):
            with CaptureQueriesContext(connection) as captured:
                context = annual_context(institution, YEAR)
            built = time.perf_counter()
            html = render_to_string("disclosure/annual/report.html", context)
        rendered = time.perf_counter()
        document = HTML(string=html, url_fetcher=refuse_fetching, base_url=str(ROOT))
        laid_out = document.render(stylesheets=[stylesheet])
        pdf = laid_out.write_pdf()
        done = time.perf_counter()
        queries.add(len(captured))
        parts["context"].append(built - started)
        parts["html"].append(rendered - built)
        parts["pdf"].append(done - rendered)
        parts["total"].append(done - started)
    if len(queries) != 1:
        raise SystemExit(f"the report's context issued {sorted(queries)} queries")
    timed = {name: statistics.median(values) for name, values in parts.items()}
    return timed | {
        "queries": queries.pop(),
        "pages": len(laid_out.pages),
        "kb": len(pdf) / 1024,
        "pdf_bytes": pdf,
        "initiatives": context["initiative_count"],
    }


def time_overview(client, repeats: int) -> float:
    from django.urls import reverse

    url = reverse("dashboards:overview")
    client.get(url, {"fy": YEAR})  # warm
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(url, {"fy": YEAR})
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"overview: status {response.status_code}")
    return statistics.median(times)


def reader_client():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from common.roles import LEADERSHIP
    from units.models import Institution, UserScope

    reader = get_user_model().objects.create_user("annual-reader", password="x")
    reader.groups.add(Group.objects.get(name=LEADERSHIP))
    UserScope.objects.create(user=reader).institutions.set(Institution.objects.all())
    client = Client()
    client.force_login(reader)
    return client


def measure(client, repeats: int) -> dict:
    from bench.bulk_data import analyze

    analyze()
    return {
        "en": time_report("en", repeats),
        "ja": time_report("ja", repeats),
        "overview": time_overview(client, repeats),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--keep", type=Path, help="write the large Japanese report here")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks that it runs")
    args = parser.parse_args()
    if args.smoke:
        for name, value in SMOKE_SIZES.items():
            setattr(args, name, value)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    workdir = Path(tempfile.mkdtemp(prefix="annual-report-bench-"))
    os.environ["PORTFOLIO_DATA_DIR"] = str(workdir)
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    from bench.bulk_data import database_named, throwaway_database

    settings.DEBUG = False  # a DEBUG process keeps every query it runs
    # The overview is built on every request, as the dashboard benchmark's pages are.
    dummy = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    settings.CACHES = {**settings.CACHES, "dashboards": dummy}
    caches._settings = caches.settings = settings.CACHES
    setup_test_environment()
    try:
        with throwaway_database("annual_report", smoke=args.smoke, workdir=workdir):
            call_command("load_sources", stdout=open(os.devnull, "w"))  # noqa: SIM115
            indicators = fill_indicators()
            client = reader_client()
            fill_initiatives(0, args.small)
            small = measure(client, args.repeats)
            fill_initiatives(args.small, args.large - args.small)
            large = measure(client, args.repeats)
            vendor = database_named(connection)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.keep:
        args.keep.write_bytes(large["ja"]["pdf_bytes"])

    for language in ("en", "ja"):
        if small[language]["queries"] != large[language]["queries"]:
            raise SystemExit(
                f"the {language} report's context issued {small[language]['queries']} queries "
                f"at {args.small:,} initiatives and {large[language]['queries']} at {args.large:,}"
            )
    if args.smoke:
        print("Smoke run: tiny sizes, tables from the models; the figures mean nothing")
    print(
        f"Annual report on {vendor}: {INSTITUTION} {YEAR}, {indicators} indicators of 5 years; "
        f"{args.small:,} then {args.large:,} initiatives; median of {args.repeats}"
    )
    print(
        f"{'report':<10}{'initiatives':>12}{'context s':>11}{'html s':>9}{'pdf s':>9}"
        f"{'total s':>9}{'pages':>7}{'KB':>8}{'queries':>9}{'overview s':>12}{'pdf/overview':>14}"
    )
    for label, size in (("small", small), ("large", large)):
        for language in ("en", "ja"):
            row = size[language]
            print(
                f"{language + ' ' + label:<10}{row['initiatives']:>12,}{row['context']:>11.2f}"
                f"{row['html']:>9.2f}{row['pdf']:>9.2f}{row['total']:>9.2f}{row['pages']:>7,}"
                f"{row['kb']:>8,.0f}{row['queries']:>9}{size['overview']:>12.3f}"
                f"{row['total'] / size['overview']:>14.1f}"
            )
    for language in ("en", "ja"):
        ratio = large[language]["total"] / small[language]["total"]
        grew = args.large / args.small
        print(
            f"{language}: the report at {args.large:,} initiatives takes {ratio:.1f} times its "
            f"time at {args.small:,} ({grew:.0f} times the initiatives)"
        )


if __name__ == "__main__":
    main()
