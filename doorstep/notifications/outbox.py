"""Queue notices: every notice is an outbox row first, written in the caller's transaction, so
it commits (or not) with the action that caused it. doorstep/notifications/sender.py sends
them after commit."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

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
) -> Notification | None:
    """Add a notice to the outbox; a notice with the same dedupe key is queued only once."""
    try:
        with transaction.atomic():
            return Notification.objects.create(
                kind=kind,
                channel=channel,
                recipient=recipient,
                to_phone=to_phone
                or (getattr(getattr(recipient, "staff", None), "phone", "") or ""),
                subject=subject,
                body=body,
                order=order,
                dedupe_key=dedupe_key,
                template=template,
                provider_template_id=provider_template_id,
                params=params or {},
                subscription=subscription,
                available_at=app_clock.now(),
            )
    except IntegrityError:
        return None


def cancel_queued(order: Any, kinds: tuple[str, ...]) -> int:
    """Withdraw notices of an order that have not gone out yet (e.g. the order was cancelled);
    a notice a worker is sending right now is left to finish."""
    return Notification.objects.filter(order=order, kind__in=kinds, status=Status.QUEUED).update(
        status=Status.CANCELLED
    )
