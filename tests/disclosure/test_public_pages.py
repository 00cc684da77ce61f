"""The public disclosure pages (``disclosure/public.py``): read without signing in, in English and
Japanese, showing only what an institution opted in, never a person, a note or a draft figure,
and following a write at once, cached or not."""

import datetime as dt
import re
import threading
import time

import pytest
from django.apps import apps
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.services import record_save
from disclosure.public import cached_public
from policies.models import Goal, Indicator
from reporting.models import FigureReport, Period, ReportingCycle, State
from tests.factories import (
    AppointmentFactory,
    FrameworkFactory,
    GoalFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    InitiativeFactory,
    InstitutionFactory,
    PersonFactory,
    UnitFactory,
    UserFactory,
)
from units.models import Institution

LINK = re.compile(r'href="(/public/[^"]*)"')
# Texts that must never reach a public page.
SECRETS = [
    "Zebediah Quill",  # a person (an initiative's owner, an appointment)
    "wintermute-editor",  # a user who wrote history
    "SECRET-VALUE-NOTE",
    "SECRET-OVERRIDE",
    "SECRET-SOURCE-NOTE",
    "Hidden goal",
    "Hidden indicator",
    "Indicator of a hidden goal",
    "Closed University",
    "Closed goal",
]


def published(*, goals: int = 1, indicators: int = 1, years: int = 2) -> dict:
    """An institution with public pages on: public goals with public indicators (and one of
    each not opted in), a cycle year with a draft and an approved figure, and staff, notes and
    another institution whose pages are off, all of which must stay off the pages."""
    editor = UserFactory(username="wintermute-editor")
    ku = InstitutionFactory(
        code="KU", name="Kyoto University", name_ja="京都大学", public_pages=True
    )
    framework = FrameworkFactory(institution=ku, title="Kyoto Strategy", title_ja="京都戦略")
    unit = UnitFactory(institution=ku)
    person = PersonFactory(name="Zebediah Quill")
    AppointmentFactory(unit=unit, person=person)
    shown_goals = []
    for number in range(goals):
        goal = GoalFactory(
            framework=framework,
            code=f"PUB{number}",
            title=f"Open goal {number}",
            title_ja=f"公開目標{number}",
            description=f"Word for word {number}.",
            description_ja=f"原文どおり{number}。",
            source_note="SECRET-SOURCE-NOTE",
            public=True,
        )
        shown_goals.append(goal)
        for n in range(indicators):
            indicator = IndicatorFactory(
                goal=goal, code=f"I{number}-{n}", name=f"Open indicator {number}-{n}", public=True
            )
            for year in range(years):
                IndicatorValueFactory(
                    indicator=indicator,
                    fiscal_year=2015 + year,
                    target=500 + year,
                    actual=400 + year,
                    note="SECRET-VALUE-NOTE",
                    override_reason="SECRET-OVERRIDE",
                )
    goal = shown_goals[0]
    hidden_indicator = IndicatorFactory(goal=goal, name="Hidden indicator", public=False)
    IndicatorValueFactory(indicator=hidden_indicator, fiscal_year=2015, target=1, actual=1)
    hidden_goal = GoalFactory(framework=framework, title="Hidden goal", public=False)
    IndicatorFactory(goal=hidden_goal, name="Indicator of a hidden goal", public=True)
    # FY2030 has a cycle: the office's actual does not show, nor a draft or a submitted figure;
    # an approved one does.
    drafted = IndicatorFactory(goal=goal, code="DRAFTED", name="Drafted indicator", public=True)
    approved = IndicatorFactory(goal=goal, code="APPROVED", name="Approved indicator", public=True)
    submitted = IndicatorFactory(goal=goal, code="SUBMIT", name="Submitted indicator", public=True)
    for indicator in (drafted, approved, submitted):
        IndicatorValueFactory(indicator=indicator, fiscal_year=2030, target=7000, actual=6111)
    cycle = ReportingCycle.objects.create(
        institution=ku, fiscal_year=2030, period=Period.YEAR, due_date=dt.date(2031, 4, 30)
    )
    FigureReport.objects.create(cycle=cycle, indicator=drafted, actual=6222, state=State.DRAFT)
    FigureReport.objects.create(
        cycle=cycle, indicator=submitted, actual=6444, state=State.SUBMITTED
    )
    FigureReport.objects.create(
        cycle=cycle, indicator=approved, actual=6333, state=State.APPROVED, note="SECRET-VALUE-NOTE"
    )
    initiative = InitiativeFactory(institution=ku, lead_unit=unit, owner=person)
    initiative.goals.add(goal)
    record_save(goal, user=editor, reason="SECRET-OVERRIDE")  # a history row with a user
    closed = InstitutionFactory(code="CLOSED", name="Closed University", public_pages=False)
    closed_goal = GoalFactory(
        framework=FrameworkFactory(institution=closed), title="Closed goal", public=True
    )
    IndicatorFactory(goal=closed_goal, public=True)
    return {"ku": ku, "goal": goal, "hidden_goal": hidden_goal, "closed": closed}


def crawl(client: Client, start: str = "/public/") -> dict[str, str]:
    """Every page under /public/ that a link leads to from ``start``: path → its text."""
    pages, queue = {}, [start]
    while queue:
        url = queue.pop()
        if url in pages:
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        assert not response.cookies, f"{url} set {list(response.cookies)}"
        pages[url] = response.content.decode()
        queue += [link.replace("&amp;", "&") for link in LINK.findall(pages[url])]
    return pages


def url(name: str, *args) -> str:
    return reverse(f"disclosure:{name}", args=args)


@pytest.mark.django_db
def test_an_anonymous_crawl_finds_only_what_was_opted_in():
    world = published(goals=2)
    pages = crawl(Client())
    text = "\n".join(pages.values())
    assert url("public_institution", "KU") + "?lang=en" in pages
    assert url("public_goal", "KU", world["goal"].pk) + "?lang=en" in pages
    assert url("public_goal", "KU", world["hidden_goal"].pk) + "?lang=en" not in pages
    for shown in ("Kyoto University", "Open goal 0", "Open goal 1", "Word for word 0."):
        assert shown in text
    assert "Open indicator 0-0" in text and "Open indicator 1-0" in text
    for secret in SECRETS:
        assert secret not in text, secret
    goal_page = pages[url("public_goal", "KU", world["goal"].pk) + "?lang=en"]
    assert 'data-value="6333.00"' in goal_page  # the approved figure of the cycle's year
    for draft in ("6222", "6444", "6111"):  # draft, submitted, the office's own for that year
        assert draft not in text
    assert 'data-value="401.00"' in goal_page  # a year without a cycle: the recorded actual
    assert 'data-public-chart-for="figures-' in goal_page
    # Both languages are reachable from the pages themselves.
    assert any("?lang=ja" in page for page in pages.values())


@pytest.mark.django_db
def test_what_is_not_opted_in_is_not_found():
    world = published()
    client = Client()
    assert client.get(url("public_institution", "CLOSED")).status_code == 404
    assert client.get(url("public_institution", "NOPE")).status_code == 404
    assert client.get(url("public_goal", "KU", world["hidden_goal"].pk)).status_code == 404
    closed_goal = Goal.objects.get(title="Closed goal")
    assert client.get(url("public_goal", "CLOSED", closed_goal.pk)).status_code == 404
    # A goal is found only under its own institution.
    assert client.get(url("public_goal", "CLOSED", world["goal"].pk)).status_code == 404
    assert client.post(url("public_institution", "KU")).status_code == 405


@pytest.mark.django_db
def test_both_languages_render():
    world = published()
    client = Client()
    english = client.get(url("public_goal", "KU", world["goal"].pk), {"lang": "en"})
    assert "Open goal 0" in english.content.decode() and "公開目標0" not in english.content.decode()
    assert english["Content-Language"] == "en"
    japanese = client.get(url("public_goal", "KU", world["goal"].pk), {"lang": "ja"})
    body = japanese.content.decode()
    assert japanese["Content-Language"] == "ja" and '<html lang="ja">' in body
    assert "公開目標0" in body and "原文どおり0。" in body and "京都大学" in body
    assert "Open goal 0" not in body
    # Without ?lang=, the reader's language as on the rest of the site (Accept-Language here).
    browser = client.get(url("public_institution", "KU"), HTTP_ACCEPT_LANGUAGE="ja")
    assert "公開目標0" in browser.content.decode() and "?lang=ja" in browser.content.decode()


@pytest.mark.django_db
def test_every_reader_gets_the_same_page_and_no_cookie(client):
    world = published()
    page = url("public_goal", "KU", world["goal"].pk) + "?lang=en"
    anonymous = Client().get(page)
    assert not anonymous.cookies and "csrfmiddlewaretoken" not in anonymous.content.decode()
    client.force_login(UserFactory(username="someone-signed-in"))
    signed_in = client.get(page)
    assert signed_in.content == anonymous.content


@pytest.mark.django_db
def test_a_page_reads_as_many_queries_whatever_its_size(django_assert_num_queries):
    def queries(goals: int, indicators: int, years: int) -> list[int]:
        for pk in Institution.objects.values_list("pk", flat=True):
            Institution.objects.filter(pk=pk).update(code=f"OLD{pk}")
        world = published(goals=goals, indicators=indicators, years=years)
        counts = []
        for page in (url("public_institution", "KU"), url("public_goal", "KU", world["goal"].pk)):
            with CaptureQueriesContext(connection) as captured:
                assert Client().get(page).status_code == 200
            counts.append(len(captured))
        return counts

    small = queries(1, 1, 1)
    large = queries(6, 5, 8)
    assert small == large
    assert small[0] <= 8
    with django_assert_num_queries(1):
        Client().get(url("public_index"))


# Cached pages: the tests below commit their writes, as the server does, so that the pages are
# read from and kept in the shared cache, and a write reaches it once committed.

# Each app's models module, as loaded: a flush at the end of a committing test sends
# ``post_migrate`` (the role groups come back) only where they are set.
MODELS_MODULES = {config.label: config.models_module for config in apps.get_app_configs()}


@pytest.fixture
def shared_cache(settings, tmp_path, transactional_db):
    settings.CACHES = {
        **settings.CACHES,
        "dashboards": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "dashboards"),
        },
    }
    for config in apps.get_app_configs():
        config.models_module = MODELS_MODULES[config.label]
    yield
    for config in apps.get_app_configs():
        config.models_module = MODELS_MODULES[config.label]


def body(client: Client, page: str) -> str:
    response = client.get(page)
    assert response.status_code == 200, page
    assert not response.cookies
    return response.content.decode()


def test_opting_out_takes_effect_at_once_after_a_cached_read(shared_cache):
    world = published()
    editor = UserFactory(username="office-editor")
    client = Client()
    institution_page = url("public_institution", "KU") + "?lang=en"
    goal_page = url("public_goal", "KU", world["goal"].pk) + "?lang=en"
    index = url("public_index") + "?lang=en"
    assert "Open goal 0" in body(client, institution_page)
    assert "Open indicator 0-0" in body(client, goal_page)
    assert "Kyoto University" in body(client, index)
    # A write past history changes no version: the kept page is served again, with no query.
    Goal.objects.filter(pk=world["goal"].pk).update(title="Renamed past history")
    with CaptureQueriesContext(connection) as captured:
        assert "Open goal 0" in body(client, institution_page)
    assert len(captured) == 0
    # The language is in the key: the Japanese page is its own.
    assert "公開目標0" in body(client, url("public_institution", "KU") + "?lang=ja")

    indicator = Indicator.objects.get(name="Open indicator 0-0")
    indicator.public = False
    record_save(indicator, user=editor, reason="No longer published")
    assert "Open indicator 0-0" not in body(client, goal_page)
    assert "Open indicator 0-0" not in body(client, institution_page)

    goal = Goal.objects.get(pk=world["goal"].pk)
    goal.public = False
    record_save(goal, user=editor, reason="No longer published")
    assert client.get(goal_page).status_code == 404
    assert "Renamed past history" not in body(client, institution_page)

    ku = Institution.objects.get(code="KU")
    ku.public_pages = False
    record_save(ku, user=editor, reason="Pages off")
    assert client.get(institution_page).status_code == 404
    assert "Kyoto University" not in body(client, index)
    ku.public_pages = True
    record_save(ku, user=editor, reason="Pages on again")
    assert client.get(institution_page).status_code == 200


def test_readers_who_ask_for_a_page_being_built_are_served_that_build(shared_cache):
    """At a cold start or after a write, readers asking for one page at once cost one build."""
    built = []

    def slow(request):
        built.append(request.path)
        time.sleep(0.5)
        return HttpResponse("<h1>Public</h1>")

    view = cached_public(slow)
    pages = []

    def read():
        try:
            pages.append(view(RequestFactory().get("/public/", {"lang": "en"})).content)
        finally:
            connection.close()

    threads = [threading.Thread(target=read) for _ in range(3)]
    threads[0].start()
    time.sleep(0.2)  # the others once the first one's build is under way
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join()
    assert built == ["/public/"]
    assert pages == [b"<h1>Public</h1>"] * 3
