"""An initiative's page in a real browser: reached from the goal page, its chart readable."""

import pytest

from common.roles import LEADERSHIP
from policies.models import Goal
from portfolio.models import Initiative
from tests.factories import user_with_role
from units.models import Institution

pytestmark = pytest.mark.browser


def test_an_initiative_is_reached_from_its_goal_and_its_chart_keeps_each_scale(page, demo_site):
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
