"""A whole reporting cycle, told as one story, with its mail going to a real SMTP server (aiosmtpd).

An administrator opens the round of one institution through ``cycle_open``: two units, each with
an owner (one reads English, one Japanese), two reviewers, and a director heading the second
unit. The opening digests go at once; the first owner drafts, submits, is returned with a
comment, resubmits and is approved by a reviewer who did not write the report (the other, who
did, is refused), which publishes the progress update; the second owner never submits, and is
told before the due date, after it, and then escalated to the unit's director, on the day two
workers run the scheduler at once. Each day is handed to the scheduler (``run_checks(day)``).
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from common.roles import ADMINISTRATOR, REVIEWER, UNIT_EDITOR
from portfolio.models import ProgressUpdate
from reporting.models import Comment, Occasion, Period, Reminder, Report, ReportingCycle, State
from reporting.reminders.schedule import run_checks
from reporting.services import (
    cycle_open,
    report_approve,
    report_return,
    report_save,
    report_submit,
)
from tests.factories import (
    AppointmentFactory,
    InitiativeFactory,
    InstitutionFactory,
    PersonFactory,
    UnitFactory,
    UserFactory,
    user_with_role,
)
from tests.reporting.test_reminders import (  # noqa: F401 (database_for_threads: a fixture)
    database_for_threads,
    in_threads,
    text_of,
)
from units.models import UserScope

EN, JA, HEAD = "olivia@example.ac.jp", "kenji@example.ac.jp", "hiro@example.ac.jp"
REVIEWERS = ["rei@example.ac.jp", "sato@example.ac.jp"]


def office() -> dict:
    """Kyoto's international office: its people and an initiative for each of its two units."""
    institution = InstitutionFactory(code="KU")
    exchange, centers = (UnitFactory(institution=institution, code=code) for code in ("IO", "OC"))
    people = {
        "admin": user_with_role(ADMINISTRATOR, username="office-admin", email="admin@example.jp"),
        "olivia": user_with_role(UNIT_EDITOR, units=[exchange], username="olivia", email=EN),
        "kenji": user_with_role(UNIT_EDITOR, units=[centers], username="kenji", email=JA),
        "rei": user_with_role(
            REVIEWER, institutions=[institution], username="rei", email=REVIEWERS[0]
        ),
        "sato": user_with_role(
            REVIEWER, institutions=[institution], username="sato", email=REVIEWERS[1]
        ),
        "hiro": UserFactory(username="hiro", email=HEAD),
    }
    UserScope.objects.filter(user=people["kenji"]).update(language="ja")
    AppointmentFactory(unit=centers, person=PersonFactory(user=people["hiro"]), role="director")
    InitiativeFactory(
        institution=institution, lead_unit=exchange, code="KU-SWAP", title="Student swap"
    )
    InitiativeFactory(
        institution=institution,
        lead_unit=centers,
        code="KU-BKK",
        title="Bangkok center",
        title_ja="バンコク拠点",
    )
    return {"institution": institution, **people}


def mails(smtp, address: str, since: int = 0) -> list:
    return smtp.to(address)[since:]


def subject_of(message) -> str:
    """The subject as a reader sees it: a long encoded subject is folded onto the header's next
    line, and Python's parser keeps the fold's leading space, which mail clients drop."""
    return message["Subject"].strip()


def counts(smtp) -> dict[str, int]:
    return {address: len(smtp.to(address)) for address in (EN, JA, HEAD, *REVIEWERS)}


def history_of(record) -> list[tuple]:
    rows = record.history.order_by("history_date", "history_id")
    return [(row.history_user.username, row.history_change_reason, row.state) for row in rows]


@pytest.mark.django_db(transaction=True)
def test_a_whole_cycle_from_opening_to_escalation_mails_each_person_once(smtp, request):
    people = office()
    opened = timezone.localdate()
    due = opened + dt.timedelta(days=10)
    cycle = cycle_open(
        cycle=ReportingCycle(
            institution=people["institution"],
            fiscal_year=2026,
            period=Period.Q3,
            due_date=due,
            remind_days_before=3,
            escalate_after_days=4,
        ),
        user=people["admin"],
        reason="The autumn round",
    )
    swap = Report.objects.get(cycle=cycle, initiative__code="KU-SWAP")
    bangkok = Report.objects.get(cycle=cycle, initiative__code="KU-BKK")

    # Opening queued the check: each owner's digest arrived without waiting for a tick, once.
    assert counts(smtp) == {EN: 1, JA: 1, HEAD: 0, REVIEWERS[0]: 0, REVIEWERS[1]: 0}
    [english] = mails(smtp, EN)
    assert subject_of(english) == f"Reports are due for {cycle}"
    assert f"The reporting cycle {cycle} has opened" in text_of(english)
    assert "KU-SWAP Student swap" in text_of(english) and "KU-BKK" not in text_of(english)
    [japanese] = mails(smtp, JA)
    with translation.override("ja"):
        assert subject_of(japanese) == f"{cycle} の報告をお願いします"
        assert f"報告サイクル {cycle} が始まりました" in text_of(japanese)
    assert "KU-BKK バンコク拠点" in text_of(japanese) and "KU-SWAP" not in text_of(japanese)
    assert run_checks(opened).claimed == 0  # the scheduler's tick that day: nothing twice
    assert counts(smtp)[EN] == 1 and counts(smtp)[JA] == 1

    # Day 1: Olivia drafts and submits; both reviewers are told of it, no owner is mailed.
    swap.health, swap.narrative = "on_track", "Twelve students went to Lyon."
    report_save(report=swap, user=people["olivia"], reason="First draft")
    report_submit(report=swap, user=people["olivia"], comment="Ready for review")
    run_checks(opened + dt.timedelta(days=1))
    assert counts(smtp) == {EN: 1, JA: 1, HEAD: 0, REVIEWERS[0]: 1, REVIEWERS[1]: 1}
    for reviewer in REVIEWERS:
        [review] = mails(smtp, reviewer)
        assert subject_of(review) == f"Waiting for your review: {cycle}"
        assert "KU-SWAP Student swap" in text_of(review) and "KU-BKK" not in text_of(review)

    # Day 2: Rei returns it with a comment; Sato adds the Japanese narrative, Olivia the numbers
    # and resubmits. Sato wrote part of it, so she may not approve it, nor may Olivia; Rei does.
    returned = "Say how many went, and where."
    report_return(report=swap, user=people["rei"], comment=returned)
    assert swap.state == State.RETURNED
    assert list(Comment.objects.filter(report=swap).values_list("author__username", "body")) == [
        ("rei", returned)
    ]
    swap.narrative_ja = "12名がリヨンへ派遣された。"
    report_save(report=swap, user=people["sato"], reason="Japanese narrative")
    swap.narrative = "Twelve students went to Lyon for a semester."
    report_save(report=swap, user=people["olivia"], reason="Where and how long")
    report_submit(report=swap, user=people["olivia"], comment="Numbers added")
    for writer in ("sato", "olivia"):
        with pytest.raises(PermissionDenied):
            report_approve(report=Report.objects.get(pk=swap.pk), user=people[writer])
    assert Report.objects.get(pk=swap.pk).state == State.SUBMITTED
    report_approve(report=swap, user=people["rei"], comment="Thank you")
    update = ProgressUpdate.objects.get(initiative=swap.initiative, fiscal_year=2026, quarter=3)
    assert (update.narrative, update.narrative_ja) == (swap.narrative, swap.narrative_ja)
    assert update.history.get().history_user == people["rei"]

    # Every step is a history row naming its user and its comment or reason.
    assert history_of(Report.objects.get(pk=swap.pk)) == [
        ("office-admin", "The autumn round", State.NOT_STARTED),
        ("olivia", "First draft", State.DRAFT),
        ("olivia", "Ready for review", State.SUBMITTED),
        ("rei", f"Returned: {returned}", State.RETURNED),
        ("sato", "Japanese narrative", State.RETURNED),
        ("olivia", "Where and how long", State.RETURNED),
        ("olivia", "Numbers added", State.SUBMITTED),
        ("rei", "Approved: Thank you", State.APPROVED),
    ]
    assert history_of(bangkok) == [("office-admin", "The autumn round", State.NOT_STARTED)]
    [(user, reason)] = cycle.history.values_list("history_user__username", "history_change_reason")
    assert (user, reason) == ("office-admin", "The autumn round")

    # Kenji never submits: told three days before, then the day after the due date, in Japanese.
    run_checks(due - dt.timedelta(days=3))
    run_checks(due + dt.timedelta(days=1))
    assert counts(smtp) == {EN: 1, JA: 3, HEAD: 0, REVIEWERS[0]: 1, REVIEWERS[1]: 1}
    soon, overdue = mails(smtp, JA, since=1)
    assert "KU-BKK" in text_of(soon) and "KU-BKK" in text_of(overdue)
    with translation.override("ja"):
        assert subject_of(overdue) == f"期限超過：{cycle} の報告"
    run_checks(due + dt.timedelta(days=3))  # overdue again; not yet escalated
    assert counts(smtp)[JA] == 4 and counts(smtp)[HEAD] == 0

    # M = 4 days after the due date, two workers run the scheduler at once: Kenji's overdue
    # digest and the escalation to Hiro, his unit's director, go once each.
    request.getfixturevalue("database_for_threads")
    escalation = due + dt.timedelta(days=4)
    results = in_threads(2, lambda: run_checks(escalation))
    assert counts(smtp) == {EN: 1, JA: 5, HEAD: 1, REVIEWERS[0]: 1, REVIEWERS[1]: 1}
    assert sum(r.claimed for r in results) == 2 and sum(r.held for r in results) == 2
    [head] = mails(smtp, HEAD)
    assert subject_of(head) == f"Overdue in your units: reports for {cycle}"
    assert "KU-BKK Bangkok center" in text_of(head) and "KU-SWAP" not in text_of(head)
    [again] = in_threads(1, lambda: run_checks(escalation))
    assert (again.claimed, again.held) == (0, 2)
    [sent] = in_threads(
        1, lambda: list(Reminder.objects.order_by("day", "pk").values_list("occasion", "items"))
    )
    assert sent == [
        (Occasion.OPENED, 1),
        (Occasion.OPENED, 1),
        (Occasion.REVIEW, 1),
        (Occasion.REVIEW, 1),
        (Occasion.BEFORE_DUE, 1),
        (Occasion.OVERDUE, 1),
        (Occasion.OVERDUE, 1),
        (Occasion.OVERDUE, 1),
        (Occasion.ESCALATION, 1),
    ]
