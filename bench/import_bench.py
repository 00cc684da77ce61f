"""Benchmark of the spreadsheet import against django-import-export and a bulk-insert floor.

Generates activity and initiative rows (initiatives with 2-3 goals, contributing units and
partners each), writes them as XLSX and CSV, and times on one throwaway database, in one run:

* ours: the import as the admin runs it, ``import_preview`` then ``import_confirm`` (rows,
  history rows, many-to-many links and their history);
* default: a django-import-export ``ModelResource`` on the same XLSX bytes, ``import_data``
  with ``dry_run=False`` (history through simple-history's save and m2m_changed signals);
* floor: simple-history's ``bulk_create_with_history`` of the same rows, built directly as model
  instances, plus bulk inserts of the link rows and of their history rows.

Then, in a child process, the peak memory of a 19,000-row activities XLSX (the most the
default IMPORT_MAX_CELLS takes) through preview and confirm. Every path starts from a database
without rows of the kind it imports, and the rows each path writes are compared. The ratios are
printed last.

    .venv/bin/python bench/import_bench.py [--activities 10000] [--initiatives 2000]
        [--memory-rows 19000] [--repeat 3] [--skip-memory] [--skip-default] [--profile]
    .venv/bin/python bench/import_bench.py --smoke

Runs on SQLite (a file in a temporary directory) unless DATABASE_URL names a database; on
PostgreSQL it creates and drops its own database ``<name>_import_bench``, never the one named.
The importing user is a data steward scoped to the benchmark's institution, as in production.

``--smoke`` runs every path and the memory child at tiny sizes, in seconds, so that
``tests/test_bench_smoke.py`` notices when the benchmark stops running; its figures mean
nothing, and it builds its throwaway databases from the models instead of running the
migrations (which alone take half a minute).
"""
# ruff: noqa: E402  (Django is set up before the product's modules are imported)

import argparse
import cProfile
import datetime as dt
import gc
import hashlib
import io
import json
import os
import pstats
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Everything this process writes goes to a fresh directory: the SQLite database, the stored
# uploads of the import. The developer's var/portfolio.sqlite3 is never opened.
WORKDIR = Path(tempfile.mkdtemp(prefix="import-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ["PORTFOLIO_DATA_DIR"] = str(WORKDIR)
os.environ["IMPORT_DIR"] = str(WORKDIR / "imports")

import django

django.setup()

import tablib
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, models, transaction
from django.db.models import Q
from import_export import fields, resources, widgets
from simple_history.utils import bulk_create_with_history

from common.fiscal import fiscal_year_of
from common.history import m2m_history_model
from common.roles import DATA_STEWARD
from imports.engine import KINDS, plan_import
from imports.formats import read_table, write_table
from imports.mapping import Mapping, header_key, known_aliases, mapping_store
from imports.services import apply_plan, import_confirm, import_preview
from policies.models import Framework, Goal
from portfolio.models import Activity, ActivityType, Health, Initiative, PartnerInstitution
from units.models import Institution, Unit, UserScope

# A DEBUG process keeps every query in connection.queries, which production does not; DEBUG is
# only on so that settings load without a secret key.
settings.DEBUG = False

TARGET_FLOOR_RATIO = 2.0  # ours / floor, at most
TARGET_DEFAULT_RATIO = {"activities": 4.0, "initiatives": 10.0}  # default / ours, at least
TARGET_MEMORY_MB = 500.0
TARGET_MAPPED_RATIO = 1.2  # a sheet read through a saved mapping / the same sheet as the template
LINK_FIELDS = ["goals", "contributing_units", "partners"]
FLOOR_REASON = "floor"
SEED = 20250401
COUNTRIES = ["TH", "VN", "ID", "MY", "PH", "KR", "CN", "DE", "FR", "US"]
# The first words of the table a run prints; tests/test_bench_smoke.py looks for them.
SMOKE_TABLE = "Spreadsheet import on"
SMOKE_SIZES = {"activities": 60, "initiatives": 20, "memory_rows": 100, "repeat": 1}
SMOKE = False  # set by main(): tiny sizes, databases built from the models


# --- Reference data -------------------------------------------------------------------------


@dataclass
class Reference:
    """What imported rows refer to; built the same way in every process, so codes match."""

    user: Any
    institution: Institution
    framework: Framework
    goals: list[Goal]
    units: list[Unit]
    partners: list[PartnerInstitution]
    initiatives: list[Initiative] = field(default_factory=list)


def create_reference(*, goals: int = 30, units: int = 20, partners: int = 200) -> Reference:
    institution = Institution.objects.create(code="BENCH", name="Benchmark University")
    user = data_steward(institution)
    framework = Framework.objects.create(
        institution=institution, code="BENCH-FW", title="Benchmark strategy", source="bench"
    )
    goal_rows = Goal.objects.bulk_create(
        Goal(framework=framework, code=f"G{n:02d}", kind="objective", title=f"Goal {n}", order=n)
        for n in range(1, goals + 1)
    )
    unit_rows = Unit.objects.bulk_create(
        Unit(institution=institution, code=f"U{n:02d}", name=f"Office {n}")
        for n in range(1, units + 1)
    )
    partner_rows = PartnerInstitution.objects.bulk_create(
        PartnerInstitution(
            name=f"Partner University {n:03d}", country=COUNTRIES[n % len(COUNTRIES)], city="City"
        )
        for n in range(1, partners + 1)
    )
    analyze()
    return Reference(user, institution, framework, goal_rows, unit_rows, partner_rows)


def data_steward(institution: Institution):
    """The importing user, as in production: a data steward scoped to the one institution.

    Not a superuser, so the import checks every row against the steward's scope as it does for
    the stewards who run it; the role's group exists once the database is migrated.
    """
    user = get_user_model().objects.create_user("bench", password="bench-only-password")
    user.groups.add(Group.objects.get(name=DATA_STEWARD))
    UserScope.objects.create(user=user).institutions.add(institution)
    return user


def create_reference_initiatives(ref: Reference, count: int = 500) -> None:
    """The initiatives activities refer to (created after the initiative measurements)."""
    ref.initiatives = Initiative.objects.bulk_create(
        Initiative(
            institution=ref.institution,
            code=f"REF-{n:04d}",
            title=f"Reference initiative {n}",
            lead_unit=ref.units[n % len(ref.units)],
        )
        for n in range(1, count + 1)
    )
    analyze()


# --- Generated rows -------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivitySpec:
    """One generated activity; references are indexes into the ``Reference`` lists."""

    external_ref: str
    title: str
    activity_type: str
    start_date: dt.date
    end_date: dt.date | None
    unit: int
    initiative: int | None
    country: str
    city: str
    partner: int | None
    inbound: int
    outbound: int
    description: str


@dataclass(frozen=True)
class InitiativeSpec:
    code: str
    title: str
    summary: str
    lead_unit: int
    contributing_units: tuple[int, ...]
    goals: tuple[int, ...]
    partners: tuple[int, ...]
    status: str
    health: str
    start_date: dt.date
    end_date: dt.date | None
    budget_jpy: int


def activity_specs(
    count: int, *, units: int, initiatives: int, partners: int
) -> list[ActivitySpec]:
    rng = random.Random(SEED)
    types = list(ActivityType.values)
    specs = []
    for n in range(1, count + 1):
        start = dt.date(2019, 4, 1) + dt.timedelta(days=rng.randrange(2500))
        specs.append(
            ActivitySpec(
                external_ref=f"BENCH-{n:06d}",
                title=f"Activity {n}: joint symposium / 共同シンポジウム {n}",
                activity_type=rng.choice(types),
                start_date=start,
                end_date=start + dt.timedelta(days=rng.randrange(10)) if n % 3 else None,
                unit=rng.randrange(units),
                initiative=rng.randrange(initiatives) if n % 5 else None,
                country=rng.choice(COUNTRIES),
                city=rng.choice(["Bangkok", "Hanoi", "Jakarta", "Berlin", ""]),
                partner=rng.randrange(partners) if n % 10 else None,
                inbound=rng.randrange(20),
                outbound=rng.randrange(20),
                description=" ".join([f"Report of activity {n}."] * rng.randrange(4)),
            )
        )
    return specs


def initiative_specs(count: int, *, units: int, goals: int, partners: int) -> list[InitiativeSpec]:
    rng = random.Random(SEED + 1)
    specs = []
    for n in range(1, count + 1):
        start = dt.date(2018, 4, 1) + dt.timedelta(days=rng.randrange(2500))
        specs.append(
            InitiativeSpec(
                code=f"INI-{n:05d}",
                title=f"Initiative {n}: exchange programme / 交流プログラム {n}",
                summary=f"What initiative {n} does." if n % 2 else "",
                lead_unit=rng.randrange(units),
                contributing_units=tuple(sorted(rng.sample(range(units), rng.randint(1, 2)))),
                goals=tuple(sorted(rng.sample(range(goals), rng.randint(2, 3)))),
                partners=tuple(sorted(rng.sample(range(partners), rng.randint(1, 2)))),
                status=rng.choice(["proposed", "planned", "active", "completed"]),
                health=rng.choice(list(Health.values)),
                start_date=start,
                end_date=start + dt.timedelta(days=365 * rng.randint(1, 5)) if n % 4 else None,
                budget_jpy=rng.randrange(100, 50_000) * 1000,
            )
        )
    return specs


def activity_rows(specs: list[ActivitySpec], ref: Reference) -> list[list[object]]:
    """Sheet rows in the columns of ``KINDS["activities"]().headers("en")``."""
    return [
        [
            s.external_ref,
            s.title,
            s.activity_type,
            s.start_date,
            s.end_date,
            ref.units[s.unit].code,
            ref.initiatives[s.initiative].code if s.initiative is not None else None,
            s.country,
            s.city,
            ref.partners[s.partner].name if s.partner is not None else None,
            s.inbound,
            s.outbound,
            s.description,
        ]
        for s in specs
    ]


def initiative_rows(specs: list[InitiativeSpec], ref: Reference) -> list[list[object]]:
    """Sheet rows in the columns of ``KINDS["initiatives"]().headers("en")``."""
    framework = ref.framework.code
    return [
        [
            s.code,
            s.title,
            s.summary,
            ref.institution.code,
            ref.units[s.lead_unit].code,
            "; ".join(ref.units[i].code for i in s.contributing_units),
            "; ".join(f"{framework}:{ref.goals[i].code}" for i in s.goals),
            "; ".join(ref.partners[i].name for i in s.partners),
            s.status,
            s.health,
            s.start_date,
            s.end_date,
            s.budget_jpy,
        ]
        for s in specs
    ]


def sheet(kind: str, file_format: str, rows: list[list[object]]) -> bytes:
    return write_table(file_format, KINDS[kind]().headers("en"), rows)


def foreign_headers(kind: str) -> list[str]:
    """The headers another office writes: for each column, its first Korean alias (else its
    name), so that no header is the template's and every one is read through the mapping."""
    aliases = known_aliases()[kind]

    def korean(name: str) -> str:
        found = [a for a in aliases.get(name, ()) if any("\uac00" <= ch <= "\ud7a3" for ch in a)]
        return found[0] if found else f"{name} (외부)"

    return [korean(column.name) for column in KINDS[kind]().columns]


def save_mapping(kind: str, ref: Reference) -> list[str]:
    """A mapping saved for the institution, as a steward leaves it after the first such sheet:
    its headers, and every country read as its code (a replacement on every row's cell)."""
    headers = foreign_headers(kind)
    columns = {header_key(h): c.name for h, c in zip(headers, KINDS[kind]().columns, strict=True)}
    values = {"country": {header_key(code): code for code in COUNTRIES}}
    mapping_store().save(
        ref.user,
        institution_id=ref.institution.pk,
        kind=kind,
        headers=headers,
        mapping=Mapping(columns, values, name="Another office's sheet"),
        reason="bench",
    )
    return headers


# --- Database state -------------------------------------------------------------------------


def tables_of(kind: str) -> list[type[models.Model]]:
    """The models an import of ``kind`` writes to, in an order that deletes cleanly."""
    if kind == "activities":
        return [Activity.history.model, Activity]
    through = [Initiative._meta.get_field(name).remote_field.through for name in LINK_FIELDS]
    snapshots = [m2m_history_model(Initiative, name) for name in LINK_FIELDS]
    return [*snapshots, Initiative.history.model, *through, Initiative]


def wipe(kind: str) -> None:
    """Remove every row an import of ``kind`` writes (rows, history, links, link history)."""
    with connection.cursor() as cursor:
        for model in tables_of(kind):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
    analyze(tables_of(kind))
    gc.collect()


def analyze(only: list[type[models.Model]] | None = None) -> None:
    """Give PostgreSQL's planner fresh statistics (and reclaim deleted rows) between runs."""
    if connection.vendor != "postgresql":
        return
    tables = [model._meta.db_table for model in only] if only else []
    with connection.cursor() as cursor:
        if tables:
            for table in tables:
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")
        else:
            cursor.execute("ANALYZE")


def written(kind: str) -> dict[str, int]:
    """How many rows of each sort an import of ``kind`` left in the database."""
    if kind == "activities":
        return {"rows": Activity.objects.count(), "history": Activity.history.count()}
    counts = {"rows": Initiative.objects.count(), "history": Initiative.history.count()}
    counts["links"] = sum(
        Initiative._meta.get_field(name).remote_field.through.objects.count()
        for name in LINK_FIELDS
    )
    counts["link history"] = sum(
        m2m_history_model(Initiative, name).objects.count() for name in LINK_FIELDS
    )
    return counts


def fingerprint(kind: str) -> str:
    """A digest of the imported records' values and links, to check that paths agree."""
    if kind == "activities":
        data: object = list(
            Activity.objects.order_by("external_ref").values_list(
                "external_ref", "title", "activity_type", "start_date", "end_date",
                "fiscal_year", "unit_id", "initiative_id", "country", "city", "partner_id",
                "inbound_participants", "outbound_participants", "description",
            )
        )  # fmt: skip
    else:
        links: dict[tuple[str, int], list[int]] = {}
        for name in LINK_FIELDS:
            model_field = Initiative._meta.get_field(name)
            through = model_field.remote_field.through
            source, target = model_field.m2m_column_name(), model_field.m2m_reverse_name()
            for owner, linked in through.objects.values_list(source, target):
                links.setdefault((name, owner), []).append(linked)
        data = [
            (*values, *(sorted(links.get((name, values[0]), [])) for name in LINK_FIELDS))
            for values in Initiative.objects.order_by("code").values_list(
                "id", "code", "title", "summary", "institution_id", "lead_unit_id", "status",
                "health", "start_date", "end_date", "budget_jpy",
            )
        ]  # fmt: skip
        # Ids differ between runs; compare by code.
        data = [row[1:] for row in data]
    return hashlib.sha256(repr(data).encode()).hexdigest()[:12]


# --- Our import -----------------------------------------------------------------------------


def run_ours(kind: str, file_format: str, content: bytes, ref: Reference) -> dict[str, float]:
    """Preview then confirm, as the admin runs them; returns the time of each step."""
    start = time.perf_counter()
    batch, plan = import_preview(
        kind=kind, file_name=f"bench.{file_format}", content=content, user=ref.user
    )
    previewed = time.perf_counter()
    if plan.failed:
        raise SystemExit(f"preview of {kind} failed: {[e.as_dict() for e in plan.errors[:5]]}")
    plan = import_confirm(batch=batch, user=ref.user)
    confirmed = time.perf_counter()
    if plan.failed or batch.status != batch.Status.APPLIED:
        raise SystemExit(f"confirm of {kind} failed: {[e.as_dict() for e in plan.errors[:5]]}")
    return {
        "seconds": confirmed - start,
        "preview": previewed - start,
        "confirm": confirmed - previewed,
    }


# --- The floor: bulk inserts of rows built directly -----------------------------------------


def floor_activities(specs: list[ActivitySpec], ref: Reference) -> None:
    objs = [
        Activity(
            external_ref=s.external_ref,
            title=s.title,
            activity_type=s.activity_type,
            start_date=s.start_date,
            end_date=s.end_date,
            fiscal_year=fiscal_year_of(s.start_date),  # Activity.save() sets it; bulk does not
            unit=ref.units[s.unit],
            initiative=ref.initiatives[s.initiative] if s.initiative is not None else None,
            country=s.country,
            city=s.city,
            partner=ref.partners[s.partner] if s.partner is not None else None,
            inbound_participants=s.inbound,
            outbound_participants=s.outbound,
            description=s.description,
        )
        for s in specs
    ]
    with transaction.atomic():
        bulk_create_with_history(
            objs,
            Activity,
            batch_size=500,
            default_user=ref.user,
            default_change_reason=FLOOR_REASON,
        )


def floor_initiatives(specs: list[InitiativeSpec], ref: Reference) -> None:
    objs = [
        Initiative(
            institution=ref.institution,
            code=s.code,
            title=s.title,
            summary=s.summary,
            lead_unit=ref.units[s.lead_unit],
            status=s.status,
            health=s.health,
            start_date=s.start_date,
            end_date=s.end_date,
            budget_jpy=s.budget_jpy,
        )
        for s in specs
    ]
    targets = {"goals": ref.goals, "contributing_units": ref.units, "partners": ref.partners}
    with transaction.atomic():
        bulk_create_with_history(
            objs,
            Initiative,
            batch_size=500,
            default_user=ref.user,
            default_change_reason=FLOOR_REASON,
        )
        # bulk_create_with_history returns the records, not their history rows; the link
        # snapshots hang off the history rows, so read their ids back (one query).
        history_of = dict(
            Initiative.history.filter(history_change_reason=FLOOR_REASON).values_list(
                "id", "history_id"
            )
        )
        for name in LINK_FIELDS:
            model_field = Initiative._meta.get_field(name)
            through = model_field.remote_field.through
            source, target = model_field.m2m_column_name(), model_field.m2m_reverse_name()
            links = through.objects.bulk_create(
                [
                    through(**{source: obj.pk, target: targets[name][index].pk})
                    for obj, s in zip(objs, specs, strict=True)
                    for index in getattr(s, name)
                ],
                batch_size=500,
            )
            snapshot = m2m_history_model(Initiative, name)
            snapshot.objects.bulk_create(
                [
                    snapshot(
                        id=link.pk,
                        history_id=history_of[getattr(link, source)],
                        **{source: getattr(link, source), target: getattr(link, target)},
                    )
                    for link in links
                ],
                batch_size=500,
            )


# --- The django-import-export default path ---------------------------------------------------


class DayWidget(widgets.DateWidget):
    """The default DateWidget, but an XLSX date cell (a datetime) becomes a date.

    Without it the datetime reaches Activity.save(), whose fiscal year refuses a naive datetime.
    """

    def clean(self, value, row=None, **kwargs):
        value = super().clean(value, row, **kwargs)
        return value.date() if isinstance(value, dt.datetime) else value


class GoalsWidget(widgets.ManyToManyWidget):
    """Goals written ``FRAMEWORK:CODE``, as the product's sheets write them."""

    def __init__(self) -> None:
        super().__init__(Goal, separator=";", field="code")

    def clean(self, value, row=None, **kwargs):
        query = Q(pk__in=[])
        for item in str(value or "").split(self.separator):
            framework, _, code = item.strip().partition(":")
            if code:
                query |= Q(framework__code=framework, code=code)
        return self.model.objects.filter(query)


class WithHistoryUser(resources.ModelResource):
    """Puts the importing user and a reason on the history rows the save signals write.

    The resources below declare only what the default widgets get wrong for these sheets, so
    that the rows import at all: dates (``DayWidget``), the related records by the codes and
    names the sheets use, and text fields, whose default widget keeps an empty cell as ``None``.
    """

    def before_save_instance(self, instance, row, **kwargs):
        instance._history_user = kwargs.get("user")
        instance._change_reason = "import-export default path"


class ActivityResource(WithHistoryUser):
    unit = fields.Field("unit", "unit", widgets.ForeignKeyWidget(Unit, "code"))
    initiative = fields.Field(
        "initiative", "initiative", widgets.ForeignKeyWidget(Initiative, "code")
    )
    partner = fields.Field(
        "partner", "partner_institution", widgets.ForeignKeyWidget(PartnerInstitution, "name")
    )
    start_date = fields.Field("start_date", "start_date", DayWidget())
    end_date = fields.Field("end_date", "end_date", DayWidget())
    description = fields.Field("description", "description", widgets.CharWidget())

    class Meta:
        model = Activity
        import_id_fields = ["external_ref"]
        fields = [
            "external_ref", "title", "activity_type", "start_date", "end_date", "unit",
            "initiative", "country", "city", "partner", "inbound_participants",
            "outbound_participants", "description",
        ]  # fmt: skip


class InitiativeResource(WithHistoryUser):
    institution = fields.Field(
        "institution", "institution", widgets.ForeignKeyWidget(Institution, "code")
    )
    lead_unit = fields.Field("lead_unit", "lead_unit", widgets.ForeignKeyWidget(Unit, "code"))
    contributing_units = fields.Field(
        "contributing_units", "contributing_units", widgets.ManyToManyWidget(Unit, ";", "code")
    )
    goals = fields.Field("goals", "goals", GoalsWidget())
    partners = fields.Field(
        "partners", "partners", widgets.ManyToManyWidget(PartnerInstitution, ";", "name")
    )
    start_date = fields.Field("start_date", "start_date", DayWidget())
    end_date = fields.Field("end_date", "end_date", DayWidget())
    summary = fields.Field("summary", "summary", widgets.CharWidget())

    class Meta:
        model = Initiative
        import_id_fields = ["institution", "code"]
        fields = [
            "code", "title", "summary", "institution", "lead_unit", "contributing_units",
            "goals", "partners", "status", "health", "start_date", "end_date", "budget_jpy",
        ]  # fmt: skip


RESOURCES: dict[str, type[resources.ModelResource]] = {
    "activities": ActivityResource,
    "initiatives": InitiativeResource,
}


def run_default(kind: str, file_format: str, content: bytes, ref: Reference) -> None:
    dataset = tablib.Dataset().load(content, format=file_format)
    result = RESOURCES[kind]().import_data(dataset, dry_run=False, raise_errors=True, user=ref.user)
    if result.has_errors() or result.has_validation_errors():
        raise SystemExit(f"the default path failed on {kind}")


# --- Measurement ----------------------------------------------------------------------------


@dataclass
class Measurement:
    kind: str
    path: str
    file_format: str
    seconds: float
    preview: float | None = None
    confirm: float | None = None
    written: dict[str, int] = field(default_factory=dict)


@dataclass
class Run:
    """The measurements of one kind; each path keeps its fastest repetition."""

    kind: str
    rows: int
    best: dict[tuple[str, str], Measurement] = field(default_factory=dict)
    digests: dict[tuple[str, str], str] = field(default_factory=dict)

    def keep(self, measurement: Measurement, digest: str) -> None:
        key = (measurement.path, measurement.file_format)
        self.digests[key] = digest
        if key not in self.best or measurement.seconds < self.best[key].seconds:
            self.best[key] = measurement

    def seconds(self, path: str, file_format: str) -> float | None:
        found = self.best.get((path, file_format))
        return found.seconds if found else None


def measure(run: Run, path: str, file_format: str, action: Callable[[], object]) -> None:
    wipe(run.kind)
    start = time.perf_counter()
    steps = action()
    seconds = time.perf_counter() - start
    measurement = Measurement(run.kind, path, file_format, seconds, written=written(run.kind))
    if isinstance(steps, dict):
        measurement.preview, measurement.confirm = steps["preview"], steps["confirm"]
    if measurement.written["rows"] != run.rows:
        raise SystemExit(f"{path} {file_format} wrote {measurement.written} for {run.rows} rows")
    run.keep(measurement, fingerprint(run.kind))
    print(f"  {run.kind:<11} {path:<7} {file_format:<4} {seconds:8.2f} s", flush=True)


def bench_kind(
    kind: str,
    specs: list,
    ref: Reference,
    *,
    repeat: int,
    skip_default: bool,
    profile: bool,
) -> Run:
    rows = activity_rows(specs, ref) if kind == "activities" else initiative_rows(specs, ref)
    files = {file_format: sheet(kind, file_format, rows) for file_format in ("xlsx", "csv")}
    mapped = []
    if kind == "activities":
        files["mapped"] = write_table("xlsx", save_mapping(kind, ref), rows)
        mapped = [("mapped", "xlsx", lambda: run_ours(kind, "xlsx", files["mapped"], ref))]
    floor = floor_activities if kind == "activities" else floor_initiatives
    run = Run(kind, len(specs))
    for round_number in range(repeat):
        # Alternate the order of the paths between rounds, so none always runs first.
        paths: list[tuple[str, str, Callable[[], object]]] = [
            ("floor", "-", lambda: floor(specs, ref)),
            *[
                ("ours", fmt, lambda fmt=fmt: run_ours(kind, fmt, files[fmt], ref))
                for fmt in ("xlsx", "csv")
            ],
            *mapped,
        ]
        for path, file_format, action in paths if round_number % 2 == 0 else paths[::-1]:
            measure(run, path, file_format, action)
    if not skip_default:
        # Once: it is the slow one (minutes). Its spread between runs is in docs/BENCHMARKS.md.
        measure(run, "default", "xlsx", lambda: run_default(kind, "xlsx", files["xlsx"], ref))
    digests = set(run.digests.values())
    if len(digests) != 1:
        raise SystemExit(f"the paths wrote different {kind}: {run.digests}")
    if profile:
        print_steps(kind, {fmt: files[fmt] for fmt in ("xlsx", "csv")}, ref)
        print_profile(kind, files["xlsx"], ref)
    wipe(kind)
    return run


def print_steps(kind: str, files: dict[str, bytes], ref: Reference) -> None:
    """The engine's steps timed one by one; our flow reads and plans twice, applies once."""
    for file_format, content in files.items():
        wipe(kind)
        start = time.perf_counter()
        table = read_table(f"bench.{file_format}", content)
        read = time.perf_counter()
        plan = plan_import(KINDS[kind](), table)
        planned = time.perf_counter()
        apply_plan(plan, user=ref.user, reason="steps")
        applied = time.perf_counter()
        print(
            f"\nSteps of ours, {kind} {file_format}: read_table {read - start:.2f} s, "
            f"plan_import {planned - read:.2f} s, apply_plan {applied - planned:.2f} s "
            "(preview = read + plan; confirm = read + plan + apply)"
        )


def print_profile(kind: str, content: bytes, ref: Reference) -> None:
    """Where our XLSX import of ``kind`` spends its time (cProfile, once more)."""
    wipe(kind)
    profiler = cProfile.Profile()
    profiler.runcall(run_ours, kind, "xlsx", content, ref)
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(18)
        print(f"\nProfile of ours, {kind} xlsx, by {order}:")
        print("\n".join(out.getvalue().splitlines()[6:]).rstrip())


# --- Memory (child process) -----------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    VmHWM where Linux has it: ``ru_maxrss`` survives exec, so a child started by a large parent
    (subprocess uses vfork) would report the parent's peak as its own.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def memory_child(path: Path) -> None:
    """Run the full flow on one file in this fresh process; print peak RSS as JSON."""
    database = use_throwaway_database(database_suffix("_import_bench_mem"))
    try:
        ref = create_reference()
        create_reference_initiatives(ref)
        gc.collect()
        baseline = peak_rss_mb()
        content = path.read_bytes()  # the upload, held in memory as the admin view holds it
        timings = run_ours("activities", "xlsx", content, ref)
        rows = Activity.objects.count()
        print(
            json.dumps({"baseline_mb": baseline, "peak_mb": peak_rss_mb(), "rows": rows, **timings})
        )
    finally:
        drop_throwaway_database(database)


def measure_memory(rows: int, ref: Reference) -> dict[str, Any]:
    specs = activity_specs(
        rows, units=len(ref.units), initiatives=len(ref.initiatives), partners=len(ref.partners)
    )
    content = sheet("activities", "xlsx", activity_rows(specs, ref))
    path = WORKDIR / "memory.xlsx"
    path.write_bytes(content)
    env, notes = dict(os.environ), []
    # The settings' file limits would refuse a larger test; raise them for the child, and say so.
    if len(content) > settings.IMPORT_MAX_BYTES:
        env["IMPORT_MAX_BYTES"] = str(len(content) + 1)
        notes.append(f"IMPORT_MAX_BYTES raised to {len(content) + 1:,}")
    if rows > settings.IMPORT_MAX_ROWS:
        env["IMPORT_MAX_ROWS"] = str(rows)
        notes.append(f"IMPORT_MAX_ROWS raised to {rows:,}")
    # The child's own temporary directory and database; only the settings module is shared.
    for name in ("PORTFOLIO_DATA_DIR", "IMPORT_DIR"):
        env.pop(name, None)
    child = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--memory-child",
            str(path),
            *(["--smoke"] if SMOKE else []),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        raise SystemExit(f"memory child failed:\n{child.stderr}")
    result = json.loads(child.stdout.strip().splitlines()[-1])
    result.update(file_mb=len(content) / 1e6, notes=notes)
    return result


# --- Throwaway database ---------------------------------------------------------------------


def database_suffix(suffix: str) -> str:
    """A smoke run's databases are its own: smoke runs (the tests') may run side by side."""
    return f"{suffix}_smoke_{os.getpid()}" if SMOKE else suffix


def use_throwaway_database(suffix: str) -> str:
    """Create a fresh, migrated database and switch the connection to it; returns the old name.

    SQLite: a file in this process's temporary directory. PostgreSQL: ``<name><suffix>``. A smoke
    run creates the tables from the models, as Django's ``TEST["MIGRATE"] = False`` does.
    """
    original = connection.settings_dict["NAME"]
    test = connection.settings_dict.setdefault("TEST", {})
    test["MIGRATE"] = not SMOKE
    if connection.vendor == "sqlite":
        test["NAME"] = str(WORKDIR / f"bench{suffix}.sqlite3")
    else:
        test["NAME"] = f"{original}{suffix}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=False)
    return original


def drop_throwaway_database(original: str) -> None:
    connection.creation.destroy_test_db(original, verbosity=0)


def database_label() -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"


# --- Report ---------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def report(runs: list[Run], memory: dict[str, Any] | None, label: str) -> None:
    print(f"\nSpreadsheet import on {label}, {os.cpu_count()} CPUs (best of the repetitions)")
    header = f"{'kind':<12}{'path':<9}{'format':<8}{'seconds':>9}{'preview':>9}{'confirm':>9}"
    print(f"{header}{'rows/s':>9}  written")
    for run in runs:
        for (path, file_format), m in sorted(run.best.items()):
            steps = f"{m.preview:>9.2f}{m.confirm:>9.2f}" if m.preview is not None else " " * 18
            what = ", ".join(f"{value:,} {name}" for name, value in m.written.items())
            print(
                f"{run.kind:<12}{path:<9}{file_format:<8}{m.seconds:>9.2f}{steps}"
                f"{run.rows / m.seconds:>9,.0f}  {what}"
            )
    if memory:
        within = memory["peak_mb"] < TARGET_MEMORY_MB
        print(
            f"\nMemory: {memory['rows']:,}-row activities XLSX ({memory['file_mb']:.1f} MB), "
            f"preview + confirm in {memory['seconds']:.1f} s: peak RSS {memory['peak_mb']:.0f} MB "
            f"(baseline after setup, migrate and reference data {memory['baseline_mb']:.0f} MB, "
            f"+{memory['peak_mb'] - memory['baseline_mb']:.0f} MB); target < "
            f"{TARGET_MEMORY_MB:.0f} MB: {verdict(within)}"
        )
        for note in memory["notes"]:
            print(f"  note: {note}")

    print(f"\nRatios on {label} (ours = preview + confirm; floor = bulk inserts, no file):")
    for run in runs:
        floor = run.seconds("floor", "-")
        for file_format in ("xlsx", "csv"):
            ours = run.seconds("ours", file_format)
            if floor and ours:
                print(
                    ratio_line(
                        run.kind, "ours/floor", file_format, ours / floor, "<=", TARGET_FLOOR_RATIO
                    )
                )
        mapped, ours = run.seconds("mapped", "xlsx"), run.seconds("ours", "xlsx")
        if mapped and ours:
            target = TARGET_MAPPED_RATIO
            print(ratio_line(run.kind, "mapped/ours", "xlsx", mapped / ours, "<=", target))
        default, ours = run.seconds("default", "xlsx"), run.seconds("ours", "xlsx")
        if default and ours:
            target = TARGET_DEFAULT_RATIO[run.kind]
            print(ratio_line(run.kind, "default/ours", "xlsx", default / ours, ">=", target))


def ratio_line(kind: str, name: str, file_format: str, ratio: float, op: str, target: float) -> str:
    met = ratio <= target if op == "<=" else ratio >= target
    goal = f"target {op} {target:g}x"
    return f"  {kind:<12}{name:<14}{file_format:<6}{ratio:>7.2f}x   {goal:<15}{verdict(met)}"


# --- Main -----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--initiatives", type=int, default=2_000)
    parser.add_argument("--memory-rows", type=int, default=19_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="repetitions of ours and the floor (best is kept)"
    )
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-default", action="store_true")
    parser.add_argument(
        "--profile", action="store_true", help="time our steps and cProfile our XLSX imports"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes and unmigrated databases: checks that the benchmark runs, in seconds",
    )
    parser.add_argument("--memory-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smoke:
        for name, value in SMOKE_SIZES.items():
            setattr(args, name, value)
    return args


def main() -> None:
    global SMOKE
    args = parse_args()
    SMOKE = args.smoke
    try:
        if args.memory_child:
            memory_child(args.memory_child)
            return
        original = use_throwaway_database(database_suffix("_import_bench"))
        try:
            label = database_label()
            if SMOKE:
                print("Smoke run: tiny sizes, tables from the models; the figures mean nothing")
            print(f"Database: {label} (throwaway); files and uploads in {WORKDIR}", flush=True)
            ref = create_reference()
            runs = [
                bench_kind(
                    "initiatives",
                    initiative_specs(
                        args.initiatives,
                        units=len(ref.units),
                        goals=len(ref.goals),
                        partners=len(ref.partners),
                    ),
                    ref,
                    repeat=args.repeat,
                    skip_default=args.skip_default,
                    profile=args.profile,
                )
            ]
            # Activities refer to initiatives: create those only now, so that the initiative
            # imports above all started from a table without initiatives.
            create_reference_initiatives(ref)
            specs = activity_specs(
                args.activities,
                units=len(ref.units),
                initiatives=len(ref.initiatives),
                partners=len(ref.partners),
            )
            runs.insert(
                0,
                bench_kind(
                    "activities",
                    specs,
                    ref,
                    repeat=args.repeat,
                    skip_default=args.skip_default,
                    profile=args.profile,
                ),
            )
            memory = None if args.skip_memory else measure_memory(args.memory_rows, ref)
        finally:
            drop_throwaway_database(original)
        report(runs, memory, label)
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)


if __name__ == "__main__":
    main()
