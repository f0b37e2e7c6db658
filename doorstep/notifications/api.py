"""`GET /api/v1/orders/{id}/notifications` (SPEC §5): what the outbox holds for an order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Schema

from doorstep.api.errors import Router
from doorstep.core.errors import NotFound
from doorstep.notifications.models import Notification, Status
from doorstep.orders.access import visible_orders

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    template: str | None  # the customer template's code; null for staff notices
    kind: str
    channel: str
    to: str  # masked phone, or the webhook subscription's name
    status: str  # queued, sent, failed, cancelled
    attempts: int
    created_at: datetime
    sent_at: datetime | None


class NotificationList(Schema):
    count: int
    results: list[NotificationOut]


def _row(note: Notification) -> dict[str, Any]:
    to = note.subscription.name if note.subscription is not None else note.masked_to
    return {
        "id": note.pk,
        "template": note.template or None,
        "kind": note.kind,
        "channel": note.channel,
        "to": to,
        # A row a worker is sending right now is still on its way: SPEC §5 knows it as queued.
        "status": Status.QUEUED if note.status == Status.SENDING else note.status,
        "attempts": note.attempts,
        "created_at": note.created_at,
        "sent_at": note.sent_at,
    }


@router.get("/orders/{order_id}/notifications", response={200: NotificationList})
def order_notifications(request: HttpRequest, order_id: int) -> dict[str, Any]:
    """Every notice queued for the order, newest first; recipients' phones masked (R22)."""
    if not visible_orders(request.user).filter(pk=order_id).exists():
        raise NotFound("工单不存在或无权查看")
    notes = (
        Notification.objects.filter(order_id=order_id)
        .select_related("subscription")
        .order_by("-created_at", "-id")
    )
    rows = [_row(n) for n in notes]
    return {"count": len(rows), "results": rows}
