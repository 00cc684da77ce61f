"""Writes through the API: through the admin's form and doors, with the user and the reason in
the record's history, a change refused over a version it never saw, and the dashboards showing
the write at once."""

import csv
import io
import json
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from common.fiscal import current_fiscal_year, fiscal_year_bounds
from common.roles import EDITOR, LEADERSHIP, UNIT_EDITOR
from portfolio.models import Activity
from tests.api.helpers import a_token
from tests.factories import user_with_role
from tests.helpers import download_table
from units.models import Institution, Unit

pytestmark = pytest.mark.django_db


def api(secret: str, **headers) -> Client:
    return Client(headers={"Authorization": f"Bearer {secret}", **headers})


def send(client: Client, method: str, url: str, body: dict | None = None, **headers):
    call = getattr(client, method)
    return call(url, json.dumps(body) if body is not None else None, "application/json", **headers)


THIS_YEAR = current_fiscal_year()
IN_THIS_YEAR = fiscal_year_bounds(THIS_YEAR)[0].isoformat()
IN_THE_NEXT = fiscal_year_bounds(THIS_YEAR + 1)[0].isoformat()


@pytest.fixture
def editor(kyoto):
    return user_with_role(EDITOR, institutions=[kyoto], username="kana", is_staff=True)


def thailand(reader: Client) -> list[str]:
    """The unit's activities in Thailand this fiscal year, from its dashboard's table download."""
    page = reverse("dashboards:unit", args=[Unit.objects.get(code="ISO-KU").pk])
    response = reader.get(page, {"fy": THIS_YEAR, "csv": "activities-by-country"})
    assert response.status_code == 200
    rows = csv.reader(io.StringIO(download_table(response.content.decode("utf-8-sig"))))
    return next((row for row in rows if row[0] == "Thailand"), ["Thailand", "0"])[:2]


def leader() -> Client:
    reader = Client()
    reader.force_login(
        user_with_role(LEADERSHIP, institutions=Institution.objects.all(), username="president")
    )
    return reader


def test_an_activity_created_changed_and_deleted_shows_in_its_history_and_on_the_dashboards(
    committing, editor
):
    client = api(a_token(editor, read_only=False))
    president = leader()
    assert thailand(president) == ["Thailand", "0"]
    reason = "登録: 交流協定に基づく派遣"
    created = send(
        client,
        "post",
        "/api/activities/",
        {
            "external_ref": "KU-API-0001",
            "title": "Joint symposium",
            "activity_type": "symposium",
            "start_date": IN_THIS_YEAR,
            "unit": "KU:ISO-KU",
            "initiative": "KU:ONSITE",
            "country": "TH",
            "partner": "Chulalongkorn University",
            "inbound_participants": 10,
        },
        headers={"X-Reason": quote(reason)},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    activity = Activity.objects.get(pk=body["id"])
    assert (activity.unit.code, activity.initiative.code, activity.partner.city) == (
        "ISO-KU",
        "ONSITE",
        "Bangkok",
    )
    assert body["fiscal_year"] == THIS_YEAR and created["ETag"]
    assert thailand(president) == ["Thailand", "1"]

    url = f"/api/activities/{activity.external_ref}/"
    changed = send(
        client,
        "patch",
        url,
        {"start_date": IN_THE_NEXT},
        headers={"If-Match": created["ETag"]},
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["fiscal_year"] == THIS_YEAR + 1
    assert changed.json()["title"] == "Joint symposium"
    assert thailand(president) == ["Thailand", "0"]

    versions = client.get(f"{url}history/").json()["results"]
    assert [(v["type"], v["user"], v["reason"]) for v in versions] == [
        ("changed", "kana", "Through the API with the token “Mobility system”"),
        ("created", "kana", reason),
    ]
    assert versions[0]["changes"] == {
        "start_date": {"from": IN_THIS_YEAR, "to": IN_THE_NEXT},
        "fiscal_year": {"from": str(THIS_YEAR), "to": str(THIS_YEAR + 1)},
    }
    assert f'"v{versions[0]["version"]}"' == changed["ETag"]

    back = send(
        client, "patch", url, {"start_date": IN_THIS_YEAR}, headers={"If-Match": changed["ETag"]}
    )
    assert back.status_code == 200 and thailand(president) == ["Thailand", "1"]
    deleted = send(client, "delete", url, headers={"X-Reason": "Entered twice"})
    assert deleted.status_code == 204
    assert thailand(president) == ["Thailand", "0"]
    rows = list(Activity.history.filter(id=activity.pk).order_by("history_id"))
    assert [(row.history_type, row.history_user, row.history_change_reason) for row in rows] == [
        ("+", editor, reason),
        ("~", editor, "Through the API with the token “Mobility system”"),
        ("~", editor, "Through the API with the token “Mobility system”"),
        ("-", editor, "Entered twice"),
    ]
    staff = Client()
    staff.force_login(editor)
    history = staff.get(reverse("admin:portfolio_activity_history", args=[activity.pk]))
    assert reason in history.content.decode() and "Entered twice" in history.content.decode()


def test_a_change_over_a_version_its_sender_never_saw_is_refused_with_what_changed(editor):
    client = api(a_token(editor, read_only=False))
    created = send(
        client,
        "post",
        "/api/activities/",
        {"title": "Visit", "start_date": "2025-06-01", "unit": "ISO-KU"},
    )
    assert created.status_code == 201, created.content
    url = f"/api/activities/{created.json()['id']}/"
    first = send(
        client, "patch", url, {"title": "Visit to Bangkok"}, headers={"If-Match": created["ETag"]}
    )
    assert first.status_code == 200
    stale = send(
        client, "patch", url, {"city": "Chiang Mai"}, headers={"If-Match": created["ETag"]}
    )
    assert stale.status_code == 412
    assert "Visit to Bangkok" in stale.json()["detail"]
    unnamed = send(client, "patch", url, {"city": "Chiang Mai"})
    assert unnamed.status_code == 428
    assert Activity.objects.get(pk=created.json()["id"]).city == ""
    # A read gives the version to change from; a read the reader holds already is not sent again.
    read = client.get(url)
    assert read["ETag"] == first["ETag"]
    assert client.get(url, headers={"If-None-Match": read["ETag"]}).status_code == 304
    again = send(client, "patch", url, {"city": "Chiang Mai"}, headers={"If-Match": read["ETag"]})
    assert again.status_code == 200 and again.json()["city"] == "Chiang Mai"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"title": "Visit", "start_date": "2025-06-01"}, "detail", "initiative or the unit"),
        ({"title": "Visit", "start_date": "31/31/2025", "unit": "ISO-KU"}, "start_date", "date"),
        ({"title": "Visit", "start_date": "2025-06-01", "unit": "NOPE"}, "unit", "NOPE"),
        (
            {"title": "Visit", "start_date": "2025-06-01", "unit": "ISO-KU", "colour": 1},
            "colour",
            "field",
        ),
        ({"title": ["a"], "start_date": "2025-06-01", "unit": "ISO-KU"}, "title", "one value"),
        (
            {
                "title": "Visit",
                "start_date": "2025-06-01",
                "end_date": "2025-05-01",
                "unit": "ISO-KU",
            },
            "detail",
            "end before it starts",
        ),
    ],
)
def test_a_refused_body_names_its_field_and_writes_nothing(editor, body, field, words):
    client = api(a_token(editor, read_only=False))
    refused = send(client, "post", "/api/activities/", body)
    assert refused.status_code == 400, refused.content
    message = refused.json()[field]
    assert words in (message if isinstance(message, str) else " ".join(message))
    assert not Activity.objects.exists()


def test_refusals_read_in_the_language_the_request_asks_for(editor):
    client = api(a_token(editor, read_only=False), **{"Accept-Language": "ja"})
    refused = send(
        client, "post", "/api/activities/", {"title": "Visit", "start_date": "2025-06-01"}
    )
    assert refused.status_code == 400
    assert "部局" in refused.json()["detail"] or "取組" in refused.json()["detail"]


def test_a_unit_editor_writes_only_within_their_units(kyoto):
    iso = kyoto.units.get(code="ISO-KU")
    other = Unit.objects.filter(institution=kyoto).exclude(pk=iso.pk).first()
    editor = user_with_role(UNIT_EDITOR, institutions=[kyoto], units=[iso], username="unit")
    client = api(a_token(editor, read_only=False))
    mine = send(
        client,
        "post",
        "/api/activities/",
        {"title": "Visit", "start_date": "2025-06-01", "unit": iso.code},
    )
    assert mine.status_code == 201, mine.content
    theirs = send(
        client,
        "post",
        "/api/activities/",
        {"title": "Visit", "start_date": "2025-06-01", "unit": other.pk},
    )
    assert theirs.status_code == 400
    assert Activity.objects.count() == 1


def test_a_hostile_body_is_refused_before_it_is_parsed(editor, settings):
    client = api(a_token(editor, read_only=False))
    deep = "[" * 100_000 + "]" * 100_000
    assert client.post("/api/activities/", deep, "application/json").status_code == 400
    settings.API_MAX_BODY_BYTES = 1000
    large = json.dumps({"title": "x" * 2000, "start_date": "2025-06-01", "unit": "ISO-KU"})
    assert client.post("/api/activities/", large, "application/json").status_code == 413
    assert client.post("/api/activities/", "NaN", "application/json").status_code == 400
    body = json.dumps({"title": "Visit", "start_date": "2025-06-01", "unit": "ISO-KU"})
    settings.API_MAX_BODY_BYTES = 10_000
    not_utf8 = client.post(
        "/api/activities/", body, "application/json", headers={"X-Reason": "%FF"}
    )
    assert not_utf8.status_code == 400 and "X-Reason" in not_utf8.json()
    assert (
        client.post("/api/activities/", "title=x", "application/x-www-form-urlencoded").status_code
        == 415
    )
    assert not Activity.objects.exists()
