"""The settings of an installation of several hosts (docs/DEPLOY.md): Redis as the caches and the
task queue, a read replica behind the router, files on S3-compatible storage; and the defaults,
which need none of them."""

import json
import secrets

from tests.test_setup import settings_in_subprocess

SHOWN = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({name: getattr(s, name, None) for name in %r}, default=str))"
)
REDIS = "redis://cache.example:6379/0"
PRIMARY = "postgres://u:p@primary.example:5432/portfolio"
REPLICA = "postgres://reader:p@replica.example:5432/portfolio"


def settings_of(env: dict, *names: str) -> dict:
    """The named settings as a process started with ``env`` (and a development key) has them."""
    result = settings_in_subprocess({"DJANGO_DEBUG": "1", **env}, SHOWN % (names,))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def refusal(env: dict) -> str:
    result = settings_in_subprocess({"DJANGO_DEBUG": "1", **env}, "print('started')")
    assert result.returncode != 0
    return result.stderr


def test_without_redis_the_caches_need_no_server_and_the_pages_are_files(tmp_path):
    caches = settings_of({"PORTFOLIO_DATA_DIR": str(tmp_path)}, "CACHES")["CACHES"]
    assert caches["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert caches["dashboards"]["BACKEND"].endswith("filebased.FileBasedCache")
    assert caches["dashboards"]["LOCATION"] == str(tmp_path / "cache" / "dashboards")
    shared = settings_of({"DASHBOARD_CACHE_DIR": str(tmp_path / "shared")}, "CACHES")["CACHES"]
    assert shared["dashboards"]["LOCATION"] == str(tmp_path / "shared")


def test_redis_url_puts_both_caches_in_redis_under_prefixes_of_their_own():
    caches = settings_of({"REDIS_URL": REDIS}, "CACHES")["CACHES"]
    for alias in ("default", "dashboards"):
        assert caches[alias]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
        assert caches[alias]["LOCATION"] == REDIS
    assert caches["default"]["KEY_PREFIX"] != caches["dashboards"]["KEY_PREFIX"]


def test_tasks_stay_in_the_database_unless_rq_is_chosen():
    found = settings_of({"REDIS_URL": REDIS}, "TASKS", "RQ_QUEUES", "INSTALLED_APPS")
    assert found["TASKS"]["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert found["RQ_QUEUES"] is None
    assert "django_rq" not in found["INSTALLED_APPS"]


def test_the_rq_backend_queues_in_redis_apart_from_the_caches():
    rq = {"TASKS_BACKEND": "django_tasks_rq.RQBackend", "REDIS_URL": REDIS}
    found = settings_of(rq, "TASKS", "RQ_QUEUES", "RQ", "INSTALLED_APPS")
    assert found["TASKS"]["default"] == {
        "BACKEND": "django_tasks_rq.RQBackend",
        "QUEUES": ["default"],
    }
    assert found["RQ_QUEUES"]["default"]["URL"] == REDIS
    assert found["RQ"] == {"JOB_CLASS": "django_tasks_rq.Job"}
    assert {"django_rq", "django_tasks_rq"} <= set(found["INSTALLED_APPS"])
    # Its own database, so that clearing the caches' database leaves the queue alone.
    apart = settings_of({**rq, "TASKS_REDIS_URL": "redis://cache.example:6379/1"}, "RQ_QUEUES")
    assert apart["RQ_QUEUES"]["default"]["URL"] == "redis://cache.example:6379/1"


def test_the_rq_backend_without_a_redis_server_refuses_to_start():
    stderr = refusal({"TASKS_BACKEND": "django_tasks_rq.RQBackend"})
    assert "set TASKS_REDIS_URL or REDIS_URL" in stderr


def test_a_replica_url_adds_the_replica_its_router_and_its_middleware():
    env = {"DATABASE_URL": PRIMARY, "DATABASE_REPLICA_URL": REPLICA}
    found = settings_of(env, "DATABASES", "DATABASE_ROUTERS", "MIDDLEWARE")
    replica = found["DATABASES"]["replica"]
    assert (replica["ENGINE"], replica["HOST"], replica["USER"]) == (
        "django.db.backends.postgresql",
        "replica.example",
        "reader",
    )
    assert found["DATABASES"]["default"]["HOST"] == "primary.example"
    assert replica["TEST"]["MIRROR"] == "default"
    assert found["DATABASE_ROUTERS"] == ["common.routers.PrimaryReplicaRouter"]
    middleware = found["MIDDLEWARE"]
    at = middleware.index("common.routers.ReplicaReadsMiddleware")
    assert middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") < at
    assert middleware[-1] == "axes.middleware.AxesMiddleware"


def test_without_a_replica_url_there_is_one_database_and_no_router():
    found = settings_of({"DATABASE_URL": PRIMARY}, "DATABASES", "DATABASE_ROUTERS", "MIDDLEWARE")
    assert list(found["DATABASES"]) == ["default"]
    assert found["DATABASE_ROUTERS"] == []
    assert "common.routers.ReplicaReadsMiddleware" not in found["MIDDLEWARE"]


def test_files_are_kept_on_disk_in_the_media_folder_by_default(tmp_path):
    found = settings_of({"PORTFOLIO_DATA_DIR": str(tmp_path)}, "STORAGES", "MEDIA_ROOT")
    assert found["STORAGES"]["default"] == {
        "BACKEND": "django.core.files.storage.FileSystemStorage"
    }
    assert found["MEDIA_ROOT"] == str(tmp_path / "media")
    shared = settings_of({"DJANGO_MEDIA_ROOT": str(tmp_path / "nfs")}, "MEDIA_ROOT")
    assert shared["MEDIA_ROOT"] == str(tmp_path / "nfs")


def test_a_bucket_puts_the_files_on_s3_compatible_storage_privately():
    env = {
        "STORAGE_S3_BUCKET": "portfolio-files",
        "STORAGE_S3_ENDPOINT_URL": "https://s3.example.ac.jp",
        "STORAGE_S3_REGION": "ap-northeast-1",
        "STORAGE_S3_PREFIX": "kyoto",
        "STORAGE_S3_ADDRESSING_STYLE": "path",
    }
    storage = settings_of(env, "STORAGES")["STORAGES"]["default"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"] == {
        "bucket_name": "portfolio-files",
        "endpoint_url": "https://s3.example.ac.jp",
        "region_name": "ap-northeast-1",
        "location": "kyoto",
        "addressing_style": "path",
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
    }
    # Amazon S3 itself where no endpoint is named.
    plain = settings_of({"STORAGE_S3_BUCKET": "b"}, "STORAGES")["STORAGES"]["default"]
    assert plain["OPTIONS"]["endpoint_url"] is None


def test_django_storages_accepts_every_option_the_settings_give_it(tmp_path):
    # A misspelt option is refused when the storage is made, not when the first file is saved.
    code = (
        "from django.core.files.storage import storages; d = storages['default']; "
        "print(type(d).__name__, d.bucket_name, d.location, d.endpoint_url, d.default_acl)"
    )
    env = {
        "DJANGO_DEBUG": "1",
        "STORAGE_S3_BUCKET": "portfolio-files",
        "STORAGE_S3_ENDPOINT_URL": "http://127.0.0.1:9",
        "STORAGE_S3_PREFIX": "kyoto",
    }
    result = settings_in_subprocess(env, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "S3Storage",
        "portfolio-files",
        "kyoto",
        "http://127.0.0.1:9",
        "None",
    ]


def test_a_national_installations_settings_pass_the_deployment_check(tmp_path):
    env = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "portfolio.example.ac.jp",
        "PORTFOLIO_DATA_DIR": str(tmp_path),
        "DATABASE_URL": PRIMARY,
        "DATABASE_REPLICA_URL": REPLICA,
        "REDIS_URL": REDIS,
        "TASKS_BACKEND": "django_tasks_rq.RQBackend",
        "TASKS_REDIS_URL": "redis://cache.example:6379/1",
        "STORAGE_S3_BUCKET": "portfolio-files",
    }
    code = (
        "from django.core.management import call_command; "
        "call_command('check', deploy=True, fail_level='WARNING')"
    )
    result = settings_in_subprocess(env, code)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
