"""A backup restored into an emptied database gives back every row of every table, and a restore
that cannot be done whole writes nothing."""

import gzip
import io
import json

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS, connection

from common.roles import ROLES
from imports.engine import KINDS
from imports.formats import write_table
from imports.models import ImportBatch
from imports.services import import_confirm, import_preview
from policies.models import IndicatorValue
from portfolio.models import Activity, Initiative, PartnerInstitution
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    AlignmentFactory,
    AppointmentFactory,
    GoalFactory,
    IndicatorValueFactory,
    InitiativeFactory,
    PartnerFactory,
    ProgressUpdateFactory,
    RegionFactory,
    UnitFactory,
    UserFactory,
)

# Left out of the comparison: django_migrations describes the schema, not data (a restore
# requires the database to be at the backup's migrations and leaves the table as it is), and
# sessions are not backed up at all (a restored database starts with everyone signed out).
NOT_COMPARED = {"django_migrations", "django_session"}
# Numbered by each database its own way; compared by natural key.
CONTENT_TYPES, PERMISSIONS = "django_content_type", "auth_permission"


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


def varied_data() -> None:
    """Records of every app with edits and deletions in their history, links and their history,
    an import batch, a region's countries, figures, users with roles and permissions, and an
    admin log entry."""
    steward = UserFactory(username="steward", is_staff=True, email="steward@example.org")
    role, _created = Group.objects.get_or_create(name="Data steward")
    coordinators = Group.objects.create(name="Exchange coordinators")
    coordinators.permissions.set(Permission.objects.filter(codename__endswith="_activity"))
    steward.groups.set([role, coordinators])
    steward.user_permissions.set(Permission.objects.filter(codename="import_sheets"))
    UserFactory(username="reader")

    RegionFactory(code="ASEAN", countries=["TH", "VN", "ID"])
    initiative = InitiativeFactory(code="ONSITE")
    goals = [GoalFactory(framework__institution=initiative.institution) for _ in range(3)]
    initiative.goals.set(goals[:2])
    initiative.goals.set(goals[1:])  # the links' history now holds two snapshots
    initiative.contributing_units.add(UnitFactory(institution=initiative.institution))
    initiative.partners.add(PartnerFactory(name="Chulalongkorn University"))
    goals[0].units.add(initiative.lead_unit)
    AlignmentFactory()
    IndicatorValueFactory(target="1234.50", actual=None)
    ProgressUpdateFactory(initiative=initiative)
    AgreementFactory(unit=initiative.lead_unit)
    AppointmentFactory(unit=initiative.lead_unit)
    activities = ActivityFactory.create_batch(3, initiative=initiative)
    activities[0].title = "Renamed by an editor"
    activities[0].save()
    activities[1].delete()

    partners = write_table(
        "csv", KINDS["partners"]().headers(), [["Mahidol University", "", "TH", "", ""]]
    )
    batch, _plan = import_preview(
        kind="partners", file_name="partners.csv", content=partners, user=steward
    )
    import_confirm(batch=batch, user=steward)
    LogEntry.objects.log_actions(
        user_id=steward.pk, queryset=[initiative], action_flag=ADDITION, single_object=True
    )


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table, by primary key; content types and permissions (and references
    to them) by natural key."""
    introspection, quote = connection.introspection, connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, app_label, model FROM {CONTENT_TYPES}")
        content_type = {pk: (app, model) for pk, app, model in cursor.fetchall()}
        cursor.execute(f"SELECT id, codename, content_type_id FROM {PERMISSIONS}")
        permission = {pk: (code, *content_type[ct]) for pk, code, ct in cursor.fetchall()}
        natural = {CONTENT_TYPES: content_type, PERMISSIONS: permission}
        tables = {}
        for table in sorted(set(introspection.table_names(cursor)) - NOT_COMPARED):
            relations = introspection.get_relations(cursor, table)
            key = introspection.get_primary_key_column(cursor, table)
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {quote(key)}")
            columns = [column[0] for column in cursor.description]
            rows = []
            for values in cursor.fetchall():
                row = dict(zip(columns, values, strict=True))
                for column, (_to_column, to_table) in relations.items():
                    if to_table in natural and row[column] is not None:
                        row[column] = natural[to_table][row[column]]
                if table in natural:
                    del row["id"]
                rows.append(row)
            tables[table] = sorted(rows, key=repr) if table in natural else rows
    return tables


def what_migrating_creates() -> None:
    """Content types, permissions and the role groups, as `manage.py migrate` leaves them."""
    emit_post_migrate_signal(verbosity=0, interactive=False, db=DEFAULT_DB_ALIAS)
    ContentType.objects.clear_cache()


@pytest.fixture
def as_migrated(transactional_db):
    """A database as migrating leaves it, before the test and after it (its flush then sends
    ``post_migrate``, as a flush should)."""
    what_migrating_creates()
    yield
    ContentType.objects.clear_cache()


def empty_the_database() -> None:
    """As a freshly migrated database: no records, and what migrating creates by itself."""
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    what_migrating_creates()
    # A group the migrated database has and the backup has not: the backup's groups win.
    Group.objects.create(name="Made by a later migration")


def test_restore_into_an_emptied_database_gives_back_every_row(as_migrated, tmp_path):
    varied_data()
    before = snapshot()
    for table in [
        "portfolio_historicalinitiative_goals",
        "portfolio_historicalactivity",
        "auth_user_groups",
        "auth_group_permissions",
        "imports_importbatch",
        "django_admin_log",
    ]:
        assert before[table], f"the data set leaves {table} empty"
    path = tmp_path / "portfolio.json.gz"
    out = io.StringIO()

    call_command("backup", str(path), stdout=out)
    assert json.loads(gzip.decompress(path.read_bytes()))["format"] == "strategy-portfolio backup"
    empty_the_database()
    assert not Activity.objects.exists() and not Activity.history.exists()
    assert set(ROLES) < set(Group.objects.values_list("name", flat=True))
    call_command("restore", str(path), stdout=out)

    after = snapshot()
    assert after.keys() == before.keys()
    for table, rows in before.items():
        assert after[table] == rows, table
    assert "Restored" in out.getvalue()

    # The ids continue after the restored ones.
    highest = {
        "activity": max(before["portfolio_activity"], key=lambda row: row["id"])["id"],
        "history": max(row["history_id"] for row in before["portfolio_historicalactivity"]),
        "batch": max(row["id"] for row in before["imports_importbatch"]),
        "group": max(row["id"] for row in before["auth_group"]),
    }
    activity = ActivityFactory(initiative=Initiative.objects.get(code="ONSITE"))
    assert activity.pk > highest["activity"]
    assert activity.history.get().history_id > highest["history"]
    assert Group.objects.create(name="Visiting scholars").pk > highest["group"]
    user = UserFactory(username="joined after the restore")
    assert user.pk > max(row["id"] for row in before["auth_user"])
    batch = ImportBatch.objects.create(
        kind="partners", file_name="p.csv", stored_name="p.csv", user=user, status="previewed"
    )
    assert batch.pk > highest["batch"]


@pytest.mark.django_db
def test_restore_refuses_a_database_that_holds_records_and_writes_nothing(tmp_path):
    PartnerFactory(name="Kept University")
    path = tmp_path / "backup.json"
    call_command("backup", str(path), stdout=io.StringIO())
    before = snapshot()

    with pytest.raises(
        CommandError,
        match=r"already holds records \(1 partner institution, 1 historical partner institution\)",
    ):
        call_command("restore", str(path), stdout=io.StringIO())

    assert snapshot() == before


@pytest.mark.django_db
def test_restore_refuses_a_backup_of_other_migrations(tmp_path):
    path = tmp_path / "backup.json"
    call_command("backup", str(path), stdout=io.StringIO())
    document = json.loads(path.read_text())
    document["migrations"]["portfolio"].append("9999_from_the_future")
    path.write_text(json.dumps(document))
    with pytest.raises(CommandError, match=r"only in the backup: portfolio\.9999_from_the_future"):
        call_command("restore", str(path), stdout=io.StringIO())


@pytest.mark.django_db
def test_a_backup_from_before_a_squash_counts_as_at_the_squashed_migration(tmp_path):
    """A backup written before units', policies' and portfolio's migrations were squashed lists
    the migrations the squashed ones replace, and not the squashed ones: it fits all the same."""
    path = tmp_path / "backup.json"
    call_command("backup", str(path), stdout=io.StringIO())
    document = json.loads(path.read_text())
    squashed = {"units", "policies", "portfolio"}
    for app in squashed:
        document["migrations"][app] = [
            n for n in document["migrations"][app] if "_squashed_" not in n
        ]
        assert "0001_initial" in document["migrations"][app]
    path.write_text(json.dumps(document))
    call_command("restore", str(path), stdout=io.StringIO())

    document["migrations"]["units"].remove("0005_bilingual_content")
    path.write_text(json.dumps(document))
    with pytest.raises(
        CommandError,
        match=r"only here: units\.0001_squashed_0006_\w+, units\.0005_bilingual_content\)",
    ):
        call_command("restore", str(path), stdout=io.StringIO())


def test_a_backup_that_does_not_fit_restores_nothing(as_migrated, tmp_path):
    varied_data()
    path = tmp_path / "backup.json"
    call_command("backup", str(path), stdout=io.StringIO())
    document = json.loads(path.read_text())
    # Without its institutions, the units, frameworks and initiatives point at nothing.
    document["objects"] = [o for o in document["objects"] if o["model"] != "units.institution"]
    path.write_text(json.dumps(document))
    empty_the_database()
    emptied = snapshot()

    with pytest.raises(CommandError, match=r"does not fit this database.*Nothing was restored"):
        call_command("restore", str(path), stdout=io.StringIO())

    assert snapshot() == emptied


@pytest.mark.django_db
def test_a_file_that_is_not_a_backup_is_refused(tmp_path):
    path = tmp_path / "other.json.gz"
    path.write_bytes(gzip.compress(b'[{"model": "portfolio.activity"}]'))
    with pytest.raises(CommandError, match="is not a backup of this product"):
        call_command("restore", str(path), stdout=io.StringIO())
    assert not PartnerInstitution.objects.exists() and not IndicatorValue.objects.exists()
    assert ContentType.objects.exists()
