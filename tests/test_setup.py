"""The settings module and the set-up commands behave as the README promises."""

import io
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from common.fiscal import fiscal_today, fiscal_year_of
from policies.models import Goal
from portfolio.models import Activity, Initiative, PartnerInstitution, ProgressUpdate
from reporting.models import EDITABLE, Report, ReportingCycle, State
from reporting.selectors import figures_owed_by, reports_owed_by
from tests.helpers import RUN_SETTINGS
from units.models import Institution, Person

User = get_user_model()

PROJECT = settings.BASE_DIR


def settings_in_subprocess(env: dict, code: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(RUN_SETTINGS)}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; {code}",
        ],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = settings_in_subprocess({}, "print('started')")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_is_off_unless_asked_for():
    result = settings_in_subprocess({"DJANGO_SECRET_KEY": "k" * 50}, "print(settings.DEBUG)")
    assert result.stdout.strip() == "False"


def test_sqlite_in_the_data_folder_without_database_url(tmp_path):
    result = settings_in_subprocess(
        {"DJANGO_DEBUG": "1", "PORTFOLIO_DATA_DIR": str(tmp_path)},
        "d = settings.DATABASES['default']; print(d['ENGINE'], d['NAME'])",
    )
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        str(tmp_path / "portfolio.sqlite3"),
    ]


def test_postgresql_when_database_url_is_set():
    result = settings_in_subprocess(
        {"DJANGO_DEBUG": "1", "DATABASE_URL": "postgres://u:p@db.example:5432/portfolio"},
        "d = settings.DATABASES['default']; print(d['ENGINE'], d['HOST'], d['NAME'])",
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "db.example", "portfolio"]


def test_tokyo_time_with_time_zone_support():
    assert (settings.TIME_ZONE, settings.USE_TZ) == ("Asia/Tokyo", True)


@pytest.mark.django_db
def test_the_suite_runs_on_the_database_it_was_pointed_at():
    # .ci/run sets EXPECT_DATABASE_VENDOR=postgresql for its second run, so a run that silently
    # fell back to SQLite fails here instead of passing.
    url = os.environ.get("DATABASE_URL", "")
    expected = os.environ.get(
        "EXPECT_DATABASE_VENDOR", "postgresql" if url.startswith("postgres") else "sqlite"
    )
    assert connection.vendor == expected


@pytest.mark.django_db
def test_loading_the_sources_again_keeps_editors_changes(sources):
    goal = Goal.objects.get(code="CONNECT")
    goal.title = "Edited by an editor"
    goal.save()
    out = io.StringIO()
    call_command("load_sources", stdout=out)
    assert out.getvalue().count("skipped") == 4
    assert Goal.objects.get(code="CONNECT").title == "Edited by an editor"
    assert Institution.objects.count() == 2


@pytest.mark.django_db
def test_every_loaded_source_row_has_history_naming_its_fixture(sources):
    for goal in Goal.objects.all():
        first = goal.history.earliest()
        assert first.history_type == "+"
        assert first.history_change_reason.startswith("Loaded from fixtures/")


@pytest.mark.django_db
def test_demo_set_is_labelled_attributed_and_loaded_once(sources):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "Demo login: demo / portfolio-demo" in out.getvalue()
    activities = Activity.objects.count()
    assert activities >= 300
    assert not Initiative.objects.exclude(title__startswith="[Demo]").exists()
    japanese = Initiative.objects.exclude(title_ja="")
    assert japanese.exists()
    assert not japanese.exclude(title_ja__startswith="[デモ]").exists()
    assert not Activity.objects.exclude(title__startswith="[Demo]").exists()
    assert not PartnerInstitution.objects.exclude(name__startswith="[Demo]").exists()
    # The bulk path wrote one history row per activity, with the reason.
    history = Activity.history.filter(history_change_reason="Demo data set (make run)")
    assert history.count() == activities
    # Initiatives named in the sources pursue their goals.
    onsite = Initiative.objects.get(code="KU-DEMO-ONSITE")
    assert [goal.code for goal in onsite.goals.all()] == ["CONNECT.3"]

    again = io.StringIO()
    call_command("load_demo", stdout=again)
    assert "already loaded" in again.getvalue()
    assert "password is unchanged" in again.getvalue()
    assert Activity.objects.count() == activities


@pytest.mark.django_db
def test_the_demo_set_has_reporting_cycles_with_items_in_every_state(sources, client):
    """Kyoto's demo cycles: the current quarter's, open and due soon, and the last fiscal year's
    closing one, past due; their items in every state, written by the demo owner and reviewed by
    the demo reviewer, whose logins are printed with the others."""
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    printed = out.getvalue()
    assert "demo-owner-ku (Unit editor)" in printed
    assert "demo-reviewer-ku (Reviewer)" in printed
    today = fiscal_today()
    year = fiscal_year_of(today)
    current = ReportingCycle.objects.get(institution__code="KU", closed_at=None, fiscal_year=year)
    assert current.starts <= today <= current.ends
    assert today < current.due_date
    late = ReportingCycle.objects.get(institution__code="KU", fiscal_year=year - 1, period="q4")
    assert late.due_date < today and late.closed_at is None
    for cycle in (current, late):
        assert set(cycle.reports.values_list("state", flat=True)) == set(State.values)
    assert set(late.figures.values_list("state", flat=True)) == set(State.values)
    overdue = late.reports.filter(state__in=EDITABLE).count()
    overdue += late.figures.filter(state__in=EDITABLE).count()
    assert overdue >= 3
    # Each returned report carries the reviewer's comment; each approved one published its
    # initiative's progress update for the cycle's quarter.
    owner = User.objects.get(username="demo-owner-ku")
    reviewer = User.objects.get(username="demo-reviewer-ku")
    for report in Report.objects.filter(state=State.RETURNED):
        assert report.comments.get().author == reviewer
    approved = Report.objects.filter(state=State.APPROVED)
    assert approved.exists()
    for report in approved.select_related("cycle"):
        assert report.reviewed_by == reviewer and report.submitted_by != reviewer
        update = ProgressUpdate.objects.get(
            initiative=report.initiative,
            fiscal_year=report.cycle.fiscal_year,
            quarter=report.cycle.quarter,
        )
        assert update.narrative == report.narrative and update.author == reviewer
    figure = late.figures.get(state=State.APPROVED)
    assert figure.indicator.values.get(fiscal_year=late.fiscal_year).actual == figure.actual
    # The owner owes items of both cycles (some overdue), the reviewer has some waiting.
    assert Person.objects.get(user=owner).initiatives.exists()
    owed = list(reports_owed_by(owner)) + list(figures_owed_by(owner))
    assert {item.cycle for item in owed} == {current, late}
    client.force_login(owner)
    page = client.get(reverse("reporting:mine")).content.decode()
    assert all(item.cycle.get_period_display() in page for item in owed)
    assert "Overdue" in page
    waiting = Report.objects.filter(state=State.SUBMITTED, cycle=current)
    assert waiting.exists() and late.figures.filter(state=State.SUBMITTED).exists()
    client.force_login(reviewer)
    page = client.get(reverse("reporting:mine")).content.decode()
    assert "Waiting for your review" in page
    assert all(report.initiative.code in page for report in waiting)

    again = io.StringIO()
    call_command("load_demo", stdout=again)
    assert "already loaded" in again.getvalue()
    assert ReportingCycle.objects.count() == 2
