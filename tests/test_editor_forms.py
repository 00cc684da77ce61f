"""The editor's admin forms: their own institution filled in, an activity's reference made for
them, countries found by typing in either language, conferences among the activity types, and
the indicator values on one screen."""

import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.staticfiles import finders
from django.db import models
from django.test import Client
from django.urls import reverse
from django_countries.fields import CountryField

from common.admin import AuditedAdmin
from common.roles import DATA_STEWARD, EDITOR, UNIT_EDITOR, role_permissions
from imports.engine import KINDS
from imports.formats import write_table
from imports.services import import_confirm, import_preview
from portfolio.models import Activity, ActivityType
from tests.admin_forms import form_data
from tests.factories import (
    ActivityFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    InitiativeFactory,
    InstitutionFactory,
    UnitFactory,
    user_with_role,
)
from tests.helpers import refused_by_database
from units.models import Institution, Region

pytestmark = pytest.mark.django_db

ADD_ACTIVITY = "admin:portfolio_activity_add"


@pytest.fixture
def home():
    return InstitutionFactory(code="HOME", name="Home University")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editor_user(home):
    return user_with_role(EDITOR, institutions=[home], username="aiko", is_staff=True)


@pytest.fixture
def editor(editor_user) -> Client:
    return signed_in(editor_user)


def add_page(client: Client, admin_name: str, **headers) -> str:
    response = client.get(reverse(f"admin:{admin_name}_add"), **headers)
    assert response.status_code == 200
    return response.content.decode()


def select_of(page: str, name: str) -> str:
    match = re.search(rf'<select name="{name}"[^>]*>.*?</select>', page, re.S)
    assert match, name
    return match.group(0)


def selected(page: str, name: str) -> list[str]:
    """The values the page's ``name`` picker shows as chosen."""
    return re.findall(r'<option value="([^"]+)"[^>]*\bselected\b', select_of(page, name))


def forms_with(condition) -> list[str]:
    """The admin forms (``app_model``) that editors add, of the models with a field that meets
    ``condition``: a reporting cycle, which only administrators open, is none of them."""
    editors_add = set(role_permissions()[EDITOR])
    return sorted(
        f"{model._meta.app_label}_{model._meta.model_name}"
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, AuditedAdmin)
        and any(condition(field) for field in model._meta.fields)
        and f"{model._meta.app_label}.add_{model._meta.model_name}" in editors_add
    )


def picks_institution(field: models.Field) -> bool:
    return field.many_to_one and field.editable and field.related_model is Institution


# Institution pre-filled


def test_every_add_form_with_an_institution_starts_with_the_editors_only_one(editor, home):
    admin_names = forms_with(picks_institution)
    assert {"portfolio_initiative", "units_unit", "policies_framework"} <= set(admin_names)
    for admin_name in admin_names:
        page = add_page(editor, admin_name)
        assert selected(page, "institution") == [str(home.pk)], admin_name
        assert "Home University</option>" in select_of(page, "institution")


def test_an_editor_of_several_institutions_chooses_the_institution_each_time(home):
    other = InstitutionFactory(code="OTHER")
    editor = signed_in(user_with_role(EDITOR, institutions=[home, other], is_staff=True))
    for admin_name in forms_with(picks_institution):
        assert selected(add_page(editor, admin_name), "institution") == [], admin_name


def test_an_administrator_chooses_the_institution_each_time(admin_client, home):
    assert selected(add_page(admin_client, "portfolio_initiative"), "institution") == []


def test_a_unit_editor_of_one_unit_starts_with_their_unit_and_its_institution(home):
    center = UnitFactory(institution=home, code="CENTER")
    UnitFactory(institution=home, code="ELSEWHERE")
    unit_editor = signed_in(user_with_role(UNIT_EDITOR, units=[center], is_staff=True))
    initiative = add_page(unit_editor, "portfolio_initiative")
    assert selected(initiative, "institution") == [str(home.pk)]
    assert selected(initiative, "lead_unit") == [str(center.pk)]
    assert selected(add_page(unit_editor, "portfolio_activity"), "unit") == [str(center.pk)]
    assert selected(add_page(unit_editor, "portfolio_agreement"), "unit") == [str(center.pk)]


def test_an_editor_of_a_whole_institution_chooses_the_unit(editor, home):
    UnitFactory(institution=home)
    assert selected(add_page(editor, "portfolio_activity"), "unit") == []


def test_the_filled_in_institution_is_saved_with_the_record(editor, editor_user, home):
    page = editor.get(reverse("admin:policies_framework_add"))
    data = {
        **form_data(page),
        "code": "PLAN",
        "title": "Mid-term plan",
        "source": "Plan document",
        "change_reason": "Adopted by the board",
    }
    response = editor.post(reverse("admin:policies_framework_add"), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    framework = home.frameworks.get(code="PLAN")
    (row,) = framework.history.all()
    assert (row.history_user, row.history_change_reason) == (editor_user, "Adopted by the board")


# An activity's external reference


def test_an_activity_typed_in_by_hand_is_given_an_external_reference(editor, editor_user, home):
    unit = UnitFactory(institution=home)
    page = editor.get(reverse(ADD_ACTIVITY))
    reference = re.search(r'<input[^>]*name="external_ref"[^>]*>', page.content.decode()).group(0)
    assert 'value="' not in reference and "required" not in reference  # empty, and optional
    data = {
        **form_data(page),
        "title": "Delegation from Chulalongkorn",
        "activity_type": ActivityType.DELEGATION_VISIT,
        "start_date": "2025-06-01",
        "unit": str(unit.pk),
        "change_reason": "From the visit report",
    }
    assert data["external_ref"] == ""
    response = editor.post(reverse(ADD_ACTIVITY), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    activity = Activity.objects.get(title="Delegation from Chulalongkorn")
    assert re.fullmatch(r"ADM-[0-9A-F]{12}", activity.external_ref)
    (row,) = activity.history.all()
    assert row.external_ref == activity.external_ref
    assert (row.history_user, row.history_change_reason) == (editor_user, "From the visit report")


def test_a_reference_typed_in_by_hand_is_kept_and_cannot_be_emptied_later(editor, home):
    unit = UnitFactory(institution=home)
    data = {
        **form_data(editor.get(reverse(ADD_ACTIVITY))),
        "external_ref": "HOME-VISIT-7",
        "title": "Visit",
        "start_date": "2025-06-01",
        "unit": str(unit.pk),
    }
    assert editor.post(reverse(ADD_ACTIVITY), data).status_code == 302
    activity = Activity.objects.get(external_ref="HOME-VISIT-7")

    change = reverse("admin:portfolio_activity_change", args=[activity.pk])
    page = editor.get(change)
    assert "Left empty" not in page.content.decode()  # the change form does not offer it
    response = editor.post(change, {**form_data(page), "external_ref": ""})
    assert response.status_code == 200
    assert "external_ref" in response.context["adminform"].form.errors
    activity.refresh_from_db()
    assert activity.external_ref == "HOME-VISIT-7"


def test_the_database_refuses_an_activity_without_a_reference(home):
    activity = ActivityFactory(initiative=InitiativeFactory(institution=home))
    with refused_by_database():
        Activity.objects.filter(pk=activity.pk).update(external_ref="")


# Countries


def test_every_country_field_of_the_admin_filters_as_one_types(admin_client):
    fields = {
        f"{model._meta.app_label}_{model._meta.model_name}": [
            field.name for field in model._meta.fields if isinstance(field, CountryField)
        ]
        for model in admin.site._registry
    }
    fields = {admin_name: names for admin_name, names in fields.items() if names}
    assert fields == {
        "portfolio_activity": ["country"],
        "portfolio_partnerinstitution": ["country"],
        "policies_headcount": ["country"],
        "units_region": ["countries"],
        "units_unit": ["host_country"],
    }
    for admin_name, names in fields.items():
        page = add_page(admin_client, admin_name)
        for name in names:
            opening = re.match(r"<select[^>]*>", select_of(page, name)).group(0)
            assert 'class="country-select"' in opening, admin_name
        # The admin's own select2 (no outside source), started by the product's script.
        assert "/static/admin/js/vendor/select2/select2.full" in page
        assert "/static/admin/js/country_select.js" in page


@pytest.mark.parametrize(
    "language, thailand, germany",
    [("en", "Thailand", "Germany"), ("ja", "タイ", "ドイツ")],
)
def test_country_names_are_in_the_readers_language_and_found_in_either_language(
    admin_client, language, thailand, germany
):
    page = add_page(admin_client, "portfolio_partnerinstitution", HTTP_ACCEPT_LANGUAGE=language)
    countries = select_of(page, "country")
    assert f'<option value="TH" data-search="TH Thailand タイ">{thailand}</option>' in countries
    assert f'<option value="DE" data-search="DE Germany ドイツ">{germany}</option>' in countries


def test_the_country_search_speaks_japanese_under_japanese(admin_client):
    page = add_page(admin_client, "portfolio_partnerinstitution", HTTP_ACCEPT_LANGUAGE="ja")
    assert "/static/admin/js/vendor/select2/i18n/ja.js" in page


def test_a_region_keeps_the_countries_picked_in_the_searchable_list(admin_client):
    page = admin_client.get(reverse("admin:units_region_add"))
    data = {
        **form_data(page),
        "code": "MEKONG",
        "name": "Mekong",
        "countries": ["TH", "VN", "LA"],
        "order": "1",
    }
    assert admin_client.post(reverse("admin:units_region_add"), data).status_code == 302
    region = Region.objects.get(code="MEKONG")
    assert [country.code for country in region.countries] == ["LA", "TH", "VN"]


# Activity types


def test_conferences_are_an_activity_type_and_an_import_takes_them(home):
    assert (ActivityType.CONFERENCE, "Conference") in ActivityType.choices
    UnitFactory(institution=home, code="HOME-INTL")
    steward = user_with_role(DATA_STEWARD, institutions=[home], is_staff=True)
    headers = KINDS["activities"]().headers()
    rows = [
        {"external_ref": "HOME-CONF-1", "activity_type": "conference"},
        {"external_ref": "HOME-CONF-2", "activity_type": "Conference"},  # by its label
    ]
    content = write_table(
        "csv",
        headers,
        [
            [
                {
                    "title": "Annual meeting",
                    "start_date": "2025-09-10",
                    "unit": "HOME-INTL",
                    **row,
                }.get(name, "")
                for name in headers
            ]
            for row in rows
        ],
    )
    batch, plan = import_preview(
        kind="activities", file_name="conferences.csv", content=content, user=steward
    )
    assert not plan.errors, plan.errors
    import_confirm(batch=batch, user=steward)
    # Imports keep their own references, which a re-import matches on.
    assert dict(Activity.objects.values_list("external_ref", "activity_type")) == {
        "HOME-CONF-1": "conference",
        "HOME-CONF-2": "conference",
    }


def test_the_admin_offers_conferences(admin_client):
    types = select_of(add_page(admin_client, "portfolio_activity"), "activity_type")
    assert '<option value="conference">Conference</option>' in types


def test_the_database_takes_a_conference(home):
    activity = ActivityFactory(initiative=InitiativeFactory(institution=home))
    Activity.objects.filter(pk=activity.pk).update(activity_type=ActivityType.CONFERENCE)
    assert Activity.objects.get(pk=activity.pk).get_activity_type_display() == "Conference"


# The indicator values inline


def test_the_indicator_values_inline_has_narrow_boxes(admin_client):
    indicator = IndicatorFactory()
    IndicatorValueFactory(indicator=indicator, fiscal_year=2025, target=1200, actual=980)
    page = admin_client.get(reverse("admin:policies_indicator_change", args=[indicator.pk]))
    html = page.content.decode()
    group = re.search(r'<fieldset class="module indicator-values[^"]*"', html)
    assert group, "the inline carries the class its style sheet narrows"
    assert "/static/admin/css/indicator_values.css" in html
    note = re.search(r'<textarea name="values-0-note"[^>]*>', html).group(0)
    assert 'rows="2"' in note and 'cols="30"' in note


def test_the_indicator_values_style_sheet_narrows_every_box():
    css = Path(finders.find("admin/css/indicator_values.css")).read_text(encoding="utf-8")
    widths = dict(re.findall(r"\.indicator-values ([\w.]+) \{\s*width: ([\d.]+)em", css))
    # Django's admin draws these at 5em, 10em and 48em; together with the year and the menu,
    # that is wider than a 1280 px window.
    assert float(widths["input.vIntegerField"]) <= 5
    assert float(widths["input.vBigIntegerField"]) <= 8
    assert float(widths["textarea"]) <= 24
