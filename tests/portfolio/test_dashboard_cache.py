"""Cached dashboard pages: served again until the records change, and only to their own reader.

These tests commit their writes (``transaction=True``), as the server does: pages are neither
read from nor written to the cache inside a transaction, and a write makes the cached pages
stale only once it is committed.
"""

import csv
import io
import re
import threading
import time

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.views.decorators.vary import vary_on_headers

from common.roles import LEADERSHIP, sync_roles
from imports.engine import KINDS
from imports.formats import write_table
from imports.services import import_confirm, import_preview, import_undo
from policies.models import Framework, Goal
from portfolio.dashboards.cache import cached_dashboard, remembered
from tests.admin_forms import form_data
from tests.factories import (
    ActivityFactory,
    InitiativeFactory,
    PartnerFactory,
    UserFactory,
    user_with_role,
)
from tests.helpers import download_table
from units.models import Institution, Unit

pytestmark = pytest.mark.django_db(transaction=True)
PAGES = ["overview", "framework", "goal", "unit", "crosswalk", "regions"]


@pytest.fixture(autouse=True)
def shared_cache(settings, tmp_path):
    """The pages' cache as the server has it: files that every server process reads."""
    settings.CACHES = {
        **settings.CACHES,
        "dashboards": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "dashboards"),
        },
    }
    settings.IMPORT_DIR = tmp_path / "imports"


# Each app's models module, as loaded. ``common.roles.sync_roles`` clears it when done, after which
# a flush (the end of every committing test) sends no ``post_migrate``: content types, permissions
# and role groups would not come back for the tests after these.
MODELS_MODULES = {config.label: config.models_module for config in apps.get_app_configs()}


def restore_models_modules() -> None:
    for config in apps.get_app_configs():
        config.models_module = MODELS_MODULES[config.label]


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """The role groups as migrate leaves them, before and after each test."""
    restore_models_modules()
    sync_roles(apps)
    restore_models_modules()
    yield
    restore_models_modules()


def leader(username: str) -> User:
    return user_with_role(LEADERSHIP, institutions=Institution.objects.all(), username=username)


def reader(username: str) -> Client:
    """A signed-in leader holding the CSRF cookie a browser gets from the login page."""
    client = Client()
    client.force_login(leader(username))
    client.get(reverse("login"))
    return client


def url_of(page: str) -> str:
    args = {
        "framework": lambda: [Framework.objects.get(code="ISO-KU").pk],
        "goal": lambda: [Goal.objects.get(code="CONNECT").pk],
        "unit": lambda: [Unit.objects.get(code="ISO-KU").pk],
    }.get(page, lambda: [])()
    return reverse(f"dashboards:{page}", args=args)


def text(client: Client, url: str, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode("utf-8-sig")


def thailand(client: Client) -> list[str]:
    """The unit's activities in Thailand in FY2025, from the table's CSV download."""
    table = text(client, url_of("unit"), fy=2025, csv="activities-by-country")
    rows = list(csv.reader(io.StringIO(download_table(table))))
    return next((row for row in rows if row[0] == "Thailand"), [])


def test_a_page_is_served_from_the_cache_until_an_admin_edit(sources, superuser):
    leader = reader("president")
    goal = Goal.objects.get(code="CONNECT")
    page = url_of("framework")
    assert goal.title in text(leader, page)
    # A write that bypasses Django's signals leaves the kept page as it was: it is served again.
    Goal.objects.filter(pk=goal.pk).update(title="Written behind the product's back")
    assert goal.title in text(leader, page)

    editor = Client()
    editor.force_login(superuser)
    change = reverse("admin:policies_goal_change", args=[goal.pk])
    data = form_data(editor.get(change))
    data["title"] = "CONNECT the campus with the world"
    data["change_reason"] = "Wording of the 2026 revision"
    assert editor.post(change, data).status_code == 302

    assert "CONNECT the campus with the world" in text(leader, page)


def test_a_page_changes_after_an_import_and_after_its_undo(sources, superuser):
    ku = Institution.objects.get(code="KU")
    InitiativeFactory(institution=ku, code="ONSITE", lead_unit=ku.units.get(code="ISO-KU"))
    PartnerFactory(name="Chulalongkorn University", country="TH", city="Bangkok")
    leader = reader("president")
    before = thailand(leader)
    assert thailand(leader) == before

    headers = KINDS["activities"]().headers()
    rows = [
        {
            "external_ref": f"KU-2025-{n:04d}",
            "title": f"Joint symposium {n}",
            "activity_type": "symposium",
            "start_date": "2025/6/1",
            "unit": "ISO-KU",
            "initiative": "ONSITE",
            "country": "TH",
            "partner_institution": "Chulalongkorn University",
            "inbound_participants": "10",
            "outbound_participants": "2",
        }
        for n in range(3)
    ]
    content = write_table("csv", headers, [[row.get(h, "") for h in headers] for row in rows])
    batch, _plan = import_preview(
        kind="activities", file_name="fy2025.csv", content=content, user=superuser
    )
    # The preview writes no record: the page is the one kept.
    assert thailand(leader) == before
    import_confirm(batch=batch, user=superuser)
    imported = thailand(leader)
    assert imported[:2] == ["Thailand", str(int(before[1] if before else 0) + 3)]

    batch.refresh_from_db()
    import_undo(batch=batch, user=superuser)
    assert thailand(leader) == before


def test_readers_of_one_scope_are_served_one_page_each_with_their_own_header(sources):
    """A page built for one reader is served to every reader who reaches the same and holds the
    same permissions, with their own name and log-out token; a reader of another scope gets a
    page built for theirs."""
    ku = Institution.objects.get(code="KU")
    first, second = reader("president"), reader("vice-president")
    of_ku = Client()
    of_ku.force_login(user_with_role(LEADERSHIP, institutions=[ku], username="ku-only"))
    goal = Goal.objects.get(code="CONNECT")
    page = url_of("framework")
    assert goal.title in text(first, page)
    # Behind the product's back: only a page built again shows it.
    Goal.objects.filter(pk=goal.pk).update(title="Written behind the back of the product")
    mine = text(second, page)
    assert goal.title in mine and "Log out vice-president<" in mine
    assert "Log out president<" not in mine
    assert "Written behind the back of the product" in text(of_ku, page)


def test_a_reader_whose_scope_loses_an_institution_is_served_none_of_its_pages(sources):
    ku, tmu = Institution.objects.get(code="KU"), Institution.objects.get(code="TMU")
    user = user_with_role(LEADERSHIP, institutions=[ku], username="ku-only")
    browser = Client()
    browser.force_login(user)
    browser.get(reverse("login"))
    page = url_of("framework")  # Kyoto's framework
    assert Goal.objects.get(code="CONNECT").title in text(browser, page)
    text(browser, page)  # served from the cache
    user.scope.institutions.set([tmu])
    assert browser.get(page).status_code == 404


def test_a_download_whose_text_holds_the_pages_mark_is_served_as_written(sources):
    """The mark where a kept page gets its reader's header is escaped in a page, not in a CSV:
    a title holding it comes out as it is, with no one's header in it."""
    ku = Institution.objects.get(code="KU")
    title = "Drills <!--personal:site-header--> 2025"
    initiative = InitiativeFactory(institution=ku, lead_unit=ku.units.get(code="ISO-KU"))
    initiative.title = title
    initiative.save()
    initiative.goals.add(Goal.objects.get(code="CONNECT"))
    leader = reader("president")
    for _ in range(2):  # built, then served from the cache
        table = download_table(text(leader, url_of("goal"), csv="initiatives"))
        assert title in table and "Log out" not in table


def test_two_readers_never_see_each_others_page(sources):
    first, second = reader("president"), reader("vice-president")
    for page in PAGES:
        url = url_of(page)
        for _ in range(2):  # the second request of each is served from the cache
            assert "Log out president<" in text(first, url)
            mine = text(second, url)
            assert "Log out vice-president<" in mine and "Log out president<" not in mine


def test_a_served_page_carries_a_working_log_out_token_after_signing_in_again(sources):
    user = leader("president")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    browser.get(reverse("login"))
    text(browser, url_of("overview"))
    text(browser, url_of("overview"))  # kept and served under this sign-in's CSRF secret
    browser.logout()
    browser.force_login(user)
    browser.get(reverse("login"))  # signing in again gives a new CSRF secret
    page = text(browser, url_of("overview"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(reverse("logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_a_served_page_costs_the_same_few_queries_whatever_the_data(
    sources, django_assert_num_queries
):
    leader = reader("president")
    ku = Institution.objects.get(code="KU")
    initiative = InitiativeFactory(institution=ku, lead_unit=ku.units.get(code="ISO-KU"))
    for more in (1, 100):
        # Saved one by one, each with its history row: the kept pages go stale.
        ActivityFactory.create_batch(more, initiative=initiative)
        for url in map(url_of, PAGES):
            text(leader, url, fy=2025)  # built and kept
            # session and user; the reader's scope, their header and the page come from the
            # cache's files, with no query.
            with django_assert_num_queries(2):
                text(leader, url, fy=2025)


def test_a_cache_local_to_one_process_keeps_nothing(sources, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    leader = reader("president")
    goal = Goal.objects.get(code="CONNECT")
    text(leader, url_of("framework"))
    Goal.objects.filter(pk=goal.pk).update(title="Seen at once")
    assert "Seen at once" in text(leader, url_of("framework"))


def signed_in_request(user, **headers):
    request = RequestFactory().get("/page/", **headers)
    request.user = user
    request.session = SessionStore()
    request.META["CSRF_COOKIE"] = "s" * 32
    return request


def test_a_response_is_kept_per_value_of_the_headers_it_varies_on():
    built = []

    @vary_on_headers("X-Unit")
    def page(request):
        built.append(request.headers["X-Unit"])
        return HttpResponse(f"unit {request.headers['X-Unit']}")

    view, user = cached_dashboard(page), UserFactory()
    for unit in ["A", "B", "A", "B"]:
        response = view(signed_in_request(user, HTTP_X_UNIT=unit))
        assert response.content.decode() == f"unit {unit}"
    assert built == ["A", "B"]


def test_a_page_holding_a_csrf_token_of_its_own_is_never_served_to_another_reader():
    built = []

    def with_form(request):
        built.append(request.user.username)
        return HttpResponse(f'<input name="csrfmiddlewaretoken" value="{get_token(request)}">')

    def plain(request):
        built.append(request.user.username)
        return HttpResponse("figures")

    alike = [UserFactory(username="one"), UserFactory(username="two")]
    for view in [with_form, plain]:
        for user in alike:
            cached_dashboard(view)(signed_in_request(user))
    assert built == ["one", "two", "one"]


def after_the_first(threads: list[threading.Thread]) -> None:
    """Run the threads, the others once the first one's build is under way; wait for all."""
    threads[0].start()
    time.sleep(0.2)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join()


def test_readers_who_ask_for_a_page_being_built_are_served_that_build():
    """After a write or at a cold start, readers of one scope asking for a page at once cost one
    build of it, not one each."""
    built = []

    def slow(request):
        built.append(request.user.username)
        time.sleep(0.5)
        return HttpResponse("figures")

    view = cached_dashboard(slow)
    readers = [UserFactory(username=f"reader-{n}") for n in range(3)]
    pages = []

    def read(user):
        try:
            pages.append(view(signed_in_request(user)).content)
        finally:
            connection.close()

    after_the_first([threading.Thread(target=read, args=(user,)) for user in readers])
    assert built == ["reader-0"]
    assert pages == [b"figures"] * 3


def test_responses_that_set_cookies_or_refuse_storage_are_not_kept():
    built = []

    def with_cookie(request):
        built.append("cookie")
        response = HttpResponse("page")
        response.set_cookie("chosen", "1")
        return response

    def no_store(request):
        built.append("no-store")
        response = HttpResponse("page")
        response["Cache-Control"] = "no-store"
        return response

    user = UserFactory()
    for view in [with_cookie, no_store]:
        for _ in range(2):
            cached_dashboard(view)(signed_in_request(user))
    assert built == ["cookie", "cookie", "no-store", "no-store"]


def test_a_write_makes_stale_only_the_pages_of_readers_who_reach_it(sources):
    """An activity of TMU changes the pages of TMU's readers and of readers of every
    institution; a reader of KU only is served the page kept for them."""
    ku, tmu = Institution.objects.get(code="KU"), Institution.objects.get(code="TMU")
    of_ku = Client()
    of_ku.force_login(user_with_role(LEADERSHIP, institutions=[ku], username="ku-only"))
    of_ku.get(reverse("login"))
    of_both = reader("president")
    goal = Goal.objects.get(code="CONNECT")
    page = url_of("framework")
    assert goal.title in text(of_ku, page)
    assert goal.title in text(of_both, page)
    # Behind the product's back (no history row): only a page built again shows it.
    Goal.objects.filter(pk=goal.pk).update(title="Written behind the back of the product")
    initiative = InitiativeFactory(institution=tmu, lead_unit=tmu.units.first())
    # (No new partner: partners are every institution's, and would make every page stale.)
    ActivityFactory(initiative=initiative, partner=None)
    assert goal.title in text(of_ku, page)
    assert "Written behind the back of the product" in text(of_both, page)


def figures_shown(page: str) -> str:
    """The goal's figures as its page shows them (``_figures.html``)."""
    return re.search(r'<dl class="figures">.*?</dl>', page, re.S).group(0)


def test_a_goal_trees_figures_are_counted_once_for_its_pages_and_anew_after_a_write(sources):
    """The framework's page counts its whole tree's figures for the readers of its scope; a
    goal's page built afterwards shows those figures, counted no second time, the same as when
    it is built first; an activity saved makes them stale with the pages."""
    ku = Institution.objects.get(code="KU")
    initiative = InitiativeFactory(institution=ku, lead_unit=ku.units.get(code="ISO-KU"))
    initiative.goals.add(Goal.objects.get(code="CONNECT.1"))
    ActivityFactory.create_batch(3, initiative=initiative, fiscal_year=2025, partner=None)
    goal, leader = url_of("goal"), reader("president")
    with CaptureQueriesContext(connection) as queries:
        built_first = figures_shown(text(leader, goal, fy=2025))
    alone = len(queries)  # (counted now: a request starts the log of queries afresh)
    assert ">3 <small>" in built_first  # CONNECT holds CONNECT.1's three activities of FY2025

    caches["dashboards"].clear()
    text(leader, url_of("framework"), fy=2025)
    with CaptureQueriesContext(connection) as queries:
        assert figures_shown(text(leader, goal, fy=2025)) == built_first
    # Neither the filter form's choices (six queries) nor the figures (five or more) are read
    # again.
    assert len(queries) <= alone - 10

    ActivityFactory(initiative=initiative, fiscal_year=2025, partner=None)
    assert ">4 <small>" in figures_shown(text(leader, goal, fy=2025))
    assert ">4 <small>" in figures_shown(text(leader, url_of("framework"), fy=2025))


def test_what_pages_share_is_built_once_for_the_readers_who_ask_for_it_at_once():
    """After a write, every goal page of a tree asks for the tree's figures at once: the first
    counts them, the others wait for that count; a name not kept yet is built for itself."""
    cache, prefix = caches["dashboards"], "dashboards.test-version.scope"
    built = []

    def slow(names):
        built.append(names)
        time.sleep(0.5)
        return {name: f"figures of {name}" for name in names}

    got = []
    after_the_first(
        [
            threading.Thread(target=lambda: got.append(remembered(cache, prefix, ["tree:1"], slow)))
            for _ in range(3)
        ]
    )
    assert built == [["tree:1"]]
    assert got == [{"tree:1": "figures of tree:1"}] * 3

    both = remembered(cache, prefix, ["tree:1", "tree:2"], slow)
    assert built[-1] == ["tree:2"]
    assert both == {"tree:1": "figures of tree:1", "tree:2": "figures of tree:2"}
    assert remembered(cache, "dashboards.another-version.scope", ["tree:1"], slow)
    assert built[-1] == ["tree:1"]  # another version of the records: counted anew


@pytest.mark.django_db
def test_an_institutions_own_write_makes_its_pages_stale_whatever_its_history_ids():
    """An institution's history row names the institution by its ``id``, not by the row's own
    key: a write of institution 2 whose history row is the fifth marks institution 2."""
    from common.services import record_save
    from portfolio.dashboards.cache import institutions_written
    from tests.factories import InstitutionFactory

    first, second = InstitutionFactory(), InstitutionFactory()
    for n in range(3):
        first.name = f"Renamed {n}"
        record_save(first, user=None, reason="Renamed")
    second.name = "Renamed"
    record_save(second, user=None, reason="Renamed")
    row = second.history.first()
    assert row.pk != second.pk  # the case the page cache once got wrong
    assert institutions_written(row) == frozenset({second.pk})
