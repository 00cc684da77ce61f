"""Production mode: Django's deployment check, the security headers on real responses, the
staff idle timeout and login throttling."""

import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from common.middleware import LAST_ACTIVITY_KEY
from tests.factories import UserFactory
from tests.helpers import RUN_SETTINGS

PROJECT = Path(settings.BASE_DIR)
# style-src lets one more thing through: the single style attribute of django-simple-history's
# history page (config/settings.py).
CSP = (
    "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-hashes' 'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
HSTS = "max-age=31536000; includeSubDomains; preload"
PASSWORD = "pass-for-tests"


@pytest.fixture(autouse=True)
def quick_password_hashing(settings):
    """These tests log in dozens of times; the real hasher is slow by design."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def production_env(tmp_path: Path, **extra: str) -> dict:
    """The environment of a production server: none of the tests' own DJANGO_ settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(RUN_SETTINGS)}
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "example.org",
        "PORTFOLIO_DATA_DIR": str(tmp_path),
        **extra,
    }


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=120
    )


def test_the_deployment_check_passes_with_production_settings(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_redirects_to_https_by_default_and_trusts_a_proxy_only_when_told(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    alone = run(["-c", code], production_env(tmp_path))
    assert alone.stdout.split() == ["True", "31536000", "None"]
    proxied = run(["-c", code], production_env(tmp_path, DJANGO_BEHIND_PROXY="1"))
    assert proxied.stdout.strip() == "True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https')"


def make_serve(env: dict) -> subprocess.CompletedProcess:
    # -o: the installed packages count as up to date; only the serve recipe runs.
    stamps = ["-o", ".venv/.installed-stamp", "-o", "node_modules/.installed-stamp"]
    return subprocess.run(
        ["make", "--no-print-directory", *stamps, "serve"],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_serve_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["DJANGO_SECRET_KEY"]
    result = make_serve(env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
    assert "manage.py" not in result.stdout  # nothing was collected or migrated


@pytest.mark.django_db
def test_plain_http_is_sent_to_https_and_a_proxys_https_is_believed_only_behind_it(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = Client().get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    forwarded = Client().get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    assert forwarded.status_code == 200


def directives(policy: str) -> set[str]:
    return {part.strip() for part in policy.split(";")}


def assert_security_headers(response) -> None:
    assert directives(response["Content-Security-Policy"]) == directives(CSP)
    assert response["Strict-Transport-Security"] == HSTS
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_dashboard_pages_carry_the_security_headers(admin_client, sources):
    response = admin_client.get(reverse("dashboards:overview"), secure=True)
    assert response.status_code == 200
    assert_security_headers(response)
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_the_admin_login_page_carries_the_security_headers_and_a_secure_csrf_cookie(client):
    response = client.get(reverse("admin:login"), secure=True)
    assert response.status_code == 200
    assert_security_headers(response)
    assert response["X-Frame-Options"] == "DENY"
    assert response.cookies["csrftoken"]["secure"] is True


@pytest.mark.django_db
def test_the_session_cookie_is_secure_and_hidden_from_scripts(client):
    UserFactory(username="reader")
    response = client.post(
        reverse("login"), {"username": "reader", "password": PASSWORD}, secure=True
    )
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True


def test_static_files_served_by_whitenoise_carry_the_security_headers(settings, tmp_path):
    # The server's WhiteNoise reads collected files; here it finds them in the source folders.
    settings.STATIC_ROOT = tmp_path
    settings.WHITENOISE_USE_FINDERS = True
    response = Client().get("/static/portfolio/dashboard.css", secure=True)
    assert response.status_code == 200
    assert b".login" in b"".join(response.streaming_content)
    assert_security_headers(response)


def test_our_templates_hold_no_inline_script_or_style():
    # The policy blocks inline code: a page that relied on it would silently lose it.
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
    inline_style = re.compile(r"<style\b|\sstyle=|\son[a-z]+=", re.I)
    offenders = [
        str(path.relative_to(PROJECT))
        for path in (PROJECT / "templates").rglob("*.html")
        if inline_script.search(path.read_text()) or inline_style.search(path.read_text())
    ]
    assert offenders == []


# Staff idle timeout


def set_last_activity(client: Client, minutes_ago: float) -> None:
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(time.time() - minutes_ago * 60)
    session.save()


@pytest.mark.django_db
def test_staff_idle_past_the_limit_are_signed_out_and_sent_to_log_in(admin_client):
    assert admin_client.get(reverse("admin:index")).status_code == 200
    set_last_activity(admin_client, settings.ADMIN_IDLE_MINUTES + 1)
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('admin:index')}"
    # Signed out for good: the next request is anonymous.
    assert admin_client.get(reverse("admin:index")).status_code == 302
    assert "_auth_user_id" not in admin_client.session


@pytest.mark.django_db
def test_staff_active_within_the_limit_stay_signed_in(admin_client):
    admin_client.get(reverse("admin:index"))
    set_last_activity(admin_client, settings.ADMIN_IDLE_MINUTES - 1)
    assert admin_client.get(reverse("admin:index")).status_code == 200
    # The request counted as activity: the idle clock starts again.
    assert time.time() - admin_client.session[LAST_ACTIVITY_KEY] < 120


@pytest.mark.django_db
def test_the_idle_limit_follows_the_setting(admin_client, settings):
    settings.ADMIN_IDLE_MINUTES = 5
    admin_client.get(reverse("admin:index"))
    set_last_activity(admin_client, 6)
    assert admin_client.get(reverse("admin:index")).status_code == 302


@pytest.mark.django_db
def test_readers_keep_the_normal_session_however_long_they_were_away(client):
    client.force_login(UserFactory(username="president"))  # not staff
    set_last_activity(client, settings.ADMIN_IDLE_MINUTES * 10)
    # A page for any signed-in user, whatever dashboards their role opens.
    assert client.get(reverse("password_change")).status_code == 200


# Login throttling


def log_in(client: Client, username: str, password: str, address: str, **headers: str):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        headers=headers,
    )


def fail_five_times(username: str, address: str, **headers: str) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), username, "wrong-password", address, **headers)


def assert_locked_out(response) -> None:
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    # A reader who cannot read English can still switch the page's language.
    assert 'lang="ja">日本語</button>' in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session


def assert_logged_in(response) -> None:
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboards:overview")


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_user_at_that_address_only():
    UserFactory(username="alice")
    UserFactory(username="bob")
    fail_five_times("alice", "198.51.100.7")

    # The right password is refused too, with a page that says why.
    locked = log_in(Client(), "alice", PASSWORD, "198.51.100.7")
    assert_locked_out(locked)
    assert "15 minutes" in locked.content.decode()
    # Alice from her own address, and Bob from the attacker's, are not locked out.
    assert_logged_in(log_in(Client(), "alice", PASSWORD, "203.0.113.20"))
    assert_logged_in(log_in(Client(), "bob", PASSWORD, "198.51.100.7"))


@pytest.mark.django_db
def test_fewer_wrong_passwords_are_forgotten_after_a_good_login():
    UserFactory(username="alice")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(Client(), "alice", "wrong-password", "198.51.100.7")
    assert_logged_in(log_in(Client(), "alice", PASSWORD, "198.51.100.7"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(Client(), "alice", "wrong-password", "198.51.100.7")
    assert_logged_in(log_in(Client(), "alice", PASSWORD, "198.51.100.7"))


@pytest.mark.django_db
def test_behind_the_proxy_the_address_is_the_last_forwarded_hop(settings):
    settings.BEHIND_PROXY = True
    UserFactory(username="alice")
    proxy = "10.0.0.2"
    # The client put a forged address first; the proxy appended the real one.
    fail_five_times("alice", proxy, x_forwarded_for="192.0.2.1, 198.51.100.7")

    assert_locked_out(log_in(Client(), "alice", PASSWORD, proxy, x_forwarded_for="198.51.100.7"))
    # Through the same proxy, from another address, Alice can log in.
    assert_logged_in(log_in(Client(), "alice", PASSWORD, proxy, x_forwarded_for="203.0.113.20"))


@pytest.mark.django_db
def test_without_the_proxy_setting_a_forwarded_header_is_ignored():
    UserFactory(username="alice")
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), "alice", "wrong", "198.51.100.7", x_forwarded_for=f"192.0.2.{n}")
    # A new forged address each time does not escape the lock on the real one.
    locked = log_in(Client(), "alice", PASSWORD, "198.51.100.7", x_forwarded_for="192.0.2.99")
    assert_locked_out(locked)


@pytest.mark.django_db
def test_the_admin_login_is_throttled_the_same_way():
    UserFactory(username="editor", is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(
            reverse("admin:login"),
            {"username": "editor", "password": "wrong"},
            REMOTE_ADDR="198.51.100.7",
        )
    locked = Client().post(
        reverse("admin:login"),
        {"username": "editor", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )
    assert_locked_out(locked)


def test_the_readme_lists_every_environment_variable_the_settings_read():
    source = (PROJECT / "config" / "settings.py").read_text()
    read = set(re.findall(r'(?:os\.environ\.get|env_flag|env_list)\(\s*"([A-Z_]+)"', source))
    read.add("DATABASE_URL")  # read by dj_database_url.config()
    readme = (PROJECT / "README.md").read_text()
    table = readme[readme.index("## Configuration") : readme.index("## Production")]
    listed = set(re.findall(r"^\| `([A-Z_]+)` \|", table, re.M))
    assert read - listed == set()
    assert len(read) > 20
