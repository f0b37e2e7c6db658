"""The order page: one visit walked step by step in the order the service standard expects
(call, book, pre-visit call, depart with the kit, arrive, consent, work, sign, close out).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from doorstep.care.kit import phone_kit
from doorstep.core import clock
from doorstep.field.views.common import (
    PRIMARY_LABELS,
    own_order,
    pre_call_window,
    spoken_time,
    tech_actions,
    tz_offset,
)
from doorstep.field.views.steps import (
    consent_subjects,
    local_input,
    rule_notes,
    script_card,
    script_values,
)
from doorstep.notifications import notices
from doorstep.notifications.models import Notification
from doorstep.orders.access import staff_of
from doorstep.orders.choices import (
    Action,
    AttachmentKind,
    ConsentSubject,
    ContactOutcome,
    Kind,
    RequestedBy,
    Status,
    SuspendReason,
)
from doorstep.orders.models import OrderEvent, WorkOrder
from doorstep.orders.privacy import customer_view, log_personal_views
from doorstep.orders.states import TRANSITIONS
from doorstep.org.choices import CustomerGrade
from doorstep.standards import policies
from doorstep.ui.clocks import for_display

# Common reasons offered as one-tap buttons; free text is always possible.
DELAY_REASONS = ("交通拥堵", "前一单施工延误", "车辆故障", "天气原因")
RESCHEDULE_REASONS = ("客户要求改时间", "前一单施工延误", "设备材料未到", "天气原因", "交通管制")
RETURN_REASONS = ("无端口资源", "地址错误", "非本片区", "客户取消需求")


# -- the order page ---------------------------------------------------------------------------


@dataclass
class VisitFacts:
    """What the history says about the visit so far."""

    reached: bool = False  # a call reached the customer since the order was (re)assigned
    calls: list[OrderEvent] = field(default_factory=list)  # since (re)assigned or not-home
    arrived_at: datetime | None = None  # the current visit's arrival
    calls_since_arrival: int = 0
    consents: dict[str, OrderEvent] = field(default_factory=dict)  # latest per subject
    checklist: list[str] = field(default_factory=list)


def visit_facts(events: list[OrderEvent]) -> VisitFacts:
    facts = VisitFacts()
    for e in events:
        if e.action in (Action.ABSENT, Action.ASSIGN):
            # A new booking round: earlier calls and the earlier visit no longer count.
            facts.reached, facts.calls = False, []
            facts.arrived_at, facts.calls_since_arrival = None, 0
        elif e.action == Action.CONTACT:
            facts.calls.append(e)
            facts.reached = facts.reached or e.payload.get("outcome") == ContactOutcome.REACHED
            if facts.arrived_at is not None:
                facts.calls_since_arrival += 1
        elif e.action == Action.ARRIVE:
            facts.arrived_at, facts.calls_since_arrival = e.occurred_at, 0
        elif e.action == Action.CONSENT:
            facts.consents[str(e.payload.get("subject"))] = e
        elif e.action == Action.DEPART:
            facts.checklist = list(e.payload.get("checklist") or [])
    return facts


def _primary(order: WorkOrder, facts: VisitFacts, pre_call_due: bool) -> str:
    """The one next step the standard expects now."""
    status = order.status
    if status == Status.DISPATCHED:
        return "accept"
    if status == Status.ACCEPTED:
        return "book" if facts.reached else "call"
    if status in (Status.SCHEDULED, Status.EN_ROUTE) and pre_call_due:
        return "pre_call"
    steps: dict[str, str] = {
        Status.SCHEDULED: "depart",
        Status.EN_ROUTE: "arrive",
        Status.ON_SITE: "work",
        Status.SUSPENDED: "resume",
    }
    return steps.get(status, "")


def _could_not_reach_sent(order: WorkOrder, call: OrderEvent) -> str | None:
    """The text the customer was sent after this call, if it went unanswered and a notice
    was queued (none when the admin switched the template off or the customer has no phone)."""
    key = notices.event_key("could_not_reach", call)
    return (
        Notification.objects.filter(order=order, dedupe_key=key)
        .values_list("body", flat=True)
        .first()
    )


@login_required
@require_GET
def order_page(request: HttpRequest, order_id: int) -> HttpResponse:
    user = request.user
    order = own_order(request, order_id)
    staff = staff_of(user)
    tz = ZoneInfo(order.branch.timezone)
    now = clock.now()
    events = list(order.events.order_by("seq"))
    facts = visit_facts(events)
    actions = tech_actions(order)
    window = pre_call_window(order)
    pre_call = None
    if window is not None and order.status in (Status.SCHEDULED, Status.EN_ROUTE):
        opens, start, minutes = window
        done = [c for c in facts.calls if opens <= c.occurred_at <= start]
        pre_call = {
            "opens": timezone.localtime(opens, tz),
            "target": timezone.localtime(start - timedelta(minutes=minutes), tz),
            "minutes": minutes,
            "open": opens <= now <= start,
            "done": timezone.localtime(done[-1].occurred_at, tz) if done else None,
        }
    pre_call_due = bool(pre_call and pre_call["open"] and not pre_call["done"])
    primary = _primary(order, facts, pre_call_due)
    values = script_values(order, staff, user, spoken_time(order.appointment_start, tz, now))
    scripts = {
        "call": script_card("call_repair" if order.kind == Kind.REPAIR else "call", values),
        "pre_visit_call": script_card("pre_visit_call", values),
        "greeting": script_card("greeting", values),
        "closing": script_card("closing", values),
        "delay": script_card("delay", values, reason="", delay_minutes=""),
        "reschedule": script_card("reschedule", values, reason="", time=""),
    }
    arrived_local = timezone.localtime(facts.arrived_at, tz) if facts.arrived_at else None
    not_home = script_card(
        "not_home",
        {**values, "time": arrived_local.strftime("%H:%M") if arrived_local else "—"},
        leave_time="",
    )
    subjects = consent_subjects(order)
    consents = []
    for subject in subjects:
        line = script_card("consent", values, situation=subject)
        latest = facts.consents.get(subject)
        consents.append(
            {
                "subject": subject,
                "label": ConsentSubject(subject).label,
                "line": line["lines"][-1]["text"] if line["lines"] else "",
                "granted": latest.payload.get("granted") if latest else None,
                "at": timezone.localtime(latest.occurred_at, tz) if latest else None,
            }
        )
    attachments = list(order.attachments.order_by("id"))
    signatures = [a for a in attachments if a.kind == AttachmentKind.SIGNATURE]
    evidence_rule = policies.resolve("gate.R10", order)
    required = list(evidence_rule.params.get("require", [])) if evidence_rule else []
    kit = phone_kit(order.branch_id)  # R24: the branch's list (doorstep.care.kit)
    booking_day = timezone.localtime(order.appointment_start or now, tz)
    log_personal_views(user, [order], "phone")
    ctx = {
        "order": order,
        "customer": customer_view(user, order),
        "vip": order.customer.grade == CustomerGrade.VIP,
        "status_label": Status(order.status).label,
        "actions": actions,
        "primary": primary,
        "next_label": PRIMARY_LABELS.get(primary, ""),
        "facts": facts,
        "calls": [
            {
                "outcome": ContactOutcome(c.payload.get("outcome")).label,
                "at": timezone.localtime(c.occurred_at, tz),
            }
            for c in facts.calls
        ],
        "pre_call": pre_call,
        "sms_sent": _could_not_reach_sent(order, facts.calls[-1]) if facts.calls else None,
        "unreachable_sms": notices.preview(order, "could_not_reach"),
        "scripts": scripts,
        "not_home": not_home,
        "not_home_template": "\n".join(ln["template"] for ln in not_home["lines"]),
        "not_home_text": "\n".join(ln["template"] for ln in not_home["lines"]).replace(
            "{leave_time}", timezone.localtime(now, tz).strftime("%H:%M")
        ),
        "consents": consents,
        "work_choices": [(s, ConsentSubject(s).label) for s in subjects],
        "attachments": attachments,
        "photos": [a for a in attachments if a.kind == AttachmentKind.PHOTO],
        "speed_tests": [a for a in attachments if a.kind == AttachmentKind.SPEED_TEST],
        "signature": signatures[-1] if signatures else None,
        "required": required,
        "kit": kit,
        # R15: how often the order was chased (staff and the customer's link).
        "chases": sum(1 for e in events if e.action == "chase"),
        "rules": rule_notes(order, now),
        "clocks": [c for c in for_display(clocks_of_order(order), now) if c["open"]],
        "start": timezone.localtime(order.appointment_start, tz)
        if order.appointment_start
        else None,
        "end": timezone.localtime(order.appointment_end, tz) if order.appointment_end else None,
        "tz_offset": tz_offset(tz, now),
        "book_date": booking_day.strftime("%Y-%m-%d"),
        "arrived_at": arrived_local,
        "arrived_input": local_input(facts.arrived_at, tz, seconds=True),
        "eta_input": local_input((order.appointment_start or now) + timedelta(minutes=15), tz),
        "contact_phone": (staff.phone if staff else "") or "",
        "contact_person": staff.name if staff else user.get_username(),
        "outcomes": ContactOutcome.choices,
        "requested_by": RequestedBy.choices,
        "delay_reasons": DELAY_REASONS,
        "reschedule_reasons": RESCHEDULE_REASONS,
        "return_reasons": RETURN_REASONS,
        "suspend_reasons": SuspendReason.choices,
        "labels": {name: TRANSITIONS[name].label for name in TRANSITIONS},
    }
    return render(request, "field/order.html", ctx)


def clocks_of_order(order: WorkOrder) -> list[dict[str, Any]]:
    from doorstep.orders.hooks import clocks_of

    return clocks_of(order, None)
