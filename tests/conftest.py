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
