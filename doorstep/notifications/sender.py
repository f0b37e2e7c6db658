"""Messages after commit: claim outbox rows in a short transaction, commit, send each one with
no transaction open, then record each result in its own short transaction.

So a slow or dead gateway never holds a lock anybody else waits for (on SQLite, the one write
lock). Claiming is safe with any number of workers: on PostgreSQL the candidates are locked
with SELECT … FOR UPDATE SKIP LOCKED, and on both databases the claim itself is a conditional
UPDATE (`WHERE status IN (queued, sending) AND available_at <= now`) that stamps a fresh claim
token, so two workers can never both hold a row.

A claimed row is `sending` with `available_at` moved to the end of its lease. A worker that
dies mid-send leaves it there; once the lease has passed another worker claims it again. The
one window where a customer could get a message twice is a worker dying after the provider
accepted the message and before the result was recorded; every gateway is given the
notification id as an idempotency key so a provider that honours keys drops the repeat.
Keep the lease well above the gateways' timeouts, or a slow send could be claimed twice.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F

from doorstep.core import clock as app_clock
from doorstep.core.env import envint
from doorstep.notifications.gateways import (
    DeliveryError,
    Message,
    Receipt,
    gateway_for,
    timeout_of,
)
from doorstep.notifications.models import (
    CLAIMABLE,
    DeliveryAttempt,
    Notification,
    Status,
)

log = logging.getLogger("doorstep.notifications")


def lease() -> timedelta:
    return timedelta(seconds=envint("DOORSTEP_OUTBOX_LEASE_SECONDS", 300))


def max_attempts() -> int:
    return envint("DOORSTEP_OUTBOX_MAX_ATTEMPTS", 12)


def backoff(attempts: int) -> timedelta:
    """Wait before try number `attempts + 1`: 30 s, 1, 2, 4 … min, at most an hour. With the
    default 12 attempts a notice keeps being retried for about five hours."""
    base = envint("DOORSTEP_OUTBOX_BACKOFF_SECONDS", 30)
    cap = envint("DOORSTEP_OUTBOX_BACKOFF_MAX_SECONDS", 3600)
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def claim(worker_name: str, now: datetime, limit: int) -> tuple[str, list[Notification]]:
    """Mark up to `limit` due rows as ours and commit; returns the claim token and the rows."""
    token = uuid.uuid4().hex
    with transaction.atomic():
        # A notice whose every try ended with its worker dying (a message that crashes the
        # sender) stops here instead of taking a worker down once per lease for ever.
        Notification.objects.filter(
            status=Status.SENDING, available_at__lte=now, attempts__gte=max_attempts()
        ).update(status=Status.FAILED, claim_token="", error="多次发送均中断，已停止重试")
        due = Notification.objects.filter(status__in=CLAIMABLE, available_at__lte=now).order_by(
            "available_at", "id"
        )
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        if not ids:
            return token, []
        Notification.objects.filter(pk__in=ids, status__in=CLAIMABLE, available_at__lte=now).update(
            status=Status.SENDING,
            claimed_by=worker_name[:120],
            claimed_at=now,
            claim_token=token,
            attempts=F("attempts") + 1,
            available_at=now + lease(),
        )
    rows = list(
        Notification.objects.filter(claim_token=token, status=Status.SENDING)
        .select_related("subscription")
        .order_by("available_at", "id")
    )
    return token, rows


def message_of(note: Notification) -> Message:
    sub = note.subscription
    return Message(
        id=note.pk,
        channel=note.channel,
        kind=note.kind,
        to=note.to_phone,
        subject=note.subject,
        body=note.body,
        template=note.template,
        provider_template_id=note.provider_template_id,
        params=dict(note.params or {}),
        url=sub.url if sub else "",
        secret=sub.secret if sub else "",
    )


def record(
    note: Notification,
    token: str,
    worker_name: str,
    started_at: datetime,
    result: Receipt | Exception,
    now: datetime | None,
) -> str | None:
    """Write what happened to one try; returns the notification's new status, or None when the
    claim had passed to another worker (the try is logged, the row left to its new owner)."""
    finished = now or app_clock.now()
    base = now or started_at
    if isinstance(result, Receipt):
        outcome, status = DeliveryAttempt.Outcome.SENT, Status.SENT
        fields = {
            "sent_at": finished,
            "provider_message_id": result.provider_message_id[:120],
            "error": "",
        }
        code, error, provider_id = result.status_code, "", result.provider_message_id
    else:
        retryable = not isinstance(result, DeliveryError) or result.retryable
        code = result.status_code if isinstance(result, DeliveryError) else None
        error = str(result)[:1000] or type(result).__name__
        provider_id = ""
        if retryable and note.attempts < max_attempts():
            outcome, status = DeliveryAttempt.Outcome.RETRY, Status.QUEUED
            fields = {"available_at": base + backoff(note.attempts), "error": error}
        else:
            outcome, status = DeliveryAttempt.Outcome.FAILED, Status.FAILED
            fields = {"error": error}
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            notification=note,
            number=note.attempts,
            worker=worker_name[:120],
            started_at=started_at,
            finished_at=finished,
            outcome=outcome,
            status_code=code,
            provider_message_id=provider_id[:120],
            error=error,
        )
        # Only while the claim is still ours: a lease that ran out belongs to the next worker.
        updated = Notification.objects.filter(
            pk=note.pk, claim_token=token, status=Status.SENDING
        ).update(status=status, claim_token="", **fields)
    if not updated:
        log.warning("notification %s: claim lost before its result was recorded", note.pk)
        return None
    return status


def send_due(worker_name: str, now: datetime | None = None, limit: int = 200) -> int:
    """Claim what is due, send it outside any transaction, record each result; returns how
    many notices were tried. `now` fixes the clock for tests; by default each step reads it.

    A batch whose sends are slow can outlast its lease: another worker may then have claimed
    the rest. So a notice is sent only while its lease outlasts the send's timeout; the others
    stay claimed and go to whoever claims them when the lease runs out."""
    token, notes = claim(worker_name, now or app_clock.now(), limit)
    tried = 0
    for note in notes:
        started = now or app_clock.now()
        if started + timedelta(seconds=timeout_of(note.channel)) >= note.available_at:
            log.warning(
                "worker %s: lease running out, %s of %s notices left to the next claim",
                worker_name,
                len(notes) - tried,
                len(notes),
            )
            break
        tried += 1
        result: Receipt | Exception
        try:
            result = gateway_for(note.channel).send(message_of(note))
        except Exception as exc:  # noqa: BLE001 - one bad notice must not stop the rest
            result = exc
            log.warning("notification %s (%s) not sent: %s", note.pk, note.channel, exc)
        record(note, token, worker_name, started, result, now)
    return tried
