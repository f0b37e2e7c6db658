"""Webhooks: order events, signed, posted after commit; a receiver that checks the signature
and the timestamp accepts them and refuses a replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine

from doorstep.notifications.gateways import verify
from doorstep.notifications.models import DeliveryAttempt, Notification, WebhookSubscription
from doorstep.notifications.sender import send_due
from doorstep.orders.actions import create_order
from tests.conftest import repair_data, walk_to
from tests.notifications.conftest import Received, Receiver

pytestmark = pytest.mark.django_db

SECRET = "a-long-shared-secret-for-billing"


def verifying(got: Received) -> int:
    """What the subscriber's endpoint does (docs/notifications.md)."""
    ok = verify(
        SECRET,
        got.headers.get("X-Doorstep-Timestamp", ""),
        got.body,
        got.headers.get("X-Doorstep-Signature", ""),
        now=datetime.now(UTC),
    )
    return 200 if ok else 401


@pytest.fixture
def billing(receiver: Receiver) -> WebhookSubscription:
    receiver.check = verifying
    return WebhookSubscription.objects.create(
        name="计费系统", url=receiver.url, secret=SECRET, events=["create", "complete"]
    )


def deliveries() -> list[Notification]:
    return list(Notification.objects.filter(channel="webhook").order_by("id"))


def test_a_subscribed_event_is_posted_signed_and_accepted(
    org: Any, billing: WebhookSubscription, receiver: Receiver
) -> None:
    order, event = create_order(org.operator, repair_data())
    walk_to(order.pk, org, "dispatched")  # `assign`: not subscribed
    (note,) = deliveries()
    assert note.status == "queued" and receiver.received == []  # nothing before the worker
    send_due("w1")
    note.refresh_from_db()
    assert note.status == "sent"
    (got,) = receiver.received
    doc = got.json()
    assert doc["event"] == "order.create" and doc["event_id"] == event.pk
    assert doc["order"] == {
        "id": order.pk,
        "number": order.number,
        "kind": "repair",
        "status": "received",
        "branch": "GS",
        "account": None,
    }
    assert "13812345678" not in got.body.decode()  # no personal data in the event document
    assert got.headers["X-Doorstep-Event"] == "order.create"
    assert got.headers["X-Doorstep-Delivery"] == str(note.pk)
    assert receiver.accepted == {f"doorstep-notification-{note.pk}": 1}


def test_a_replayed_delivery_is_refused_by_the_receiver(
    org: Any, billing: WebhookSubscription, receiver: Receiver
) -> None:
    create_order(org.operator, repair_data())
    send_due("w1")
    (first,) = receiver.received
    headers = {k: v for k, v in first.headers.items() if k.startswith("X-Doorstep")}
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=10), tick=False):
        replay = httpx.post(receiver.url, content=first.body, headers=headers)
    assert replay.status_code == 401
    tampered = httpx.post(receiver.url, content=first.body.replace(b"GS", b"TL"), headers=headers)
    assert tampered.status_code == 401
    assert sum(receiver.accepted.values()) == 1


def test_a_wrong_secret_is_refused_and_not_retried(
    org: Any, billing: WebhookSubscription, receiver: Receiver
) -> None:
    billing.secret = "not-the-shared-secret"
    billing.save()
    create_order(org.operator, repair_data())
    send_due("w1")
    (note,) = deliveries()
    assert note.status == "failed" and "HTTP 401" in note.error


def test_a_subscriber_that_is_down_gets_the_event_later(
    org: Any, billing: WebhookSubscription, receiver: Receiver
) -> None:
    receiver.mode = "down"
    create_order(org.operator, repair_data())
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False) as clock:
        send_due("w1")
        (note,) = deliveries()
        assert note.status == "queued" and note.attempts == 1
        receiver.mode = "up"
        clock.shift(timedelta(seconds=29))
        assert send_due("w1") == 0  # backing off
        clock.shift(timedelta(seconds=1))
        assert send_due("w1") == 1
    note.refresh_from_db()
    assert note.status == "sent"
    codes = list(DeliveryAttempt.objects.filter(notification=note).order_by("number"))
    assert [(a.outcome, a.status_code) for a in codes] == [("retry", 503), ("sent", 200)]
    assert sum(receiver.accepted.values()) == 1


def test_only_active_subscriptions_for_the_action_get_it(
    org: Any, billing: WebhookSubscription
) -> None:
    WebhookSubscription.objects.create(name="IPTV", url="http://127.0.0.1:9/", secret="x" * 20)
    WebhookSubscription.objects.create(
        name="停用", url="http://127.0.0.1:9/", secret="x" * 20, active=False
    )
    order, _ = create_order(org.operator, repair_data())
    walk_to(order.pk, org, "dispatched")
    got = sorted((n.subscription.name, n.kind) for n in deliveries() if n.subscription)
    assert got == [("IPTV", "order.assign"), ("IPTV", "order.create"), ("计费系统", "order.create")]


def test_a_subscription_needs_a_real_secret_and_known_actions() -> None:
    from django.core.exceptions import ValidationError

    sub = WebhookSubscription(name="x", url="http://example.com/", secret="short", events=["nap"])
    with pytest.raises(ValidationError) as exc:
        sub.full_clean()
    assert set(exc.value.message_dict) == {"secret", "events"}
    assert "nap" in exc.value.message_dict["events"][0]
