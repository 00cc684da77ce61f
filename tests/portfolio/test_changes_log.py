"""A page's recent changes read as a log: one line per save of a record, one entry per load."""

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from common.roles import EDITOR, LEADERSHIP
from portfolio.models import Activity, Initiative
from tests.factories import (
    GoalFactory,
    InitiativeFactory,
    InstitutionFactory,
    PartnerFactory,
    UnitFactory,
    user_with_role,
)
from units.models import Institution, Unit

pytestmark = pytest.mark.django_db


def changes_on(client, url: str, **params) -> list[str]:
    page = client.get(url, params).content.decode()
    section = page.split('<section class="changes">')[1].split("</section>")[0]
    lines = re.findall(r"<li>(.*?)</li>", section, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", line)).strip() for line in lines]


@pytest.fixture
def home(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    institution = InstitutionFactory(code="HOME")
    client.force_login(user_with_role(LEADERSHIP, institutions=[institution]))
    return institution


def colleague(institution, username: str):
    """An editor of the reader's institution, whom the log names."""
    return user_with_role(EDITOR, institutions=[institution], username=username)


def saved(initiative, user, reason: str, **fields) -> None:
    """A save as the admin makes one: the fields, then each list of links."""
    for name, value in fields.items():
        setattr(initiative, name, value)
    initiative._history_user, initiative._change_reason = user, reason
    initiative.save()
    initiative.goals.add(GoalFactory(framework__institution=initiative.institution))
    initiative.partners.add(PartnerFactory())


def earlier(initiative, minutes: int) -> None:
    """Move every history row of the initiative back in time, as if written that long ago."""
    for row in initiative.history.all():
        row.history_date -= dt.timedelta(minutes=minutes)
        row.save()


def test_one_save_with_links_is_one_line(client, home):
    editor = colleague(home, "editor-a")
    initiative = InitiativeFactory(institution=home, code="HOME-ONE", title="Exchange")
    earlier(initiative, 60)
    saved(initiative, editor, "Lead unit moved", health="at_risk")
    assert initiative.history.count() > 2  # the creation, then a save that wrote several rows
    lines = changes_on(client, reverse("dashboards:initiative", args=[initiative.pk]))
    assert len(lines) == 2, lines
    assert "Changed HOME-ONE Exchange by editor-a — Lead unit moved" in lines[0]
    assert "Created HOME-ONE Exchange by the system" in lines[1]


def test_saves_apart_in_time_are_lines_apart(client, home):
    editor = colleague(home, "editor-a")
    initiative = InitiativeFactory(institution=home, code="HOME-TWO", title="Exchange")
    earlier(initiative, 120)
    saved(initiative, editor, "First")
    earlier(initiative, 60)
    saved(initiative, editor, "Second")
    lines = changes_on(client, reverse("dashboards:initiative", args=[initiative.pk]))
    assert [line.rsplit("— ", 1)[-1] for line in lines[:2]] == ["Second", "First"], lines
    assert len(lines) == 3


def test_saves_by_two_people_are_two_lines(client, home):
    initiative = InitiativeFactory(institution=home, code="HOME-TEAM", title="Exchange")
    earlier(initiative, 60)
    saved(initiative, colleague(home, "editor-a"), "Mine")
    saved(initiative, colleague(home, "editor-b"), "Mine")
    lines = changes_on(client, reverse("dashboards:initiative", args=[initiative.pk]))
    assert "by editor-b" in lines[0] and "by editor-a" in lines[1] and len(lines) == 3


def test_many_records_written_at_once_are_one_entry(client, home):
    steward = colleague(home, "steward")
    unit = UnitFactory(institution=home)
    GoalFactory(framework__institution=home)  # the overview lists its frameworks' initiatives
    for number in range(5):
        initiative = InitiativeFactory.build(
            institution=home, lead_unit=unit, code=f"HOME-{number}", title=f"Imported {number}"
        )
        initiative._history_user, initiative._change_reason = steward, "Import of FY2025"
        initiative.save()
    lines = changes_on(client, reverse("dashboards:overview"))
    assert lines == [
        lines[0].split(" Written")[0] + " Written together: 5 initiatives by steward"
        " — Import of FY2025"
    ]


@pytest.fixture
def demo(sources, client):
    call_command("load_demo", stdout=io.StringIO())
    client.force_login(user_with_role(LEADERSHIP, institutions=Institution.objects.all()))


def test_the_demo_data_set_is_one_entry(client, demo):
    lines = changes_on(client, reverse("dashboards:overview"))
    initiatives = Initiative.objects.count()
    assert len(lines) == 1, lines
    assert f"Written together: {initiatives} initiatives by the system" in lines[0]
    unit = Unit.objects.get(code="ISO-KU")
    activities = Activity.objects.filter(unit=unit).count()
    lines = changes_on(client, reverse("dashboards:unit", args=[unit.pk]))
    assert len(lines) == 1 and f"Written together: {activities} activities" in lines[0], lines
