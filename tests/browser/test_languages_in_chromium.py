"""The product in Japanese, in a real browser: the switcher, the browser's own language, the
fallback mark, and a Japanese era date typed into the admin. Screenshots of the Japanese overview
and goal page go to docs/screenshots/."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from common.roles import LEADERSHIP
from policies.models import Goal
from portfolio.models import Initiative
from tests.browser.helpers import log_in
from tests.factories import user_with_role
from units.models import Institution

pytestmark = pytest.mark.browser
SHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
PASSWORD = "pass-for-tests"


def in_japanese(message: str) -> str:
    """The catalogue's Japanese for ``message``; fails if the catalogue has none."""
    with translation.override("ja"):
        japanese = translation.gettext(message)
    assert japanese != message, f"the Japanese catalogue does not translate {message!r}"
    return japanese


@pytest.fixture
def leader(demo_site):
    return user_with_role(
        LEADERSHIP, institutions=Institution.objects.all(), username="kaicho", password=PASSWORD
    )


def test_the_switcher_turns_the_dashboards_japanese_and_remembers(page, demo_site, leader):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, demo_site.url + "/", "kaicho")
    page.wait_for_url(demo_site.url + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Overview", exact=True).is_visible()

    page.get_by_role("button", name="日本語").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.get_by_role("link", name=in_japanese("Overview"), exact=True).is_visible()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert "年度" in heading and "FY" not in heading

    # The sources publish no Japanese goal titles: CONNECT is shown in English, marked EN.
    connect = Goal.objects.get(code="CONNECT")
    card = page.locator("article.card", has=page.get_by_role("link", name="CONNECT", exact=True))
    mark = card.locator("h3 abbr.fallback")
    assert mark.inner_text() == "EN"
    assert mark.get_attribute("title") == in_japanese(
        "Not yet translated into Japanese; shown in English."
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "overview-ja.png"), full_page=True)

    # The choice is remembered on the next page, reached by a link.
    card.get_by_role("link", name="CONNECT", exact=True).click()
    page.wait_for_url(f"**/goals/{connect.pk}/**")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.get_by_role("heading", name=in_japanese("Contributing units")).first.is_visible()
    page.wait_for_selector("canvas[data-chart-for]")
    page.screenshot(path=str(SHOTS / "goal-ja.png"), full_page=True)

    # A goal given a Japanese title (saved as the admin saves, with history) shows it, unmarked.
    connect.title_ja = "世界とつなぐ"
    connect.save()
    page.reload()
    heading = page.get_by_role("heading", level=1)
    assert "世界とつなぐ" in heading.inner_text()
    assert heading.locator("abbr.fallback").count() == 0

    # And back to English, which is remembered too.
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="Regions", exact=True).click()
    page.wait_for_url("**/regions/**")
    assert page.locator("html").get_attribute("lang") == "en"


def test_a_japanese_browser_gets_japanese_without_asking(browser, demo_site, leader):
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    log_in(page, demo_site.url + "/", "kaicho")
    page.wait_for_url(demo_site.url + "/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.get_by_role("link", name=in_japanese("Regions"), exact=True).is_visible()
    # Country names come in Japanese on the regions page (django-countries' catalogue).
    page.get_by_role("link", name=in_japanese("Regions"), exact=True).click()
    page.wait_for_url("**/regions/**")
    assert "タイ" in page.locator("#countries-data").inner_text()
    context.close()


def test_an_era_date_typed_into_the_admin_is_stored(browser, demo_site):
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    log_in(page, demo_site.url + "/admin/", "demo-editor-ku", "portfolio-demo")
    page.wait_for_url("**/admin/")
    initiative = Initiative.objects.get(code="KU-DEMO-ONSITE")
    page.goto(demo_site.url + f"/admin/portfolio/initiative/{initiative.pk}/change/")
    assert page.locator("html").get_attribute("lang") == "ja"
    page.locator("#id_start_date").fill("令和7年4月1日")
    page.locator("#id_change_reason").fill("開始日を訂正")
    page.locator("input[name=_save]").click()
    page.wait_for_url("**/admin/portfolio/initiative/")
    initiative.refresh_from_db()
    assert initiative.start_date == dt.date(2025, 4, 1)
    latest = initiative.history.latest()
    assert latest.history_change_reason == "開始日を訂正"
    assert latest.history_user.username == "demo-editor-ku"
    context.close()
