"""Leadership's tour of the dashboards in a real browser; screenshots go to docs/screenshots/."""

from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Sum

from common.roles import LEADERSHIP
from policies.models import Goal
from portfolio.models import Activity, Initiative
from tests.factories import user_with_role
from units.models import Institution

pytestmark = pytest.mark.browser
SHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def card_text(page, code: str) -> str:
    return page.locator(
        "article.card", has=page.get_by_role("link", name=code, exact=True)
    ).inner_text()


def test_leadership_tour(page, demo_site):
    user_with_role(
        LEADERSHIP,
        institutions=Institution.objects.all(),
        username="president",
        password="pass-for-tests",
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(demo_site.url + "/")
    page.get_by_label("Username").fill("president")
    page.get_by_label("Password").fill("pass-for-tests")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(demo_site.url + "/")
    shoot(page, "overview")

    # Change the fiscal year; the filter stays in the URL.
    page.get_by_label("Fiscal year").select_option("2025")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/?fy=2025*")
    connect = Goal.objects.get(code="CONNECT")
    subtree = [connect.pk, *connect.children.values_list("pk", flat=True)]
    activities = Activity.objects.filter(initiative__goals__in=subtree, fiscal_year=2025).distinct()
    inbound = activities.aggregate(n=Sum("inbound_participants"))["n"] or 0
    text = card_text(page, "CONNECT")
    assert f"Activities FY2025\n{activities.count():,}" in text
    assert f"{inbound:,} /" in text  # figures are grouped as English writes them
    initiatives = Initiative.objects.filter(goals__in=subtree).distinct().count()
    assert f"Initiatives\n{initiatives:,}" in text

    # Drill down to the goal, a unit, the crosswalk.
    page.get_by_role("link", name="CONNECT", exact=True).first.click()
    page.wait_for_url("**/goals/**")
    assert page.get_by_role("heading", level=1).inner_text().startswith("CONNECT")
    page.wait_for_selector("canvas[data-chart-for]")
    shoot(page, "goal")

    with page.expect_download() as download:
        page.locator("#activities-by-year").get_by_role("link", name="CSV").click()
    content = Path(download.value.path()).read_bytes()
    assert content.startswith("\ufeff".encode())
    assert b"fiscal year,activities,inbound,outbound" in content

    page.get_by_role("link", name="International Strategy Office (iSO-KU)").first.click()
    page.wait_for_url("**/units/**")
    assert "Goals it pursues" in page.content()
    shoot(page, "unit")

    page.get_by_role("link", name="Crosswalk").first.click()
    page.wait_for_url("**/crosswalk/**")
    assert page.locator("#crosswalk-matrix").is_visible()
    shoot(page, "crosswalk")

    page.get_by_role("link", name="Regions").first.click()
    page.wait_for_url("**/regions/**")
    rows = page.locator("#regions-data tbody th").all_inner_texts()
    assert rows[:3] == ["ASEAN", "Europe", "North America"]
    shoot(page, "regions")

    page.goto(demo_site.url + f"/frameworks/{connect.framework_id}/?fy=2025")
    shoot(page, "framework")
