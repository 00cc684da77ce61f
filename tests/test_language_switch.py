"""Choosing the language: the browser's by default, the switcher on every page, remembered.

The switcher posts to Django's ``set_language``, which keeps the choice in the language cookie
(on that browser, for a year) and returns the reader to the page they were on. Dashboard pages
are cached per reader; the cache key carries the active language, so a reader who switches gets
the page in the new language, never a copy kept in the old one.
"""

import html
import re
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from common.roles import LEADERSHIP, sync_roles
from policies.models import Framework, Goal
from tests.factories import InstitutionFactory, user_with_role
from units.models import Institution

SWITCHER = re.compile(r'<form method="post" action="/i18n/setlang/"[^>]*>.*?</form>', re.S)
YEAR = 365 * 24 * 3600


@pytest.fixture(autouse=True)
def language_left_as_found():
    """A request leaves its reader's language active in the thread (LocaleMiddleware does not put
    it back); the tests that run after these in the same process expect English."""
    with translation.override(translation.get_language()):
        yield


def switcher(page: str) -> str:
    forms = SWITCHER.findall(page)
    assert len(forms) == 1, f"{len(forms)} language switchers on the page"
    return forms[0]


def current_language(page: str) -> str:
    return re.search(r'<a lang="([\w-]+)" aria-current="true">', switcher(page)).group(1)


def returns_to(page: str) -> str:
    return html.unescape(re.search(r'name="next" value="([^"]*)"', switcher(page)).group(1))


def test_the_browsers_language_decides_until_the_reader_chooses(client, db):
    login = "/admin/login/?next=/admin/"
    assert current_language(client.get(login).content.decode()) == "en"
    page = client.get(login, HTTP_ACCEPT_LANGUAGE="ja,en;q=0.8").content.decode()
    assert current_language(page) == "ja" and "ログイン" in page

    response = client.post(
        reverse("set_language"), {"language": "en", "next": login}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 302 and response["Location"] == login
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en" and cookie["max-age"] == YEAR and cookie["httponly"]
    assert bool(cookie["secure"]) == settings.SESSION_COOKIE_SECURE
    # The choice outlasts the browser's preference, on every later page.
    page = client.get(login, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert current_language(page) == "en" and "ログイン" not in page


def test_every_kind_of_page_carries_a_switcher_back_to_itself(client, superuser):
    leader = Client()
    leader.force_login(user_with_role(LEADERSHIP, institutions=[InstitutionFactory()]))
    anonymous = Client()
    pages = [
        (leader, "/?fy=2025&status=active"),
        (leader, reverse("dashboards:regions") + "?fy=2024"),
        (client, "/admin/"),
        (client, "/admin/units/institution/?q=Kyoto&o=1"),
        (client, "/admin/password_change/"),
        (anonymous, "/admin/login/?next=/admin/"),
        (anonymous, reverse("password_reset")),
        (anonymous, reverse("login") + "?next=/"),
    ]
    client.force_login(superuser)
    for reader, url in pages:
        page = reader.get(url).content.decode()
        assert returns_to(page) == url, url
        assert current_language(page) == "en", url
        # The strict CSP: a plain form, no script or inline style to be blocked.
        assert "<script" not in switcher(page) and "style=" not in switcher(page), url
        assert 'lang="ja">日本語</button>' in switcher(page), url


def test_the_switcher_posts_with_the_pages_own_csrf_token(db):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/admin/login/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', switcher(page)).group(1)
    response = browser.post(
        reverse("set_language"),
        {"csrfmiddlewaretoken": token, "language": "ja", "next": returns_to(page)},
    )
    assert response.status_code == 302 and response["Location"] == "/admin/login/"
    page = browser.get(response["Location"]).content.decode()
    assert current_language(page) == "ja" and 'aria-label="言語"' in page


@pytest.fixture
def shared_cache(settings, tmp_path):
    """The dashboards' page cache as the server has it: files that every process reads."""
    settings.CACHES = {
        **settings.CACHES,
        "dashboards": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "dashboards"),
        },
    }


@pytest.fixture
def roles(transactional_db):
    """The role groups as migrate leaves them (see tests/portfolio/test_dashboard_cache.py)."""
    modules = {config.label: config.models_module for config in apps.get_app_configs()}
    sync_roles(apps)
    yield
    for config in apps.get_app_configs():
        config.models_module = modules[config.label]


def without_tokens(response) -> str:
    """The page without its CSRF tokens, which are masked afresh on every response."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


# Pages are cached only outside a transaction, as the server serves them: this test commits.
@pytest.mark.django_db(transaction=True)
def test_a_reader_who_switches_language_gets_the_page_in_it_not_a_cached_one(
    shared_cache, roles, sources
):
    reader = Client()
    reader.force_login(
        user_with_role(LEADERSHIP, institutions=Institution.objects.all(), username="president")
    )
    reader.get(reverse("login"))  # the CSRF cookie a browser holds
    url = reverse("dashboards:framework", args=[Framework.objects.get(code="ISO-KU").pk])
    goal = Goal.objects.get(code="CONNECT")
    first = without_tokens(reader.get(url))
    assert current_language(first) == "en" and goal.title in first
    # Written behind the product's back: the kept English page does not know of it.
    Goal.objects.filter(pk=goal.pk).update(title="Renamed behind the product’s back")
    assert without_tokens(reader.get(url)) == first

    switched = reader.post(reverse("set_language"), {"language": "ja", "next": url})
    assert urlsplit(switched["Location"]).path == url
    page = reader.get(url).content.decode()
    assert current_language(page) == "ja" and 'aria-label="言語"' in page
    assert "Renamed behind the product’s back" in page  # built now, not served from the cache

    reader.post(reverse("set_language"), {"language": "en", "next": url})
    assert without_tokens(reader.get(url)) == first  # the English page, kept under its own key


def signed_in(client: Client, user) -> str:
    """Sign in through the admin's login form with an English browser; the page it leads to."""
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": user.username, "password": "pass-for-tests", "next": "/admin/"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_users_preferred_language_is_the_interfaces_from_sign_in_until_they_switch(db):
    editor = user_with_role(LEADERSHIP, username="kana", is_staff=True)
    editor.scope.language = "ja"
    editor.scope.save()
    client = Client()
    page = signed_in(client, editor)
    assert current_language(page) == "ja" and '<html lang="ja"' in page
    # The switcher still decides afterwards, on this browser.
    client.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert current_language(page) == "en"


def test_a_user_with_no_preferred_language_keeps_the_browsers(db):
    reader = user_with_role(LEADERSHIP, username="ken", is_staff=True)
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "ken", "password": "pass-for-tests", "next": "/admin/"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert current_language(page) == "en"
    assert reader.scope.language == ""
