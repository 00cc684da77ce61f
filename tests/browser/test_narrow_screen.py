"""The dashboards on a phone's width, and by keyboard, in a real browser."""

import pytest
from django.urls import reverse

from common.roles import LEADERSHIP
from tests.factories import user_with_role
from units.models import Institution, Unit

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def signed_in(page, demo_site):
    user_with_role(
        LEADERSHIP,
        institutions=Institution.objects.all(),
        username="president",
        password="pass-for-tests",
    )
    page.set_viewport_size(PHONE)
    page.goto(demo_site.url + "/")
    page.get_by_label("Username").fill("president")
    page.get_by_label("Password").fill("pass-for-tests")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(demo_site.url + "/")
    return page


def overflow(page) -> int:
    """How far the page reaches past the window's width, in CSS pixels."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_the_filters_fit_a_375_px_screen(signed_in, demo_site):
    page = signed_in
    assert overflow(page) <= 0
    unit = Unit.objects.get(code="ISO-KU")
    page.goto(demo_site.url + reverse("dashboards:unit", args=[unit.pk]))
    assert overflow(page) <= 0
    unit_filter = page.locator("select[name=unit]").bounding_box()
    assert unit_filter["x"] + unit_filter["width"] <= PHONE["width"]


def test_the_first_tab_offers_to_skip_to_the_content(signed_in):
    page = signed_in
    skip = page.get_by_role("link", name="Skip to content")
    assert not skip.is_visible() or skip.bounding_box()["y"] < 0  # out of sight until focused
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    assert skip.bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.tagName") == "MAIN"
    # The next Tab goes on into the page's own content, past the header's links.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")
