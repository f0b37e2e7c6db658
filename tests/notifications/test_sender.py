"""Messages after commit: claim, commit, send, record; retried with back-off, never twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from doorstep.notifications.models import DeliveryAttempt, Notification
from doorstep.notifications.outbox import queue
from doorstep.notifications.sender import claim, lease, send_due
from tests.notifications.conftest import Receiver

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def sms(n: int = 1) -> list[Notification]:
    notes = []
    for i in range(n):
        queue("customer_sms", f"您好，第 {i} 条", to_phone="13812345678", dedupe_key=f"t{i}")
        note = Notification.objects.get(dedupe_key=f"t{i}")
        Notification.objects.filter(pk=note.pk).update(available_at=T0)
        notes.append(note)
    return notes


def test_a_queued_notice_is_sent_and_its_result_recorded(sms_provider: Receiver) -> None:
    (note,) = sms()
    assert send_due("w1", now=T0) == 1
    note.refresh_from_db()
    assert note.status == "sent" and note.sent_at == T0 and note.attempts == 1
    assert note.provider_message_id == "m-1" and note.claim_token == ""
    sent = sms_provider.received[0]
    assert sent.json()["phone"] == "13812345678" and sent.json()["content"] == "您好，第 0 条"
    assert sent.headers["Idempotency-Key"] == f"doorstep-notification-{note.pk}"
    attempt = DeliveryAttempt.objects.get(notification=note)
    assert (attempt.outcome, attempt.status_code, attempt.worker) == ("sent", 200, "w1")
    assert send_due("w1", now=T0 + timedelta(hours=1)) == 0  # nothing goes out twice


def test_one_worker_sends_its_notices_over_one_kept_open_connection(
    sms_provider: Receiver,
) -> None:
    """Not a new client (and TLS context) per notice: that cost ~40 ms of CPU each and made the
    worker's sending CPU-bound under `bench load`."""
    sms(3)
    assert send_due("w1", now=T0) == 3
    assert len(sms_provider.received) == 3
    assert len({r.port for r in sms_provider.received}) == 1


def test_a_notice_is_not_sent_before_it_is_due(sms_provider: Receiver) -> None:
    (note,) = sms()
    assert send_due("w1", now=T0 - timedelta(seconds=1)) == 0
    assert sms_provider.received == []


def test_the_gateway_down_for_an_hour_loses_nothing(sms_provider: Receiver) -> None:
    notes = sms(3)
    sms_provider.mode = "down"
    now = T0
    tries = 0
    while now < T0 + timedelta(hours=1):
        tries += send_due("w1", now=now)
        now += timedelta(seconds=30)
    assert tries >= 3 * 6  # 30 s, 1, 2, 4, 8, 16, 32 min of back-off
    assert set(Notification.objects.values_list("status", flat=True)) == {"queued"}
    sms_provider.mode = "up"
    while Notification.objects.filter(status="queued").exists():
        send_due("w1", now=now)
        now += timedelta(minutes=5)
        assert now < T0 + timedelta(hours=3), "still queued two hours after the gateway came back"
    assert sms_provider.accepted == {f"doorstep-notification-{n.pk}": 1 for n in notes}
    note = Notification.objects.get(pk=notes[0].pk)
    assert note.status == "sent" and note.error == ""
    log = DeliveryAttempt.objects.filter(notification=note).order_by("number")
    assert [a.outcome for a in log][-1] == "sent" and {a.status_code for a in log} == {503, 200}
    assert "HTTP 503" in log[0].error


def test_a_refused_notice_fails_at_once_and_is_not_retried(sms_provider: Receiver) -> None:
    (note,) = sms()
    sms_provider.mode = "reject"
    send_due("w1", now=T0)
    note.refresh_from_db()
    assert note.status == "failed" and "HTTP 400" in note.error
    assert send_due("w1", now=T0 + timedelta(days=1)) == 0


def test_it_gives_up_after_the_last_attempt(
    sms_provider: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOORSTEP_OUTBOX_MAX_ATTEMPTS", "3")
    (note,) = sms()
    sms_provider.mode = "down"
    now = T0
    for _ in range(10):
        send_due("w1", now=now)
        now += timedelta(hours=1)
    note.refresh_from_db()
    assert note.status == "failed" and note.attempts == 3
    assert len(sms_provider.received) == 3


def test_an_unreachable_gateway_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOORSTEP_SMS_URL", "http://127.0.0.1:9/sms")  # discard port: refused
    (note,) = sms()
    send_due("w1", now=T0)
    note.refresh_from_db()
    assert note.status == "queued" and "无法连接" in note.error
    assert note.available_at == T0 + timedelta(seconds=30)


def test_a_send_cut_short_by_a_crash_is_retried_after_the_lease(sms_provider: Receiver) -> None:
    (note,) = sms()
    _, claimed = claim("crashed-worker", T0, 10)  # claimed and committed, then the worker died
    assert [n.pk for n in claimed] == [note.pk]
    assert send_due("w2", now=T0 + timedelta(seconds=10)) == 0  # its lease still holds
    assert sms_provider.received == []
    assert send_due("w2", now=T0 + lease()) == 1
    note.refresh_from_db()
    assert note.status == "sent" and note.attempts == 2 and note.claimed_by == "w2"
    assert len(sms_provider.received) == 1


def test_a_late_result_from_a_worker_whose_lease_ran_out_changes_nothing(
    sms_provider: Receiver,
) -> None:
    from doorstep.notifications.gateways import Receipt
    from doorstep.notifications.sender import record

    (note,) = sms()
    token, (slow,) = claim("slow", T0, 10)
    send_due("fast", now=T0 + lease())
    assert record(slow, token, "slow", T0, Receipt("late"), T0 + lease()) is None
    note.refresh_from_db()
    assert note.claimed_by == "fast" and note.provider_message_id == "m-1"


def test_a_worker_does_not_send_what_its_lease_no_longer_covers(
    sms_provider: Receiver, time_machine: Any
) -> None:
    """The first send of a batch takes the whole lease (a provider answering slowly): the
    second notice may belong to another worker by then, so this one leaves it."""
    time_machine.move_to(T0, tick=False)
    first, second = sms(2)

    def slow(received: Any) -> int:
        time_machine.shift(lease())
        return 200

    sms_provider.check = slow
    assert send_due("slow") == 1
    sms_provider.check = None
    assert send_due("next") == 1  # the lease has run out: the second is claimed again
    assert Notification.objects.filter(status="sent").count() == 2
    assert sorted(sms_provider.accepted.values()) == [1, 1]  # each reached the provider once
    second.refresh_from_db()
    assert second.claimed_by == "next"


def test_the_console_is_the_default_gateway(caplog: Any) -> None:
    (note,) = sms()
    with caplog.at_level("WARNING", logger="doorstep.notifications"):
        send_due("w1", now=T0)
    note.refresh_from_db()
    assert note.status == "sent" and "您好，第 0 条" in caplog.text


def test_a_cancelled_notice_is_never_sent(sms_provider: Receiver) -> None:
    (note,) = sms()
    Notification.objects.filter(pk=note.pk).update(status="cancelled")
    assert send_due("w1", now=T0) == 0 and sms_provider.received == []


def test_a_notice_that_keeps_killing_its_worker_is_given_up(
    sms_provider: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOORSTEP_OUTBOX_MAX_ATTEMPTS", "2")
    (note,) = sms()
    claim("dies-1", T0, 10)
    claim("dies-2", T0 + lease(), 10)
    assert send_due("w3", now=T0 + 2 * lease()) == 0
    note.refresh_from_db()
    assert note.status == "failed" and "中断" in note.error and sms_provider.received == []
