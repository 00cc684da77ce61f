"""The office board's "Send a reminder" button, mailed to a real SMTP server on loopback.

The cycle of ``test_reminders`` (past its due date by the clock): a report owed by its named
owner (English) and its lead unit's editor (Japanese), a figure owed by that editor, a report
already submitted. The office's editor, of the whole institution, owes nothing and clicks.
"""

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from common.roles import ADMINISTRATOR, DATA_STEWARD, EDITOR, LEADERSHIP, REVIEWER, UNIT_EDITOR
from reporting.models import Occasion, Reminder, Report
from tests.factories import InitiativeFactory, InstitutionFactory, user_with_role
from tests.reporting.test_reminders import text_of


def board_url(cycle) -> str:
    return reverse("reporting:cycle", args=[cycle.pk])


def remind_url(cycle, record) -> str:
    name = "reporting:remind_report" if isinstance(record, Report) else "reporting:remind_figure"
    return reverse(name, args=[cycle.pk, record.pk])


def office(cycle, role=EDITOR, **fields):
    scope = {} if role == ADMINISTRATOR else {"institutions": [cycle.institution]}
    return user_with_role(role, username=f"office-{role.lower()}", **scope, **fields)


def shown(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("role", [EDITOR, REVIEWER, ADMINISTRATOR])
def test_the_office_reminds_each_owner_once_of_what_they_owe_in_their_language(
    client, smtp, cycle, role
):
    client.force_login(office(cycle, role))
    board = shown(client.get(board_url(cycle)))
    assert board.count("Send a reminder</button>") == 2  # the report and the figure still owed
    assert f'action="{remind_url(cycle, cycle.report)}"' in board
    assert 'name="csrfmiddlewaretoken"' in board

    response = client.post(remind_url(cycle, cycle.report), follow=True)
    assert response.redirect_chain == [(board_url(cycle), 302)]
    page = shown(response)
    assert "Reminded 2 owners of KU-ONSITE" in page

    owner = smtp.to("olivia@example.ac.jp")
    assert len(owner) == 1
    # A long subject with a non-ASCII dash is folded: the parsed header keeps a leading space.
    assert owner[0]["Subject"].strip() == f"A reminder from the office: reports for {cycle}"
    body = text_of(owner[0])
    assert "The office reminds you that" in body and "days ago" in body
    assert "KU-ONSITE On-site exchange" in body
    assert "OUTBOUND" not in body and "KU-DONE" not in body
    editor = smtp.to("kenji@example.ac.jp")
    assert len(editor) == 1  # their digest of the cycle: the report and their figure
    body = text_of(editor[0])
    assert "KU-ONSITE 現地交流" in body and "OUTBOUND Outbound students" in body
    assert "担当部署からの督促" in editor[0]["Subject"]
    assert "担当部署からのお知らせです" in body
    assert len(smtp.messages) == 2
    sent = Reminder.objects.filter(occasion=Occasion.MANUAL, sent_at__isnull=False)
    assert set(sent.values_list("recipient", flat=True)) == {
        cycle.people["owner"].pk,
        cycle.people["editor"].pk,
    }
    # Every owner of both items has been reminded: the board says so in place of the buttons.
    assert "Send a reminder</button>" not in page
    assert page.count("Already reminded today") == 2


def test_a_second_click_the_same_day_sends_nothing_and_says_so(client, smtp, cycle):
    client.force_login(office(cycle))
    client.post(remind_url(cycle, cycle.report))
    assert len(smtp.messages) == 2

    again = shown(client.post(remind_url(cycle, cycle.report), follow=True))
    assert "The 2 owners of KU-ONSITE were already reminded today" in again
    figure = shown(client.post(remind_url(cycle, cycle.figure), follow=True))
    assert "The owner of OUTBOUND was already reminded today" in figure
    assert len(smtp.messages) == 2
    assert Reminder.objects.filter(occasion=Occasion.MANUAL).count() == 2


def test_the_office_reminder_is_not_held_back_by_the_days_scheduled_digest(client, smtp, cycle):
    from django.utils import timezone

    from reporting.reminders.schedule import run_checks

    run_checks(timezone.localdate())  # the overdue digests of the day
    scheduled = len(smtp.to("olivia@example.ac.jp"))
    assert scheduled == 1
    client.force_login(office(cycle))
    client.post(remind_url(cycle, cycle.figure))  # owed by the editor only
    assert len(smtp.to("olivia@example.ac.jp")) == scheduled
    assert len(smtp.to("kenji@example.ac.jp")) == 2


def test_the_redirect_keeps_the_boards_filters(client, smtp, cycle):
    client.force_login(office(cycle))
    unit = cycle.report.initiative.lead_unit
    response = client.post(
        remind_url(cycle, cycle.report), {"unit": unit.pk, "state": "overdue", "next": "//x"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{board_url(cycle)}?unit={unit.pk}&state=overdue"


def test_the_reminder_goes_through_the_task_queue(client, smtp, cycle, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
    }
    client.force_login(office(cycle))
    client.post(remind_url(cycle, cycle.report))
    assert smtp.messages == []  # queued, not sent in the request
    assert (
        list(DBTaskResult.objects.values_list("task_path", flat=True))
        == ["reporting.tasks.send_digest"] * 2
    )
    assert Reminder.objects.filter(occasion=Occasion.MANUAL, sent_at__isnull=True).count() == 2


def test_an_item_with_no_owner_with_a_login_says_so(client, smtp, cycle):
    lonely = Report.objects.create(
        cycle=cycle, initiative=InitiativeFactory(institution=cycle.institution, code="KU-ALONE")
    )
    client.force_login(office(cycle))
    page = shown(client.post(remind_url(cycle, lonely), follow=True))
    assert "KU-ALONE has no owner with a login: no one was reminded." in page
    assert smtp.messages == [] and not Reminder.objects.exists()


def test_an_item_no_longer_owed_gets_no_button_and_no_reminder(client, smtp, cycle):
    done = Report.objects.get(initiative__code="KU-DONE")
    client.force_login(office(cycle))
    board = shown(client.get(board_url(cycle)))
    assert f'action="{remind_url(cycle, done)}"' not in board
    page = shown(client.post(remind_url(cycle, done), follow=True))
    assert "KU-DONE is no longer owed: no one was reminded." in page
    assert smtp.messages == []


def test_a_closed_cycle_reminds_no_one(client, smtp, cycle):
    from django.utils import timezone

    cycle.__class__.objects.filter(pk=cycle.pk).update(closed_at=timezone.now())
    client.force_login(office(cycle))
    assert "Send a reminder</button>" not in shown(client.get(board_url(cycle)))
    page = shown(client.post(remind_url(cycle, cycle.report), follow=True))
    assert "This cycle is closed: no one was reminded." in page
    assert smtp.messages == []


@pytest.mark.parametrize("role", [LEADERSHIP, UNIT_EDITOR, DATA_STEWARD])
def test_a_reader_who_does_not_run_the_cycle_sees_no_button_and_is_refused(
    client, smtp, cycle, role
):
    unit = cycle.report.initiative.lead_unit
    scope = {"units": [unit]} if role == UNIT_EDITOR else {"institutions": [cycle.institution]}
    client.force_login(user_with_role(role, username="reader", is_staff=True, **scope))
    board = client.get(board_url(cycle))
    assert board.status_code == 200
    assert "Send a reminder" not in shown(board)
    assert client.post(remind_url(cycle, cycle.report)).status_code == 403
    assert smtp.messages == [] and not Reminder.objects.exists()


def test_another_institutions_user_does_not_find_the_item(client, smtp, cycle):
    outsider = user_with_role(EDITOR, institutions=[InstitutionFactory()], username="out")
    client.force_login(outsider)
    assert client.post(remind_url(cycle, cycle.report)).status_code == 404
    assert smtp.messages == []


def test_an_item_of_another_cycle_is_not_found(client, smtp, cycle):
    other = cycle.__class__.objects.create(
        institution=cycle.institution, fiscal_year=2026, period="q2", due_date=cycle.due_date
    )
    client.force_login(office(cycle))
    url = reverse("reporting:remind_report", args=[other.pk, cycle.report.pk])
    assert client.post(url).status_code == 404
    assert smtp.messages == []


def test_the_button_is_a_post_only(client, smtp, cycle):
    client.force_login(office(cycle))
    assert client.get(remind_url(cycle, cycle.report)).status_code == 405
    assert client.get(remind_url(cycle, cycle.figure)).status_code == 405
    assert smtp.messages == []


def test_the_post_needs_its_csrf_token(smtp, cycle):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(office(cycle))
    assert client.post(remind_url(cycle, cycle.report)).status_code == 403
    assert smtp.messages == []


def test_the_board_in_japanese(client, smtp, cycle):
    client.force_login(office(cycle))
    client.cookies["django_language"] = "ja"
    board = shown(client.get(board_url(cycle), HTTP_ACCEPT_LANGUAGE="ja"))
    assert board.count("督促を送る</button>") == 2
    page = shown(client.post(remind_url(cycle, cycle.report), follow=True))
    assert "KU-ONSITE の責任者 2 名に督促しました。" in page
    assert page.count("本日督促済み") == 2
