"""What the customer does through their link, and the crew's answers to it.

Every change goes through the order action layer as the customer role
(`perform(..., as_customer=True)`), so the order's history stays the one record. The words the
customer types are kept in a `CustomerRequest` row; the event carries their salted digest.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from doorstep.core import clock
from doorstep.core.errors import GateRefused, InvalidInput, NotFound
from doorstep.customers.models import CustomerRequest, RequestKind
from doorstep.field.language import explain, problems
from doorstep.orders.access import visible_orders
from doorstep.orders.actions import perform
from doorstep.orders.choices import Action, RequestedBy
from doorstep.orders.hooks import after_event
from doorstep.orders.models import OrderEvent, WorkOrder
from doorstep.orders.states import CustomerAction
from doorstep.org.choices import Role
from doorstep.org.models import roles_of

MAX_TEXT = 500

# Which request row each customer action leaves, when it leaves one.
REQUEST_OF = {
    CustomerAction.ASK_RESCHEDULE: RequestKind.RESCHEDULE,
    CustomerAction.LODGE_COMPLAINT: RequestKind.COMPLAINT,
    CustomerAction.RATE: RequestKind.RATING,
}


def text_digest(salt: str, text: str) -> str:
    return hashlib.sha256(f"{salt}:{text}".encode()).hexdigest()


def customer_acts(
    order: WorkOrder,
    action: str,
    *,
    text: str = "",
    stars: int | None = None,
    preferred_start: datetime | None = None,
    preferred_end: datetime | None = None,
) -> OrderEvent:
    """Record what the customer did on `order` (whose link was checked by the caller)."""
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput({"text": f"请不要超过 {MAX_TEXT} 个字"})
    if action == CustomerAction.LODGE_COMPLAINT and not text:
        raise InvalidInput({"text": "请写下您要反映的问题"})
    salt = secrets.token_hex(16) if text else ""
    data: dict[str, Any] = {}
    if text:
        data["text_digest"] = text_digest(salt, text)
    if action == CustomerAction.CHASE:
        data = {"by": "customer"}
    elif action == CustomerAction.RATE:
        data["stars"] = stars
    elif action == CustomerAction.ASK_RESCHEDULE:
        data["preferred_start"] = preferred_start
        data["preferred_end"] = preferred_end
    with transaction.atomic():
        _, event = perform(order.pk, action, None, data, as_customer=True)
        kind = REQUEST_OF.get(CustomerAction(action))
        if kind is not None and (text or kind != RequestKind.RATING):
            CustomerRequest.objects.create(
                order=order,
                event=event,
                kind=kind,
                text=text,
                salt=salt,
                preferred_start=preferred_start,
                preferred_end=preferred_end,
                created_at=event.recorded_at,
            )
    return event


# Who answers what: the crew and the desk move visits; complaints go to the quality desk and
# the managers, not to the technician they may be about.
COMPLAINT_DESK = {Role.QUALITY, Role.MANAGER, Role.ADMIN}


def open_requests(user: Any) -> Any:
    """The requests waiting for an answer that `user` may answer, on the orders they may see."""
    kinds = [RequestKind.RESCHEDULE]
    if roles_of(user) & COMPLAINT_DESK:
        kinds.append(RequestKind.COMPLAINT)
    return (
        CustomerRequest.objects.filter(
            answered_at__isnull=True, kind__in=kinds, order__in=visible_orders(user)
        )
        .select_related("order", "order__technician")
        .order_by("created_at", "id")
    )


def answer_request(user: Any, request_id: int, answer: str) -> CustomerRequest:
    answer = answer.strip()
    if not answer:
        raise InvalidInput({"answer": "请填写答复内容"})
    # The answer shows on the customer's page: R23 applies as to any text sent to them.
    hits, better = problems(answer)
    if hits:
        raise GateRefused("R23", {"answer": explain(hits, better)})
    with transaction.atomic():
        req = open_requests(user).select_for_update(of=("self",)).filter(pk=request_id).first()
        if req is None:
            raise NotFound("请求不存在、已答复或无权查看")
        req.answered_at = clock.now()
        req.answered_by = user
        req.answer = answer[:MAX_TEXT]
        req.save(update_fields=["answered_at", "answered_by", "answer"])
    return req


def local_time(order: WorkOrder, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(ZoneInfo(order.branch.timezone))


def window_text(order: WorkOrder) -> str:
    """The appointment as a customer reads it: 12月2日 周三 19:00–20:00 (the branch's zone)."""
    start = local_time(order, order.appointment_start)
    end = local_time(order, order.appointment_end)
    if start is None:
        return ""
    weekday = "一二三四五六日"[start.weekday()]
    text = f"{start.month}月{start.day}日 周{weekday} {start:%H:%M}"
    return f"{text}–{end:%H:%M}" if end is not None else text


@after_event
def _rescheduled_for_the_customer(order: WorkOrder, event: OrderEvent) -> None:
    """The crew moving the visit at the customer's request answers their open request."""
    if event.action != Action.RESCHEDULE:
        return
    if event.payload.get("requested_by") != RequestedBy.CUSTOMER:
        return
    CustomerRequest.objects.filter(
        order_id=order.pk, kind=RequestKind.RESCHEDULE, answered_at__isnull=True
    ).update(
        answered_at=event.recorded_at,
        answered_by=event.actor,
        answer=f"已为您改约至 {window_text(order)}",
    )
