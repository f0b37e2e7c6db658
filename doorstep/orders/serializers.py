"""Orders as the API shows them, with personal data masked per R22 by `orders.privacy`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from doorstep.incidents.membership import incident_id_of
from doorstep.orders.hooks import clocks_of
from doorstep.orders.models import OrderEvent, WorkOrder
from doorstep.orders.privacy import (
    customer_view,
    mask_address,
    may_see_personal_data,
    payload_view,
    position_view,
)
from doorstep.quality.services import complaints_of

__all__ = ["event_dict", "iso", "mask_address", "order_detail", "order_summary"]


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def order_summary(order: WorkOrder, user: Any) -> dict[str, Any]:
    return {
        "id": order.pk,
        "number": order.number,
        "kind": order.kind,
        "fault_class": order.fault_class or None,
        "status": order.status,
        "branch": order.branch.code,
        "customer": customer_view(user, order),
        "technician": order.technician.username if order.technician else None,
        "reported_at": iso(order.reported_at),
        "appointment": (
            {"start": iso(order.appointment_start), "end": iso(order.appointment_end)}
            if order.appointment_start
            else None
        ),
        "area": order.area_code or None,
        "version": order.version,
    }


def event_dict(event: OrderEvent, full: bool) -> dict[str, Any]:
    """One history entry; the payload masked per R22 unless `full` (see privacy.payload_view)."""
    return {
        "seq": event.seq,
        "action": event.action,
        "from_status": event.from_status or None,
        "to_status": event.to_status,
        "actor": event.actor.username if event.actor else None,
        "actor_role": event.actor_role,
        "occurred_at": iso(event.occurred_at),
        "recorded_at": iso(event.recorded_at),
        "payload": payload_view(event.payload, full),
    }


def order_detail(
    order: WorkOrder,
    user: Any,
    events: list[OrderEvent] | None = None,
    attachments: list[Any] | None = None,
) -> dict[str, Any]:
    """`events`/`attachments` may be passed when the caller has them (a just-created order)."""
    body = order_summary(order, user)
    if events is None:
        events = list(order.events.select_related("actor").order_by("seq"))
    if attachments is None:
        attachments = list(order.attachments.all())
    full = may_see_personal_data(user, order)
    body.update(
        {
            "symptom": order.symptom or None,
            "product": order.product or None,
            "channel": order.channel,
            "received_by": order.received_by.username,
            "approved_deadline": iso(order.approved_deadline),
            "location": position_view(user, order),
            "repeat_of": order.repeat_of_id,
            "repeat_of_number": order.repeat_of.number if order.repeat_of else None,
            "incident": incident_id_of(order),
            "completed_at": iso(order.completed_at),
            "closed_at": iso(order.closed_at),
            "clocks": clocks_of(order, None),
            "history": [event_dict(e, full) for e in events],
            # R15: every chase is one `chase` event, the customer's through their link too.
            "chases": sum(1 for e in events if e.action == "chase"),
            "complaints": complaints_of(order, events),
            "attachments": [
                {
                    "id": a.pk,
                    "kind": a.kind,
                    "content_type": a.content_type,
                    "size": a.size,
                    "down_mbps": a.down_mbps,
                    "up_mbps": a.up_mbps,
                    "uploaded_at": iso(a.uploaded_at),
                    "url": f"/api/v1/orders/{order.pk}/attachments/{a.pk}",
                }
                for a in attachments
            ],
        }
    )
    return body
