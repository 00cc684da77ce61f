"""Settings of the strategy portfolio, read from the environment.

Without DATABASE_URL the product runs on a SQLite file in ``var/``; with it, on the database it
names (PostgreSQL for any shared installation). DEBUG is off unless DJANGO_DEBUG asks for it, and
with DEBUG off the process refuses to start without DJANGO_SECRET_KEY.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("PORTFOLIO_DATA_DIR", BASE_DIR / "var"))


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_flag("DJANGO_DEBUG")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it, or set DJANGO_DEBUG=1 for local development."
        )
    # A development-only key: DEBUG is on, so this process is not serving anyone else.
    SECRET_KEY = "insecure-development-key-never-used-with-debug-off"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_countries",
    "simple_history",
    "csp",
    "axes",
    # Background work (the reporting cycle's reminders): Django's tasks API, backported, with its
    # queue in the database; `manage.py db_worker` runs what is queued.
    "django_tasks",
    "reporting.reminders.apps.TaskQueueConfig",  # django_tasks_db, without its admin
    "common",
    "imports",
    "units",
    "policies",
    "portfolio",
    "reporting",
    # What an institution discloses: computed indicators, benchmarks, public pages, annual report.
    "disclosure",
    # The REST API (api/): Django REST framework, django-filter, the OpenAPI schema and its pages.
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    # Signing in with the university's own account (signin/): SAML 2 through djangosaml2, OpenID
    # Connect through mozilla-django-oidc; each on only where its settings below configure it.
    "djangosaml2",
    "signin",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so that static files (an SVG opened on its own) carry the policy too.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # A SAML sign-in's own short session, in a cookie that the identity provider's cross-site
    # POST of its answer carries (the main session's cookie is SameSite=Lax and would not).
    "djangosaml2.middleware.SamlSessionMiddleware",
    # Outside LocaleMiddleware: sets the language cookie a sign-in chose (a preferred language).
    "common.middleware.RememberedLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # An ETag on every answer to GET that may be kept (API pages; not the admin's, never cached),
    # and 304 Not Modified when the reader already holds it.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "common.middleware.StaffIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Puts the signed-in user on every history row written during the request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'portfolio.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # A busy timeout instead of "database is locked" when the server and a command write at once.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME") or None}

# A read replica of the primary (PostgreSQL streaming replication): the dashboards' pages read
# from it, every other query and every write goes to the primary (common/routers.py), and none
# from a replica that has not replayed the last write (kept in the "dashboards" cache below).
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
# The URL namespaces whose GET requests read from the replica.
DATABASE_REPLICA_NAMESPACES = ["dashboards"]
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"]
    )
    # Tests read the primary's test database through the replica's alias.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["common.routers.PrimaryReplicaRouter"]
    # After authentication (the reader is read from the primary), before django-axes, which
    # must stay last.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("axes.middleware.AxesMiddleware"),
        "common.routers.ReplicaReadsMiddleware",
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ja", "日本語")]
# The project's catalogue: locale/ja/LC_MESSAGES/django.po and the django.mo compiled from it,
# both committed (`make messages`), so that nothing is compiled where the product runs.
LOCALE_PATHS = [BASE_DIR / "locale"]
# A reader's choice on the language switcher is kept in Django's language cookie, on that browser,
# for a year; until they choose, the browser's Accept-Language decides (English by default).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Chart.js, installed from the npm registry by `make` (package.json); served by the product.
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
# The files the product keeps (a report's evidence): in MEDIA_ROOT on this host's disk, a folder
# every server process must share (one host, or a network file system), unless STORAGE_S3_BUCKET
# names a bucket of S3-compatible storage (django-storages, the `s3` extra). Its credentials are
# not settings: boto3 reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment, or
# the host's role (docs/DEPLOY.md).
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", DATA_DIR / "media"))
STORAGE_S3_BUCKET = os.environ.get("STORAGE_S3_BUCKET", "")
if STORAGE_S3_BUCKET:
    file_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_S3_BUCKET,
            # Unset: Amazon S3 itself; else the address of MinIO, Ceph, Wasabi, a cloud's own.
            "endpoint_url": os.environ.get("STORAGE_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("STORAGE_S3_REGION") or None,
            # A folder in the bucket, so that one bucket can serve several installations.
            "location": os.environ.get("STORAGE_S3_PREFIX", ""),
            # "path" for servers that have no per-bucket host names (MinIO without DNS).
            "addressing_style": os.environ.get("STORAGE_S3_ADDRESSING_STYLE") or None,
            # Evidence is private: no public ACL, and every link the storage makes is signed.
            "default_acl": None,
            "querystring_auth": True,
            # Two uploads of one name keep both files, as on disk.
            "file_overwrite": False,
        },
    }
else:
    file_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": file_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboards:overview"
LOGOUT_REDIRECT_URL = "login"

# Email, through the SMTP server named here; without EMAIL_HOST the product sends none and offers
# no password reset (config/urls.py). Password reset mails, and the reporting cycle's reminders,
# go out through these.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_USE_TLS = env_flag("EMAIL_USE_TLS")  # STARTTLS, usually on port 587
EMAIL_USE_SSL = env_flag("EMAIL_USE_SSL")  # TLS from the start, usually on port 465
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set EMAIL_USE_TLS or EMAIL_USE_SSL, not both.")
usual_port = 465 if EMAIL_USE_SSL else 587 if EMAIL_USE_TLS else 25
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", usual_port))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")
# Seconds to wait for the server: mails are sent by a worker thread, which must not hang.
EMAIL_TIMEOUT = 30
# How mail leaves: SMTP by default; `make run` writes each mail as a file in EMAIL_FILE_PATH
# (django.core.mail.backends.filebased.EmailBackend) for a newcomer to read.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", DATA_DIR / "mail"))
# The address the product is reached at, for the links in its mails (no request to ask).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Signing in with the university's own account (signin/; README, "Signing in with a university
# account"). An account signed in through a provider is found by the provider and its identifier
# for the person, never by email; its first sign-in creates it with no role and no scope, and an
# administrator grants one (the admin's "Accounts awaiting access"). Local accounts keep working.
#
# SAML 2 (GakuNin, Shibboleth), on where SAML_IDP_METADATA names the identity providers' metadata:
# files, or https URLs (a federation's aggregate) whose signature SAML_IDP_METADATA_CERT checks.
SAML_IDP_METADATA = env_list("SAML_IDP_METADATA")
SAML_CONFIG = {}
SAML_METADATA_REFRESH_SECONDS = int(os.environ.get("SAML_METADATA_REFRESH_SECONDS", 6 * 3600))
SAML_SIGN_IN_LABEL = os.environ.get("SAML_SIGN_IN_LABEL", "")
if SAML_IDP_METADATA:
    import shutil

    from signin.saml_settings import sp_config

    SAML_SP_KEY_FILE = os.environ.get("SAML_SP_KEY_FILE", "")
    SAML_SP_CERT_FILE = os.environ.get("SAML_SP_CERT_FILE", "")
    if not (SAML_SP_KEY_FILE and SAML_SP_CERT_FILE):
        raise ImproperlyConfigured(
            "SAML_IDP_METADATA is set: set SAML_SP_KEY_FILE and SAML_SP_CERT_FILE to the service "
            "provider's key and certificate (PEM), which sign its requests and its metadata."
        )
    SAML_IDP_METADATA_CERT = os.environ.get("SAML_IDP_METADATA_CERT", "")
    if any(source.startswith("http") for source in SAML_IDP_METADATA) and not (
        SAML_IDP_METADATA_CERT
    ):
        raise ImproperlyConfigured(
            "SAML_IDP_METADATA names a URL: set SAML_IDP_METADATA_CERT to the certificate that "
            "signs that metadata (the federation's), or the metadata could be anyone's."
        )
    SAML_CONFIG = sp_config(
        site_url=SITE_URL,
        entity_id=os.environ.get("SAML_SP_ENTITY_ID") or f"{SITE_URL}/saml2/metadata/",
        metadata=SAML_IDP_METADATA,
        metadata_cert=SAML_IDP_METADATA_CERT,
        key_file=SAML_SP_KEY_FILE,
        cert_file=SAML_SP_CERT_FILE,
        xmlsec_binary=os.environ.get("SAML_XMLSEC_BINARY") or shutil.which("xmlsec1") or "",
    )
# djangosaml2's own settings: the loader that keeps the metadata read, the backend's attributes,
# the Redirect binding for requests, GakuNin's discovery service where one is named.
SAML_CONFIG_LOADER = "signin.saml.config"
SAML_ATTRIBUTE_MAPPING = {}
SAML_DEFAULT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SAML2_DISCO_URL = os.environ.get("SAML_DISCOVERY_URL") or None
SAML_CSP_HANDLER = ""  # its pages carry no inline script: the product's policy stands
SAML_SESSION_COOKIE_NAME = "saml_session"
SAML_IGNORE_LOGOUT_ERRORS = True  # a provider's failed logout still ends the session here
if SAML_IDP_METADATA:
    AUTHENTICATION_BACKENDS.append("signin.saml.GakuNinBackend")

# OpenID Connect (Microsoft Entra ID, Google Workspace, Keycloak), on where OIDC_RP_CLIENT_ID is
# set: the provider's issuer and endpoints (its .well-known/openid-configuration lists them).
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_ISSUER = os.environ.get("OIDC_OP_ISSUER", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_OP_LOGOUT_ENDPOINT = os.environ.get("OIDC_OP_LOGOUT_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid email profile")
OIDC_SIGN_IN_LABEL = os.environ.get("OIDC_SIGN_IN_LABEL", "")
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # for the provider's end-session address at sign-out
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
if OIDC_RP_CLIENT_ID:
    missing = [
        name
        for name in (
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_OP_ISSUER",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
        )
        if not globals()[name]
    ]
    if missing:
        raise ImproperlyConfigured(f"OIDC_RP_CLIENT_ID is set: set {', '.join(missing)} too.")
    AUTHENTICATION_BACKENDS.append("signin.oidc.ProviderBackend")


# An identity provider's accounts may be suggested an institution (its code), and affiliations
# (eduPersonAffiliation) a role; an administrator grants them, unless SIGNIN_GRANT_SUGGESTED is on,
# when the first sign-in does.
def env_json_map(name: str) -> dict[str, str]:
    try:
        value = json.loads(os.environ.get(name) or "{}")
    except json.JSONDecodeError as error:
        raise ImproperlyConfigured(f"{name} is not JSON: {error}") from error
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ImproperlyConfigured(f'{name} must be a JSON object of names: {{"key": "value"}}.')
    return value


SIGNIN_IDP_INSTITUTIONS = env_json_map("SIGNIN_IDP_INSTITUTIONS")
SIGNIN_AFFILIATION_ROLES = {
    key.lower(): role for key, role in env_json_map("SIGNIN_AFFILIATION_ROLES").items()
}
SIGNIN_GRANT_SUGGESTED = env_flag("SIGNIN_GRANT_SUGGESTED")


# Redis, for an installation of several server hosts (docs/DEPLOY.md): with REDIS_URL set the
# caches below live there, shared by every host; unset, nothing needs a Redis server.
REDIS_URL = os.environ.get("REDIS_URL", "")

# Background tasks (django-tasks): by default queued in the database (django-tasks-db) and run by
# `manage.py db_worker` (any number of them; each task is taken by one). With TASKS_BACKEND set to
# django_tasks_rq.RQBackend they are queued in Redis (TASKS_REDIS_URL, else REDIS_URL) and run by
# `manage.py rqworker default` (django-rq, the `redis` extra).
# `manage.py run_scheduler` queues the reminders' check every REMINDER_CHECK_MINUTES either way.
RQ_BACKEND = "django_tasks_rq.RQBackend"
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
TASKS = {
    "default": {"BACKEND": TASKS_BACKEND, "QUEUES": ["default"]},
    # Runs a task at once, in the process that queues it: `run_scheduler --now` sends this way.
    "immediate": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
}
if TASKS_BACKEND == RQ_BACKEND:
    # Its own Redis database, apart from the caches': clearing a cache empties its whole database.
    TASKS_REDIS_URL = os.environ.get("TASKS_REDIS_URL", REDIS_URL)
    if not TASKS_REDIS_URL:
        raise ImproperlyConfigured(
            f"TASKS_BACKEND={RQ_BACKEND} queues tasks in Redis: set TASKS_REDIS_URL or REDIS_URL."
        )
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    # A task still running after this many seconds is stopped (the database queue has no limit).
    RQ_QUEUES = {"default": {"URL": TASKS_REDIS_URL, "DEFAULT_TIMEOUT": 1800}}
    # The job class that runs a django-tasks task: `rqworker` needs no --job-class for it.
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}
    # No django-rq pages in the admin, as none of django-tasks-db's: they would show every queued
    # digest to any staff user, outside the product's access rules and languages. The queue is
    # read with `manage.py rqstats`.
    RQ_SHOW_ADMIN_LINK = False
REMINDER_CHECK_MINUTES = int(os.environ.get("REMINDER_CHECK_MINUTES", 15))

# HTTPS. Behind one reverse proxy (DJANGO_BEHIND_PROXY=1) the proxy ends TLS, sets
# X-Forwarded-Proto and appends the client's address to X-Forwarded-For; without that setting
# neither header is believed, since any client can send them.
BEHIND_PROXY = env_flag("DJANGO_BEHIND_PROXY")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_flag("DJANGO_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600))
# The header is set on this host's own name, so "subdomains" are only those under it. `preload`
# is a declaration only: the preload list takes registrable domains, submitted by their owner.
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_flag("DJANGO_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = env_flag("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Staff are signed out after this many idle minutes (common.middleware); readers keep the normal
# session age.
ADMIN_IDLE_MINUTES = int(os.environ.get("DJANGO_ADMIN_IDLE_MINUTES", 30))

# Content-Security-Policy: scripts and styles only from our own files, no inline code; the
# dashboards and Django's admin run under it unchanged. Images may also be data: URIs, which
# cannot run script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # One exception, the narrowest CSP allows: django-simple-history's history page has a
        # single style attribute, `style="border-top: 0"` on its paginator. 'unsafe-hashes' with
        # that declaration's hash lets exactly this one through; any other inline style, and
        # every inline script, stays blocked.
        "style-src": [
            SELF,
            "'unsafe-hashes'",
            "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='",
        ],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from
# one address, that username is locked at that address for the cool-off. Locking the pair, not
# the username alone, keeps anyone else from locking a colleague out from their own address.
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("DJANGO_LOGIN_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The lockout page: the password form's (the template above), or one of its own for a way in
# through an identity provider (signin/throttle.py).
AXES_LOCKOUT_CALLABLE = "signin.throttle.lockout"
AXES_CLIENT_IP_CALLABLE = "common.middleware.client_ip_address"

# Audit history: reverting a record needs the "change" permission of its history model, which only
# administrators hold; every other staff user can read the history but not revert.
SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS = True
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
# Whether every save in the admin must give a reason for the change; off, a save without one is
# recorded as having none.
REQUIRE_CHANGE_REASON = env_flag("REQUIRE_CHANGE_REASON")

# Kosovo's user-assigned code: partner lists (and international offices) use it.
COUNTRIES_OVERRIDE = {"XK": gettext_lazy("Kosovo")}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

# A report's evidence files: larger ones are refused, whatever their kind.
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024))

# Spreadsheet imports: files over these limits are refused before any row is read.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", 20 * 1024 * 1024))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 50_000))
IMPORT_MAX_UNPACKED_BYTES = int(os.environ.get("IMPORT_MAX_UNPACKED_BYTES", 200 * 1024 * 1024))
IMPORT_MAX_ZIP_ENTRIES = int(os.environ.get("IMPORT_MAX_ZIP_ENTRIES", 1000))
IMPORT_MAX_COLUMNS = int(os.environ.get("IMPORT_MAX_COLUMNS", 200))
IMPORT_MAX_CELLS = int(os.environ.get("IMPORT_MAX_CELLS", 250_000))
IMPORT_MAX_CELL_CHARS = int(os.environ.get("IMPORT_MAX_CELL_CHARS", 32_767))
IMPORT_MAX_SHEET_CHARS = int(os.environ.get("IMPORT_MAX_SHEET_CHARS", 20_000_000))
# Uploads are read in a child process that may grow by this much memory and use this many CPU
# seconds (imports.isolation): a bomb that no count foresaw costs a refusal, never a worker.
IMPORT_READ_CONFINED = os.environ.get("IMPORT_READ_CONFINED", "1") != "0"
IMPORT_READ_MEMORY_BYTES = int(os.environ.get("IMPORT_READ_MEMORY_BYTES", 1024 * 1024 * 1024))
IMPORT_READ_SECONDS = int(os.environ.get("IMPORT_READ_SECONDS", 60))
IMPORT_DIR = Path(os.environ.get("IMPORT_DIR", DATA_DIR / "imports"))
# Uploads and the files kept beside them go through a storage of Django's (imports/storage.py):
# the folder IMPORT_DIR by default; IMPORT_STORAGE names another backend and
# IMPORT_STORAGE_OPTIONS its options as JSON (S3-compatible storage shared by several app
# servers and workers: README, "Uploads on shared storage").
STORAGES["imports"] = {
    "BACKEND": os.environ.get("IMPORT_STORAGE", "imports.storage.ImportFolder"),
    "OPTIONS": json.loads(os.environ.get("IMPORT_STORAGE_OPTIONS") or "{}"),
}
# A preview not confirmed within this many days expires, and its kept files are deleted.
IMPORT_PREVIEW_DAYS = int(os.environ.get("IMPORT_PREVIEW_DAYS", 7))
# An upload of this many bytes or more is read, planned and written by a background worker
# (`manage.py db_worker`), its page showing the progress; a smaller one within the request.
IMPORT_BACKGROUND_BYTES = int(os.environ.get("IMPORT_BACKGROUND_BYTES", 512 * 1024))
# A background import whose worker has not been heard from for this long has lost it: failed,
# nothing written, and it can be run again.
IMPORT_BACKGROUND_STALE_SECONDS = int(os.environ.get("IMPORT_BACKGROUND_STALE_SECONDS", 60))
DATA_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Rendered dashboard pages and the records' version (portfolio.dashboards.cache), shared by every
# server process; any write makes every kept page stale. Without REDIS_URL: files in
# DASHBOARD_CACHE_DIR (every process of one host shares them), and the default cache local to each
# process. With it: both in Redis, each under its own key prefix, shared by every host. Nothing
# else keeps state in the default cache: sessions and login throttling (django-axes' database
# handler) are in the database, so they hold across processes and hosts either way.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portfolio",
        },
        "dashboards": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portfolio-dashboards",
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "dashboards": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": Path(
                os.environ.get("DASHBOARD_CACHE_DIR", DATA_DIR / "cache" / "dashboards")
            ),
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        },
    }
DASHBOARD_CACHE_SECONDS = int(os.environ.get("DASHBOARD_CACHE_SECONDS", 600))

# The REST API (api/). A token (`Authorization: Bearer …`, made by its user in the admin) or the
# admin's session signs in; every read goes through the user's scope. Pages by cursor.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.SignedInAndTokenAllows"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON only: DRF's browsable pages carry an inline script that the content security policy
    # refuses; /api/docs/ is the place to try the API in a browser.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies only, bounded before they are parsed (API_MAX_BODY_BYTES).
    "DEFAULT_PARSER_CLASSES": ["api.parsers.BoundedJSONParser"],
}
# The largest body the API reads: a bulk POST of a sheet's rows as JSON is larger than the
# sheet itself, so by default a fifth more than an upload may be.
# Webhooks (api/webhooks.py): a delivery waits this long for its receiver, is tried this many
# times, waiting WEBHOOK_RETRY_SECONDS after the first failure and twice as long after each next;
# a receiver at an address that is not public is called only where this installation allows it.
WEBHOOK_TIMEOUT_SECONDS = int(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", 10))
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", 8))
WEBHOOK_RETRY_SECONDS = int(os.environ.get("WEBHOOK_RETRY_SECONDS", 60))
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = os.environ.get("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "0") == "1"
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", IMPORT_MAX_BYTES * 6 // 5))
SPECTACULAR_SETTINGS = {
    "TITLE": "Internationalization strategy portfolio API",
    "DESCRIPTION": "Institutions, units, frameworks and goals, within the user's scope.",
    "VERSION": "1",
    # Swagger UI from the sidecar package's static files, served by the product: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its pages are for the API's users, as the API is.
    "SERVE_PERMISSIONS": ["api.permissions.SignedInAndTokenAllows"],
    # Several models have a "kind" or a "status": each its own enum, by its own name.
    "ENUM_NAME_OVERRIDES": {
        "UnitKindEnum": "units.models.UnitKind",
        "AgreementKindEnum": "portfolio.models.AgreementKind",
        "GoalKindEnum": "policies.models.GoalKind",
        "InitiativeStatusEnum": "portfolio.models.InitiativeStatus",
        "BatchStatusEnum": "imports.models.BatchStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.with_errors",
    ],
}
