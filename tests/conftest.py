import io

import pytest
from django.core.management import call_command
from django.utils import translation

from tests.factories import UserFactory


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def sources(db):
    """The two source documents' goals and organisation, loaded as `make run` loads them."""
    call_command("load_sources", stdout=io.StringIO())


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Tests do not run collectstatic, so they resolve static files without the manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def english_between_tests():
    """A test that reads a page in Japanese leaves the next test in its worker reading English."""
    yield
    translation.activate("en")


def on_postgresql() -> bool:
    import os

    return os.environ.get("DATABASE_URL", "").startswith("postgres")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "postgresql: needs PostgreSQL (server processes, row locks); runs only where DATABASE_URL "
        "names a PostgreSQL database, and is deselected, not skipped, elsewhere",
    )
    redis_databases_of_this_worker()


def redis_databases_of_this_worker() -> None:
    """With Redis as cache and task queue (REDIS_URL), each parallel worker (pytest-xdist) keeps
    its caches and its queue in Redis databases of its own, for itself and the processes its
    tests start: a test that empties a cache (Redis' FLUSHDB) or drains the queue in one worker
    leaves the other's as they were."""
    import os
    from urllib.parse import urlsplit, urlunsplit

    from django.conf import settings

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or not settings.REDIS_URL:
        return
    number = int(worker.removeprefix("gw"))

    def database(url: str, index: int) -> str:
        return urlunsplit(urlsplit(url)._replace(path=f"/{index}"))

    caches_url = database(settings.REDIS_URL, 2 + 2 * number)
    os.environ["REDIS_URL"] = caches_url
    for cache in settings.CACHES.values():
        if cache["BACKEND"].endswith("RedisCache"):
            cache["LOCATION"] = caches_url
    queues = getattr(settings, "RQ_QUEUES", None)
    if queues:
        queue_url = database(queues["default"]["URL"], 3 + 2 * number)
        os.environ["TASKS_REDIS_URL"] = queue_url
        for queue in queues.values():
            queue["URL"] = queue_url


def pytest_collection_modifyitems(config, items):
    """Run the PostgreSQL-only tests on PostgreSQL; elsewhere leave them out of the run.

    A run that was meant for PostgreSQL (EXPECT_DATABASE_VENDOR=postgresql, as .ci/run sets it)
    but is not pointed at it stops here, before its PostgreSQL tests could quietly vanish.
    """
    import os

    if on_postgresql():
        return
    if os.environ.get("EXPECT_DATABASE_VENDOR") == "postgresql":
        raise pytest.UsageError(
            "EXPECT_DATABASE_VENDOR=postgresql, but DATABASE_URL does not name a PostgreSQL "
            "database; set DATABASE_URL=postgres://…"
        )
    deselected = [item for item in items if item.get_closest_marker("postgresql")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("postgresql")]
