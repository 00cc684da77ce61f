"""The API: tokens made in the admin and shown once, signing in with them, and reading the
reference records within the token's user's scope, page by page."""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from api.models import ApiToken, digest_of
from api.services import token_revoke
from common.roles import EDITOR
from imports.models import ImportBatch
from reporting.models import ReportingCycle
from tests.api.helpers import a_token
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    FrameworkFactory,
    GoalFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    InitiativeFactory,
    InstitutionFactory,
    PartnerFactory,
    ProgressUpdateFactory,
    RegionFactory,
    UnitFactory,
    UserFactory,
    user_with_role,
)
from units.models import Institution, Unit

pytestmark = pytest.mark.django_db


def api(token: str | None = None) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"} if token else {})


@pytest.fixture
def home(sources):
    return Institution.objects.get(code="KU")


@pytest.fixture
def editor(home):
    return user_with_role(EDITOR, institutions=[home], username="kana", is_staff=True)


def test_a_token_made_in_the_admin_is_shown_once_kept_hashed_and_reads_as_its_user(editor):
    staff = Client()
    staff.force_login(editor)
    add = reverse("admin:api_apitoken_add")
    page = staff.post(
        add, {"name": "Mobility system", "read_only": "on", "days": "30"}, follow=True
    )
    assert page.status_code == 200
    secret = re.search(r"<code>(isp_[\w-]+)</code>", page.content.decode()).group(1)
    token = ApiToken.objects.get()
    assert token.user == editor and token.read_only
    assert token.digest == digest_of(secret) and secret not in str(token.__dict__)
    assert token.history.get().history_user == editor
    # The list shows it, without its secret.
    listed = staff.get(reverse("admin:api_apitoken_changelist")).content.decode()
    assert "Mobility system" in listed and secret not in listed

    response = api(secret).get(reverse("api:unit-list"))
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_token_reads_only_its_users_institutions(editor, home):
    elsewhere = InstitutionFactory(code="XU")
    theirs = UnitFactory(institution=elsewhere, code="XU-OFFICE")
    secret = a_token(editor)
    units = api(secret).get(reverse("api:unit-list")).json()["results"]
    assert {u["institution"] for u in units} == {"KU"}
    assert reverse("api:unit-detail", args=[theirs.pk])
    assert api(secret).get(reverse("api:unit-detail", args=[theirs.pk])).status_code == 404
    assert api(secret).get(reverse("api:unit-detail", args=["XU:XU-OFFICE"])).status_code == 404
    institutions = api(secret).get(reverse("api:institution-list")).json()["results"]
    assert [i["code"] for i in institutions] == ["KU"]


def test_records_are_found_by_code_as_well_as_by_id(editor):
    secret = a_token(editor)
    goal = api(secret).get(reverse("api:goal-detail", args=["ISO-KU:CONNECT"])).json()
    assert goal["ref"] == "ISO-KU:CONNECT" and goal["framework"] == "ISO-KU"
    assert api(secret).get(reverse("api:goal-detail", args=[goal["id"]])).json() == goal
    unit = Unit.objects.get(code="ISO-KU")
    assert api(secret).get(reverse("api:unit-detail", args=["KU:ISO-KU"])).json()["id"] == unit.pk
    assert api(secret).get(reverse("api:goal-detail", args=["ISO-KU:NOPE"])).status_code == 404


@pytest.mark.parametrize("case", ["unknown", "expired", "revoked", "inactive user", "too long"])
def test_a_token_that_is_not_valid_is_refused_with_401(editor, case):
    secret = a_token(editor, days=-1 if case == "expired" else 30)
    if case == "unknown":
        secret = secret[:-2] + "xx"
    if case == "revoked":
        token_revoke(ApiToken.objects.get(), user=editor, reason="left the project")
    if case == "inactive user":
        editor.is_active = False
        editor.save()
    if case == "too long":
        secret = "isp_" + "a" * 5000
    response = api(secret).get(reverse("api:unit-list"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_without_a_token_or_a_session_the_api_answers_401(sources):
    response = api().get(reverse("api:unit-list"))
    assert response.status_code == 401


def test_a_read_only_token_may_not_write(editor):
    read_only, read_write = a_token(editor), a_token(editor, read_only=False)
    url = reverse("api:unit-list")
    assert api(read_only).post(url, {}).status_code == 403
    assert api(read_write).post(url, {}).status_code == 405  # the units are read, not written here


def test_a_revoked_token_says_who_revoked_it(editor, superuser):
    a_token(editor)
    staff = Client()
    staff.force_login(superuser)
    token = ApiToken.objects.get()
    response = staff.post(
        reverse("admin:api_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    assert "1 token revoked." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.history.first().history_user == superuser


def test_a_user_lists_only_their_own_tokens_an_administrator_everyones(editor, superuser, home):
    other = user_with_role(EDITOR, institutions=[home], username="ren", is_staff=True)
    a_token(editor), a_token(other)
    mine, theirs = ApiToken.objects.get(user=editor), ApiToken.objects.get(user=other)
    staff = Client()
    staff.force_login(editor)
    page = staff.get(reverse("admin:api_apitoken_changelist")).content.decode()
    assert mine.hint in page and theirs.hint not in page
    assert staff.get(reverse("admin:api_apitoken_change", args=[theirs.pk])).status_code == 404
    staff.force_login(superuser)
    page = staff.get(reverse("admin:api_apitoken_changelist")).content.decode()
    assert mine.hint in page and theirs.hint in page


def test_pages_by_cursor_cover_every_record_once_while_records_are_added(editor, home):
    UnitFactory.create_batch(7, institution=home)
    secret = a_token(editor)
    expected = set(Unit.objects.filter(institution=home).values_list("pk", flat=True))
    seen, url = [], reverse("api:unit-list") + "?page_size=3"
    while url:
        page = api(secret).get(url).json()
        seen += [u["id"] for u in page["results"]]
        if len(seen) == 3:
            UnitFactory(institution=home)  # added meanwhile: it comes last, nothing repeats
        url = page["next"]
    assert len(seen) == len(set(seen)) and set(seen) >= expected
    assert seen == sorted(seen)


def grow(home: Institution, more: int) -> None:
    """``more`` of every kind of record the API lists, of the home institution."""
    framework = FrameworkFactory(institution=home)
    for _ in range(more):
        unit = UnitFactory(institution=home)
        goal = GoalFactory(framework=framework)
        goal.units.add(unit)
        goal.realises.add(GoalFactory(framework=framework))
        initiative = InitiativeFactory(institution=home, lead_unit=unit)
        initiative.goals.add(goal)
        initiative.contributing_units.add(UnitFactory(institution=home))
        initiative.partners.add(PartnerFactory())
        ActivityFactory(initiative=initiative)
        AgreementFactory(unit=unit)
        IndicatorValueFactory(indicator=IndicatorFactory(goal=goal))
        ProgressUpdateFactory(initiative=initiative)
        year = 2000 + ReportingCycle.objects.count()
        ReportingCycle.objects.create(
            institution=home, fiscal_year=year, period="year", due_date=f"{year + 1}-04-30"
        )
        ImportBatch.objects.create(
            kind="activities",
            file_name="fy.csv",
            stored_name="fy.csv",
            user=UserFactory(),
            status="applied",
        )
    RegionFactory.create_batch(more)
    InstitutionFactory.create_batch(more)


RESOURCES = [
    "institution",
    "region",
    "unit",
    "framework",
    "goal",
    "indicator",
    "indicatorvalue",
    "partner",
    "agreement",
    "initiative",
    "activity",
    "progressupdate",
    "reportingcycle",
    "importbatch",
]


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_page_costs_the_same_queries_for_few_records_as_for_many(
    superuser, home, resource, django_assert_num_queries
):
    secret, url = a_token(superuser), reverse(f"api:{resource}-list")
    api(secret).get(url)  # the token's first use is noted (once a minute at most)
    grow(home, 1)
    with CaptureQueriesContext(connection) as queries:
        assert api(secret).get(url).status_code == 200
    few = len(queries)  # counted now: a request starts the log afresh
    grow(home, 20)
    with django_assert_num_queries(few):
        assert len(api(secret).get(url).json()["results"]) > 1


def test_the_schema_validates_without_a_warning_and_its_pages_need_no_cdn(editor):
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=io.StringIO())
    staff = Client()
    staff.force_login(editor)
    schema = staff.get(reverse("api:schema"))
    assert schema.status_code == 200 and b"/api/units/" in schema.content
    docs = staff.get(reverse("api:docs")).content.decode()
    sources_ = re.findall(r'(?:src|href)="([^"]+)"', docs)
    assert sources_ and all(s.startswith("/") for s in sources_), sources_
    assert any("drf_spectacular_sidecar" in s for s in sources_)


def test_a_code_holding_a_nul_character_is_not_found(editor):
    secret = a_token(editor)
    for url in ("/api/units/KU%00/", "/api/goals/ISO-KU:%00/", "/api/activities/%00x/"):
        assert api(secret).get(url).status_code == 404
    response = api(secret).get(reverse("api:activity-list"), {"country": "\x00"})
    assert response.status_code == 400 and "country" in response.json()


def test_progress_updates_and_cycles_are_read_within_the_users_institutions(editor, home):
    from reporting.models import Period
    from reporting.services import cycle_open

    elsewhere = InstitutionFactory(code="XU")
    mine = ProgressUpdateFactory(initiative=InitiativeFactory(institution=home))
    ProgressUpdateFactory(initiative=InitiativeFactory(institution=elsewhere))
    for institution in (home, elsewhere):
        cycle_open(
            cycle=ReportingCycle(
                institution=institution, fiscal_year=2025, period=Period.YEAR, due_date="2026-04-30"
            ),
            user=None,
        )
    secret = a_token(editor)
    updates = api(secret).get(reverse("api:progressupdate-list")).json()["results"]
    assert [u["id"] for u in updates] == [mine.pk]
    cycles = api(secret).get(reverse("api:reportingcycle-list")).json()["results"]
    assert [c["institution"] for c in cycles] == ["KU"]
