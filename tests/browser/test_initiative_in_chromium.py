"""An initiative's page in a real browser: reached from the goal page, its chart readable."""

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from common.roles import ADMINISTRATOR, LEADERSHIP
from policies.models import Goal
from portfolio.models import Initiative
from tests.browser.helpers import log_in
from tests.factories import user_with_role
from units.models import Institution

pytestmark = pytest.mark.browser
SHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


def test_an_initiative_is_reached_from_its_goal_and_its_chart_keeps_each_scale(page, demo_site):
    user_with_role(
        LEADERSHIP,
        institutions=Institution.objects.all(),
        username="president",
        password="pass-for-tests",
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, demo_site.url + "/", "president")
    page.wait_for_url(demo_site.url + "/")
    initiative = Initiative.objects.get(code="KU-DEMO-ONSITE")
    goal = Goal.objects.filter(initiatives=initiative).order_by("code").first()
    page.goto(f"{demo_site.url}/goals/{goal.pk}/?fy=2025")
    page.get_by_role("link", name="KU-DEMO-ONSITE", exact=True).first.click()
    page.wait_for_url(f"**/initiatives/{initiative.pk}/**")
    assert page.get_by_role("heading", level=1).inner_text().startswith("KU-DEMO-ONSITE")
    page.wait_for_selector("canvas[data-chart-for='activities-by-year-data']")
    # Activities on the left axis, participants on the right; whole-number ticks for both.
    axes = page.evaluate(
        """() => {
          const chart = Chart.getChart(document.querySelector(
            "canvas[data-chart-for='activities-by-year-data']"));
          return Object.fromEntries(Object.entries(chart.scales).filter(([id]) => id !== "x")
            .map(([id, scale]) => [id, {
              position: scale.position,
              ticks: scale.ticks.map((tick) => tick.value),
              datasets: chart.data.datasets.filter((d) => d.yAxisID === id).map((d) => d.label),
            }]));
        }"""
    )
    assert axes["y"]["position"] == "left" and axes["y"]["datasets"] == ["activities"]
    assert axes["y1"]["position"] == "right" and len(axes["y1"]["datasets"]) == 2
    assert all(float(tick).is_integer() for axis in axes.values() for tick in axis["ticks"])


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_initiative_page_in_english_and_japanese(page, demo_site):
    user_with_role(
        LEADERSHIP, institutions=Institution.objects.all(), username="kaicho",
        password="pass-for-tests",
    )  # fmt: skip
    initiative = Initiative.objects.get(code="KU-DEMO-ONSITE")
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, f"{demo_site.url}/initiatives/{initiative.pk}/?fy=2025", "kaicho")
    page.wait_for_url(f"**/initiatives/{initiative.pk}/**")
    assert page.get_by_role("heading", name="Status and health over time").is_visible()
    for goal in initiative.goals.all():
        assert page.get_by_role("link", name=f"{goal.framework.code}:{goal.code}").is_visible()
    page.wait_for_selector("canvas[data-chart-for]")
    shoot(page, "initiative")

    page.get_by_role("button", name="日本語").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ja"
    with translation.override("ja"):
        heading = translation.gettext("Status and health over time")
    assert heading != "Status and health over time"
    assert page.get_by_role("heading", name=heading).is_visible()
    page.wait_for_selector("canvas[data-chart-for]")
    shoot(page, "initiative-ja")


def test_a_revert_in_the_admin_brings_back_the_versions_links(page, demo_site):
    user_with_role(
        ADMINISTRATOR, institutions=Institution.objects.all(), username="registrar",
        password="pass-for-tests", is_staff=True,
    )  # fmt: skip
    initiative = Initiative.objects.get(code="KU-DEMO-ONSITE")
    first = initiative.history.earliest()
    first_goals = sorted(first.goals.values_list("goal__code", flat=True))
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, f"{demo_site.url}/admin/", "registrar")
    page.wait_for_url("**/admin/")

    # Change the goals and the health in the admin, as an editor would.
    page.goto(f"{demo_site.url}/admin/portfolio/initiative/{initiative.pk}/change/")
    page.locator("#id_health").select_option("at_risk")
    kept = initiative.goals.order_by("code").first()
    page.evaluate(
        """(kept) => { const select = document.querySelector('#id_goals');
          for (const option of select.options) option.selected = option.value === kept;
          select.dispatchEvent(new Event('change')); }""",
        str(kept.pk),
    )
    page.locator("input[name=_save]").click()
    page.wait_for_url("**/portfolio/initiative/")
    initiative.refresh_from_db()
    assert list(initiative.goals.values_list("code", flat=True)) == [kept.code]
    entries = initiative.history.count()

    # The first version shows its own links; reverting to it restores them in one entry.
    page.goto(
        f"{demo_site.url}/admin/portfolio/initiative/{initiative.pk}/history/{first.history_id}/"
    )
    selected = page.evaluate(
        "() => [...document.querySelectorAll('#id_goals option:checked')].map(o => o.value)"
    )
    then = first.goals.values_list("goal_id", flat=True)
    assert sorted(selected) == sorted(str(pk) for pk in then)
    shoot(page, "revert")
    page.get_by_role("button", name="Revert").click()
    page.wait_for_load_state()
    initiative.refresh_from_db()
    assert initiative.health == first.health
    assert sorted(initiative.goals.values_list("code", flat=True)) == first_goals
    assert initiative.history.count() == entries + 1
