"""Order events for the operator's other systems (activation, IPTV binding, billing).

Each event an active subscription wants becomes one outbox row (channel `webhook`) in the
action's transaction; the worker posts it after commit like any notice (sender.py), signed
with the subscription's secret by `gateways.WebhookGateway`. The JSON carries the order's
identity and state and the event's metadata, not the event's payload: payloads can hold a
customer's phone or position (R22), which a subscriber reads through the API if it may.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from doorstep.notifications import cache
from doorstep.notifications.models import Channel, Notification
from doorstep.notifications.outbox import queue_many

if TYPE_CHECKING:
    from doorstep.orders.models import OrderEvent, WorkOrder

KIND_PREFIX = "order."


def event_document(order: WorkOrder, event: OrderEvent) -> dict[str, Any]:
    return {
        "event": KIND_PREFIX + event.action,
        "event_id": event.pk,
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "recorded_at": event.recorded_at.isoformat(),
        "actor_role": event.actor_role,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "order": {
            "id": order.pk,
            "number": order.number,
            "kind": order.kind,
            "status": order.status,
            "branch": getattr(order.branch, "code", None),
            "account": getattr(order.customer, "account", "") or None,
        },
    }


def fan_out(order: WorkOrder, event: OrderEvent) -> None:
    """After-event hook: queue one delivery per subscription that wants this action."""
    subscriptions = [s for s in cache.subscriptions() if s.wants(event.action)]
    if not subscriptions:
        return
    body = json.dumps(event_document(order, event), ensure_ascii=False, sort_keys=True)
    queue_many(
        [
            Notification(
                kind=KIND_PREFIX + event.action,
                channel=Channel.WEBHOOK,
                body=body,
                order=order,
                subscription=sub,
                dedupe_key=f"webhook:{sub.pk}:{event.pk}",
            )
            for sub in subscriptions
        ]
    )
