"""Webhooks: a change of a followed record is POSTed, signed, to a receiver on 127.0.0.1 that the
test starts; a receiver that fails is tried again after a backoff, each attempt kept; another
institution's changes, and receivers at private addresses, are not sent to."""

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.models import WebhookDelivery, WebhookSubscription
from api.services import subscription_create
from api.webhooks import deliver
from common.roles import ADMINISTRATOR, EDITOR
from common.services import record_save
from portfolio.models import Activity
from tests.api.helpers import a_token
from tests.factories import UnitFactory, user_with_role
from units.models import Institution, Unit

DATABASE = {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}

pytestmark = pytest.mark.usefixtures("committing")


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps what it is sent and answers ``status``."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.TASKS = {"default": DATABASE}
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def subscribed(sources, receiver):
    admin = user_with_role(ADMINISTRATOR, username="admin", is_staff=True)
    subscription = subscription_create(
        WebhookSubscription(
            name="Mobility system",
            url=receiver.url,
            institution=Institution.objects.get(code="KU"),
            kinds=["portfolio.activity"],
        ),
        user=admin,
        reason="The mobility system keeps a copy",
    )
    return subscription


def entered() -> Activity:
    activity = Activity(
        title="Visit", start_date=dt.date(2025, 6, 1), unit=Unit.objects.get(code="ISO-KU")
    )
    return record_save(activity, user=None, reason="Entered")


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_a_change_made_through_the_api_is_sent_signed_to_the_subscribed_receiver(
    subscribed, receiver
):
    ku = Institution.objects.get(code="KU")
    editor = user_with_role(EDITOR, institutions=[ku], username="kana", is_staff=True)
    client = Client(headers={"Authorization": f"Bearer {a_token(editor, read_only=False)}"})
    created = client.post(
        "/api/activities/",
        json.dumps({"title": "Visit", "start_date": "2025-06-01", "unit": "KU:ISO-KU"}),
        "application/json",
    )
    assert created.status_code == 201
    # Another institution's activity is not its business.
    tmu = UnitFactory(institution=Institution.objects.get(code="TMU"), code="TMU-OFFICE")
    record_save(
        Activity(title="Elsewhere", start_date=dt.date(2025, 6, 1), unit=tmu),
        user=None,
        reason="Another institution's",
    )
    assert not receiver.received  # sent by the worker, not in the request
    run_worker()
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    expected = "sha256=" + hmac.new(subscribed.secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Portfolio-Signature"] == expected
    events = json.loads(body)["events"]
    assert [(e["model"], e["id"], e["type"]) for e in events] == [
        ("portfolio.activity", created.json()["id"], "created")
    ]
    assert f'"v{events[0]["version"]}"' == created["ETag"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("delivered", 1)


def test_a_receiver_that_fails_is_tried_again_after_a_backoff_and_each_attempt_is_kept(
    subscribed, receiver, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.status = 503
    entered()
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=30)
    run_worker()  # the next attempt waits for its time
    assert WebhookDelivery.objects.get().attempts == 1
    deliver.call(delivery.pk)  # its time has come
    receiver.status = 200
    deliver.call(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 3)
    assert [t.status_code for t in delivery.tries.all()] == [503, 503, 200]
    assert len({body for _headers, body in receiver.received}) == 1  # the same body each time
    # The administrator lists the attempts.
    admin = Client()
    admin.force_login(user_with_role(ADMINISTRATOR, username="boss", is_staff=True))
    page = admin.get(reverse("admin:api_webhookdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200 and page.content.decode().count("503") >= 2


def test_a_delivery_is_given_up_after_its_last_attempt(subscribed, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.status = 500
    entered()
    run_worker()
    delivery = WebhookDelivery.objects.get()
    deliver.call(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("failed", 2, None)


def test_a_receiver_at_a_private_address_is_not_called_unless_allowed(
    subscribed, receiver, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    entered()
    run_worker()
    assert not receiver.received
    attempt = WebhookDelivery.objects.get().tries.get()
    assert attempt.status_code is None and "not a public address" in attempt.error


def test_an_administrator_subscribes_in_the_admin_and_the_secret_is_made(sources, receiver):
    admin = Client()
    admin.force_login(user_with_role(ADMINISTRATOR, username="boss", is_staff=True))
    answer = admin.post(
        reverse("admin:api_webhooksubscription_add"),
        {
            "name": "Mobility system",
            "url": receiver.url,
            "institution": Institution.objects.get(code="KU").pk,
            "kinds": ["portfolio.activity", "portfolio.initiative"],
            "active": "on",
            "change_reason": "Keeps a copy",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    subscription = WebhookSubscription.objects.get()
    assert len(subscription.secret) > 30
    assert subscription.history.get().history_change_reason == "Keeps a copy"
    refused = admin.post(
        reverse("admin:api_webhooksubscription_add"),
        {"name": "x", "url": "ftp://example.org/", "institution": subscription.institution_id},
    )
    assert refused.status_code == 200 and WebhookSubscription.objects.count() == 1


def test_rows_sent_at_once_are_sent_on_as_one_delivery_of_their_events(
    subscribed, receiver, settings, tmp_path
):
    from common.roles import DATA_STEWARD

    settings.IMPORT_DIR = tmp_path
    ku = Institution.objects.get(code="KU")
    steward = user_with_role(DATA_STEWARD, institutions=[ku], username="kana", is_staff=True)
    client = Client(headers={"Authorization": f"Bearer {a_token(steward, read_only=False)}"})
    rows = [
        {"external_ref": f"KU-{n}", "title": "Visit", "start_date": "2025-06-01", "unit": "ISO-KU"}
        for n in range(3)
    ]
    sent = client.post(
        "/api/import-batches/", json.dumps({"kind": "activities", "rows": rows}), "application/json"
    )
    assert sent.status_code == 201, sent.content
    run_worker()
    assert len(receiver.received) == 1
    events = json.loads(receiver.received[0][1])["events"]
    refs = dict(Activity.objects.values_list("pk", "external_ref"))
    assert sorted((refs[e["id"]], e["type"]) for e in events) == [
        (f"KU-{n}", "created") for n in range(3)
    ]
