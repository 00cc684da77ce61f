"""Load: concurrent anonymous readers on the public disclosure pages, beside the login page.

    # the server, as in production (another terminal), on the database the readers will read:
    DATABASE_URL=postgres://…/load_bench DJANGO_SECRET_KEY=… DJANGO_ALLOWED_HOSTS=127.0.0.1 \\
        DJANGO_SECURE_COOKIES=0 DJANGO_SSL_REDIRECT=0 make serve
    # the load, with the same environment:
    DATABASE_URL=postgres://…/load_bench DJANGO_SECRET_KEY=… .venv/bin/python bench/public_load.py

Built on ``bench/load.py``: its database filling, HTTP client, phases, report rows and smoke-run
server. First fills the database as that benchmark does where it holds fewer activities than
asked, then publishes: every institution's public pages on, every goal opted in, and under each
goal ``--indicators`` public indicators with targets and actuals for FY2019–FY2025, a reporting
cycle in FY2024 whose figures are approved for half of them and drafts for the rest (written in
bulk, once; the pages' data versions are then replaced). Then, against the server:

1. the trivial page: every reader requests the login page, without cookies, for
   ``--trivial-seconds``;
2. the first reading, from a cold cache: every reader (anonymous, no cookie ever sent) starts at
   ``/public/`` (half of them in Japanese, ``?lang=ja``) and follows the links to an institution
   and to every goal page of it, once;
3. the public pages: every reader reads the same pages again for ``--seconds``.

Through phases 2 and 3 an editor saves an initiative every ``--edit-every`` seconds (through
``record_save``, as ``bench/load.py`` does): each save replaces its institution's data version,
so that institution's public pages go stale while they are read.

Reports, per phase and per page, requests per second, median and 95th-percentile latency and
errors (any status but 200, a page without its heading, a response that sets a cookie, a refused
or timed-out connection); and the ratio of the public pages' throughput to the login page's.
Targets: no errors; public pages p95 at most 500 ms through the writes; the ratio at least 1 (a
kept page is served without a query, the login page renders a form and sets a cookie).

``--smoke`` needs no server: a throwaway database and gunicorn on it, tiny sizes, a second or two
per phase with three readers, as ``bench/load.py --smoke`` (``tests/test_bench_smoke.py``).
"""

import argparse
import http.client
import os
import random
import re
import shutil
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.conf import settings
from django.db import connection
from django.urls import reverse

from bench import load  # sets Django up (and, for --smoke, its own data directory)

# The first words of the table a run prints; tests/test_bench_smoke.py looks for them.
SMOKE_TABLE = "Public pages load on"
SMOKE_SIZES = {
    "users": 3,
    "seconds": 2.0,
    "trivial_seconds": 1.0,
    "first_reading_seconds": 30.0,
    "timeout": 20.0,
    "activities": 200,
    "initiatives": 30,
    "edit_every": 0.5,
    "indicators": 1,
}
TARGET_RATIO = 1.0
TARGET_P95_MS = 500
YEARS = range(2019, 2026)
CYCLE_YEAR = 2024
PAGES = ["index", "institution", "goal"]
LINK = re.compile(r'href="(/public/[^"]*)"')
BENCH_CODE = "PUB-BENCH-"


# The published records ---------------------------------------------------------------------------


def publish(indicators_per_goal: int) -> int:
    """Every institution's pages and goals public, each goal with public indicators and figures
    (once: goals that have the benchmark's indicators keep them). How many goals are public."""
    import datetime as dt

    from policies.models import Goal, Indicator, IndicatorValue
    from portfolio.dashboards.cache import new_data_version
    from reporting.models import FigureReport, Period, ReportingCycle, State
    from units.models import Institution

    Institution.objects.update(public_pages=True)
    Goal.objects.update(public=True)
    goals = list(
        Goal.objects.exclude(indicators__code__startswith=BENCH_CODE).select_related("framework")
    )
    made = Indicator.objects.bulk_create(
        [
            Indicator(
                goal=goal,
                code=f"{BENCH_CODE}{n}",
                name=f"Published indicator {n} of {goal.code}",
                name_ja=f"{goal.code}の公開指標{n}",
                unit_of_measure="students",
                public=True,
            )
            for goal in goals
            for n in range(1, indicators_per_goal + 1)
        ]
    )
    IndicatorValue.objects.bulk_create(
        [
            IndicatorValue(
                indicator=indicator,
                fiscal_year=year,
                target=Decimal(100 + 10 * (year - YEARS[0])),
                actual=Decimal(90 + 9 * (year - YEARS[0])),
            )
            for indicator in made
            for year in YEARS
        ]
    )
    institution_of = {goal.pk: goal.framework.institution_id for goal in goals}
    cycles = {}
    for institution in set(institution_of.values()):
        cycles[institution], _ = ReportingCycle.objects.get_or_create(
            institution_id=institution,
            fiscal_year=CYCLE_YEAR,
            period=Period.YEAR,
            defaults={"due_date": dt.date(CYCLE_YEAR + 1, 4, 30)},
        )
    FigureReport.objects.bulk_create(
        [
            FigureReport(
                cycle=cycles[institution_of[indicator.goal_id]],
                indicator=indicator,
                actual=Decimal(200 + number % 50),
                state=State.APPROVED if number % 2 == 0 else State.DRAFT,
            )
            for number, indicator in enumerate(made)
        ]
    )
    new_data_version()  # written past history: the kept pages are dropped by hand
    return Goal.objects.filter(public=True).count()


# The readers ----------------------------------------------------------------------------------


def expect_public(status: int, headers: dict, content: str) -> str:
    problem = load.expect_page(status, headers, content)
    if not problem and any(name.lower() == "set-cookie" for name in headers):
        problem = "sets a cookie"
    return problem


def timed(phase: load.Phase, browser: load.Browser, page: str, path: str) -> str:
    """GET a page without cookies and record the sample; its text, or "" when it failed."""
    started = time.perf_counter()
    try:
        status, headers, content = browser.request("GET", path, send_cookies=False)
        problem = expect_public(status, headers, content)
    except (OSError, http.client.HTTPException) as error:
        content, problem = "", f"{error.__class__.__name__}: {error}"
    seconds = time.perf_counter() - started
    phase.record(load.Sample(phase.name, page, started, seconds, not problem, problem=problem))
    return "" if problem else content


def kind_of(path: str) -> str:
    if "/goals/" in path:
        return "goal"
    return "index" if urlsplit(path).path == reverse("disclosure:public_index") else "institution"


class Reader:
    """An anonymous visitor: the index, an institution of it, and every goal page of that."""

    def __init__(self, browser: load.Browser, rng: random.Random, language: str) -> None:
        self.browser, self.rng, self.language = browser, rng, language
        self.tour: list[str] = []

    def links(self, content: str, kind: str) -> list[str]:
        found = sorted({link.replace("&amp;", "&") for link in LINK.findall(content)})
        return [link for link in found if kind_of(link) == kind and "lang=" in link]

    def visit(self, phase: load.Phase, path: str) -> str | None:
        if not phase.take():
            return None
        return timed(phase, self.browser, kind_of(path), path)

    def discover(self, phase: load.Phase) -> None:
        start = f"{reverse('disclosure:public_index')}?lang={self.language}"
        index = self.visit(phase, start)
        institutions = self.links(index or "", "institution")
        if not institutions:
            return
        institution = self.rng.choice(institutions)
        page = self.visit(phase, institution)
        goals = self.links(page or "", "goal")
        for goal in goals:
            if self.visit(phase, goal) is None:
                return
        self.tour = [start, institution, *goals]

    def reread(self, phase: load.Phase) -> None:
        while self.tour:
            for path in self.tour:
                if self.visit(phase, path) is None:
                    return


# Report ---------------------------------------------------------------------------------------


def report(phases: dict[str, load.Phase], args, goals: int) -> tuple[bool, list[str]]:
    vendor = connection.vendor
    version = (
        connection.pg_version if vendor == "postgresql" else connection.Database.sqlite_version
    )
    if vendor == "postgresql":
        version = f"{version // 10000}.{version % 10000}"
    print(
        f"\nPublic pages load on {vendor} {version}, {os.cpu_count()} CPUs: {args.users} anonymous "
        f"readers against {args.base_url}; {goals} public goals, {args.indicators} indicators each"
    )
    print(f"{'phase / page':<22}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}")
    seconds = {name: max(phase.ended - phase.started, 1e-9) for name, phase in phases.items()}
    labels = {
        "trivial": "login page (trivial)",
        "first": "first reading",
        "public": "public pages",
    }
    for name, label in labels.items():
        print(load.row(label, phases[name].samples, seconds[name]))
    if phases["edits"].samples:
        print(load.row("initiative saved", phases["edits"].samples, seconds["edits"]))
    for name in ("first", "public"):
        print(f"{labels[name]}, per page:")
        for page in PAGES:
            mine = [s for s in phases[name].samples if s.page == page]
            print(load.row(f"  {page}", mine, seconds[name]))
    samples = [s for phase in phases.values() for s in phase.samples]
    problems = [s for s in samples if not s.ok]
    for sample in problems[:10]:
        print(f"  error: {sample.phase} {sample.page}: {sample.problem}")

    def rate(name: str) -> float:
        return len(phases[name].samples) / seconds[name]

    ratio = rate("public") / max(rate("trivial"), 1e-9)
    p95 = load.percentile([s.seconds * 1000 for s in phases["public"].samples] or [0.0], 0.95)
    met_ratio, met_p95, met_errors = ratio >= TARGET_RATIO, p95 <= TARGET_P95_MS, not problems
    print(
        f"Edits: an initiative saved every {args.edit_every:g} s through the first reading and the "
        f"public pages ({len(phases['edits'].samples)} saved)"
        if args.edit_every > 0
        else "Edits: none"
    )
    print(
        f"p95 public pages: {p95:.0f} ms (target <= {TARGET_P95_MS}: "
        f"{'met' if met_p95 else 'NOT met'})"
    )
    print(
        f"Throughput public pages / login page: {ratio:.2f} "
        f"(target >= {TARGET_RATIO}: {'met' if met_ratio else 'NOT met'}); "
        f"errors: {len(problems)} (target 0: {'met' if met_errors else 'NOT met'})"
    )
    failed = [f"{name}: no request" for name in labels if not phases[name].samples]
    if problems:
        failed.append(f"{len(problems)} errors")
    return met_ratio and met_p95 and met_errors, failed


def run(args: argparse.Namespace, goals: int) -> tuple[bool, list[str]]:
    """The three phases against ``args.base_url`` and the report."""
    url = urlsplit(args.base_url)
    login_path = reverse("login")

    def browser() -> load.Browser:
        return load.Browser(url.hostname, url.port or 80, args.timeout)

    trivial = load.Phase("trivial", args.trivial_seconds, args.max_requests)

    def anonymous() -> None:
        visitor = browser()
        while trivial.take():
            load.timed(trivial, visitor, "login page", login_path, send_cookies=False)

    trivial.run([anonymous] * args.users)

    readers = [
        Reader(browser(), random.Random(n), "ja" if n % 2 else "en") for n in range(args.users)
    ]
    editor = load.Editor(args.edit_every)
    if args.edit_every > 0:
        editor.start()
    first = load.Phase("first", args.first_reading_seconds, args.max_requests)
    work: list[Callable[[], None]] = [lambda r=reader: r.discover(first) for reader in readers]
    first.run(work)
    public = load.Phase("public", args.seconds, args.max_requests)
    public.run([lambda r=reader: r.reread(public) for reader in readers])
    if args.edit_every > 0:
        editor.stop()
    edits = load.Phase("edits", 0, 0)
    edits.samples, edits.started, edits.ended = editor.samples, first.started, public.ended
    phases = {"trivial": trivial, "first": first, "public": public, "edits": edits}
    return report(phases, args, goals)


def main() -> None:
    parser = load.load_arguments(__doc__.splitlines()[0])
    parser.add_argument("--indicators", type=int, default=2, help="public indicators per goal")
    args = parser.parse_args()
    settings.DEBUG = False  # no list of every query in this process
    if not args.smoke:
        url = urlsplit(args.base_url)
        if url.scheme != "http" or url.hostname != "127.0.0.1":
            parser.error("the load goes only to a server on http://127.0.0.1")
        load.populate(args.activities, args.initiatives)
        goals = publish(args.indicators)
        met, _problems = run(args, goals)
        if not met:
            sys.exit(1)
        return
    for name, value in SMOKE_SIZES.items():
        setattr(args, name, value)
    try:
        with load.throwaway_database() as database_url:
            load.populate(args.activities, args.initiatives, migrate=False)
            goals = publish(args.indicators)
            with load.gunicorn(database_url, args.timeout) as base_url:
                args.base_url = base_url
                print("Smoke run: own server, tiny sizes; the figures mean nothing", flush=True)
                _met, problems = run(args, goals)
    finally:
        shutil.rmtree(load.WORKDIR, ignore_errors=True)
    if problems:
        sys.exit(f"Smoke run failed: {problems}")


if __name__ == "__main__":
    main()
