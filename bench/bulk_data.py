"""Benchmark data in bulk: initiatives, partners and up to millions of activities, fast.

    .venv/bin/python bench/bulk_data.py [--initiatives 10000] [--activities 1000000]
    DATABASE_URL=postgres://… .venv/bin/python bench/bulk_data.py
    .venv/bin/python bench/bulk_data.py --smoke

Run as a script, it times ``fill`` on a throwaway database of its own (see ``throwaway_database``)
and prints how long each part took. Other benchmarks import it (``from bench.bulk_data import
fill, analyze, throwaway_database``) after ``django.setup()``.

``fill(initiatives, activities, seed=1)`` adds to a database that holds the sources' goals
(``load_sources``) the shape ``bench/dashboard_bench.py``'s ``fill_initiatives`` and
``fill_activities`` build, and returns the ids of the initiatives it added:

- 300 partner institutions, "Bench partner 0" to "Bench partner 299", each in one of seven
  countries (TH, DE, US, VN, FR, CA, KR);
- ``initiatives`` initiatives (codes ``BENCH-00000`` …), each of an institution that has goals and
  units, led by one of its units, with a status and a health drawn at random and 1–3 distinct goals
  of its institution's frameworks;
- activities up to ``activities`` in all (``fill_activities`` tops up: the references continue
  from the activities there are), references ``BENCH-A-0000000`` …, each under a random
  initiative, with the initiative's lead unit as its unit, a start date in the 2,000 days from
  2021-04-01, its Japanese fiscal year (April to March) computed from it as ``common.fiscal`` and
  ``Activity.fiscal_year_of_start`` do, a random partner and that partner's country, 0–19 inbound
  and 0–9 outbound participants, a type and a mode drawn from their choices, and a title of one of
  ``TITLES`` (a third of them Japanese) followed by the activity's number, so that searches
  find English and Japanese words: "symposium" is in 2 titles of 24, "共同研究" in 1.

On PostgreSQL every table is filled by set-based SQL (``INSERT … SELECT … FROM
generate_series``, drawing with ``random()`` after ``setseed``), in chunks of 250,000 rows, each
chunk its own transaction so the deferred foreign-key checks stay small; the activities' indexes
other than those of constraints are dropped before a large load and built again after it, which
is several times faster than keeping them up to date row by row. About 40 s for a million
activities on two shared cores. On SQLite the rows are drawn in Python (``random.Random(seed)``)
and written with ``executemany`` in one transaction: about a minute for a million.

The rows are written with plain SQL, not through the product's doors (``services.py``): no
history rows, no change reasons, no cache notices. That is what a benchmark of reads wants and
what no product code may do; ``bench/`` is outside the project's packages.
"""

import argparse
import datetime as dt
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The first words of the table a run prints; tests/test_bench_smoke.py looks for them.
SMOKE_TABLE = "Bulk data on"
SMOKE_SIZES = {"initiatives": 30, "activities": 500}

FIRST_DAY = dt.date(2021, 4, 1)
DAYS = 2000
PARTNERS = 300
COUNTRIES = ["TH", "DE", "US", "VN", "FR", "CA", "KR"]
STATUSES = ["proposed", "planned", "active", "completed", "on_hold", "cancelled"]
HEALTHS = ["on_track", "at_risk", "off_track"]
TITLES = [
    "Joint symposium",
    "International symposium",
    "Delegation visit",
    "Student exchange briefing",
    "Recruitment fair",
    "Research workshop",
    "Summer school",
    "Faculty training",
    "Partner university meeting",
    "Online lecture series",
    "Crisis management drill",
    "Alumni reception",
    "Double degree consultation",
    "Field study tour",
    "Language programme",
    "Graduate admissions webinar",
    "国際交流セミナー",
    "留学説明会",
    "共同研究打ち合わせ",
    "協定校訪問",
    "海外拠点報告会",
    "短期派遣プログラム",
    "研究者交流会",
    "危機管理訓練",
]
# Chunk of rows per INSERT … SELECT on PostgreSQL, per transaction.
CHUNK = 250_000
# Below this many new activities the indexes are kept up to date as the rows go in.
REBUILD_INDEXES_FROM = 100_000


def fill(initiatives: int, activities: int, seed: int = 1) -> list[int]:
    """Add partners, ``initiatives`` initiatives with their goals, and activities up to
    ``activities`` in all; the ids of the new initiatives. See the module's docstring."""
    fill_partners(seed)
    initiative_ids = fill_initiatives(initiatives, seed)
    fill_activities(activities, seed)
    return initiative_ids


def choices_of(field_name: str) -> list[str]:
    from portfolio.models import Activity

    return [value for value, _label in Activity._meta.get_field(field_name).choices]


def postgresql() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def fill_partners(seed: int = 1) -> None:
    """The 300 bench partners, unless they are there already."""
    from portfolio.models import PartnerInstitution

    if PartnerInstitution.objects.filter(name="Bench partner 0").exists():
        return
    rng = random.Random(seed)
    rows = [(f"Bench partner {n}", rng.choice(COUNTRIES)) for n in range(PARTNERS)]
    table = PartnerInstitution._meta.db_table
    with cursor_in_transaction() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (name, name_ja, local_name, country, city, website) "
            "VALUES (%s, '', '', %s, '', '')",
            rows,
        )


def targets() -> dict[int, tuple[list[int], list[int]]]:
    """Per institution that has goals and units: its goals' ids and its units' ids."""
    from policies.models import Goal
    from units.models import Institution, Unit

    found = {}
    for institution in Institution.objects.order_by("pk").values_list("pk", flat=True):
        goals = list(
            Goal.objects.filter(framework__institution=institution)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        units = list(
            Unit.objects.filter(institution=institution).order_by("pk").values_list("pk", flat=True)
        )
        if goals and units:
            found[institution] = (goals, units)
    if not found:
        raise SystemExit("no institution has goals and units: run load_sources first")
    return found


def fill_initiatives(count: int, seed: int = 1) -> list[int]:
    """``count`` initiatives (codes from ``BENCH-<first free number>``), each with 1–3 goals."""
    from portfolio.models import Initiative

    first = Initiative.objects.filter(code__startswith="BENCH-").count()
    if postgresql():
        fill_initiatives_sql(first, count, seed)
    else:
        fill_initiatives_python(first, count, seed)
    codes = [f"BENCH-{n:05d}" for n in range(first, first + count)]
    return list(
        Initiative.objects.filter(code__in=codes).order_by("pk").values_list("pk", flat=True)
    )


def fill_initiatives_python(first: int, count: int, seed: int) -> None:
    from portfolio.models import Initiative

    rng = random.Random(seed * 7919 + first)
    by_institution = targets()
    rows, links = [], []
    for n in range(first, first + count):
        institution = rng.choice(list(by_institution))
        goals, units = by_institution[institution]
        code = f"BENCH-{n:05d}"
        rows.append(
            (
                institution,
                code,
                f"Bench initiative {n}",
                rng.choice(units),
                rng.choice(STATUSES),
                rng.choice(HEALTHS),
            )
        )
        links.append((code, rng.sample(goals, rng.choice([1, 2, 3]))))
    table = Initiative._meta.db_table
    with cursor_in_transaction() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (institution_id, code, title, title_ja, summary, summary_ja, "
            "lead_unit_id, status, health) VALUES (%s, %s, %s, '', '', '', %s, %s, %s)",
            rows,
        )
        ids = dict(Initiative.objects.filter(code__startswith="BENCH-").values_list("code", "pk"))
        cursor.executemany(
            f"INSERT INTO {Initiative.goals.through._meta.db_table} (initiative_id, goal_id) "
            "VALUES (%s, %s)",
            [(ids[code], goal) for code, goals in links for goal in goals],
        )


def fill_initiatives_sql(first: int, count: int, seed: int) -> None:
    """Initiatives and their goal links in two statements: each row draws its institution, then a
    lead unit and 1–3 goals from that institution's arrays."""
    from portfolio.models import Initiative

    by_institution = targets()
    institutions = list(by_institution)
    table = Initiative._meta.db_table
    links = Initiative.goals.through._meta.db_table
    with cursor_in_transaction() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
        (before,) = cursor.fetchone()
        cursor.execute("SELECT setseed(%s)", [seeded(seed, first)])
        cursor.execute(
            f"""
            WITH institutions AS (
                SELECT k, institution, goals, units
                FROM unnest(%s::int[], %s::text[], %s::text[])
                    WITH ORDINALITY AS t(institution, goals, units, k)
            ), drawn AS (
                SELECT n, 1 + floor(random() * %s)::int AS k, random() AS r_unit,
                       random() AS r_status, random() AS r_health
                FROM generate_series(%s, %s) AS n
            )
            INSERT INTO {table} (institution_id, code, title, title_ja, summary, summary_ja,
                                 lead_unit_id, status, health)
            SELECT i.institution, 'BENCH-' || lpad(d.n::text, 5, '0'),
                   'Bench initiative ' || d.n, '', '', '',
                   (i.units::int[])[1 + floor(d.r_unit * cardinality(i.units::int[]))::int],
                   (%s::text[])[1 + floor(d.r_status * %s)::int],
                   (%s::text[])[1 + floor(d.r_health * %s)::int]
            FROM drawn d JOIN institutions i ON i.k = d.k
            ORDER BY d.n
            """,
            [
                institutions,
                [array_literal(by_institution[i][0]) for i in institutions],
                [array_literal(by_institution[i][1]) for i in institutions],
                len(institutions),
                first,
                first + count - 1,
                STATUSES,
                len(STATUSES),
                HEALTHS,
                len(HEALTHS),
            ],
        )
        # 1–3 distinct goals of the initiative's institution: its goals in a random order, the
        # first k of them.
        cursor.execute(
            f"""
            WITH goals AS (
                SELECT institution, goals::int[] AS goals
                FROM unnest(%s::int[], %s::text[]) AS t(institution, goals)
            ), picked AS (
                SELECT i.id, g.goals, 1 + floor(random() * 3)::int AS k
                FROM {table} i JOIN goals g ON g.institution = i.institution_id
                WHERE i.id > %s
            )
            INSERT INTO {links} (initiative_id, goal_id)
            SELECT p.id, s.goal
            FROM picked p
            CROSS JOIN LATERAL (
                SELECT goal FROM unnest(p.goals) AS goal ORDER BY random() LIMIT p.k
            ) AS s
            """,
            [
                institutions,
                [array_literal(by_institution[i][0]) for i in institutions],
                before,
            ],
        )


def array_literal(ids: list[int]) -> str:
    """``{1,2,3}``: a list of ids as one text value, so that arrays of different lengths can be
    handed over as one array of texts (PostgreSQL has no ragged arrays)."""
    return "{" + ",".join(map(str, ids)) + "}"


def seeded(seed: int, offset: int) -> float:
    """A value for PostgreSQL's ``setseed`` (between -1 and 1) from a seed and a position."""
    return random.Random(seed * 1_000_003 + offset).uniform(-1, 1)


def fill_activities(total: int, seed: int = 1) -> None:
    """Activities up to ``total`` in all, under the bench initiatives (see the module docstring)."""
    from portfolio.models import Activity

    have = Activity.objects.count()
    if have >= total:
        return
    if postgresql():
        with indexes_dropped_for(total - have):
            for start in range(have, total, CHUNK):
                fill_activities_sql(start, min(start + CHUNK, total), seed)
    else:
        fill_activities_python(have, total, seed)


def fill_activities_python(start: int, stop: int, seed: int) -> None:
    from portfolio.models import Activity, Initiative, PartnerInstitution

    rng = random.Random(seed * 104_729 + start)
    initiatives = list(
        Initiative.objects.filter(code__startswith="BENCH-")
        .order_by("pk")
        .values_list("pk", "lead_unit_id")
    )
    partners = list(
        PartnerInstitution.objects.filter(name__startswith="Bench partner ")
        .order_by("pk")
        .values_list("pk", "country")
    )
    types, modes = choices_of("activity_type"), choices_of("mode")
    table = Activity._meta.db_table
    sql = (
        f"INSERT INTO {table} (external_ref, initiative_id, unit_id, activity_type, mode, title, "
        "start_date, fiscal_year, country, city, partner_id, inbound_participants, "
        "outbound_participants, description) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, '', %s, %s, %s, '')"
    )

    def rows() -> Iterator[tuple]:
        for n in range(start, stop):
            initiative, unit = rng.choice(initiatives)
            partner, country = rng.choice(partners)
            day = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))
            yield (
                f"BENCH-A-{n:07d}",
                initiative,
                unit,
                rng.choice(types),
                rng.choice(modes),
                f"{rng.choice(TITLES)} {n}",
                day.isoformat(),
                Activity.fiscal_year_of_start(day),
                country,
                partner,
                rng.randrange(20),
                rng.randrange(10),
            )

    with cursor_in_transaction() as cursor:
        batch = []
        for row in rows():
            batch.append(row)
            if len(batch) == 20_000:
                cursor.executemany(sql, batch)
                batch = []
        cursor.executemany(sql, batch)


def fill_activities_sql(start: int, stop: int, seed: int) -> None:
    """Activities ``start`` to ``stop - 1`` in one INSERT … SELECT."""
    from portfolio.models import Activity, Initiative, PartnerInstitution

    table = Activity._meta.db_table
    with cursor_in_transaction() as cursor:
        cursor.execute("SELECT setseed(%s)", [seeded(seed, start)])
        cursor.execute(
            f"""
            WITH initiatives AS (
                SELECT array_agg(id ORDER BY id) AS ids,
                       array_agg(lead_unit_id ORDER BY id) AS units
                FROM {Initiative._meta.db_table} WHERE code LIKE 'BENCH-%%'
            ), partners AS (
                SELECT array_agg(id ORDER BY id) AS ids, array_agg(country ORDER BY id) AS countries
                FROM {PartnerInstitution._meta.db_table} WHERE name LIKE 'Bench partner %%'
            ), drawn AS (
                SELECT n,
                       1 + floor(random() * cardinality(i.ids))::int AS i,
                       1 + floor(random() * cardinality(p.ids))::int AS p,
                       %s::date + floor(random() * %s)::int AS day,
                       random() AS r_type, random() AS r_mode, random() AS r_title,
                       floor(random() * 20)::int AS inbound, floor(random() * 10)::int AS outbound
                FROM generate_series(%s, %s) AS n, initiatives i, partners p
            )
            INSERT INTO {table} (external_ref, initiative_id, unit_id, activity_type, mode, title,
                                 start_date, fiscal_year, country, city, partner_id,
                                 inbound_participants, outbound_participants, description)
            SELECT 'BENCH-A-' || lpad(d.n::text, 7, '0'), i.ids[d.i], i.units[d.i],
                   (%s::text[])[1 + floor(d.r_type * %s)::int],
                   (%s::text[])[1 + floor(d.r_mode * %s)::int],
                   (%s::text[])[1 + floor(d.r_title * %s)::int] || ' ' || d.n,
                   d.day,
                   -- the Japanese fiscal year: April to March (common.fiscal.fiscal_year_of)
                   extract(year FROM d.day)::int
                       - CASE WHEN extract(month FROM d.day) < 4 THEN 1 ELSE 0 END,
                   p.countries[d.p], '', p.ids[d.p], d.inbound, d.outbound, ''
            FROM drawn d CROSS JOIN initiatives i CROSS JOIN partners p
            ORDER BY d.n
            """,
            [
                FIRST_DAY,
                DAYS,
                start,
                stop - 1,
                choices_of("activity_type"),
                len(choices_of("activity_type")),
                choices_of("mode"),
                len(choices_of("mode")),
                TITLES,
                len(TITLES),
            ],
        )


@contextmanager
def indexes_dropped_for(rows: int) -> Iterator[None]:
    """On PostgreSQL, for a load of many rows: the activities' indexes that back no constraint
    are dropped for the load and built again after it (in a larger sort memory)."""
    from django.db import connection

    from portfolio.models import Activity

    if rows < REBUILD_INDEXES_FROM:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.tablename = %s AND i.schemaname = current_schema() AND NOT EXISTS ("
            "  SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [Activity._meta.db_table],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for _name, definition in indexes:
                cursor.execute(definition)
            cursor.execute("RESET maintenance_work_mem")


@contextmanager
def cursor_in_transaction() -> Iterator:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        yield cursor


def analyze() -> None:
    """Refresh the planner's statistics after a bulk load, as autovacuum would (on PostgreSQL
    also the visibility map, which index-only scans read)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def database_named(connection) -> str:
    """``sqlite 3.40.1`` or ``postgresql 15.18``: what the figures were measured on."""
    if connection.vendor == "postgresql":
        version = connection.pg_version
        return f"postgresql {version // 10000}.{version % 10000}"
    return f"sqlite {connection.Database.sqlite_version}"


@contextmanager
def throwaway_database(label: str, *, smoke: bool, workdir: Path) -> Iterator[None]:
    """This run's own database, created and migrated, dropped at the end: a SQLite file in
    ``workdir``, or ``<name>_<label>`` beside the PostgreSQL database DATABASE_URL names (never
    that one). A smoke run's database (``…_smoke_<pid>``) is built from the models, in a second,
    rather than by the migrations, as Django's ``TEST["MIGRATE"] = False`` does."""
    from django.db import connection

    suffix = f"_{label}{f'_smoke_{os.getpid()}' if smoke else ''}"
    original = connection.settings_dict["NAME"]
    test = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(workdir / f"bench{suffix}.sqlite3")
    else:
        test["NAME"] = f"{original}{suffix}"
    test["MIGRATE"] = not smoke
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--initiatives", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks that it runs")
    args = parser.parse_args()
    if args.smoke:
        for name, value in SMOKE_SIZES.items():
            setattr(args, name, value)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    workdir = Path(tempfile.mkdtemp(prefix="bulk-data-"))
    os.environ["PORTFOLIO_DATA_DIR"] = str(workdir)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from portfolio.models import Activity, Initiative

    settings.DEBUG = False  # a DEBUG process keeps every query it runs
    timings = {}
    try:
        with throwaway_database("bulk_data", smoke=args.smoke, workdir=workdir):
            call_command("load_sources", stdout=open(os.devnull, "w"))  # noqa: SIM115
            started = time.perf_counter()
            fill_partners(args.seed)
            fill_initiatives(args.initiatives, args.seed)
            timings["partners and initiatives"] = time.perf_counter() - started
            started = time.perf_counter()
            fill_activities(args.activities, args.seed)
            timings["activities"] = time.perf_counter() - started
            started = time.perf_counter()
            analyze()
            timings["analyze"] = time.perf_counter() - started
            counts = (Initiative.objects.count(), Activity.objects.count())
            wrong_year = sum(
                1
                for start, year in Activity.objects.values_list("start_date", "fiscal_year")[:5000]
                if Activity.fiscal_year_of_start(start) != year
            )
            if wrong_year:
                raise SystemExit(f"{wrong_year} activities with the wrong fiscal year")
            vendor = database_named(connection)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    if args.smoke:
        print("Smoke run: tiny sizes, tables from the models; the figures mean nothing")
    print(f"Bulk data on {vendor}: {counts[0]:,} initiatives, {counts[1]:,} activities")
    for step, seconds in timings.items():
        print(f"  {step:<26}{seconds:>8.1f} s")


if __name__ == "__main__":
    main()
