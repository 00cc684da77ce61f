"""Webhooks: the changes of records sent to the URLs administrators subscribed to them.

Every write leaves history rows (one at a time, or in bulk); once its transaction commits, the
rows of the models some active subscription follows become events, and each subscription whose
institution they belong to gets one delivery of them (at most ``EVENTS_PER_DELIVERY`` a body),
sent by a background task (``deliver``). An event is thin: the model, the record's id, what
happened, its version and when; the receiver reads the record through the API if it wants it.

A delivery is a POST of JSON signed with the subscription's secret (``X-Portfolio-Signature:
sha256=<HMAC-SHA256 of the body>``). An answer other than 2xx, or none, is an attempt that
failed: the delivery is tried again after a backoff that doubles (``WEBHOOK_RETRY_SECONDS``,
then twice that, and so on) until ``WEBHOOK_MAX_ATTEMPTS``, then given up. Each attempt is kept
and listed in the admin. A URL whose host resolves to an address that is not public (loopback,
private, link-local) is not called unless ``WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` says so.
"""

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from simple_history.signals import post_create_historical_record

from common.access import reach_of
from common.history import chunks, history_written_in_bulk

EVENTS_PER_DELIVERY = 500
SIGNATURE_HEADER = "X-Portfolio-Signature"
TYPES = {"+": "created", "~": "changed", "-": "deleted"}


def label_of(model) -> str:
    return model._meta.label_lower


def followed() -> dict[str, list[tuple[int, int]]]:
    """Model label → (subscription id, institution id) of the active subscriptions."""
    from api.models import WebhookSubscription

    found: dict[str, list[tuple[int, int]]] = {}
    for pk, institution, kinds in WebhookSubscription.objects.filter(active=True).values_list(
        "pk", "institution_id", "kinds"
    ):
        for kind in kinds or []:
            found.setdefault(kind, []).append((pk, institution))
    return found


def institutions_of(history_model, rows: list) -> dict[int, set]:
    """History id → the institutions the row's record belonged to in that version (empty for a
    record every institution shares); read in one query a chunk, not row by row."""
    reach = reach_of(history_model.instance_type)
    if reach.shared:
        return {row.history_id: set() for row in rows}
    found: dict[int, set] = {row.history_id: set() for row in rows}
    for part in chunks([row.history_id for row in rows]):
        for history_id, *institutions in history_model.objects.filter(
            history_id__in=part
        ).values_list("history_id", *reach.institution):
            found[history_id] |= {i for i in institutions if i is not None}
    return found


def event_of(row, label: str) -> dict:
    return {
        "model": label,
        "id": row.id,
        "type": TYPES.get(row.history_type, row.history_type),
        "version": row.history_id,
        "at": row.history_date.isoformat(),
    }


def rows_written(model, records: list) -> None:
    """Records were written (their history rows, or the records, whose newest history rows were
    written beside them): once that commits, send the changes to whoever follows them."""
    from api.models import WEBHOOK_MODELS

    model = getattr(model, "instance_type", model)
    if records and label_of(model) in {label for label, _name in WEBHOOK_MODELS}:
        transaction.on_commit(lambda: send(model, records))


def history_rows(model, records: list) -> list:
    """The history rows of ``records``: as they are, or the newest of each record."""
    rows = [record for record in records if hasattr(record, "history_id")]
    if rows or not records:
        return rows
    newest: dict[int, object] = {}
    for part in chunks([record.pk for record in records]):
        for row in model.history.filter(id__in=part).order_by("id", "-history_id"):
            newest.setdefault(row.id, row)
    return list(newest.values())


def send(model, records: list) -> int:
    """Deliveries of the records' changes to the subscriptions that follow them; how many."""
    from api.services import delivery_create

    label = label_of(model)
    subscriptions = followed().get(label)
    if not subscriptions:
        return 0
    rows = history_rows(model, records)
    institutions = institutions_of(model.history.model, rows)
    made = 0
    for subscription, institution in subscriptions:
        events = [
            event_of(row, label)
            for row in rows
            if not institutions[row.history_id] or institution in institutions[row.history_id]
        ]
        for part in chunks(events, EVENTS_PER_DELIVERY):
            delivery = delivery_create(subscription=subscription, events=list(part))
            deliver.enqueue(delivery.pk)
            made += 1
    return made


def history_written(sender, history_instance, **kwargs) -> None:
    rows_written(type(history_instance), [history_instance])


def written_in_bulk(sender, records=(), links=None, changed=None, **kwargs) -> None:
    if links is None:  # (a link's rows say nothing its record's rows do not)
        rows_written(sender, list(records))


post_create_historical_record.connect(history_written, dispatch_uid="webhooks_history")
history_written_in_bulk.connect(written_in_bulk, dispatch_uid="webhooks_bulk_history")


# --- Sending ----------------------------------------------------------------------------------


def signature_of(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Unreachable(Exception):
    pass


def refuse_private(url: str) -> None:
    """Refuse a URL whose host is, or resolves to, an address that is not public."""
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return
    parts = urlsplit(url)
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except (OSError, UnicodeError) as error:
        raise Unreachable(f"host not found: {error}") from None
    for address in addresses:
        if not ipaddress.ip_address(address.split("%")[0]).is_global:
            raise Unreachable(f"{address} is not a public address")


def backoff(attempts: int) -> dt.timedelta:
    """The wait before the next attempt, after ``attempts`` failed: doubling, at most a day."""
    seconds = settings.WEBHOOK_RETRY_SECONDS * 2 ** (attempts - 1)
    return dt.timedelta(seconds=min(seconds, 86_400))


def post(url: str, body: bytes, headers: dict) -> int:
    """The receiver's answer to the POST (its status), or ``Unreachable``."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    # No redirect is followed: a receiver answers where it was subscribed.
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise Unreachable(str(getattr(error, "reason", error))[:300]) from None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@task()
def deliver(delivery: int) -> str:
    """Try a delivery once; queue the next try after a backoff if it failed; its state."""
    from api.models import WebhookDelivery
    from api.services import attempt_record

    found = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery).first()
    if found is None or found.state != WebhookDelivery.State.PENDING:
        return "skipped"
    subscription = found.subscription
    body = found.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "portfolio-webhooks/1",
        "X-Portfolio-Delivery": str(found.pk),
        SIGNATURE_HEADER: signature_of(subscription.secret, body),
    }
    started = time.perf_counter()
    status, error = None, ""
    try:
        refuse_private(subscription.url)
        status = post(subscription.url, body, headers)
    except Unreachable as unreachable:
        error = str(unreachable)
    taken = status is not None and 200 <= status < 300
    found = attempt_record(
        delivery=found,
        status_code=status,
        error=error or ("" if taken else f"answered {status}"),
        milliseconds=int((time.perf_counter() - started) * 1000),
        taken=taken,
        retry_after=None if taken else backoff(found.attempts + 1),
    )
    if found.state == WebhookDelivery.State.PENDING and deliver.get_backend().supports_defer:
        # (A backend that cannot wait, the immediate one of tests, leaves it for a later call.)
        deliver.using(run_after=found.next_attempt_at).enqueue(found.pk)
    return found.state


def body_of(subscription_id: int, events: list[dict]) -> str:
    return json.dumps(
        {"subscription": subscription_id, "sent_at": timezone.now().isoformat(), "events": events},
        ensure_ascii=False,
    )
