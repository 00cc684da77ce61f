"""Two app servers, as on two hosts behind a load balancer, sharing PostgreSQL, Redis and one
folder of kept files and nothing else: what a reader does on one shows on the other at once.

Needs DATABASE_URL naming PostgreSQL, REDIS_URL naming a running Redis server and, for the
worker's test, TASKS_BACKEND=django_tasks_rq.RQBackend (.ci/run sets them all); without them the
tests fail, never skip. Run with `make test-multiserver` (marker
``multiserver``, left out of the default run).
"""

import os
import re
import shutil
import subprocess
import sys

import pytest
import redis
from django.db import connection
from django.urls import reverse

from imports.engine import KINDS
from imports.formats import write_table
from portfolio.models import Initiative, PartnerInstitution
from tests.factories import InitiativeFactory, UserFactory, scoped_everywhere
from tests.multiserver.servers import (
    PROJECT,
    Reader,
    form_fields,
    location,
    new_secret_key,
    replaced,
    server_environment,
    start_server,
)

pytestmark = [pytest.mark.multiserver, pytest.mark.django_db(transaction=True)]
PASSWORD = "pass-for-tests"


@pytest.fixture(scope="session")
def services() -> dict[str, str]:
    """PostgreSQL and Redis, as the run names them: their absence is a failure."""
    if connection.vendor != "postgresql" or not os.environ.get("DATABASE_URL"):
        pytest.fail("The multi-server tests need PostgreSQL: set DATABASE_URL=postgres://…")
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.fail("The multi-server tests need Redis: set REDIS_URL=redis://127.0.0.1:PORT/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        pytest.fail(f"No Redis server answers at REDIS_URL={url}: {error}")
    return {"REDIS_URL": url}


@pytest.fixture(scope="session")
def static_files(tmp_path_factory) -> str:
    """The release's static files, collected once; each host gets a copy of its own."""
    root = tmp_path_factory.mktemp("static")
    env = server_environment(
        DJANGO_SECRET_KEY=new_secret_key(),
        DJANGO_STATIC_ROOT=str(root),
        PORTFOLIO_DATA_DIR=str(root),
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=PROJECT,
        env=env,
        check=True,
        timeout=300,
    )
    return str(root)


def database_url() -> str:
    """The test database, which this test process and both servers share."""
    d = connection.settings_dict
    return f"postgres://{d['USER']}:{d['PASSWORD']}@{d['HOST']}:{d['PORT'] or 5432}/{d['NAME']}"


@pytest.fixture
def servers(transactional_db, services, static_files, tmp_path):
    """Servers A and B: a data folder each, one shared folder for the kept files."""
    shared = tmp_path / "shared-storage"
    shared.mkdir()
    common = {
        **services,
        "DATABASE_URL": database_url(),
        # The dashboards read through the replica's router; the replica is the primary itself
        # (no standby on one machine), so this proves the routing, not the replication.
        "DATABASE_REPLICA_URL": database_url(),
        "DJANGO_SECRET_KEY": new_secret_key(),  # one key for the installation: sessions hold
        "DJANGO_MEDIA_ROOT": str(shared),
        # The uploads of previews, until they go through the storage above too.
        "IMPORT_DIR": str(shared / "imports"),
    }
    started = []
    try:
        for name in ("A", "B"):
            host = tmp_path / f"host-{name}"
            host.mkdir()
            static = host / "static"
            shutil.copytree(static_files, static)
            env = server_environment(
                **common, PORTFOLIO_DATA_DIR=str(host / "data"), DJANGO_STATIC_ROOT=str(static)
            )
            started.append(start_server(name, env, host))
        yield started
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def steward(transactional_db):
    user = UserFactory(username="steward", is_staff=True, is_superuser=True)
    return scoped_everywhere(user)


def test_an_edit_in_the_admin_of_one_server_shows_at_once_on_the_others_dashboard(servers, steward):
    a, b = servers
    initiative = InitiativeFactory(title="Joint degree with Bangkok")
    page = reverse("dashboards:initiative", args=[initiative.pk])
    reader = Reader()
    reader.sign_in(a, "steward", PASSWORD)
    # Signed in on A, the reader is signed in on B: the session is in the shared database.
    for _ in range(2):  # the second is B's copy from the shared cache
        shown = reader.get(b, page)
        assert shown.status == 200 and "Joint degree with Bangkok" in title(shown)

    change = reverse("admin:portfolio_initiative_change", args=[initiative.pk])
    form = form_fields(reader.get(a, change).text, "initiative_form")
    saved = reader.post(a, change, replaced(form, title="Joint degree with Chulalongkorn"))
    assert location(saved) == reverse("admin:portfolio_initiative_changelist")
    assert Initiative.objects.get(pk=initiative.pk).title == "Joint degree with Chulalongkorn"

    for server in (b, a):
        shown = reader.get(server, page)
        assert "Joint degree with Chulalongkorn" in title(shown), server.name


def title(response) -> str:
    """The page's title: the initiative as it is now (its recent changes name it as it was)."""
    found = re.search(r"<title>(.*?)</title>", response.text, re.S)
    assert found, response.text[:2000]
    return found.group(1)


def partners_sheet(*names: str) -> bytes:
    return write_table(
        "csv", KINDS["partners"]().headers(), [[name, "", "TH", "Bangkok", ""] for name in names]
    )


def test_an_import_previewed_on_one_server_is_confirmed_on_the_other(servers, steward):
    a, b = servers
    reader = Reader()
    reader.sign_in(a, "steward", PASSWORD)
    upload = reverse("admin:imports_importbatch_upload")
    form = form_fields(reader.get(a, upload).text)
    fields = replaced([(k, v) for k, v in form if k != "file"], kind="partners")
    previewed = reader.post_file(
        a, upload, fields, ("file", "partners.csv", partners_sheet("Mahidol", "Kasetsart"))
    )
    preview = location(previewed)
    assert PartnerInstitution.objects.count() == 0

    shown = reader.get(b, preview)  # B reads the preview A kept
    assert shown.status == 200 and "Confirm the import" in shown.text
    confirmed = reader.post(b, preview, form_fields(shown.text))
    batch_page = location(confirmed)
    assert batch_page.endswith("/change/")
    names = set(PartnerInstitution.objects.values_list("name", flat=True))
    assert names == {"Mahidol", "Kasetsart"}
    assert "Mahidol" in reader.get(a, batch_page).text


def test_a_task_queued_in_one_process_is_run_by_a_worker_on_another_host(
    transactional_db, services, tmp_path
):
    """The reminders' check, queued here in Redis, run by `manage.py rqworker` elsewhere."""
    from django.conf import settings

    from reporting.tasks import check_cycles

    backend = settings.TASKS["default"]["BACKEND"]
    if backend != "django_tasks_rq.RQBackend":
        pytest.fail(f"TASKS_BACKEND=django_tasks_rq.RQBackend is needed here, not {backend}.")
    queued = check_cycles.enqueue(today="2026-07-15")
    env = server_environment(
        **services,
        DATABASE_URL=database_url(),
        DJANGO_SECRET_KEY=new_secret_key(),
        PORTFOLIO_DATA_DIR=str(tmp_path),
        TASKS_BACKEND=backend,
        TASKS_REDIS_URL=settings.RQ_QUEUES["default"]["URL"],
    )
    worker = subprocess.run(
        [sys.executable, "manage.py", "rqworker", "--burst", "default"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr
    result = check_cycles.get_result(queued.id)
    assert result.status == "SUCCESSFUL", result.errors
    assert result.return_value == {"day": "2026-07-15", "claimed": 0, "held": 0}
