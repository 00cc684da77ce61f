import io

import pytest
from django.core.management import call_command

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
