"""The leadership dashboards: reachable, correct against the database, and of constant cost."""

import csv
import datetime as dt
import io
import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q, Sum
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone
from django_countries import countries

from common.fiscal import current_fiscal_year
from common.roles import LEADERSHIP
from policies.models import Framework, Goal
from portfolio.models import Activity, Agreement, Initiative, PartnerInstitution
from tests.factories import ActivityFactory, AgreementFactory, PartnerFactory, user_with_role
from tests.helpers import download_table
from units.models import Institution, Unit

pytestmark = pytest.mark.django_db
ASEAN = ["BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN", "TL"]
PAGES = ["overview", "framework", "goal", "unit", "crosswalk", "regions"]


@pytest.fixture
def leader(client, demo):
    # Not staff: the dashboards only, of both institutions.
    client.force_login(
        user_with_role(LEADERSHIP, institutions=Institution.objects.all(), username="president")
    )
    return client


@pytest.fixture
def demo(sources):
    call_command("load_demo", stdout=io.StringIO())


def subtree_ids(goal: Goal) -> list[int]:
    ids, frontier = [goal.pk], [goal.pk]
    while frontier:
        frontier = list(Goal.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids += frontier
    return ids


def figures_of(page: str, code: str) -> str:
    """The text of a goal's card or tree row on a page."""
    match = re.search(rf">{re.escape(code)}</a>(.*?)</(article|li)>", page, re.S)
    assert match, code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


def test_anonymous_readers_are_sent_to_log_in(client, sources):
    response = client.get(reverse("dashboards:overview"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_every_dashboard_page_is_reachable_by_links_from_the_overview(leader, demo):
    seen, queue, reached = set(), ["/"], set()
    while queue and len(seen) < 80:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = leader.get(url)
        assert response.status_code == 200, url
        reached.add(resolve(urlsplit(url).path).url_name)
        if not response["Content-Type"].startswith("text/html"):
            continue  # a download (the annual report's PDF): no links to follow
        for href in re.findall(r'href="(/[^"]*)"', response.content.decode()):
            path = urlsplit(href.replace("&amp;", "&")).path
            if not path.startswith(("/admin", "/static", "/accounts")) and "csv=" not in href:
                queue.append(path)
    assert reached >= set(PAGES)


def test_overview_figures_match_the_database(leader, demo):
    fy = 2025
    page = leader.get(reverse("dashboards:overview"), {"fy": fy}).content.decode()
    for code in ["CONNECT", "PROMOTE", "2"]:
        goal = Goal.objects.get(code=code)
        serving = Initiative.objects.filter(goals__in=subtree_ids(goal)).distinct()
        # An initiative counts in the years its dates overlap; open ends are open.
        initiatives = serving.filter(
            Q(start_date__isnull=True) | Q(start_date__lte=dt.date(fy + 1, 3, 31)),
            Q(end_date__isnull=True) | Q(end_date__gte=dt.date(fy, 4, 1)),
        )
        activities = Activity.objects.filter(initiative__in=serving, fiscal_year=fy)
        totals = activities.aggregate(i=Sum("inbound_participants"), o=Sum("outbound_participants"))
        text = figures_of(page, code)
        assert f"Initiatives {initiatives.count()} " in text, text
        assert f"Activities FY{fy} {activities.count()} " in text, text
        assert f"Participants in / out {totals['i'] or 0} / {totals['o'] or 0} " in text, text
        partners = activities.exclude(partner=None).values("partner").distinct().count()
        assert f"Partners engaged {partners} " in text


def test_an_initiative_serving_two_goals_under_one_mission_counts_once(leader, demo):
    initiative = Initiative.objects.get(code="KU-DEMO-GOOD")
    assert set(initiative.goals.values_list("code", flat=True)) == {"PROMOTE.2", "PROMOTE.4"}
    fy = 2025
    page = leader.get(reverse("dashboards:overview"), {"fy": fy}).content.decode()
    promote = Goal.objects.get(code="PROMOTE")
    expected = Initiative.objects.filter(goals__in=subtree_ids(promote)).distinct().count()
    with_duplicates = Initiative.objects.filter(goals__in=subtree_ids(promote)).count()
    assert with_duplicates > expected  # the join would count KU-DEMO-GOOD twice
    assert f"Initiatives {expected} " in figures_of(page, "PROMOTE")
    own = Activity.objects.filter(initiative=initiative, fiscal_year=fy).count()
    assert own > 0
    activities = (
        Activity.objects.filter(initiative__goals__in=subtree_ids(promote), fiscal_year=fy)
        .distinct()
        .count()
    )
    assert f"Activities FY{fy} {activities} " in figures_of(page, "PROMOTE")


def test_goals_that_nothing_pursues_are_marked(leader, demo):
    framework = Framework.objects.get(code="TMU-IBP")
    page = leader.get(reverse("dashboards:framework", args=[framework.pk])).content.decode()
    assert "Nothing pursues this goal" in figures_of(page, "1.1") or (
        "Nothing pursues" in page.split(">1.1</a>")[1].split("</li>")[0]
    )
    assert "Nothing pursues" not in page.split(">2.1</a>")[1].split("</li>")[0]


def test_goal_page_lists_initiatives_crosswalk_and_links(leader, demo):
    goal = Goal.objects.get(code="2.1")
    page = leader.get(reverse("dashboards:goal", args=[goal.pk])).content.decode()
    assert "TMU-DEMO-JOINT" in page
    connect = Goal.objects.get(code="CONNECT")
    assert reverse("dashboards:goal", args=[connect.pk]) in page  # the aligned mission


def test_unit_page_marks_agreements_expiring_within_180_days(leader, demo):
    unit = Unit.objects.get(code="ISO-KU")
    today = timezone.localdate()
    AgreementFactory(
        unit=unit,
        partner=PartnerFactory(name="Soon University"),
        signed_on=today - dt.timedelta(days=1000),
        expires_on=today + dt.timedelta(days=30),
    )
    AgreementFactory(
        unit=unit,
        partner=PartnerFactory(name="Later University"),
        signed_on=today,
        expires_on=today + dt.timedelta(days=400),
    )
    page = leader.get(reverse("dashboards:unit", args=[unit.pk])).content.decode()
    # The agreements table's last column says which expire within 180 days.
    soon = page.split("Soon University")[1].split("</tr>")[0]
    later = page.split("Later University")[1].split("</tr>")[0]
    assert soon.endswith("<td>yes</td>") and later.endswith("<td></td>")
    assert Agreement.objects.filter(unit=unit).count() >= 2


def test_csv_download_is_excel_friendly_and_matches_the_page(leader, demo):
    goal = Goal.objects.get(code="CONNECT")
    response = leader.get(
        reverse("dashboards:goal", args=[goal.pk]), {"fy": 2025, "csv": "activities-by-year"}
    )
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    lines = download_table(response.content).splitlines()
    assert lines[0] == "fiscal year,activities,inbound,outbound"
    activities = Activity.objects.filter(initiative__goals__in=subtree_ids(goal)).distinct()
    fy2025 = activities.filter(fiscal_year=2025)
    assert f"FY2025,{fy2025.count()}," in "\n".join(lines)


def test_filters_stay_in_the_links(leader, demo):
    page = leader.get(reverse("dashboards:overview"), {"fy": 2024, "status": "active"})
    assert "fy=2024&amp;status=active" in page.content.decode()


def test_the_current_fiscal_year_is_the_default(leader, demo):
    page = leader.get(reverse("dashboards:overview")).content.decode()
    assert f"FY{current_fiscal_year()}" in page.split("<h1>")[1].split("</h1>")[0]


def test_regions_page_puts_the_centers_regions_first_and_counts_match(leader, demo):
    response = leader.get(reverse("dashboards:regions"), {"fy": 2025, "csv": "regions"})
    lines = download_table(response.content).splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [
        "ASEAN",
        "Europe",
        "North America",
        "Other countries",
    ]
    reached = Activity.objects.filter(fiscal_year=2025, country__in=ASEAN)
    figures = reached.aggregate(
        n=Count("pk"),
        inbound=Sum("inbound_participants"),
        outbound=Sum("outbound_participants"),
        partners=Count("partner", distinct=True),
    )
    assert lines[1] == "ASEAN,{n},{inbound},{outbound},{partners}".format(**figures)


def test_a_partner_met_in_two_countries_of_a_region_counts_once_for_it(leader, demo):
    partner = PartnerInstitution.objects.create(name="Mekong Twin Campus University", country="TH")
    unit = Unit.objects.get(code="ISO-KU")
    for country in ("TH", "VN"):
        ActivityFactory(unit=unit, partner=partner, country=country, start_date=dt.date(2025, 6, 1))
    regions = csv_rows(leader, "regions", "regions")
    countries_shown = csv_rows(leader, "regions", "countries")
    in_asean = Activity.objects.filter(fiscal_year=2025, country__in=ASEAN).exclude(partner=None)
    assert regions["ASEAN"][3] == str(in_asean.values("partner").distinct().count())
    for code in ("TH", "VN"):
        there = Activity.objects.filter(fiscal_year=2025, country=code)
        assert countries_shown[dict(countries)[code]][1:] == [
            str(there.count()),
            str(there.aggregate(n=Sum("inbound_participants"))["n"] or 0),
            str(there.aggregate(n=Sum("outbound_participants"))["n"] or 0),
            str(there.exclude(partner=None).values("partner").distinct().count()),
        ]


def csv_rows(client, page: str, table: str) -> dict[str, list[str]]:
    response = client.get(reverse(f"dashboards:{page}"), {"fy": 2025, "csv": table})
    rows = list(csv.reader(io.StringIO(download_table(response.content))))
    return {row[0]: row[1:] for row in rows[1:]}


def test_crosswalk_counts_alignments(leader, demo):
    response = leader.get(reverse("dashboards:crosswalk"), {"csv": "crosswalk"})
    rows = {
        line.split(",")[0]: line.split(",")[1:]
        for line in download_table(response.content).splitlines()
    }
    header = rows.pop("goal")
    # CONNECT is aligned with TMU 2.1 and, through CONNECT.4, with TMU 1.3.
    assert rows["CONNECT"][header.index("2.1")].startswith("1 / ")
    assert rows["CONNECT"][header.index("1.3")].startswith("1 / ")
    assert rows["CONNECT"][header.index("3.2")].startswith("0 / ")


@pytest.mark.parametrize("page", PAGES)
def test_page_queries_do_not_grow_with_the_data(leader, demo, django_assert_num_queries, page):
    goal = Goal.objects.get(code="CONNECT")
    unit = Unit.objects.get(code="ISO-KU")
    args = {"framework": [goal.framework_id], "goal": [goal.pk], "unit": [unit.pk]}.get(page, [])
    url = reverse(f"dashboards:{page}", args=args)
    leader.get(url)
    initiative = Initiative.objects.get(code="KU-DEMO-ONSITE")
    # Each reading follows a write, whose kept figures the page rebuilds first (in production
    # the write's commit does): a rebuild too costs as many queries at either size.
    ActivityFactory(initiative=initiative, unit=unit, start_date=dt.date(2025, 6, 1))
    with CaptureQueriesContext(connection) as small:
        assert leader.get(url, {"fy": 2025}).status_code == 200
    ActivityFactory.create_batch(
        60, initiative=initiative, unit=unit, start_date=dt.date(2025, 6, 1)
    )
    ActivityFactory(initiative=initiative, unit=unit, start_date=dt.date(2023, 6, 1))
    # session, user, filter choices, then the page's aggregates: as many as with fewer rows.
    with django_assert_num_queries(len(small)):
        assert leader.get(url, {"fy": 2025}).status_code == 200
    # And a reading with nothing to rebuild, fewer.
    with CaptureQueriesContext(connection) as fresh:
        assert leader.get(url, {"fy": 2025}).status_code == 200
    assert len(fresh) <= len(small)


def test_unit_and_status_filters_narrow_the_figures(leader, demo):
    tmu_office = Unit.objects.get(code="TMU-INTL")
    page = leader.get(reverse("dashboards:overview"), {"unit": tmu_office.pk}).content.decode()
    assert "Initiatives 0 " in figures_of(page, "CONNECT")
    two = Goal.objects.get(code="2")
    expected = (
        Initiative.objects.filter(
            goals__in=subtree_ids(two), lead_unit=tmu_office, status="completed"
        )
        .distinct()
        .count()
    )
    page = leader.get(
        reverse("dashboards:overview"), {"unit": tmu_office.pk, "status": "completed"}
    ).content.decode()
    assert f"Initiatives {expected} " in figures_of(page, "2")
    assert f'<option value="{tmu_office.pk}" selected>' in page


EN_MARK = (
    '<abbr class="fallback" translate="no" '
    'title="まだ日本語に翻訳されていません。英語で表示しています。">EN</abbr>'
)


def test_a_japanese_reader_sees_japanese_texts_and_english_ones_marked(leader, demo, settings):
    leader.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    connect = Goal.objects.get(code="CONNECT")
    connect.title_ja = "CONNECT 学内外をつなぐ"
    connect.save()
    page = leader.get(reverse("dashboards:goal", args=[connect.pk])).content.decode()
    heading = re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)
    # The heading's Japanese title, without its leading code and without a mark.
    assert "CONNECT 学内外をつなぐ" in heading and "fallback" not in heading
    # The description has no Japanese text (the source publishes none): English, marked.
    quote = re.search(r'<blockquote class="source" lang="en">(.*?)</blockquote>', page, re.S)
    assert "Plan, coordinate, and support" in quote.group(1) and EN_MARK in quote.group(1)
    # The framework, and the goals under CONNECT, are English only too: each is marked.
    assert f'<span lang="en">{connect.framework.title}</span> {EN_MARK}' in page
    child = connect.children.order_by("code").first()
    rest = child.title.removeprefix(child.code + " ")
    assert f'<span lang="en">{rest}</span> {EN_MARK}' in page
