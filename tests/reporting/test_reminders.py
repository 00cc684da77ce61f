"""The reporting cycle's reminders, mailed to a real SMTP server on loopback (aiosmtpd).

One cycle of one institution, due on DUE: a report owed by its initiative's named owner (English)
and by its lead unit's editor (Japanese), a figure owed by that editor, a report already
submitted that waits for the reviewer, and the unit's director to escalate to. Each test passes
the scheduler a fixed day instead of reading the clock.
"""

import datetime as dt
import io
import socket
import sqlite3
import threading
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from common.roles import EDITOR, REVIEWER
from reporting.models import FigureReport, Occasion, Reminder, Report, ReportingCycle, State
from reporting.reminders.digests import digests_for
from reporting.reminders.schedule import run_checks
from reporting.reminders.services import reminder_claim
from tests.factories import (
    AppointmentFactory,
    GoalFactory,
    IndicatorFactory,
    InitiativeFactory,
    InstitutionFactory,
    PersonFactory,
    UnitFactory,
    UserFactory,
    user_with_role,
)
from units.models import UserScope

DUE = dt.date(2026, 7, 15)


class Collector:
    """An SMTP server's DATA handler that keeps each message; it can refuse the next ones."""

    def __init__(self):
        self.messages = []
        self.refuse = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refuse:
                self.refuse -= 1
                return "451 Try again later"
            message = message_from_bytes(envelope.content, policy=policy.default)
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback, and the product's mail pointed at it, tasks run at once."""
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = "https://portfolio.example.ac.jp"
    immediate = {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    settings.TASKS = {"default": immediate, "immediate": immediate}
    yield collector
    controller.stop()


@pytest.fixture
def cycle(db):
    institution = InstitutionFactory(code="KU")
    unit = UnitFactory(institution=institution, code="OIA")
    owner = UserFactory(username="olivia", email="olivia@example.ac.jp")
    editor = user_with_role(EDITOR, units=[unit], username="kenji", email="kenji@example.ac.jp")
    UserScope.objects.filter(user=editor).update(language="ja")
    reviewer = user_with_role(
        REVIEWER, institutions=[institution], username="rei", email="rei@example.ac.jp"
    )
    head = UserFactory(username="hiro", email="hiro@example.ac.jp")
    AppointmentFactory(unit=unit, person=PersonFactory(user=head), role="director")
    owed = InitiativeFactory(
        institution=institution,
        lead_unit=unit,
        code="KU-ONSITE",
        title="On-site exchange",
        title_ja="現地交流",
        owner=PersonFactory(user=owner),
    )
    done = InitiativeFactory(
        institution=institution, lead_unit=unit, code="KU-DONE", title="Joint degree"
    )
    goal = GoalFactory(framework__institution=institution)
    goal.units.set([unit])
    indicator = IndicatorFactory(goal=goal, code="OUTBOUND", name="Outbound students")
    made = ReportingCycle.objects.create(
        institution=institution,
        fiscal_year=2026,
        period="q1",
        due_date=DUE,
        remind_days_before=7,
        escalate_after_days=5,
    )
    opened = dt.datetime(2026, 6, 15, 9, 0, tzinfo=timezone.get_current_timezone())
    ReportingCycle.objects.filter(pk=made.pk).update(opened_at=opened)
    made.refresh_from_db()
    report = Report.objects.create(cycle=made, initiative=owed)
    Report.objects.create(cycle=made, initiative=done, state=State.SUBMITTED)
    figure = FigureReport.objects.create(cycle=made, indicator=indicator, state=State.DRAFT)
    made.people = {"owner": owner, "editor": editor, "reviewer": reviewer, "head": head}
    made.report, made.figure = report, figure
    return made


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def opened_day(cycle) -> dt.date:
    return timezone.localdate(cycle.opened_at)  # 2026-06-15, a month before DUE


def test_a_cycle_opening_sends_each_owner_one_digest_of_their_items_in_their_language(smtp, cycle):
    run_checks(opened_day(cycle))

    owner = smtp.to("olivia@example.ac.jp")
    assert len(owner) == 1
    body = text_of(owner[0])
    assert owner[0]["Subject"] == f"Reports are due for {cycle}"
    assert "KU-ONSITE On-site exchange" in body
    assert "OUTBOUND" not in body  # the named owner owes the report only
    assert "KU-DONE" not in body  # submitted: nothing owed
    link = f"https://portfolio.example.ac.jp/admin/reporting/report/{cycle.report.pk}/change/"
    assert link in body
    assert f'href="{link}"' in html_of(owner[0])
    assert "July 15, 2026" in body

    editor = smtp.to("kenji@example.ac.jp")
    assert len(editor) == 1  # one digest: the report and the figure together
    body = text_of(editor[0])
    assert "KU-ONSITE 現地交流" in body
    assert "OUTBOUND Outbound students" in body
    assert f"/admin/reporting/figurereport/{cycle.figure.pk}/change/" in body
    assert "2026年7月15日" in body
    assert "報告" in editor[0]["Subject"]

    # The head is told nothing yet; the reviewer is told of the submitted report only.
    assert smtp.to("hiro@example.ac.jp") == []
    review = smtp.to("rei@example.ac.jp")
    assert len(review) == 1
    assert "KU-DONE Joint degree" in text_of(review[0])
    assert "KU-ONSITE" not in text_of(review[0])
    assert Reminder.objects.filter(sent_at__isnull=False).count() == 3


@pytest.mark.parametrize(
    "day, occasion, words",
    [
        (DUE - dt.timedelta(days=7), Occasion.BEFORE_DUE, "is due in 7 days"),
        (DUE, Occasion.DUE, "is due today"),
        (DUE + dt.timedelta(days=2), Occasion.OVERDUE, "2 days ago"),
    ],
)
def test_owners_are_reminded_before_on_and_after_the_due_date(smtp, cycle, day, occasion, words):
    run_checks(day)

    owner = smtp.to("olivia@example.ac.jp")
    assert len(owner) == 1
    assert words in text_of(owner[0])
    assert "KU-ONSITE" in text_of(owner[0])
    assert len(smtp.to("kenji@example.ac.jp")) == 1
    assert smtp.to("hiro@example.ac.jp") == []
    sent = Reminder.objects.exclude(occasion=Occasion.REVIEW)
    assert set(sent.values_list("occasion", flat=True)) == {occasion}
    assert sent.get(recipient=cycle.people["editor"]).items == 2


def test_a_cycle_opened_on_its_due_date_sends_one_digest_a_day_not_two(smtp, cycle):
    ReportingCycle.objects.filter(pk=cycle.pk).update(due_date=opened_day(cycle))
    run_checks(opened_day(cycle))
    owner = smtp.to("olivia@example.ac.jp")
    assert len(owner) == 1
    assert "is due today" in text_of(owner[0])


def test_no_reminder_on_a_day_of_no_occasion(smtp, cycle):
    run_checks(DUE - dt.timedelta(days=3))
    assert smtp.to("olivia@example.ac.jp") == [] and smtp.to("kenji@example.ac.jp") == []


def test_overdue_items_are_escalated_to_the_unit_head_after_m_days(smtp, cycle):
    run_checks(DUE + dt.timedelta(days=4))
    assert smtp.to("hiro@example.ac.jp") == []

    run_checks(DUE + dt.timedelta(days=5))
    head = smtp.to("hiro@example.ac.jp")
    assert len(head) == 1
    body = text_of(head[0])
    assert "your units" in body
    assert "KU-ONSITE" in body and "OUTBOUND" in body
    assert "KU-DONE" not in body
    # The owners are still told, each once that day.
    assert len(smtp.to("olivia@example.ac.jp")) == 2  # days 4 and 5, overdue

    run_checks(DUE + dt.timedelta(days=6))
    assert len(smtp.to("hiro@example.ac.jp")) == 1  # escalated once


def test_what_is_submitted_leaves_the_owners_digest_and_waits_for_the_reviewer(smtp, cycle):
    Report.objects.filter(pk=cycle.report.pk).update(state=State.SUBMITTED)
    run_checks(DUE)

    assert smtp.to("olivia@example.ac.jp") == []  # nothing owed any more
    editor = text_of(smtp.to("kenji@example.ac.jp")[0])
    assert "OUTBOUND" in editor and "KU-ONSITE" not in editor
    review = text_of(smtp.to("rei@example.ac.jp")[0])
    assert "KU-ONSITE" in review and "KU-DONE" in review
    assert "OUTBOUND" not in review  # a draft figure waits for no one


def test_running_the_scheduler_twice_the_same_day_sends_nothing_more(smtp, cycle):
    first = run_checks(DUE)
    count = len(smtp.messages)
    assert count == 3 and first.claimed == 3

    again = run_checks(DUE)
    assert len(smtp.messages) == count
    assert (again.claimed, again.held) == (0, 3)
    # The next day is another day: the overdue digest goes.
    run_checks(DUE + dt.timedelta(days=1))
    assert len(smtp.to("olivia@example.ac.jp")) == 2


def test_a_refused_send_leaves_no_claim_and_the_next_check_sends_it(smtp, cycle):
    Group.objects.get(name=REVIEWER).user_set.clear()
    smtp.refuse = 1
    run_checks(DUE)
    assert len(smtp.messages) == 1  # the first mail was refused
    assert Reminder.objects.count() == 1
    assert Reminder.objects.get().sent_at is not None

    run_checks(DUE)
    assert len(smtp.messages) == 2
    assert Reminder.objects.filter(sent_at__isnull=True).count() == 0
    assert {m["To"] for m in smtp.messages} == {"olivia@example.ac.jp", "kenji@example.ac.jp"}


def test_nothing_is_claimed_where_no_mail_is_configured(smtp, cycle, settings):
    settings.EMAIL_HOST = ""
    run_checks(DUE)
    assert smtp.messages == [] and not Reminder.objects.exists()


def test_a_closed_cycle_reminds_no_one(smtp, cycle):
    ReportingCycle.objects.filter(pk=cycle.pk).update(closed_at=timezone.now())
    run_checks(DUE)
    assert smtp.messages == []


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_queues_the_check_and_a_database_worker_sends_the_digests(
    smtp, cycle, settings
):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
    }
    call_command("run_scheduler", "--once", "--today", DUE.isoformat(), stdout=io.StringIO())
    assert list(DBTaskResult.objects.values_list("task_path", flat=True)) == [
        "reporting.tasks.check_cycles"
    ]
    assert smtp.messages == []  # queued, not run

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    assert sorted(m["To"] for m in smtp.messages) == [
        "kenji@example.ac.jp",
        "olivia@example.ac.jp",
        "rei@example.ac.jp",
    ]
    paths = DBTaskResult.objects.values_list("task_path", "status")
    assert sorted(paths) == [
        ("reporting.tasks.check_cycles", "SUCCESSFUL"),
        *[("reporting.tasks.send_digest", "SUCCESSFUL")] * 3,
    ]


def test_run_scheduler_now_sends_in_its_own_process_without_a_worker(smtp, cycle, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
        "immediate": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    }
    out = io.StringIO()
    call_command("run_scheduler", "--now", "--today", DUE.isoformat(), stdout=out)
    assert "3 digest(s) sent" in out.getvalue()
    assert len(smtp.messages) == 3
    assert not DBTaskResult.objects.exists()


@pytest.fixture
def database_for_threads(tmp_path):
    """The test database as two workers see it: separate connections, each in its own thread.

    PostgreSQL's test database is one already. SQLite's is in memory with a shared cache, whose
    table locks fail at once ("database table is locked") where a file waits its busy timeout; so
    the committed data is copied into a file (SQLite's backup) and the threads open that file, with
    the settings' IMMEDIATE transactions and busy timeout, as two workers on one server do.
    """
    if connection.vendor != "sqlite":
        yield
        return
    path = tmp_path / "workers.sqlite3"
    copy = sqlite3.connect(path)
    connection.ensure_connection()
    connection.connection.backup(copy)
    copy.close()
    settings_dict, name = connection.settings_dict, connection.settings_dict["NAME"]
    assert settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    settings_dict["NAME"] = str(path)
    try:
        yield
    finally:
        settings_dict["NAME"] = name


def in_threads(count: int, function) -> list:
    """``function()`` in ``count`` threads released at once, each with its own connection."""
    barrier, errors, results = threading.Barrier(count), [], []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(function())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == count
    return results


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_mail_exactly_once(smtp, cycle, database_for_threads):
    day = DUE + dt.timedelta(days=5)  # overdue and escalation
    results = in_threads(2, lambda: run_checks(day))

    # Owner, editor (overdue), head (escalation), reviewer (review): four mails, once each.
    assert sorted(m["To"] for m in smtp.messages) == [
        "hiro@example.ac.jp",
        "kenji@example.ac.jp",
        "olivia@example.ac.jp",
        "rei@example.ac.jp",
    ]
    assert sum(result.claimed for result in results) == 4
    assert sum(result.held for result in results) == 4
    [sent] = in_threads(1, lambda: Reminder.objects.filter(sent_at__isnull=False).count())
    assert sent == 4


@pytest.mark.django_db(transaction=True)
def test_two_claims_of_one_digest_at_once_one_wins(cycle, database_for_threads):
    recipient = cycle.people["owner"].pk

    def claim():
        return reminder_claim(
            recipient=recipient, cycle=cycle.pk, occasion=Occasion.DUE, day=DUE, items=1
        )

    claims = in_threads(2, claim)
    assert sorted(claim is None for claim in claims) == [False, True]
    [rows] = in_threads(1, lambda: Reminder.objects.count())
    assert rows == 1


def test_building_a_cycles_digests_costs_the_same_queries_for_more_items(cycle):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            for occasion in [Occasion.DUE, Occasion.ESCALATION, Occasion.REVIEW]:
                digests_for(cycle, occasion, DUE + dt.timedelta(days=5))
        return len(captured)

    few = queries()
    unit = cycle.report.initiative.lead_unit
    for _ in range(20):
        initiative = InitiativeFactory(institution=cycle.institution, lead_unit=unit)
        Report.objects.create(cycle=cycle, initiative=initiative)
    for n in range(3):
        user_with_role(EDITOR, units=[unit], email=f"editor{n}@example.ac.jp")
    assert len(digests_for(cycle, Occasion.DUE, DUE)[-1].items) == 22  # 21 reports, the figure
    assert queries() == few
