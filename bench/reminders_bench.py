"""The reporting cycle's reminders for a large cycle: the digests' queries and time.

    .venv/bin/python bench/reminders_bench.py [--initiatives 2000] [--units 100] [--owners 500]
    DATABASE_URL=postgres://… .venv/bin/python bench/reminders_bench.py
    .venv/bin/python bench/reminders_bench.py --smoke

Runs on a throwaway database (a SQLite file in a temporary directory, or ``<name>_reminders_bench``
beside the PostgreSQL database DATABASE_URL names, never that one). One institution with
``--units`` units, each with an editor and a director; ``--initiatives`` initiatives spread over
the units, each owned by one of ``--owners`` named owners; an indicator for every ten initiatives,
on a goal of all the units, with a target for the year. The administrator opens the year's cycle
through ``cycle_open`` (due in 30 days): its time and queries up to its commit, then those of the
check it queues on commit, which mails every owner their opening digest. Then a tenth of the
reports are marked submitted and, for the due date and for the escalation day, the queries and
time of building every digest (``digests_for``), and of the whole check (``run_checks``: claims,
the tasks run at once, every mail rendered and handed to Django's in-memory mail backend), with
the queries per recipient. The target is a number of queries to open the cycle and to build the
digests that does not grow with the cycle's items, and a constant number per recipient to claim
and send each.

``--smoke`` runs at tiny sizes, in seconds, on a database built from the models instead of the
migrations, so that ``tests/test_bench_smoke.py`` notices when the benchmark stops running; its
figures mean nothing.
"""

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
WORKDIR = Path(tempfile.mkdtemp(prefix="reminders-bench-"))
os.environ["PORTFOLIO_DATA_DIR"] = str(WORKDIR)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

# The first words of the table a run prints; tests/test_bench_smoke.py looks for them.
SMOKE_TABLE = "Reminders on"
SMOKE_SIZES = {"initiatives": 30, "units": 4, "owners": 8}


def use_throwaway_database(smoke: bool) -> str:
    """Create and migrate this run's database; returns the name of the one configured."""
    suffix = f"_reminders_bench{f'_smoke_{os.getpid()}' if smoke else ''}"
    original = connection.settings_dict["NAME"]
    test = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(WORKDIR / f"bench{suffix}.sqlite3")
    else:
        test["NAME"] = f"{original}{suffix}"
    test["MIGRATE"] = not smoke  # a smoke run builds the tables from the models, in a second
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return original


def fill(initiatives: int, units: int, owners: int):
    """The institution, its people and one open cycle with every report and figure owed."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from common.roles import EDITOR, REVIEWER
    from policies.models import Framework, Goal, Indicator, IndicatorValue
    from portfolio.models import Initiative
    from units.models import Appointment, Institution, Person, Unit, UserScope

    User = get_user_model()
    editor_group, _ = Group.objects.get_or_create(name=EDITOR)
    reviewer_group, _ = Group.objects.get_or_create(name=REVIEWER)
    institution = Institution.objects.create(code="BENCH", name="Bench University")
    unit_rows = Unit.objects.bulk_create(
        Unit(institution=institution, code=f"U{n:03d}", name=f"Office {n}", kind="office")
        for n in range(units)
    )

    def users(prefix: str, count: int, language: str = "") -> list:
        made = User.objects.bulk_create(
            User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.ac.jp", password="!")
            for n in range(count)
        )
        made = list(User.objects.filter(username__startswith=prefix).order_by("pk"))
        UserScope.objects.bulk_create(
            UserScope(user=user, language=language if n % 2 else "") for n, user in enumerate(made)
        )
        return made

    owner_users = users("owner", owners, "ja")
    editors = users("editor", units, "ja")
    heads = users("head", units)
    reviewers = users("reviewer", 3)
    User.groups.through.objects.bulk_create(
        [User.groups.through(user=user, group=editor_group) for user in editors]
        + [User.groups.through(user=user, group=reviewer_group) for user in reviewers]
    )
    scopes = {scope.user_id: scope for scope in UserScope.objects.all()}
    UserScope.units.through.objects.bulk_create(
        UserScope.units.through(userscope=scopes[user.pk], unit=unit)
        for user, unit in zip(editors, unit_rows, strict=True)
    )
    UserScope.institutions.through.objects.bulk_create(
        UserScope.institutions.through(userscope=scopes[user.pk], institution=institution)
        for user in reviewers
    )
    Person.objects.bulk_create(
        Person(name=f"Person {user.username}", user=user) for user in owner_users + heads
    )
    person_of = dict(Person.objects.values_list("user", "pk"))
    Appointment.objects.bulk_create(
        Appointment(unit=unit, person_id=person_of[head.pk], role="director", title="Director")
        for head, unit in zip(heads, unit_rows, strict=True)
    )
    Initiative.objects.bulk_create(
        Initiative(
            institution=institution,
            code=f"BENCH-{n:05d}",
            title=f"Bench initiative {n}",
            title_ja=f"ベンチ施策 {n}",
            lead_unit=unit_rows[n % units],
            owner_id=person_of[owner_users[n % owners].pk],
            status="active",
            health="on_track",
        )
        for n in range(initiatives)
    )
    framework = Framework.objects.create(
        institution=institution, code="FW", title="Bench strategy", source="Bench"
    )
    goal = Goal.objects.create(framework=framework, code="G1", kind="mission", title="Goal")
    goal.units.set(unit_rows)
    Indicator.objects.bulk_create(
        Indicator(goal=goal, code=f"IND{n:04d}", name=f"Indicator {n}", unit_of_measure="people")
        for n in range(max(initiatives // 10, 1))
    )
    IndicatorValue.objects.bulk_create(
        IndicatorValue(indicator_id=pk, fiscal_year=2026, target=100)
        for pk in Indicator.objects.values_list("pk", flat=True)
    )
    return institution, User.objects.create(username="office-admin", password="!")


def open_cycle(institution, admin, due: dt.date) -> tuple:
    """Open the year's cycle through ``cycle_open``, which owes a report for each initiative and a
    figure for each indicator and, once committed, runs the check that mails the opening digests
    (the tasks run at once here). Returns the cycle and two rows of the table: the opening, up to
    its commit, and the opening digests' check that followed it."""
    from django.db import transaction

    from reporting.models import FigureReport, Occasion, Reminder, Report, ReportingCycle, State
    from reporting.services import cycle_open

    marks = []
    unsaved = ReportingCycle(institution=institution, fiscal_year=2026, period="year", due_date=due)
    reset_queries()  # the log keeps 9,000 queries: a long check's count starts empty
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        with transaction.atomic():
            # Registered first, so it runs first on commit: before the queued check.
            transaction.on_commit(lambda: marks.append((time.perf_counter(), len(captured))))
            cycle = cycle_open(cycle=unsaved, user=admin, reason="Bench round")
        ended = time.perf_counter()
    opened_at, opening_queries = marks[0]
    owed = (
        Report.objects.filter(cycle=cycle).count()
        + FigureReport.objects.filter(cycle=cycle).count()
    )
    digests = Reminder.objects.filter(cycle=cycle, occasion=Occasion.OPENED, sent_at__isnull=False)
    sent = digests.count()
    rows = [
        ("open (cycle_open)", 0, owed, opened_at - started, opening_queries),
        ("check opened", sent, None, ended - opened_at, len(captured) - opening_queries),
    ]
    # A tenth of the reports submitted, as the review's digests want (not a product door: the
    # benchmark's own setting of the scene) and every figure drafted.
    pks = Report.objects.filter(cycle=cycle).order_by("pk").values_list("pk", flat=True)
    Report.objects.filter(pk__in=list(pks)[::10]).update(state=State.SUBMITTED)
    FigureReport.objects.filter(cycle=cycle).update(state=State.DRAFT)
    return cycle, rows


def measure(cycle, day: dt.date) -> list[tuple]:
    """Rows of the table for one day: each occasion's digests built, then the whole check."""
    from reporting.reminders.digests import digests_for, occasions_on
    from reporting.reminders.schedule import run_checks

    rows = []
    for occasion in occasions_on(cycle, day):
        reset_queries()  # the log keeps 9,000 queries: a long check's count starts empty
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            digests = digests_for(cycle, occasion, day)
            seconds = time.perf_counter() - started
        items = sum(len(digest.items) for digest in digests)
        rows.append((f"build {occasion}", len(digests), items, seconds, len(captured)))
    reset_queries()  # the log keeps 9,000 queries: a long check's count starts empty
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        checked = run_checks(day)
        seconds = time.perf_counter() - started
    rows.append((f"check {day.isoformat()}", checked.claimed, None, seconds, len(captured)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--initiatives", type=int, default=2_000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--owners", type=int, default=500)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: checks that the benchmark runs"
    )
    args = parser.parse_args()
    if args.smoke:
        for name, value in SMOKE_SIZES.items():
            setattr(args, name, value)

    settings.DEBUG = False
    setup_test_environment()  # Django's in-memory mail backend: nothing leaves
    immediate = {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    settings.TASKS = {"default": immediate, "immediate": immediate}
    try:
        old_name = use_throwaway_database(args.smoke)
        try:
            due = timezone.localdate() + dt.timedelta(days=30)
            cycle, rows = open_cycle(*fill(args.initiatives, args.units, args.owners), due)
            rows += measure(cycle, due) + measure(cycle, due + dt.timedelta(days=7))
            from django.core import mail

            sent = len(mail.outbox)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)

    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    if args.smoke:
        print("Smoke run: tiny sizes, tables from the models; the figures mean nothing")
    print(
        f"Reminders on {vendor}: {args.initiatives:,} initiatives' reports and "
        f"{max(args.initiatives // 10, 1):,} figures in one cycle, {args.units} units, "
        f"{args.owners} named owners; {sent:,} mails rendered and sent to memory"
    )
    header = ("recipients", "items", "time (ms)", "queries", "/ recipient")
    # The opening's "items" are the reports and figures it owes; a check's recipients are the
    # digests it sent, and its queries per recipient what each mail cost, items aside.
    print(f"{'step':<24}" + "".join(f"{title:>12}" for title in header))
    for step, recipients, items, seconds, queries in rows:
        per = f"{queries / recipients:.1f}" if recipients else "-"
        shown = "" if items is None else f"{items:,}"
        cells = (f"{recipients:,}", shown, f"{seconds * 1000:.0f}", f"{queries:,}", per)
        print(f"{step:<24}" + "".join(f"{cell:>12}" for cell in cells))


if __name__ == "__main__":
    main()
