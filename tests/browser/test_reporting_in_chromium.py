"""A reporting cycle walked in a real browser: the owner writes and submits their report, the
reviewer (whose interface is Japanese) returns it with a comment, the owner replies and submits
again, the reviewer approves, and the approved update shows on the initiative's dashboard page.
Screenshots of the owner's pages (English) and of the board and the review (Japanese, and the board
in English) go to docs/screenshots/."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone, translation

from common.fiscal import current_fiscal_year
from common.roles import ADMINISTRATOR, REVIEWER, UNIT_EDITOR
from portfolio.models import Milestone
from reporting.models import Period, ReportingCycle
from reporting.services import cycle_open
from tests.browser.helpers import log_in
from tests.factories import InitiativeFactory, InstitutionFactory, UnitFactory, user_with_role

pytestmark = pytest.mark.browser
SHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
WINDOW = {"width": 1280, "height": 900}
QUARTERS = [Period.Q1, Period.Q2, Period.Q3, Period.Q4]
# The smallest file that reads as a PDF from its first bytes, as the evidence check reads it.
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def in_japanese(message: str) -> str:
    """The catalogue's Japanese for ``message``; fails if the catalogue has none."""
    with translation.override("ja"):
        japanese = translation.gettext(message)
    assert japanese != message, f"the Japanese catalogue does not translate {message!r}"
    return japanese


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def office(transactional_db, live_server, settings, tmp_path):
    """Kyoto's international office in the quarter of today, its cycle open: one initiative with
    two open milestones, the unit editor who owes its report (browser English, no preferred
    language) and a reviewer whose preferred language is Japanese."""
    settings.DEBUG = False
    settings.MEDIA_ROOT = tmp_path / "media"
    institution = InstitutionFactory(code="KYOTO", name="Kyoto University", name_ja="京都大学")
    unit = UnitFactory(
        institution=institution, code="IO", name="International Office", name_ja="国際交流課"
    )
    initiative = InitiativeFactory(
        institution=institution,
        lead_unit=unit,
        code="EXCHANGE",
        title="Student exchange with ASEAN partners",
        title_ja="ASEAN協定校との学生交流",
        health="on_track",
    )
    today = timezone.localdate()
    for title, days in (("Sign the MOU", 10), ("First cohort arrives", 40)):
        Milestone.objects.create(
            initiative=initiative, title=title, due_date=today + dt.timedelta(days=days)
        )
    owner = user_with_role(UNIT_EDITOR, units=[unit], username="owner", is_staff=True)
    reviewer = user_with_role(
        REVIEWER, institutions=[institution], username="reviewer", is_staff=True
    )
    reviewer.scope.language = "ja"
    reviewer.scope.save()
    admin = user_with_role(ADMINISTRATOR, username="office-admin", is_staff=True)
    cycle = cycle_open(
        cycle=ReportingCycle(
            institution=institution,
            fiscal_year=current_fiscal_year(),
            period=QUARTERS[(today.month - 4) % 12 // 3],
            due_date=today + dt.timedelta(days=21),
        ),
        user=admin,
        reason="The quarter's round",
    )
    report = cycle.reports.get()
    return {
        "url": live_server.url,
        "cycle": cycle,
        "report": report,
        "initiative": initiative,
        "owner": owner,
        "reviewer": reviewer,
    }


def board_row(page, code: str):
    return page.locator("#items-data tbody tr", has=page.get_by_role("rowheader", name=code))


def state_on_board(page, code: str) -> str:
    return board_row(page, code).locator("td").nth(3).inner_text().strip()


def test_the_owner_and_the_reviewer_walk_a_report_from_draft_to_approved(browser, office):
    url, cycle, report = office["url"], office["cycle"], office["report"]
    board = f"{url}/reporting/cycles/{cycle.pk}/"
    change = f"{url}/admin/reporting/report/{report.pk}/change/"

    # The owner, in an English browser, finds the report on their page and writes it.
    owner_context = browser.new_context(locale="en-US", viewport=WINDOW)
    owner = owner_context.new_page()
    log_in(owner, f"{url}/reporting/mine/", "owner")
    owner.wait_for_url("**/reporting/mine/")
    assert owner.locator("html").get_attribute("lang") == "en"
    assert owner.get_by_role("heading", name="My reports", level=1).is_visible()
    row = owner.locator("tr", has=owner.get_by_role("link", name="EXCHANGE", exact=True))
    assert "Student exchange with ASEAN partners" in row.inner_text()
    assert "Not started" in row.inner_text()
    shoot(owner, "reporting-owner-mine-en")

    row.get_by_role("link", name="EXCHANGE", exact=True).click()
    owner.wait_for_url(change)
    owner.locator("#id_health").select_option("at_risk")
    owner.locator("#id_narrative").fill(
        "The MOU with Chulalongkorn is signed; visas for the first cohort are slower than planned."
    )
    milestone = owner.locator("#milestones-group tr", has_text="Sign the MOU")
    milestone.locator("input[type=checkbox][name$='-done']").check()
    owner.locator("#evidence-2-group .add-row a").click()
    owner.locator("#id_evidence-2-0-file").set_input_files(
        {"name": "signed-mou.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    owner.locator("#id_change_reason").fill("First draft of the quarter")
    owner.locator("input[name=_continue]").click()
    owner.wait_for_url(change)
    assert owner.locator("ul.messagelist .success").count() == 1
    assert owner.locator("#id_health").input_value() == "at_risk"
    assert (
        owner.locator("#milestones-group tr", has_text="Sign the MOU")
        .locator("input[type=checkbox][name$='-done']")
        .is_checked()
    )
    assert owner.get_by_role("link", name="signed-mou.pdf").is_visible()
    assert "State: Draft" in owner.locator("#review").inner_text()
    shoot(owner, "reporting-owner-report-en")

    owner.locator("#submit-comment").fill("Ready for the office")
    owner.get_by_role("button", name="Submit for review").click()
    owner.wait_for_url(change)
    assert "State: Submitted" in owner.locator("#review").inner_text()

    # The reviewer prefers Japanese: the interface is Japanese from sign-in, whatever the browser.
    reviewer_context = browser.new_context(locale="en-US", viewport=WINDOW)
    reviewer = reviewer_context.new_page()
    log_in(reviewer, board, "reviewer")
    reviewer.wait_for_url(board)
    assert reviewer.locator("html").get_attribute("lang") == "ja"
    submitted, returned, approved = (in_japanese(s) for s in ("Submitted", "Returned", "Approved"))
    heading = reviewer.get_by_role("heading", level=1).inner_text()
    assert "Reporting cycle" not in heading
    filters = reviewer.locator("form.filters")
    filters.locator("select[name=state]").select_option("submitted")
    filters.get_by_role("button", name=in_japanese("Apply")).click()
    reviewer.wait_for_url("**state=submitted**")
    assert reviewer.locator("#items-data tbody tr").count() == 1
    assert state_on_board(reviewer, "EXCHANGE") == submitted
    assert "ASEAN協定校との学生交流" in board_row(reviewer, "EXCHANGE").inner_text()
    shoot(reviewer, "reporting-board-ja")

    reviewer.get_by_role("link", name="EXCHANGE", exact=True).click()
    reviewer.wait_for_url(change)
    asked = "Which partner signed, and when? Please attach the visa timetable."
    reviewer.locator("#return-comment").fill(asked)
    reviewer.get_by_role("button", name=in_japanese("Return to the owners")).click()
    reviewer.wait_for_url(change)
    assert reviewer.locator("#comments .comment", has_text=asked).is_visible()
    reviewer.goto(board)
    assert state_on_board(reviewer, "EXCHANGE") == returned

    # The owner finds it returned, replies under the comment and submits again.
    owner.goto(f"{url}/reporting/mine/")
    row = owner.locator("tr", has=owner.get_by_role("link", name="EXCHANGE", exact=True))
    assert "Returned" in row.inner_text()
    row.get_by_role("link", name="EXCHANGE", exact=True).click()
    owner.wait_for_url(change)
    assert "State: Returned" in owner.locator("#review").inner_text()
    assert owner.locator("#comments .comment", has_text=asked).is_visible()
    owner.locator("#comment-parent").select_option(label=f"reviewer: {asked[:59]}…")
    answer = "Chulalongkorn signed on the 3rd; the visa timetable is attached."
    owner.get_by_label("Comment", exact=True).fill(answer)
    owner.get_by_role("button", name="Add the comment").click()
    owner.wait_for_url(change + "#comments")
    owner.locator("#evidence-2-group .add-row a").click()
    owner.locator("#id_evidence-2-0-file").set_input_files(
        {"name": "visa-timetable.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    with owner.expect_navigation():
        owner.locator("input[name=_continue]").click()
    assert owner.url.split("#")[0] == change
    assert owner.get_by_role("link", name="visa-timetable.pdf").is_visible()
    owner.get_by_role("button", name="Submit for review").click()
    owner.wait_for_url(change)
    assert "State: Submitted" in owner.locator("#review").inner_text()

    # The reviewer reads the thread, the reply under the comment it answers, and approves.
    reviewer.goto(board)
    assert state_on_board(reviewer, "EXCHANGE") == submitted
    reviewer.get_by_role("link", name="EXCHANGE", exact=True).click()
    reviewer.wait_for_url(change)
    thread = reviewer.locator("#comments .comment")
    assert thread.count() == 2
    assert asked in thread.nth(0).inner_text() and answer in thread.nth(1).inner_text()
    indents = [box["x"] for box in (thread.nth(0).bounding_box(), thread.nth(1).bounding_box())]
    assert indents[1] > indents[0], "the reply is set in under the comment it answers"
    assert reviewer.get_by_role("button", name=in_japanese("Approve")).is_visible()
    shoot(reviewer, "reporting-review-ja")
    reviewer.get_by_role("button", name=in_japanese("Approve")).click()
    reviewer.wait_for_url(change)
    reviewer.goto(board)
    assert state_on_board(reviewer, "EXCHANGE") == approved

    # The board in English, through the switcher, and the approved update on the initiative page.
    reviewer.get_by_role("button", name="English").click()
    reviewer.wait_for_load_state()
    assert reviewer.locator("html").get_attribute("lang") == "en"
    assert state_on_board(reviewer, "EXCHANGE") == "Approved"
    shoot(reviewer, "reporting-board-en")

    initiative = office["initiative"]
    reviewer.goto(f"{url}/initiatives/{initiative.pk}/")
    latest = reviewer.locator("section.latest-update")
    assert latest.locator("strong.h-at_risk").inner_text() == "At risk"
    assert "visas for the first cohort are slower than planned" in latest.inner_text()
    quarter = cycle.quarter
    assert f"Q{quarter}" in latest.inner_text()
    initiative.refresh_from_db()
    assert initiative.milestones.get(title="Sign the MOU").done
    assert not initiative.milestones.get(title="First cohort arrives").done
    owner_context.close()
    reviewer_context.close()
