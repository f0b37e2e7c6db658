"""Orders as the API and the pages show them, with personal data masked per R22."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from doorstep.core.phones import mask_phone
from doorstep.orders.access import can_see_personal_data
from doorstep.orders.hooks import clocks_of
from doorstep.orders.models import OrderEvent, WorkOrder


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def mask_address(address: str) -> str:
    keep = max(4, len(address) // 3)
    return address[:keep] + "****"


def log_personal_view(user: Any, order: WorkOrder, via: str) -> None:
    """R22: record that `user` was shown this customer's full phone number and address."""
    from doorstep.core import clock
    from doorstep.orders.models import PersonalDataView

    if can_see_personal_data(user, order):
        PersonalDataView.objects.create(user=user, order=order, at=clock.now(), via=via)


def customer_dict(order: WorkOrder, user: Any) -> dict[str, Any]:
    c = order.customer
    full = can_see_personal_data(user, order)
    return {
        "id": c.pk,
        "name": c.name,
        "phone": c.phone if full else mask_phone(c.phone),
        "address": c.address if full else mask_address(c.address),
        "account": c.account or None,
        "grade": c.grade,
        "masked": not full,
    }


def order_summary(order: WorkOrder, user: Any) -> dict[str, Any]:
    return {
        "id": order.pk,
        "number": order.number,
        "kind": order.kind,
        "fault_class": order.fault_class or None,
        "status": order.status,
        "branch": order.branch.code,
        "customer": customer_dict(order, user),
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


def event_dict(event: OrderEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "action": event.action,
        "from_status": event.from_status or None,
        "to_status": event.to_status,
        "actor": event.actor.username if event.actor else None,
        "actor_role": event.actor_role,
        "occurred_at": iso(event.occurred_at),
        "recorded_at": iso(event.recorded_at),
        "payload": event.payload,
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
    if not can_see_personal_data(user, order):
        for ev in events:
            if ev.action == "create" and isinstance(ev.payload, dict):
                cust = dict(ev.payload.get("customer") or {})
                if cust:
                    cust["phone"] = mask_phone(str(cust.get("phone", "")))
                    cust["address"] = mask_address(str(cust.get("address", "")))
                    ev.payload = {**ev.payload, "customer": cust, "location": None}
            elif isinstance(ev.payload, dict) and (
                "lat" in ev.payload or "contact_phone" in ev.payload
            ):
                hidden: dict[str, Any] = {"lat": None, "lng": None}
                if "contact_phone" in ev.payload:
                    hidden["contact_phone"] = mask_phone(str(ev.payload["contact_phone"]))
                ev.payload = {**ev.payload, **hidden}
    body.update(
        {
            "symptom": order.symptom or None,
            "product": order.product or None,
            "channel": order.channel,
            "received_by": order.received_by.username,
            "approved_deadline": iso(order.approved_deadline),
            "location": (
                {"lat": order.lat, "lng": order.lng}
                if order.lat is not None and can_see_personal_data(user, order)
                else None
            ),
            "repeat_of": order.repeat_of_id,
            "repeat_of_number": order.repeat_of.number if order.repeat_of else None,
            "incident": order.incident_id,
            "completed_at": iso(order.completed_at),
            "closed_at": iso(order.closed_at),
            "clocks": clocks_of(order, None),
            "history": [event_dict(e) for e in events],
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
