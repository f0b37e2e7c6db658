"""Queue notices: every notice is an outbox row first, written in the caller's transaction, so
it commits (or not) with the action that caused it. doorstep/notifications/sender.py sends
them after commit."""

from __future__ import annotations

from typing import Any

from doorstep.core import clock as app_clock
from doorstep.notifications.models import Notification, Status


def queue(
    kind: str,
    body: str,
    *,
    recipient: Any = None,
    to_phone: str = "",
    subject: str = "",
    order: Any = None,
    dedupe_key: str | None = None,
    channel: str = "sms",
    template: str = "",
    provider_template_id: str = "",
    params: dict[str, Any] | None = None,
    subscription: Any = None,
) -> None:
    """Add a notice to the outbox; a notice with the same dedupe key is queued only once."""
    queue_many(
        [
            Notification(
                kind=kind,
                channel=channel,
                recipient=recipient,
                to_phone=to_phone,
                subject=subject,
                body=body,
                order=order,
                dedupe_key=dedupe_key,
                template=template,
                provider_template_id=provider_template_id,
                params=params or {},
                subscription=subscription,
            )
        ]
    )


def queue_many(notes: list[Notification]) -> None:
    """Add notices in one INSERT; rows whose dedupe key is already queued are skipped (ON
    CONFLICT DO NOTHING, so the caller's transaction is never broken by a repeat).

    A notice to a member of staff with no number of its own goes to their phone on the staff
    roster, looked up here for the whole batch: the worker's warnings and escalations name
    only the recipient, and an SMS gateway refuses a notice without a number."""
    from doorstep.org.models import Staff

    now = app_clock.now()
    unaddressed = {n.recipient_id for n in notes if n.recipient_id and not n.to_phone}
    phones = dict(
        Staff.objects.filter(user_id__in=unaddressed).values_list("user_id", "phone")
        if unaddressed
        else []
    )
    for note in notes:
        note.available_at = note.available_at or now
        if note.recipient_id and not note.to_phone:
            note.to_phone = phones.get(note.recipient_id) or ""
    Notification.objects.bulk_create(notes, ignore_conflicts=True)


def cancel_queued(order: Any, kinds: tuple[str, ...]) -> int:
    """Withdraw notices of an order that have not gone out yet (e.g. the order was cancelled);
    a notice a worker is sending right now is left to finish."""
    return Notification.objects.filter(order=order, kind__in=kinds, status=Status.QUEUED).update(
        status=Status.CANCELLED
    )
