"""Small things every reader meets: each agreement once, the icon, the skip link, legible text."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

from common.roles import LEADERSHIP
from tests.factories import (
    AgreementFactory,
    InstitutionFactory,
    PartnerFactory,
    UnitFactory,
    user_with_role,
)

CSS = (Path(settings.BASE_DIR) / "static" / "portfolio" / "dashboard.css").read_text()


def icon_link() -> str:
    return f'<link rel="icon" href="{static("portfolio/favicon.svg")}"'


@pytest.fixture
def unit(db):
    return UnitFactory(institution=InstitutionFactory())


@pytest.fixture
def leader(client, unit):
    client.force_login(user_with_role(LEADERSHIP, institutions=[unit.institution]))
    return client


def test_the_unit_page_lists_each_agreement_once(leader, unit):
    for name in ("Chulalongkorn Test University", "Gadjah Mada Test University"):
        AgreementFactory(unit=unit, partner=PartnerFactory(name=name))
    page = leader.get(reverse("dashboards:unit", args=[unit.pk])).content.decode()
    assert page.count("Chulalongkorn Test University") == 1
    assert page.count("Gadjah Mada Test University") == 1


@pytest.mark.django_db
def test_favicon_ico_leads_to_the_products_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("portfolio/favicon.svg")
    icon = Path(finders.find("portfolio/favicon.svg"))
    assert icon.read_text().startswith("<svg")


def test_the_dashboards_link_the_icon(leader):
    page = leader.get(reverse("dashboards:overview")).content.decode()
    assert icon_link() in page


def test_the_admin_links_the_icon(admin_client, client):
    assert icon_link() in admin_client.get(reverse("admin:index")).text
    client.logout()
    assert icon_link() in client.get(reverse("admin:login")).text


class Focusable(HTMLParser):
    """The elements of a page a keyboard reaches by Tab, in order, and the ids of the page."""

    def __init__(self):
        super().__init__()
        self.stops: list[tuple[str, dict]] = []
        self.ids: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids[attrs["id"]] = tag
        reached = (
            (tag == "a" and "href" in attrs)
            or tag in {"button", "select", "textarea"}
            or (tag == "input" and attrs.get("type") != "hidden")
            or attrs.get("tabindex", "-1") != "-1"
        )
        if reached:
            self.stops.append((tag, attrs))


def test_the_first_tab_stop_skips_to_the_main_content(leader):
    page = leader.get(reverse("dashboards:overview")).content.decode()
    parser = Focusable()
    parser.feed(page)
    tag, attrs = parser.stops[0]
    assert tag == "a" and attrs["class"] == "skip-link"
    assert ">Skip to content</a>" in page
    assert parser.ids[attrs["href"].removeprefix("#")] == "main"


def top_level_rules(css: str) -> list[tuple[str, str]]:
    """(selector list, declarations) of each rule outside at-rules such as ``@media print``."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules, depth, start, selectors = [], 0, 0, ""
    for at, char in enumerate(css):
        if char == "{":
            if depth == 0:
                selectors, start = css[start:at].strip(), at + 1
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                if not selectors.startswith("@"):
                    rules.append((selectors, css[start:at]))
                start = at + 1
    return rules


def declarations(selector: str) -> dict[str, str]:
    """The declarations of every screen rule of dashboard.css whose selector list names
    ``selector``, later ones winning as in the browser."""
    found = {}
    for selectors, body in top_level_rules(CSS):
        if selector in [s.strip() for s in selectors.split(",")]:
            pairs = (d.split(":", 1) for d in body.split(";") if ":" in d)
            found.update({name.strip(): value.strip() for name, value in pairs})
    assert found, f"dashboard.css has no rule for {selector}"
    return found


def colour(value: str) -> str:
    """A colour value, with var(--name) read from :root."""
    if match := re.fullmatch(r"var\((--[\w-]+)\)", value):
        return colour(declarations(":root")[match[1]])
    if re.fullmatch(r"#[0-9a-fA-F]{3}", value):
        value = "#" + "".join(digit * 2 for digit in value[1:])
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", value), f"not a #rgb or #rrggbb colour: {value}"
    return value


def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_ratio_is_wcags():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#b26a00", "#ffffff"), 2) == 4.24  # the amber that was too light


STATUS_TEXT = sorted(set(re.findall(r"\.(?:h|s)-[a-z_]+(?=\s*\{)", CSS)) | {".gap", ".expiring"})


def test_every_health_class_is_checked():
    assert {".h-on_track", ".h-at_risk", ".h-off_track"} <= set(STATUS_TEXT)


@pytest.mark.parametrize("selector", STATUS_TEXT)
def test_status_and_health_text_is_legible_on_the_cards_and_the_page(selector):
    text = colour(declarations(selector)["color"])
    for ground in (declarations(".panel")["background"], declarations("body")["background"]):
        assert contrast(text, colour(ground)) >= 4.5, f"{selector} {text} on {ground}"


def test_the_filters_shrink_to_a_narrow_screen():
    # tests/browser/test_narrow_screen.py checks the page at 375 px in Chromium.
    assert declarations(".filters")["flex-wrap"] == "wrap"
    assert "100%" in declarations(".filters select")["max-width"]
    assert declarations(".filters label")["min-width"] == "0"
