"""Two workers draining one outbox at once: every notice reaches the provider exactly once.
Real commits, real threads, a real HTTP server; meant for PostgreSQL (SKIP LOCKED) and also
run on SQLite, where the conditional claim lets one worker at a time take a batch."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connections

from doorstep.notifications.models import Notification
from doorstep.notifications.sender import send_due
from tests.notifications.conftest import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def test_two_workers_send_200_notices_exactly_once(sms_provider: Receiver) -> None:
    Notification.objects.bulk_create(
        Notification(
            kind="customer_sms", body=f"第 {i} 条", to_phone="13812345678", available_at=T0
        )
        for i in range(200)
    )
    handled = {"a": 0, "b": 0}
    barrier = threading.Barrier(2)

    def work(name: str) -> None:
        try:
            barrier.wait()
            while True:
                done = send_due(name, now=T0, limit=20)
                if not done:
                    return
                handled[name] += done
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in handled]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    ids = set(Notification.objects.values_list("pk", flat=True))
    assert sms_provider.accepted == {f"doorstep-notification-{i}": 1 for i in ids}
    assert len(sms_provider.received) == 200 and handled["a"] + handled["b"] == 200
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    assert handled["a"] > 0 and handled["b"] > 0, handled  # both really worked


def test_nothing_is_locked_while_the_gateway_is_talking(sms_provider: Receiver) -> None:
    """The provider's answer is held until another connection has written to the outbox: with
    the old send-inside-the-claim-transaction, SQLite's write lock made that write fail."""
    from doorstep.notifications.outbox import queue

    def write_meanwhile(got: Any) -> int:
        try:
            queue("probe", "写入成功", to_phone="13800000000")
            return 200
        except Exception:  # noqa: BLE001 - the test inspects the status the sender records
            return 500
        finally:
            connections.close_all()

    sms_provider.check = write_meanwhile
    Notification.objects.create(
        kind="customer_sms", body="您好", to_phone="13812345678", available_at=T0
    )
    assert send_due("w1", now=T0) == 1
    assert Notification.objects.get(kind="customer_sms").status == "sent"
    assert Notification.objects.filter(kind="probe").exists()
