"""Queue notices and deliver them through pluggable gateways (console by default)."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from django.db import IntegrityError, transaction

from doorstep.core import clock as app_clock
from doorstep.notifications.models import Notification

log = logging.getLogger("doorstep.notifications")


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
                available_at=app_clock.now(),
            )
    except IntegrityError:
        return None


class Gateway(Protocol):
    def send(self, note: Notification) -> None: ...


class ConsoleGateway:
    """Writes the notice to the log: the default until an SMS provider is configured."""

    def send(self, note: Notification) -> None:
        log.warning(
            "[%s] to %s %s: %s",
            note.kind,
            note.to_phone or note.recipient_id,
            note.subject,
            note.body,
        )


GATEWAYS: dict[str, Gateway] = {"sms": ConsoleGateway(), "console": ConsoleGateway()}
