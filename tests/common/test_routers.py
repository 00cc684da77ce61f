"""The read replica's router (common/routers.py): the dashboards read from the replica, all else
from the primary, and nothing reads a replica that has not caught up with the last write."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import OperationalError, transaction
from django.test import RequestFactory
from django.urls import resolve, reverse
from simple_history.signals import post_create_historical_record

from common import routers
from common.routers import (
    PRIMARY,
    REPLICA,
    PrimaryReplicaRouter,
    ReplicaReadsMiddleware,
    replica_reads,
)
from portfolio.models import Initiative
from tests.factories import InitiativeFactory
from tests.test_setup import settings_in_subprocess

User = get_user_model()
router = PrimaryReplicaRouter()


@pytest.fixture
def caught_up(monkeypatch):
    """The replica has replayed every write; counts how often that was asked."""
    asked = []
    monkeypatch.setattr(routers, "replica_caught_up", lambda: asked.append(1) or True)
    return asked


def test_outside_a_dashboard_request_everything_reads_from_the_primary(caught_up):
    assert router.db_for_read(Initiative) == PRIMARY
    assert router.db_for_write(Initiative) == PRIMARY
    assert caught_up == []


def test_a_dashboard_request_reads_records_from_the_replica(caught_up):
    with replica_reads():
        assert router.db_for_read(Initiative) == REPLICA
        assert router.db_for_read(Initiative) == REPLICA
    assert caught_up == [1]  # asked once a request, not once a query


def test_who_the_reader_is_and_may_do_is_read_from_the_primary(caught_up):
    # A sign-in a moment ago must not look signed out on a replica that lags.
    with replica_reads():
        assert router.db_for_read(Session) == PRIMARY
        assert router.db_for_read(User) == PRIMARY
        assert router.db_for_read(Initiative) == REPLICA


def test_after_a_write_the_request_reads_from_the_primary(caught_up):
    with replica_reads():
        assert router.db_for_read(Initiative) == REPLICA
        assert router.db_for_write(Session) == PRIMARY
        assert router.db_for_read(Initiative) == PRIMARY
    with replica_reads():  # the next request starts afresh
        assert router.db_for_read(Initiative) == REPLICA


@pytest.mark.django_db
def test_inside_a_transaction_reads_come_from_the_primary(caught_up):
    # (pytest-django runs this test inside a transaction of the primary's)
    with replica_reads(), transaction.atomic():
        assert router.db_for_read(Initiative) == PRIMARY


def test_a_replica_behind_the_last_write_is_not_read(monkeypatch):
    monkeypatch.setattr(routers, "replica_caught_up", lambda: False)
    with replica_reads():
        assert router.db_for_read(Initiative) == PRIMARY


def test_migrations_never_run_on_the_replica_and_rows_of_both_may_link():
    assert router.allow_migrate(REPLICA, "portfolio") is False
    assert router.allow_migrate(PRIMARY, "portfolio") is None
    read_there, read_here = Initiative(), Initiative()
    read_there._state.db, read_here._state.db = REPLICA, PRIMARY
    assert router.allow_relation(read_there, read_here) is True


def reads_in_view(request) -> bool | None:
    seen = []
    middleware = ReplicaReadsMiddleware(lambda r: seen.append(routers._reads.get()) or None)
    request.resolver_match = resolve(request.path)

    def get_response(r):
        middleware.process_view(r, None, (), {})
        seen.append(routers._reads.get())

    middleware.get_response = get_response
    middleware(request)
    assert routers._reads.get() is None  # nothing is left for the next request of the thread
    return seen[-1] is not None


def test_the_middleware_opens_the_replica_to_dashboard_pages_read_with_get_only():
    factory = RequestFactory()
    assert reads_in_view(factory.get(reverse("dashboards:overview")))
    assert reads_in_view(factory.head(reverse("dashboards:regions")))
    assert not reads_in_view(factory.post(reverse("dashboards:overview")))
    assert not reads_in_view(factory.get(reverse("admin:index")))
    assert not reads_in_view(factory.get(reverse("login")))


class Positions:
    """The write-ahead-log positions a PostgreSQL primary and standby would report."""

    def __init__(self, monkeypatch, primary: int, replayed: int | None):
        self.primary, self.replayed = primary, replayed
        monkeypatch.setattr(routers, "wal_position", self.position)
        monkeypatch.setattr(routers, "connections", {REPLICA: PostgreSQL, PRIMARY: PostgreSQL})

    def position(self, alias: str, function: str) -> int | None:
        return self.primary if alias == PRIMARY else self.replayed


class PostgreSQL:
    vendor = "postgresql"
    in_atomic_block = False


@pytest.fixture
def kept(settings):
    """The shared cache, here one process's memory."""
    local = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    settings.CACHES = {"default": local, routers.SHARED_CACHE: local}
    caches[routers.SHARED_CACHE].clear()  # (every local-memory cache of the process is one)
    return caches[routers.SHARED_CACHE]


def test_the_replica_is_read_once_it_has_replayed_the_last_write(monkeypatch, kept):
    positions = Positions(monkeypatch, primary=1000, replayed=900)
    routers.note_primary_position()
    assert kept.get(routers.POSITION_KEY) == 1000
    assert routers.replica_caught_up() is False
    positions.replayed = 1000
    assert routers.replica_caught_up() is True
    # Writes of no record (a session, a login) move the primary on, but were not noted.
    positions.primary = 5000
    assert routers.replica_caught_up() is True


def test_until_a_write_is_noted_the_replica_must_reach_the_primary_as_it_is(monkeypatch, kept):
    positions = Positions(monkeypatch, primary=1000, replayed=999)
    assert routers.replica_caught_up() is False
    positions.replayed = 1000
    assert routers.replica_caught_up() is True


def test_a_server_that_is_no_standby_has_all_there_is(monkeypatch, kept):
    Positions(monkeypatch, primary=1000, replayed=None)
    routers.note_primary_position()
    assert routers.replica_caught_up() is True


def test_a_replica_that_does_not_answer_is_passed_over(monkeypatch, kept):
    positions = Positions(monkeypatch, primary=1000, replayed=1000)

    def away(alias: str, function: str) -> int | None:
        if alias == REPLICA:
            raise OperationalError("could not connect to server")
        return positions.primary

    monkeypatch.setattr(routers, "wal_position", away)
    assert routers.replica_caught_up() is False


def test_a_position_noted_late_never_moves_the_kept_one_back(monkeypatch, kept):
    positions = Positions(monkeypatch, primary=2000, replayed=0)
    routers.note_primary_position()
    positions.primary = 1500  # another process's older commit, noted after
    routers.note_primary_position()
    assert kept.get(routers.POSITION_KEY) == 2000


SETUP = """
import io
from django.core.management import call_command
from tests.factories import InitiativeFactory, UserFactory, scoped_everywhere
call_command("migrate", stdout=io.StringIO())
InitiativeFactory(code="ONSITE")
scoped_everywhere(UserFactory(username="reader", is_staff=True, is_superuser=True))
"""
RENAME = """
from common.services import record_save
from portfolio.models import Initiative
from simple_history.signals import post_create_historical_record
initiative = Initiative.objects.get(code="ONSITE")
initiative.title = TITLE
record_save(initiative, user=None, reason="test")
"""
READ = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
from portfolio.models import Initiative
from simple_history.signals import post_create_historical_record
client = Client(HTTP_HOST="localhost")
client.force_login(get_user_model().objects.get(username="reader"))
pk = Initiative.objects.get(code="ONSITE").pk
pages = {"dashboard": f"/initiatives/{pk}/", "admin": f"/admin/portfolio/initiative/{pk}/change/"}
seen = {}
for name, url in pages.items():
    response = client.get(url)
    page = response.content.decode()
    seen[name] = [response.status_code, "On the replica" in page, "On the primary" in page]
print(json.dumps(seen))
"""


def run(env: dict, code: str, **names: str) -> str:
    assigned = "".join(f"{name} = {value!r}\n" for name, value in names.items())
    result = settings_in_subprocess(env, f"exec({assigned + code!r})")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_dashboard_page_shows_the_replica_and_the_admin_the_primary(tmp_path):
    """Two SQLite files: the replica a copy of the primary, where an initiative is named apart."""
    env = {
        "DJANGO_DEBUG": "1",
        "PORTFOLIO_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'primary.sqlite3'}",
        "DATABASE_REPLICA_URL": f"sqlite:///{tmp_path / 'replica.sqlite3'}",
    }
    copy = (
        "from django.db import connections; connections.close_all(); shutil.copy(PRIMARY, REPLICA)"
    )
    code = "\n".join(
        ["import shutil", SETUP, RENAME, copy, RENAME.replace("TITLE", "SECOND"), READ]
    )
    files = {
        "PRIMARY": str(tmp_path / "primary.sqlite3"),
        "REPLICA": str(tmp_path / "replica.sqlite3"),
    }
    out = run(env, code, TITLE="On the replica", SECOND="On the primary", **files)
    seen = json.loads(out.strip().splitlines()[-1])
    # [status, shows the replica's title, shows the primary's]
    assert seen == {"dashboard": [200, True, False], "admin": [200, False, True]}


@pytest.fixture
def noting():
    """What common/apps.py connects where a replica is configured (here, under a name of its
    own, so that a run with a replica keeps the app's)."""
    post_create_historical_record.connect(routers.records_written, dispatch_uid="test_noting")
    yield
    post_create_historical_record.disconnect(dispatch_uid="test_noting")


@pytest.mark.django_db
def test_a_write_of_records_notes_the_primarys_position_once_it_commits(
    monkeypatch, kept, noting, django_capture_on_commit_callbacks
):
    Positions(monkeypatch, primary=4096, replayed=0)
    with django_capture_on_commit_callbacks(execute=True):
        InitiativeFactory()  # its history row is what tells
        assert kept.get(routers.POSITION_KEY) is None  # not before the commit
    assert kept.get(routers.POSITION_KEY) == 4096
