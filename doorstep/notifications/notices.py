"""Customer notices: admin-edited templates (Simplified Chinese, R23-checked), rendered with
what the order knows and queued in the action's own transaction.

`on_order_event` is registered as an after-event hook (apps.py): the action, its event and its
notices commit together, and the worker sends them after commit (sender.py). Other code that
tells a customer something (the batch-fault incident, a complaint's finding) calls
`notify_customer(order, code, dedupe_key, **params)`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError

from doorstep.core.env import env
from doorstep.notifications import cache
from doorstep.notifications.models import Template
from doorstep.notifications.outbox import cancel_queued, queue

if TYPE_CHECKING:
    from doorstep.orders.models import OrderEvent, WorkOrder

# A customer notice's kind is its template's code ("order_received" …). "customer_sms" is the
# kind the "could not reach you" SMS had while doorstep.field wrote it from the seed script:
# rows queued before the upgrade still carry it, so a cancellation withdraws them too.
LEGACY_KIND = "customer_sms"

# Every parameter a template may use, with what it means (shown on the admin page).
PARAMETERS: dict[str, str] = {
    "customer_name": "客户姓名",
    "order_number": "工单号",
    "kind": "工单类型（装机、修障……）",
    "company": "公司名称",
    "hotline": "客服电话",
    "technician_name": "装维人员姓名",
    "employee_no": "装维人员工号",
    "technician_phone": "装维人员电话",
    "star_rating": "装维人员星级",
    "customer_link": "客户链接",
    "appointment": "预约时间",
    "eta": "预计到达时间",
    "reason": "原因",
    "arrived_at": "到达时间",
    "left_at": "离开时间",
    "note": "留言或说明",
    "contact_phone": "联系电话",
    "evaluation_link": "评价链接",
    "area": "故障区域",
    "expected_restore_at": "预计恢复时间",
    "finding": "核查结论",
}

# Values that do not exist yet: sent as a clear placeholder rather than left blank.
NOT_YET = {
    "star_rating": "暂无",
    "customer_link": "（客户链接暂未开通）",
    "evaluation_link": "（评价链接暂未开通）",
}

# The actions that tell the customer something, and the template each one uses.
ACTION_TEMPLATE = {
    "create": "order_received",
    "assign": "technician_assigned",
    "schedule": "appointment_booked",
    "contact": "could_not_reach",  # only for an unanswered call: see `owes_notice`
    "notify_delay": "running_late",
    "reschedule": "visit_moved",
    "absent": "not_home_note",
    "complete": "completed",
}

CUSTOMER_TEMPLATES = (
    "order_received",
    "technician_assigned",
    "appointment_booked",
    "could_not_reach",
    "running_late",
    "visit_moved",
    "not_home_note",
    "completed",
    "batch_fault",
    "complaint_finding",
)

_PLACEHOLDER = re.compile(r"\{(\w*)\}")


def placeholders(body: str) -> list[str]:
    return list(dict.fromkeys(_PLACEHOLDER.findall(body)))


def check_template(body: str, params: Any) -> None:
    """Refuse a template a customer must not receive (R23) or that names unknown parameters."""
    from doorstep.field.language import explain, problems

    errors: dict[str, list[str]] = {}
    unknown = [p for p in placeholders(body) if p not in PARAMETERS]
    if unknown:
        errors.setdefault("body", []).append(
            "未知参数：" + "、".join("{" + p + "}" for p in unknown)
        )
    hits, better = problems(_PLACEHOLDER.sub("", body))
    if hits:
        errors.setdefault("body", []).append(explain(hits, better))
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        errors["params"] = ['参数应为参数名列表，例如 ["customer_name", "order_number"]']
    else:
        unknown = [p for p in params if p not in PARAMETERS]
        if unknown:
            errors["params"] = ["未知参数：" + "、".join(unknown)]
    if errors:
        raise ValidationError(errors)


def _local(order: WorkOrder, moment: Any) -> str:
    if not isinstance(moment, datetime):
        if not moment:
            return ""
        try:
            moment = datetime.fromisoformat(str(moment))
        except ValueError:
            return str(moment)
    zone = ZoneInfo(getattr(order.branch, "timezone", "") or "Asia/Shanghai")
    return moment.astimezone(zone).strftime("%m月%d日 %H:%M")


def _window(order: WorkOrder, start: Any, end: Any) -> str:
    first, last = _local(order, start), _local(order, end)
    if first and last and first[:6] == last[:6]:
        return f"{first}–{last[-5:]}"
    return "–".join(x for x in (first, last) if x)


STAFF_PARAMS = frozenset({"technician_name", "employee_no", "technician_phone", "star_rating"})


def order_values(
    order: WorkOrder, event: OrderEvent | None = None, needed: frozenset[str] = STAFF_PARAMS
) -> dict[str, str]:
    """What the order knows, as template parameters (absent ones left to `NOT_YET` or blank).
    The technician is looked up only when `needed` names one of their parameters."""
    from doorstep.org.models import Staff
    from doorstep.ratings import current_stars, star_text

    values = {
        "customer_name": order.customer.name,
        "order_number": order.number,
        "kind": order.get_kind_display(),
        "company": settings.DOORSTEP_COMPANY,
        "hotline": getattr(settings, "DOORSTEP_HOTLINE", None) or env("DOORSTEP_HOTLINE", "10000"),
        "appointment": _window(order, order.appointment_start, order.appointment_end),
    }
    staff = None
    if needed & STAFF_PARAMS and order.technician_id:
        staff = Staff.objects.filter(user_id=order.technician_id).first()
    if needed & STAFF_PARAMS and staff is None and event is not None and event.actor_id:
        staff = Staff.objects.filter(user_id=event.actor_id, is_technician=True).first()
    if staff is not None:
        values |= {
            "technician_name": staff.name,
            "employee_no": staff.employee_no,
            "technician_phone": staff.phone or values["hotline"],
        }
        stars = current_stars(staff.user_id)
        if stars is not None:
            values["star_rating"] = star_text(stars)  # as the badge shows it
    if event is not None:
        p = event.payload or {}
        values |= {
            "reason": str(p.get("reason") or ""),
            "note": str(p.get("note") or ""),
            "eta": _local(order, p.get("eta")),
            "arrived_at": _local(order, p.get("arrived_at")),
            "left_at": _local(order, p.get("left_at")),
            "contact_phone": str(p.get("contact_phone") or values.get("technician_phone", "")),
        }
    return {k: v for k, v in values.items() if v}


def render(template: Template, values: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The SMS text and the provider's parameters (in the template's order)."""
    full = {name: "" for name in PARAMETERS} | NOT_YET | {k: str(v) for k, v in values.items()}
    body = _PLACEHOLDER.sub(lambda m: full.get(m.group(1), ""), template.body)
    return body, {name: full.get(name, "") for name in template.params}


def _rendered(
    template: Template, order: WorkOrder, event: OrderEvent | None, extra: dict[str, Any]
) -> tuple[str, dict[str, str]]:
    needed = frozenset(placeholders(template.body)) | frozenset(template.params)
    return render(template, order_values(order, event, needed) | extra)


def preview(order: WorkOrder, code: str) -> str | None:
    """The text the notice `code` would carry for this order now (the phone page shows the
    technician what the customer will read), or None when its template is switched off."""
    template = cache.templates().get(code)
    return None if template is None else _rendered(template, order, None, {})[0]


def event_key(code: str, event: OrderEvent) -> str:
    """The dedupe key of the notice `code` an order event owes: one per event."""
    return f"customer:{code}:{event.pk}"


def notify_customer(
    order: WorkOrder, code: str, dedupe_key: str, event: OrderEvent | None = None, **extra: Any
) -> None:
    """Queue the customer notice `code` for this order, unless its template is switched off,
    the customer has no phone, or a notice with this dedupe key was queued already."""
    template = cache.templates().get(code)
    if template is None or not order.customer.phone:
        return
    body, params = _rendered(template, order, event, extra)
    queue(
        template.code,
        body,
        to_phone=order.customer.phone,
        subject=template.name,
        order=order,
        dedupe_key=dedupe_key,
        template=template.code,
        provider_template_id=template.provider_template_id,
        params=params,
    )


# A call the customer did not answer is the only call they are told about.
UNANSWERED = ("no_answer", "unreachable")


def owes_notice(event: OrderEvent) -> bool:
    """Does this event of an `ACTION_TEMPLATE` action tell the customer anything?"""
    if event.action == "contact":
        return (event.payload or {}).get("outcome") in UNANSWERED
    return True


def on_order_event(order: WorkOrder, event: OrderEvent) -> None:
    """After-event hook: the notice an action owes the customer, if any."""
    if event.action == "cancel":
        cancel_queued(order, (*CUSTOMER_TEMPLATES, LEGACY_KIND))
        return
    code = ACTION_TEMPLATE.get(event.action)
    if code is None or code not in cache.templates() or not owes_notice(event):
        return
    extra = {}
    if code in LINKED:
        link = customer_link(order, event)
        if link:
            extra[LINKED[code]] = link
    notify_customer(order, code, event_key(code, event), event, **extra)


# Templates that carry the customer's link, and the parameter it goes in: the link's page
# shows the appointment and the technician's card, and takes the rating after completion.
LINKED = {"technician_assigned": "customer_link", "completed": "evaluation_link"}


def customer_link(order: WorkOrder, event: OrderEvent) -> str | None:
    """A fresh customer's link (doorstep.customers.links) made in the name of whoever acted,
    or None when it cannot be made here: no DOORSTEP_PUBLIC_URL to build an address an SMS
    can carry, or the actor may not make one. The template then shows `NOT_YET`'s text."""
    from doorstep.core.errors import DoorstepError
    from doorstep.customers.conf import conf
    from doorstep.customers.links import make_link

    base = str(conf("DOORSTEP_PUBLIC_URL") or "").rstrip("/")
    if not base or event.actor_id is None:
        return None
    try:
        issued = make_link(event.actor, order.pk)
    except DoorstepError:
        return None
    return base + issued.path
