"""A save of an existing record must carry the version its form was opened at.

Each change form, and each row of its inlines, carries the newest history row of its record
(``seen_version``). A save whose version is older (someone saved in between), missing, not a
number, or not a version of that record at all is refused with one message: who changed what
since, and to reload the page. New records, and new inline rows, have no version to carry. The
admin's revert carries the version too.
"""

import re

import pytest
from django.contrib import admin
from django.forms.models import _get_foreign_key
from django.test import Client
from django.urls import reverse

from common.roles import EDITOR
from portfolio.models import Initiative, PartnerInstitution, ProgressUpdate
from tests.admin_forms import form_data
from tests.factories import (
    InitiativeFactory,
    InstitutionFactory,
    PartnerFactory,
    ProgressUpdateFactory,
    UnitFactory,
    user_with_role,
)
from tests.test_admin_pages import FACTORIES, INLINE_FACTORIES, MODELS

pytestmark = pytest.mark.django_db

REFUSAL = re.compile(
    r"Someone else saved this record after you opened it, so your changes were not saved\. "
    r"Their changes: (?P<changes>.+)\. Reload the page to see the record as it is now, then "
    r"make your changes again\.",
    re.S,
)


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def initiative():
    institution = InstitutionFactory(code="HOME")
    initiative = InitiativeFactory(
        institution=institution, lead_unit=UnitFactory(institution=institution), title="Joint"
    )
    ProgressUpdateFactory(initiative=initiative, narrative="First draft")
    return initiative


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def refusal(response) -> str:
    """The conflict message of a refused save (of the form or of an inline row), or ''."""
    assert response.status_code == 200, "the save went through"
    text = " ".join(" ".join(errors) for errors in response.context["errors"])
    match = REFUSAL.search(text)
    return match.group(0) if match else ""


def record_with_inline_rows(label: str):
    """A record of ``label`` and, for each of its admin's inlines, one row."""
    obj = FACTORIES[label]()
    model_admin = admin.site._registry[type(obj)]
    for inline in model_admin.inlines:
        fk = _get_foreign_key(type(obj), inline.model, fk_name=inline.fk_name)
        {**FACTORIES, **INLINE_FACTORIES}[inline.model._meta.label_lower](**{fk.name: obj})
    return obj


def versions(obj) -> int:
    return obj.history.count()


@pytest.mark.parametrize("label", MODELS)
def test_every_change_form_carries_its_versions_and_saves(admin_client, label):
    obj = record_with_inline_rows(label)
    page = admin_client.get(change_url(obj))
    html = page.content.decode()
    forms = [page.context["adminform"].form] + [
        form for inline in page.context["inline_admin_formsets"] for form in inline.formset.forms
    ]
    for form in forms:
        # In the page a browser submits, not only in the form: a hidden input with the version.
        version = form.instance.history.latest().history_id
        assert f'name="{form["seen_version"].html_name}" value="{version}"' in html, form.prefix
    response = admin_client.post(change_url(obj), form_data(page))
    assert response.status_code == 302, response.context and response.context["errors"]


@pytest.mark.parametrize("label", MODELS)
def test_every_change_form_refuses_a_save_without_its_version(admin_client, label):
    obj = record_with_inline_rows(label)
    data = form_data(admin_client.get(change_url(obj)))
    before = versions(obj)
    del data["seen_version"]
    assert refusal(admin_client.post(change_url(obj), data))
    assert versions(obj) == before


@pytest.mark.parametrize(
    "label",
    [label for label in MODELS if admin.site._registry[FACTORIES[label]._meta.model].inlines],
)
def test_every_inline_row_refuses_a_save_without_its_version(admin_client, label):
    obj = record_with_inline_rows(label)
    page = admin_client.get(change_url(obj))
    row = page.context["inline_admin_formsets"][0].formset.forms[0]
    data = form_data(page)
    del data[row["seen_version"].html_name]
    before = versions(obj), versions(row.instance)
    assert refusal(admin_client.post(change_url(obj), data))
    assert (versions(obj), versions(row.instance)) == before


@pytest.mark.parametrize(
    "carried",
    ["", "abc", "1.5", "-1", "１", "99999999999999999999", "9" * 5000, "another record's"],
)
def test_a_missing_or_foreign_version_is_refused_as_a_stale_one_is(
    admin_client, initiative, carried
):
    other = InitiativeFactory(institution=initiative.institution, lead_unit=initiative.lead_unit)
    if carried == "another record's":  # a version, but of another initiative
        carried = str(other.history.latest().history_id)
    data = form_data(admin_client.get(change_url(initiative)))
    stale = dict(data)
    initiative.title = "Renamed meanwhile"
    initiative.save()
    data["seen_version"] = carried
    data["title"] = "Mine"

    stale_message = refusal(admin_client.post(change_url(initiative), stale))
    message = refusal(admin_client.post(change_url(initiative), data))

    assert stale_message and message
    assert REFUSAL.sub("", stale_message) == REFUSAL.sub("", message) == ""
    assert "title: “Joint” → “Renamed meanwhile”" in message  # the record's last change
    assert Initiative.objects.get(pk=initiative.pk).title == "Renamed meanwhile"


def test_the_current_version_saves(admin_client, initiative):
    data = form_data(admin_client.get(change_url(initiative)))
    assert admin_client.post(change_url(initiative), {**data, "title": "Mine"}).status_code == 302
    assert Initiative.objects.get(pk=initiative.pk).title == "Mine"


def test_an_inline_row_saved_by_someone_else_meanwhile_is_refused(admin_client, initiative):
    update = initiative.progress_updates.get()
    data = form_data(admin_client.get(change_url(initiative)))
    update.narrative = "Revised by a colleague"
    update.save()
    data["progress_updates-0-narrative"] = "My revision"
    message = refusal(admin_client.post(change_url(initiative), data))
    assert "narrative: “First draft” → “Revised by a colleague”" in message
    assert ProgressUpdate.objects.get(pk=update.pk).narrative == "Revised by a colleague"


def test_new_records_and_new_inline_rows_carry_no_version(admin_client, superuser, initiative):
    added = admin_client.post(
        reverse("admin:portfolio_partnerinstitution_add"),
        {"name": "Mahidol University", "country": "TH", "city": "Bangkok"},
    )
    assert added.status_code == 302
    assert PartnerInstitution.objects.filter(name="Mahidol University").exists()

    data = form_data(admin_client.get(change_url(initiative)))
    data["progress_updates-TOTAL_FORMS"] = "2"
    data |= {
        "progress_updates-1-fiscal_year": "2026",
        "progress_updates-1-quarter": "1",
        "progress_updates-1-health": "on_track",
        "progress_updates-1-narrative": "A new quarter",
        "progress_updates-1-author": str(superuser.pk),
    }
    assert admin_client.post(change_url(initiative), data).status_code == 302
    assert initiative.progress_updates.filter(narrative="A new quarter").exists()


def revert_url(obj, version: int) -> str:
    return reverse("admin:portfolio_initiative_simple_history", args=[obj.pk, version])


def test_revert_carries_the_version_and_restores(admin_client, initiative):
    first = initiative.history.earliest().history_id
    initiative.title = "Changed later"
    initiative.save()
    page = admin_client.get(revert_url(initiative, first))
    assert admin_client.post(revert_url(initiative, first), form_data(page)).status_code == 302
    assert Initiative.objects.get(pk=initiative.pk).title == "Joint"


def test_revert_without_the_version_or_over_a_newer_save_is_refused(admin_client, initiative):
    first = initiative.history.earliest().history_id
    page = admin_client.get(revert_url(initiative, first))
    data = form_data(page)
    without = {key: value for key, value in data.items() if key != "seen_version"}
    assert refusal(admin_client.post(revert_url(initiative, first), without))
    initiative.title = "Saved after the version page was opened"
    initiative.save()
    assert refusal(admin_client.post(revert_url(initiative, first), data))
    assert Initiative.objects.get(pk=initiative.pk).title == initiative.title


def test_a_conflict_on_a_shared_record_does_not_name_a_user_of_another_institution():
    home, away = InstitutionFactory(code="HOME"), InstitutionFactory(code="AWAY")
    partner = PartnerFactory(name="Shared Partner")
    mine, theirs = Client(), Client()
    mine.force_login(user_with_role(EDITOR, institutions=[home], is_staff=True, username="aiko"))
    theirs.force_login(
        user_with_role(EDITOR, institutions=[away], is_staff=True, username="bravo-zq")
    )
    colleague = Client()
    colleague.force_login(
        user_with_role(EDITOR, institutions=[home], is_staff=True, username="hiro")
    )
    opened = form_data(mine.get(change_url(partner)))
    for client, city in ((theirs, "Chiang Mai"), (colleague, "Khon Kaen")):
        data = form_data(client.get(change_url(partner)))
        assert client.post(change_url(partner), {**data, "city": city}).status_code == 302

    message = refusal(mine.post(change_url(partner), {**opened, "city": "Phuket"}))

    assert "bravo-zq" not in message
    assert "a user of another institution at " in message and "“Bangkok” → “Chiang Mai”" in message
    assert "hiro at " in message and "“Chiang Mai” → “Khon Kaen”" in message


def test_an_administrator_sees_who_it_was(admin_client):
    partner = PartnerFactory(name="Shared Partner")
    opened = form_data(admin_client.get(change_url(partner)))
    theirs = Client()
    theirs.force_login(
        user_with_role(
            EDITOR, institutions=[InstitutionFactory()], is_staff=True, username="bravo-zq"
        )
    )
    data = form_data(theirs.get(change_url(partner)))
    theirs.post(change_url(partner), {**data, "city": "Chiang Mai"})
    message = refusal(admin_client.post(change_url(partner), {**opened, "city": "Phuket"}))
    assert "bravo-zq at " in message
