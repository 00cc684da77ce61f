"""Load: concurrent leadership readers on the dashboards, beside a trivial page, in one run.

    # the server, as in production (another terminal), on the database the readers will read:
    DATABASE_URL=postgres://…/load_bench DJANGO_SECRET_KEY=… DJANGO_ALLOWED_HOSTS=127.0.0.1 \\
        DJANGO_SECURE_COOKIES=0 DJANGO_SSL_REDIRECT=0 make serve
    # the load, with the same environment:
    DATABASE_URL=postgres://…/load_bench DJANGO_SECRET_KEY=… .venv/bin/python bench/load.py

First fills the database in bulk where it holds fewer activities than asked (the sources'
goals, 10,000 initiatives and ``--activities``, 100,000 unless told, by ``bench/bulk_data.py``'s
generator; then the kept figures are counted), and creates the readers: ordinary users (not
staff), in the "Leadership" group and scoped to every institution. Then, against the server:

1. every reader signs in through the login form (its CSRF token and cookie, as a browser);
2. the trivial page: every reader requests the login page, without cookies, as fast as it is
   answered, for ``--trivial-seconds``;
3. the first reading, from a cold start: every reader follows links as a reader would, from the
   overview to a framework, a goal of it, a unit contributing to the goal (where one does), the
   crosswalk and the regions, once. Nothing is cached yet: the first reader of a page builds it,
   the others of the same scope are served that build (the cache keeps pages per scope);
4. the dashboards: every reader reads the same pages again, by the same links, for
   ``--seconds``.

Through phases 3 and 4 an editor saves an initiative every ``--edit-every`` seconds (a new title
and health, through the product's door ``record_save``, from this process: the server sees it
as any other process's write, through the database and the shared cache), so that the kept
pages go stale while they are read.

Reports, per phase and per page, requests per second, median and 95th-percentile latency and
errors (any status but 200, a page without its heading, a refused or timed-out connection, a
failed save); and the ratio of the dashboards' throughput to the trivial page's. Targets: no
errors; first-reading p95 at most 1 s; dashboards p95 at most 500 ms through the writes; the
ratio at least 0.5. Requests go only to 127.0.0.1; each phase stops at its deadline or after
``--max-requests``, and a request gives up after ``--timeout`` seconds.

``--smoke`` needs no server: it creates a throwaway database (a SQLite file in a temporary
directory, or ``<name>_load_smoke_<pid>`` beside the PostgreSQL database DATABASE_URL names;
tables from the models, not the migrations), fills it at tiny sizes, starts gunicorn on it on a
free port of 127.0.0.1 (DEBUG on, so that static files need no collectstatic), runs every phase
for a second or two with three readers, stops the server and drops the database. It fails on any
error, not on the throughput target, which means nothing at that size: it is there so that
``tests/test_bench_smoke.py`` notices when the benchmark stops running.
"""

import argparse
import http.client
import io
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# A smoke run keeps everything it writes (the SQLite file, the page cache) in its own directory;
# settings read the directory when Django is set up, so the flag is looked at before that.
SMOKE = "--smoke" in sys.argv[1:]
WORKDIR = Path(tempfile.mkdtemp(prefix="load-smoke-")) if SMOKE else None
if WORKDIR:
    os.environ["PORTFOLIO_DATA_DIR"] = str(WORKDIR)
    os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import reverse  # noqa: E402

READERS_PREFIX = "load-reader-"
# The readers exist only in a throwaway load database.
PASSWORD = "load-reader-password-not-secret"
TARGET_RATIO = 0.5
TARGET_FIRST_P95_MS = 1000
TARGET_DASHBOARDS_P95_MS = 500
EDITOR = "load-editor"
EDIT_REASON = "Load bench: an owner's update"
# The first words of the table a run prints; tests/test_bench_smoke.py looks for them.
SMOKE_TABLE = "Load on"
SMOKE_SIZES = {
    "users": 3,
    "seconds": 2.0,
    "trivial_seconds": 1.0,
    "first_reading_seconds": 30.0,
    "timeout": 20.0,
    "activities": 200,
    "initiatives": 30,
    "edit_every": 0.5,
}
PAGES = ["overview", "framework", "goal", "unit", "crosswalk", "regions"]
LINK = re.compile(r'href="(/(?:frameworks|goals|units|crosswalk|regions)/[^"]*)"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# The database ---------------------------------------------------------------------------------


def populate(activities: int, initiatives: int, *, migrate: bool = True) -> None:
    """Fill the database where it has fewer activities than asked, as dashboard_bench does."""
    from policies.models import Framework
    from portfolio.models import Activity, Initiative

    if migrate:
        call_command("migrate", verbosity=0)
    if Activity.objects.count() >= activities:
        return
    from bench import bulk_data
    from bench.dashboard_bench import analyze

    if not Framework.objects.exists():
        call_command("load_sources", verbosity=0)
    print(f"Filling the database: {activities:,} activities …", flush=True)
    if not Initiative.objects.exists():
        bulk_data.fill(initiatives, activities)
    else:
        bulk_data.fill_activities(activities)
    # The generator writes past the product's doors, as a restore would: the kept figures are
    # counted once, before the server reads them.
    call_command("rebuild_figures", verbosity=0, stdout=io.StringIO())
    analyze()


def scope_model():
    """The model that scopes a user to institutions, where the product has one."""
    from units.models import Institution

    for model in apps.get_models():
        if model._meta.app_label not in {"units", "common"}:
            continue
        fields = model._meta.get_fields()
        to_user = any(
            f.is_relation
            and f.related_model is get_user_model()
            and (f.one_to_one or f.many_to_one)
            for f in fields
        )
        to_institutions = any(
            f.many_to_many and f.related_model is Institution and not f.auto_created for f in fields
        )
        if to_user and to_institutions:
            return model
    return None


def create_readers(count: int) -> list[str]:
    """Ordinary users, in the leadership role and scoped to every institution where those exist."""
    from units.models import Institution

    user_model = get_user_model()
    names = [f"{READERS_PREFIX}{n:02d}" for n in range(1, count + 1)]
    hashed = make_password(PASSWORD)  # one hash for all: a throwaway database's readers
    existing = set(user_model.objects.filter(username__in=names).values_list("username", flat=True))
    user_model.objects.bulk_create(
        [user_model(username=name, password=hashed) for name in names if name not in existing]
    )
    readers = list(user_model.objects.filter(username__in=names))
    user_model.objects.filter(username__in=names).update(
        password=hashed, is_staff=False, is_superuser=False, is_active=True
    )
    leadership = Group.objects.filter(name="Leadership").first()
    if leadership:
        leadership.user_set.add(*readers)
    model = scope_model()
    if model:
        user_field = next(
            f.name
            for f in model._meta.get_fields()
            if f.is_relation and f.related_model is get_user_model()
        )
        institutions_field = next(
            f.name
            for f in model._meta.get_fields()
            if f.many_to_many and f.related_model is Institution
        )
        everywhere = list(Institution.objects.all())
        for reader in readers:
            scope, _ = model.objects.get_or_create(**{user_field: reader})
            getattr(scope, institutions_field).set(everywhere)
    return names


def edit_initiative(number: int) -> None:
    """An owner's update of an initiative, saved through the product's door (``record_save``,
    as the admin and the imports save): a new title and health, its status, institution and
    goals as they were. Another initiative each time."""
    from common.services import record_save
    from portfolio.models import Initiative

    editor, _ = get_user_model().objects.get_or_create(username=EDITOR)
    ids = list(Initiative.objects.order_by("pk").values_list("pk", flat=True)[:500])
    initiative = Initiative.objects.get(pk=ids[number % len(ids)])
    title = re.sub(r" \(update \d+\)$", "", initiative.title)
    initiative.title = f"{title} (update {number})"
    initiative.health = ["on_track", "at_risk", "off_track"][number % 3]
    record_save(initiative, user=editor, reason=EDIT_REASON)


class Editor(threading.Thread):
    """Saves an initiative every ``every`` seconds until stopped; records each save's time."""

    def __init__(self, every: float) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.stopping = threading.Event()
        self.samples: list[Sample] = []

    def run(self) -> None:
        number = 0
        try:
            while not self.stopping.wait(self.every):
                number += 1
                started = time.perf_counter()
                try:
                    edit_initiative(number)
                    problem = ""
                except Exception as error:  # reported as the run's error, not a crash
                    problem = f"{error.__class__.__name__}: {error}"
                seconds = time.perf_counter() - started
                self.samples.append(
                    Sample("edits", "initiative", started, seconds, not problem, problem=problem)
                )
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join()


# The client -----------------------------------------------------------------------------------


@dataclass
class Sample:
    phase: str
    page: str
    started: float
    seconds: float
    ok: bool
    problem: str = ""


@dataclass
class Browser:
    """One reader's connection and cookies; follows no redirect by itself."""

    host: str
    port: int
    timeout: float
    cookies: dict[str, str] = field(default_factory=dict)
    conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: str | None = None, send_cookies: bool = True
    ) -> tuple[int, dict, str]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        headers = {"Accept-Language": "en", "User-Agent": "portfolio-load-bench"}
        if send_cookies and self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://{self.host}:{self.port}"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            content = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise
        if send_cookies:
            self.keep_cookies(response.headers.get_all("Set-Cookie") or [])
        if response.will_close:
            self.conn.close()
            self.conn = None
        return response.status, dict(response.headers), content

    def keep_cookies(self, set_cookies: list[str]) -> None:
        for header in set_cookies:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value


class Phase:
    """Shared deadline and request budget of one phase; every reader records its samples."""

    def __init__(self, name: str, seconds: float, max_requests: int) -> None:
        self.name = name
        self.seconds = seconds
        self.budget = max_requests
        self.lock = threading.Lock()
        self.samples: list[Sample] = []
        self.started = self.ended = 0.0

    def take(self) -> bool:
        with self.lock:
            if time.perf_counter() >= self.started + self.seconds or self.budget <= 0:
                return False
            self.budget -= 1
            return True

    def record(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def run(self, workers: list[Callable[[], None]]) -> None:
        threads = [threading.Thread(target=work, daemon=True) for work in workers]
        self.started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.ended = time.perf_counter()


def timed(phase: Phase, browser: Browser, page: str, path: str, **kw) -> str:
    """GET a page and record the sample; the page's text, or "" when it failed."""
    started = time.perf_counter()
    try:
        status, headers, content = browser.request("GET", path, **kw)
        problem = expect_page(status, headers, content)
    except (OSError, http.client.HTTPException) as error:
        content, problem = "", f"{error.__class__.__name__}: {error}"
    seconds = time.perf_counter() - started
    phase.record(Sample(phase.name, page, started, seconds, not problem, problem=problem))
    return "" if problem else content


def expect_page(status: int, headers: dict, content: str) -> str:
    if status != 200:
        return f"status {status} {headers.get('Location', '')}".strip()
    if "<h1>" not in content:
        return "no heading"
    return ""


def sign_in(browser: Browser, username: str, login_path: str) -> str:
    """Sign in through the form; an empty string, or what went wrong."""
    try:
        status, _headers, content = browser.request("GET", login_path)
        token = CSRF_FIELD.search(content)
        if status != 200 or not token or settings.CSRF_COOKIE_NAME not in browser.cookies:
            return f"login page: status {status}, no CSRF token or cookie"
        form = {"username": username, "password": PASSWORD, "next": "/"}
        form["csrfmiddlewaretoken"] = token.group(1)
        status, headers, _content = browser.request("POST", login_path, body=urlencode(form))
    except (OSError, http.client.HTTPException) as error:
        return f"{error.__class__.__name__}: {error}"
    if status != 302 or settings.SESSION_COOKIE_NAME not in browser.cookies:
        return f"login: status {status} {headers.get('Location', '')}"
    return ""


class Reader:
    """A leader who opens the overview and follows links to the pages of one reading."""

    def __init__(self, browser: Browser, rng: random.Random) -> None:
        self.browser = browser
        self.rng = rng
        self.tour: list[tuple[str, str]] = []
        self.seen: set[str] = set()

    def pick(self, content: str, prefix: str) -> str | None:
        links = sorted({link.replace("&amp;", "&") for link in LINK.findall(content)})
        links = [link for link in links if link.startswith(prefix) and "csv=" not in link]
        return self.rng.choice(links) if links else None

    def discover(self, phase: Phase) -> bool:
        """The first reading: each next page is a link on a page already read.

        False when the phase ended meanwhile.
        """
        overview = self.visit(phase, "overview", "/")
        pages = {"framework": self.pick(overview or "", "/frameworks/")}
        framework = self.visit(phase, "framework", pages["framework"])
        pages["goal"] = self.pick(framework or "", "/goals/")
        goal = self.visit(phase, "goal", pages["goal"])
        pages["unit"] = self.pick(goal or "", "/units/")
        self.visit(phase, "unit", pages["unit"])
        for name in ("crosswalk", "regions"):
            pages[name] = self.pick(overview or "", f"/{name}/")
            if self.visit(phase, name, pages[name]) is None:
                return False
        self.tour = [("overview", "/")] + [(n, p) for n, p in pages.items() if p]
        return True

    def visit(self, phase: Phase, page: str, path: str | None) -> str | None:
        """The page's text ("" when it failed or has no link to it), None once the phase ended."""
        if path is None:
            return ""
        if not phase.take():
            return None
        first = path not in self.seen
        self.seen.add(path)
        return timed(phase, self.browser, page + ("*" if first else ""), path)

    def reread(self, phase: Phase) -> None:
        """The same pages again, by the same links, until the phase ends."""
        while self.tour:
            for page, path in self.tour:
                if self.visit(phase, page, path) is None:
                    return


# Reports --------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def row(label: str, samples: list[Sample], seconds: float) -> str:
    times = [s.seconds * 1000 for s in samples] or [0.0]
    errors = sum(not s.ok for s in samples)
    return (
        f"{label:<22}{len(samples):>9,}{errors:>8}{len(samples) / seconds:>9.1f}"
        f"{statistics.median(times):>9.1f}{percentile(times, 0.95):>9.1f}"
    )


def report(phases: dict[str, Phase], args) -> bool:
    vendor = connection.vendor
    version = (
        connection.pg_version if vendor == "postgresql" else connection.Database.sqlite_version
    )
    if vendor == "postgresql":
        version = f"{version // 10000}.{version % 10000}"
    print(
        f"\nLoad on {vendor} {version}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"Django {django.get_version()}: {args.users} readers against {args.base_url}"
    )
    print(f"{'phase / page':<22}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}")
    seconds = {name: phase.ended - phase.started for name, phase in phases.items()}
    labels = {
        "sign-in": "sign-in (form)",
        "trivial": "login page (trivial)",
        "first": "first reading",
        "dashboards": "dashboards",
    }
    for name, label in labels.items():
        print(row(label, phases[name].samples, seconds[name]))
    if phases["edits"].samples:
        print(row("initiative saved", phases["edits"].samples, seconds["edits"]))
    for name in ("first", "dashboards"):
        print(f"{labels[name]}, per page:")
        for page in PAGES:
            mine = [s for s in phases[name].samples if s.page.rstrip("*") == page]
            print(row(f"  {page}", mine, seconds[name]))
    problems = [s for phase in phases.values() for s in phase.samples if not s.ok]
    for sample in problems[:10]:
        print(f"  error: {sample.phase} {sample.page}: {sample.problem}")

    def rate(*names: str) -> float:
        return sum(len(phases[n].samples) for n in names) / sum(seconds[n] for n in names)

    def p95(name: str) -> float:
        return percentile([s.seconds * 1000 for s in phases[name].samples] or [0.0], 0.95)

    ratio = rate("dashboards") / rate("trivial")
    cold = rate("first", "dashboards") / rate("trivial")
    met_ratio, met_errors = ratio >= TARGET_RATIO, not problems
    met_first = p95("first") <= TARGET_FIRST_P95_MS
    met_dashboards = p95("dashboards") <= TARGET_DASHBOARDS_P95_MS
    print(
        f"Phases: trivial {seconds['trivial']:.1f} s, first reading {seconds['first']:.1f} s, "
        f"dashboards {seconds['dashboards']:.1f} s"
    )
    print(
        f"Edits: an initiative saved every {args.edit_every:g} s through the first reading and the "
        f"dashboards ({len(phases['edits'].samples)} saved)"
        if args.edit_every > 0
        else "Edits: none"
    )
    print(f"Throughput first reading and dashboards together / login page: {cold:.2f}")
    print(
        f"p95 first reading: {p95('first'):.0f} ms (target <= {TARGET_FIRST_P95_MS}: "
        f"{'met' if met_first else 'NOT met'}); p95 dashboards: {p95('dashboards'):.0f} ms "
        f"(target <= {TARGET_DASHBOARDS_P95_MS}: {'met' if met_dashboards else 'NOT met'})"
    )
    print(
        f"Throughput dashboards / login page: {ratio:.2f} "
        f"(target >= {TARGET_RATIO}: {'met' if met_ratio else 'NOT met'}); "
        f"errors: {len(problems)} (target 0: {'met' if met_errors else 'NOT met'})"
    )
    return met_ratio and met_errors and met_first and met_dashboards


# The smoke run's own database and server ---------------------------------------------------------


@contextmanager
def throwaway_database() -> Iterator[str]:
    """A fresh database for this process, tables from the models; yields its DATABASE_URL."""
    original = connection.settings_dict["NAME"]
    test = connection.settings_dict.setdefault("TEST", {})
    suffix = f"_load_smoke_{os.getpid()}"
    if connection.vendor == "sqlite":
        test["NAME"] = str(WORKDIR / f"load{suffix}.sqlite3")
    else:
        test["NAME"] = f"{original}{suffix}"
    test["MIGRATE"] = False
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        name = connection.settings_dict["NAME"]
        if connection.vendor == "sqlite":
            yield f"sqlite:///{name}"
        else:
            url = urlsplit(os.environ["DATABASE_URL"])
            yield urlunsplit(url._replace(path=f"/{name}"))
    finally:
        connection.close()
        connection.creation.destroy_test_db(original, verbosity=0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(database_url: str, timeout: float) -> Iterator[str]:
    """gunicorn serving the product on ``database_url``; yields its base URL, then stops it."""
    port = free_port()
    log = WORKDIR / "gunicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PORTFOLIO_DATA_DIR": str(WORKDIR),
        "DJANGO_DEBUG": "1",  # static files from the finders: no collectstatic for seconds' use
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "2", "--timeout", str(int(timeout)), "--error-logfile", "-"]
    with log.open("wb") as output:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn stopped ({server.returncode}):\n{log.read_text()}")
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("GET", reverse("login"))
                if probe.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer within 60 s:\n{log.read_text()}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# Main -----------------------------------------------------------------------------------------


def load_arguments(description: str) -> argparse.ArgumentParser:
    """The options of a load on a server: this benchmark's, and those built on it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--trivial-seconds", type=float, default=30)
    parser.add_argument("--first-reading-seconds", type=float, default=300, help="at most")
    parser.add_argument("--max-requests", type=int, default=200_000, help="per phase")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per request")
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--initiatives", type=int, default=10_000)
    parser.add_argument(
        "--edit-every", type=float, default=10, help="seconds between an editor's saves; 0: none"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="own throwaway database and server, tiny sizes: checks that the benchmark runs",
    )
    return parser


def main() -> None:
    parser = load_arguments(__doc__.splitlines()[0])
    args = parser.parse_args()
    settings.DEBUG = False  # no list of every query in this process
    if not args.smoke:
        url = urlsplit(args.base_url)
        if url.scheme != "http" or url.hostname != "127.0.0.1":
            parser.error("the load goes only to a server on http://127.0.0.1")
        populate(args.activities, args.initiatives)
        names = create_readers(args.users)
        met, _problems = load(args, names)
        if not met:
            sys.exit(1)
        return
    for name, value in SMOKE_SIZES.items():
        setattr(args, name, value)
    try:
        with throwaway_database() as database_url:
            populate(args.activities, args.initiatives, migrate=False)
            names = create_readers(args.users)
            with gunicorn(database_url, args.timeout) as base_url:
                args.base_url = base_url
                print("Smoke run: own server, tiny sizes; the figures mean nothing", flush=True)
                _met, problems = load(args, names)
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)
    if problems:
        sys.exit(f"Smoke run failed: {problems}")


def load(args: argparse.Namespace, names: list[str]) -> tuple[bool, list[str]]:
    """The four phases against ``args.base_url`` and the report: targets met, what went wrong."""
    url = urlsplit(args.base_url)
    login_path = reverse("login")

    def browser() -> Browser:
        return Browser(url.hostname, url.port or 80, args.timeout)

    readers = [Reader(browser(), random.Random(n)) for n in range(args.users)]

    sign_ins = Phase("sign-in", args.timeout * 4, args.users)

    def signer(reader: Reader, name: str) -> Callable[[], None]:
        def work() -> None:
            started = time.perf_counter()
            problem = sign_in(reader.browser, name, login_path) if sign_ins.take() else "no time"
            seconds = time.perf_counter() - started
            sign_ins.record(
                Sample("sign-in", "form", started, seconds, not problem, problem=problem)
            )

        return work

    sign_ins.run([signer(reader, name) for reader, name in zip(readers, names, strict=True)])

    trivial = Phase("trivial", args.trivial_seconds, args.max_requests)

    def anonymous() -> None:
        visitor = browser()
        while trivial.take():
            timed(trivial, visitor, "login page", login_path, send_cookies=False)

    trivial.run([anonymous] * args.users)

    editor = Editor(args.edit_every)
    if args.edit_every > 0:
        editor.start()
    first = Phase("first", args.first_reading_seconds, args.max_requests)
    first.run([lambda reader=reader: reader.discover(first) for reader in readers])

    dashboards = Phase("dashboards", args.seconds, args.max_requests)
    dashboards.run([lambda reader=reader: reader.reread(dashboards) for reader in readers])
    if args.edit_every > 0:
        editor.stop()
    edits = Phase("edits", 0, 0)
    edits.samples, edits.started, edits.ended = editor.samples, first.started, dashboards.ended

    phases = {
        "sign-in": sign_ins,
        "trivial": trivial,
        "first": first,
        "dashboards": dashboards,
        "edits": edits,
    }
    problems = [
        f"{name}: no request"
        for name, phase in phases.items()
        if not phase.samples and (name != "edits" or args.edit_every > 0)
    ]
    errors = sum(not s.ok for phase in phases.values() for s in phase.samples)
    if errors:
        problems.append(f"{errors} errors")
    return report(phases, args), problems


if __name__ == "__main__":
    main()
