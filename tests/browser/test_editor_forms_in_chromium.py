"""The editor's admin forms in a real browser: a country found by typing its name in English or
Japanese, and the indicator values inline within a 1280 px window."""

import pytest
from django.urls import reverse

from portfolio.models import PartnerInstitution
from tests.factories import IndicatorFactory, IndicatorValueFactory, UserFactory

pytestmark = pytest.mark.browser
PASSWORD = "pass-for-tests"
WINDOW = {"width": 1280, "height": 800}


@pytest.fixture
def admin_page(page, live_server, transactional_db):
    UserFactory(username="root", is_staff=True, is_superuser=True, password=PASSWORD)
    page.set_viewport_size(WINDOW)
    page.goto(live_server.url + reverse("admin:login"))
    page.locator("#id_username").fill("root")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form input[type=submit]").click()
    page.wait_for_url(live_server.url + reverse("admin:index"))
    return page


def in_language(page, live_server, language: str) -> None:
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )


def offered(page, typed: str) -> list[str]:
    """What the country list offers once ``typed`` is typed into its search box."""
    page.locator(".field-country .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").press_sequentially(typed)
    # The list narrows as one types: wait until it has, then read it.
    page.wait_for_function("document.querySelectorAll('.select2-results__option').length < 100")
    texts = page.locator(".select2-results__option").all_inner_texts()
    page.keyboard.press("Escape")
    return texts


@pytest.mark.parametrize(
    "language, thailand",
    [("en", "Thailand"), ("ja", "タイ")],
)
def test_a_country_is_found_by_its_name_in_either_language(
    admin_page, live_server, language, thailand
):
    page = admin_page
    in_language(page, live_server, language)
    page.goto(live_server.url + reverse("admin:portfolio_partnerinstitution_add"))
    for typed in ["Thai", "タイ", "たい", "th"]:
        assert thailand in offered(page, typed), typed
    assert offered(page, "Thai") == [thailand]
    germany = offered(page, "Germ")
    assert len(germany) == 1 and germany != [thailand]

    page.locator(".field-country .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("タイ")
    page.get_by_role("option", name=thailand, exact=True).click()
    page.locator("#id_name").fill("Chulalongkorn University")
    page.locator("input[name=_save]").click()
    page.wait_for_url(
        live_server.url + reverse("admin:portfolio_partnerinstitution_changelist") + "**"
    )
    assert PartnerInstitution.objects.get().country.code == "TH"


def test_the_indicator_values_inline_fits_a_1280_px_window(admin_page, live_server):
    page = admin_page
    indicator = IndicatorFactory()
    for year in (2023, 2024, 2025):
        IndicatorValueFactory(
            indicator=indicator, fiscal_year=year, target=1234567.89, actual=1200000
        )
    page.goto(live_server.url + reverse("admin:policies_indicator_change", args=[indicator.pk]))
    table = page.locator(".indicator-values table").bounding_box()
    assert table["x"] + table["width"] <= WINDOW["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= WINDOW["width"]
    target = page.locator("#id_values-0-target")
    assert target.input_value() == "1234567.89"
    # The whole figure shows in its box.
    assert target.evaluate("box => box.scrollWidth <= box.clientWidth")
