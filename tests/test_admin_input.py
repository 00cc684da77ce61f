"""Nothing typed into the admin is lost or half written: edit conflicts, bad text, markup."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from common.roles import EDITOR, LEADERSHIP
from common.text_input import LONG_TEXT_MAX
from portfolio.models import Initiative
from tests.admin_forms import form_data
from tests.factories import (
    GoalFactory,
    InitiativeFactory,
    InstitutionFactory,
    UnitFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

CONFLICT = "Someone else saved this record after you opened it"


@pytest.fixture
def initiative():
    institution = InstitutionFactory(code="HOME")
    initiative = InitiativeFactory(
        institution=institution,
        lead_unit=UnitFactory(institution=institution),
        title="Joint degree",
    )
    initiative.goals.add(GoalFactory(framework__institution=institution, code="G1"))
    return initiative


def editor_of(initiative, name: str) -> Client:
    client = Client()
    client.force_login(
        user_with_role(EDITOR, institutions=[initiative.institution], username=name, is_staff=True)
    )
    return client


def url_of(initiative) -> str:
    return reverse("admin:portfolio_initiative_change", args=[initiative.pk])


def test_the_second_of_two_editors_saving_is_refused_with_what_the_first_changed(initiative):
    first, second = editor_of(initiative, "aiko"), editor_of(initiative, "ben")
    versions = initiative.history.count()
    first_form = form_data(first.get(url_of(initiative)))
    second_form = form_data(second.get(url_of(initiative)))

    saved = first.post(url_of(initiative), {**first_form, "title": "Joint master's degree"})
    assert saved.status_code == 302
    refused = second.post(url_of(initiative), {**second_form, "title": "Double degree"})

    assert refused.status_code == 200
    message = " ".join(refused.context["adminform"].form.non_field_errors())
    assert CONFLICT in message
    assert "aiko" in message and "title: “Joint degree” → “Joint master's degree”" in message
    initiative.refresh_from_db()
    assert initiative.title == "Joint master's degree"
    assert initiative.history.count() == versions + 1  # the first editor's save only


def test_a_change_made_by_an_import_also_refuses_a_stale_form(initiative):
    editor = editor_of(initiative, "aiko")
    stale = form_data(editor.get(url_of(initiative)))
    initiative.title = "Renamed by a data steward's import"
    initiative._change_reason = "Import batch 7 (initiatives): fy2025.xlsx"
    initiative.save()
    response = editor.post(url_of(initiative), {**stale, "status": "completed"})
    assert CONFLICT in " ".join(response.context["adminform"].form.non_field_errors())
    initiative.refresh_from_db()
    assert initiative.status == "active"


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_editors_saving_at_the_same_moment_one_is_refused(initiative):
    forms, versions = {}, initiative.history.count()
    clients = {name: editor_of(initiative, name) for name in ["aiko", "ben"]}
    for name, client in clients.items():
        forms[name] = form_data(client.get(url_of(initiative)))
    barrier, answers = threading.Barrier(2), {}

    def save(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            answers[name] = clients[name].post(url_of(initiative), {**forms[name], "title": name})
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=[name]) for name in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    codes = sorted(response.status_code for response in answers.values())
    assert codes == [200, 302]
    loser = next(name for name, response in answers.items() if response.status_code == 200)
    winner = next(name for name in answers if name != loser)
    assert CONFLICT in answers[loser].content.decode()
    initiative.refresh_from_db()
    assert initiative.title == winner
    assert initiative.history.count() == versions + 1


@pytest.mark.parametrize(
    "field, typed, error",
    [
        ("title", "Joint\x00degree", "Null characters are not allowed."),
        (
            "title",
            "Joint\x07degree",
            "Contains a control character (U+0007)",
        ),
        ("title", "x" * 301, "Ensure this value has at most 300 characters (it has 301)."),
        ("summary", "x" * (LONG_TEXT_MAX + 1), f"at most {LONG_TEXT_MAX} characters"),
        (
            "summary",
            "Line one\x1bLine two",
            "Contains a control character (U+001B)",
        ),
    ],
)
def test_bad_text_is_a_field_error_and_nothing_is_written(initiative, field, typed, error):
    editor, versions = editor_of(initiative, "aiko"), initiative.history.count()
    data = {**form_data(editor.get(url_of(initiative))), field: typed}
    response = editor.post(url_of(initiative), data)
    assert response.status_code == 200
    assert error in " ".join(response.context["adminform"].form.errors[field])
    assert Initiative.objects.get(pk=initiative.pk).title == "Joint degree"
    assert initiative.history.count() == versions


def test_tabs_and_line_breaks_in_long_text_are_kept(initiative):
    editor = editor_of(initiative, "aiko")
    summary = "First line\r\n\tindented second line"
    data = {**form_data(editor.get(url_of(initiative))), "summary": summary}
    assert editor.post(url_of(initiative), data).status_code == 302
    assert Initiative.objects.get(pk=initiative.pk).summary == summary


MARKUP = "<script>alert('x')</script> & <b>bold</b>"


def test_markup_in_a_title_is_shown_as_text_in_the_admin_dashboards_and_exports(initiative):
    Initiative.objects.filter(pk=initiative.pk).update(title=MARKUP)
    goal = initiative.goals.get()
    escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"

    editor = editor_of(initiative, "aiko")
    listing = editor.get(reverse("admin:portfolio_initiative_changelist")).content.decode()
    assert escaped in listing and MARKUP not in listing

    leader = Client()
    leader.force_login(user_with_role(LEADERSHIP, institutions=[initiative.institution]))
    page = leader.get(reverse("dashboards:goal", args=[goal.pk])).content.decode()
    assert escaped in page and MARKUP not in page
    csv_table = leader.get(reverse("dashboards:goal", args=[goal.pk]), {"csv": "initiatives"})
    assert MARKUP in csv_table.content.decode("utf-8-sig")  # a spreadsheet shows text as text

    export = editor.get(reverse("admin:imports_importbatch_export", args=["initiatives", "csv"]))
    assert MARKUP in export.content.decode("utf-8-sig")
