"""The annual report's download and command: a PDF for a reader of the institution, not found for
another institution's reader, the sign-in page for a visitor; as many queries whatever the
number of goals and initiatives. (Its text is read back in test_annual_pdf_text.py.)"""

import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disclosure.report import TABLE_ROWS
from tests.disclosure.annual_data import YEAR, add_goals, add_initiatives, annual_world


@pytest.fixture
def world(db):
    world = annual_world()
    add_initiatives(world, 3)
    return world


def report_url(world, institution=None, goal=None) -> str:
    institution = institution or world["home"]
    if goal is None:
        return reverse("disclosure:annual_report", args=[institution.pk, YEAR])
    return reverse("disclosure:annual_report_goal", args=[institution.pk, YEAR, goal.pk])


def test_a_reader_of_the_institution_downloads_the_pdf(client, world):
    client.force_login(world["reader"])
    response = client.get(report_url(world), {"language": "en"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert (
        response["Content-Disposition"] == 'attachment; filename="ku-annual-report-fy2025-en.pdf"'
    )
    # Without ?language=, the reader's language (here the language cookie's).
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    goal = client.get(report_url(world, goal=world["child"]))
    assert goal.status_code == 200 and goal.content.startswith(b"%PDF")
    assert goal["Content-Disposition"].endswith('filename="ku-annual-report-fy2025-iso-1-1-ja.pdf"')


def test_another_institutions_reader_finds_no_report(client, world):
    client.force_login(world["outsider"])
    assert client.get(report_url(world)).status_code == 404
    assert client.get(report_url(world, goal=world["child"])).status_code == 404
    client.force_login(world["reader"])
    # A goal of another institution, under the reader's own: not found either.
    assert client.get(report_url(world, goal=world["other_goal"])).status_code == 404
    assert client.get(report_url(world, institution=world["other"])).status_code == 404


def test_a_visitor_is_sent_to_sign_in(client, world):
    response = client.get(report_url(world))
    assert response.status_code == 302
    assert "login" in response["Location"] and "next=" in response["Location"]


def test_the_overview_links_to_the_years_report(client, world):
    client.force_login(world["reader"])
    page = client.get(reverse("dashboards:overview"), {"fy": YEAR}).content.decode()
    assert f'{report_url(world)}?language=ja"' in page


def test_the_report_issues_as_many_queries_whatever_the_data(client, world):
    client.force_login(world["reader"])
    url = report_url(world)
    client.get(url)  # warm: the reader's session and permissions, the fonts
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_initiatives(world, TABLE_ROWS, start=3)  # past a goal's table: the rest by code
    add_goals(world, 6)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)


def test_the_command_writes_the_pdf(world, tmp_path):
    output = tmp_path / "ku.pdf"
    out = io.StringIO()
    call_command(
        "annual_report",
        "--institution=KU",
        f"--fiscal-year={YEAR}",
        "--language=ja",
        f"--output={output}",
        stdout=out,
    )
    assert output.read_bytes().startswith(b"%PDF")
    assert str(output) in out.getvalue()


def test_the_command_refuses_an_unknown_institution(world, tmp_path):
    output = tmp_path / "nowhere.pdf"
    with pytest.raises(CommandError) as refused:
        call_command(
            "annual_report", "--institution=NOPE", f"--fiscal-year={YEAR}", f"--output={output}"
        )
    assert "--institution" in str(refused.value) and "NOPE" in str(refused.value)
    assert not output.exists()


def test_the_command_refuses_an_unknown_goal(world, tmp_path):
    with pytest.raises(CommandError) as refused:
        call_command(
            "annual_report",
            "--institution=KU",
            f"--fiscal-year={YEAR}",
            "--goal=ISO/NOPE",
            f"--output={tmp_path / 'goal.pdf'}",
        )
    assert "--goal" in str(refused.value) and "ISO/NOPE" in str(refused.value)
