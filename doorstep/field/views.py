"""The technician's phone pages (issue 4): my day, the order page that walks a visit step by
step in the order the service standard expects, and the live banned-phrase check.

The pages only read (through the permission gate). Every change goes from the browser to the
JSON action API (`/api/v1/orders/{id}/actions/{action}`), so an action pressed without signal
and replayed later takes exactly the same path as one sent at once; see static/field/phone.js.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from doorstep.core import clock
from doorstep.field.language import explain, problems
from doorstep.field.scripts import get_script, kit_checklist, kit_checklists, render_lines
from doorstep.orders.access import staff_of, visible_orders
from doorstep.orders.choices import (
    TERMINAL,
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
from doorstep.orders.states import TRANSITIONS, allowed_actions
from doorstep.org.choices import CustomerGrade, Role
from doorstep.org.models import Staff
from doorstep.standards import policies
from doorstep.standards.choices import ClockStatus
from doorstep.standards.models import Clock
from doorstep.web.clocks import for_display, nearest_by_order

VISIT_STATES = (Status.SCHEDULED, Status.EN_ROUTE, Status.ON_SITE)
# Install and move visits get the R3 call shortly before the booked time.
PRE_CALL_KINDS = (Kind.INSTALL, Kind.MOVE)
# Common reasons offered as one-tap buttons; free text is always possible.
DELAY_REASONS = ("交通拥堵", "前一单施工延误", "车辆故障", "天气原因")
RESCHEDULE_REASONS = ("客户要求改时间", "前一单施工延误", "设备材料未到", "天气原因", "交通管制")
RETURN_REASONS = ("无端口资源", "地址错误", "非本片区", "客户取消需求")


# -- small helpers ----------------------------------------------------------------------------


def _span(minutes: int) -> str:
    """120 → "2 小时", 30 → "30 分钟", 90 → "1 小时 30 分钟"."""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} 小时 {rest} 分钟"
    return f"{hours} 小时" if hours else f"{rest} 分钟"


def _spoken_time(moment: datetime | None, tz: ZoneInfo, now: datetime) -> str:
    """As a technician says it on the phone: 今天14:00, 明天9:30, 11月22日14:00."""
    if moment is None:
        return ""
    local = timezone.localtime(moment, tz)
    days = (local.date() - timezone.localtime(now, tz).date()).days
    hhmm = f"{local.hour}:{local.minute:02d}"
    prefix = {0: "今天", 1: "明天", 2: "后天"}.get(days, f"{local.month}月{local.day}日")
    return prefix + hhmm


def _offset(tz: ZoneInfo, at: datetime) -> str:
    """The zone's UTC offset as ISO 8601 wants it (+08:00), for times typed into pickers."""
    delta = at.astimezone(tz).utcoffset() or timedelta(0)
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def _policy_minutes(key: str, order: WorkOrder, default: int) -> tuple[int, dict[str, Any]] | None:
    """The minutes of a check policy for this order; None when an admin switched it off."""
    found = policies.resolve(key, order)
    if found is None:
        return None
    return (found.minutes if found.minutes is not None else default), found.params


def own_orders(user: Any) -> Any:
    """The technician's own orders, through the one permission gate."""
    return visible_orders(user).filter(technician_id=user.pk)


def _own_order(request: HttpRequest, order_id: int) -> WorkOrder:
    order = (
        own_orders(request.user)
        .select_related("branch", "customer", "technician")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise Http404("工单不存在或不是您的工单")
    return order


def _tech_actions(order: WorkOrder) -> list[str]:
    """What the assigned technician may do now (the state table; the order is theirs)."""
    return [a for a in allowed_actions(order.status, {Role.TECHNICIAN}) if a != Action.ATTACH]


def next_step_label(order: WorkOrder, now: datetime, pre_called: bool = False) -> str:
    """The next thing to do, from the state (my day shows it for every order)."""
    status = order.status
    if status == Status.SCHEDULED and _in_pre_call_window(order, now) and not pre_called:
        return PRIMARY_LABELS["pre_call"]
    steps: dict[str, str] = {
        Status.DISPATCHED: "accept",
        Status.ACCEPTED: "call",
        Status.SCHEDULED: "depart",
        Status.EN_ROUTE: "arrive",
        Status.ON_SITE: "work",
        Status.SUSPENDED: "resume",
    }
    step = steps.get(status)
    return PRIMARY_LABELS[step] if step else str(Status(status).label)


PRIMARY_LABELS = {
    "accept": "接单",
    "call": "电话联系客户并预约",
    "book": "预约上门时间",
    "pre_call": "上门前电话确认",
    "depart": "备齐物品后出发",
    "arrive": "到达后签到",
    "work": "现场作业、签字、回单",
    "resume": "挂起中：条件具备后解挂",
}


def _pre_call_window(order: WorkOrder) -> tuple[datetime, datetime, int] | None:
    """R3: from when before the booking a call counts as the pre-visit call, and its target."""
    if order.kind not in PRE_CALL_KINDS or order.appointment_start is None:
        return None
    rule = _policy_minutes("check.R3", order, 15)
    if rule is None:
        return None
    minutes, params = rule
    earliest = int(params.get("earliest_minutes", max(minutes * 4, 60)))
    start = order.appointment_start
    return start - timedelta(minutes=earliest), start, minutes


def _in_pre_call_window(order: WorkOrder, now: datetime) -> bool:
    window = _pre_call_window(order)
    return window is not None and window[0] <= now <= window[1]


# -- my day -----------------------------------------------------------------------------------


@login_required
@require_GET
def my_day(request: HttpRequest) -> HttpResponse:
    user = request.user
    staff = staff_of(user)
    tz = ZoneInfo(staff.branch.timezone if staff and staff.branch else settings.TIME_ZONE)
    now = clock.now()
    today = timezone.localtime(now, tz).date()
    orders = list(
        own_orders(user)
        .exclude(status__in=[*TERMINAL, Status.COMPLETED, Status.RETURNED])
        .select_related("customer", "branch")
    )
    nearest = nearest_by_order([o.pk for o in orders], now)
    overdue = (
        Clock.objects.filter(order_id__in=[o.pk for o in orders], stopped_at__isnull=True)
        .filter(Q(status=ClockStatus.BREACHED) | Q(status=ClockStatus.RUNNING, deadline__lt=now))
        .values("order_id")
        .distinct()
        .count()
    )

    # Calls already made inside each booking's R3 window (one query for the whole day).
    windows = {o.pk: w for o in orders if (w := _pre_call_window(o)) is not None}
    pre_called: set[int] = set()
    for order_id, when in OrderEvent.objects.filter(
        order_id__in=list(windows), action=Action.CONTACT
    ).values_list("order_id", "occurred_at"):
        opens, start, _ = windows[order_id]
        if opens <= when <= start:
            pre_called.add(order_id)

    def card(order: WorkOrder) -> dict[str, Any]:
        start = order.appointment_start
        local = timezone.localtime(start, tz) if start else None
        return {
            "order": order,
            "customer": customer_view(user, order),
            "vip": order.customer.grade == CustomerGrade.VIP,
            "next": next_step_label(order, now, order.pk in pre_called),
            "clock": nearest.get(order.pk),
            "start": local,
            "end": timezone.localtime(order.appointment_end, tz) if order.appointment_end else None,
            "past_day": local is not None and local.date() < today,
        }

    def by_start(o: WorkOrder) -> tuple[datetime, int]:
        return (o.appointment_start or now, o.pk)

    visits = sorted((o for o in orders if o.status in VISIT_STATES), key=by_start)
    ctx = {
        "today": today,
        "visits": [
            card(o)
            for o in visits
            if o.appointment_start is None
            or timezone.localtime(o.appointment_start, tz).date() <= today
        ],
        "later": [
            card(o)
            for o in visits
            if o.appointment_start is not None
            and timezone.localtime(o.appointment_start, tz).date() > today
        ],
        "to_accept": [
            card(o)
            for o in sorted(orders, key=lambda o: o.reported_at)
            if o.status == Status.DISPATCHED
        ],
        "to_book": [
            card(o)
            for o in sorted(orders, key=lambda o: o.reported_at)
            if o.status == Status.ACCEPTED
        ],
        "suspended": [card(o) for o in orders if o.status == Status.SUSPENDED],
        "overdue": overdue,
        "staff": staff,
    }
    log_personal_views(user, orders, "my-day")
    return render(request, "field/my_day.html", ctx)


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


# Placeholders the browser fills from what the technician picks or types.
LIVE_TOKENS = {
    "reason": "〔原因〕",
    "delay_minutes": "〔N〕",
    "leave_time": "〔离开时间〕",
    "time": "〔新的时间〕",
}


def _script(
    step: str, values: dict[str, str], situation: str | None = None, **live: str
) -> dict[str, Any]:
    """A script card: each line as shown now and as a template for the live placeholders."""
    script = get_script(step)
    merged = {**values, **{name: "{" + name + "}" for name in live}}
    try:
        templates = render_lines(step, situation, **merged)
    except KeyError:
        templates = [ln.text for ln in script.lines_for(situation)]
    lines = []
    for template in templates:
        text = template
        for name, shown in LIVE_TOKENS.items():
            text = text.replace("{" + name + "}", shown)
        lines.append({"text": text, "template": template})
    return {
        "step": step,
        "title": script.title,
        "lines": lines,
        "actions": script.actions,
        "live": bool(live),
    }


def script_values(order: WorkOrder, staff: Staff | None, user: Any, time: str) -> dict[str, str]:
    """Everything a script may need. The customer's gender is not on record: 先生/女士."""
    return {
        "customer_name": f"{order.customer.name}先生/女士",
        "technician_name": staff.name if staff else user.get_username(),
        "employee_no": (staff.employee_no if staff else "") or "—",
        "company": settings.DOORSTEP_COMPANY,
        "phone": (staff.phone if staff else "") or "10000",
        "time": time or "〔约定时间〕",
    }


def _kit() -> Any:
    code = getattr(settings, "DOORSTEP_KIT_CHECKLIST", "") or ""
    if code:
        try:
            return kit_checklist(code)
        except KeyError:
            pass
    return kit_checklists()[0]


def _rule_notes(order: WorkOrder, now: datetime) -> dict[str, Any]:
    """R7 / R8 / R9 warnings, from the policies that apply to this order."""
    start = order.appointment_start
    notes: dict[str, Any] = {}
    r7 = _policy_minutes("check.R7", order, 120)
    if r7 is not None:
        minutes = r7[0]
        cutoff = start - timedelta(minutes=minutes) if start else None
        notes["r7"] = {
            "minutes": minutes,
            "span": _span(minutes),
            "cutoff": cutoff,
            "late": cutoff is not None and now >= cutoff,
        }
    r8 = _policy_minutes("check.R8", order, 30)
    if r8 is not None:
        minutes = r8[0]
        cutoff = start - timedelta(minutes=minutes) if start else None
        notes["r8"] = {
            "minutes": minutes,
            "span": _span(minutes),
            "cutoff": cutoff,
            "late": cutoff is not None and now >= cutoff,
        }
    r9 = _policy_minutes("check.R9", order, 10)
    if r9 is not None:
        notes["r9"] = {"minutes": r9[0], "span": _span(r9[0])}
    return notes


def _consent_subjects(order: WorkOrder) -> list[str]:
    found = policies.resolve("check.R12", order)
    default = [
        ConsentSubject.DRILL_WALL,
        ConsentSubject.MOVE_ITEMS,
        ConsentSubject.ENTER_ROOM,
        ConsentSubject.DISK_DATA,
    ]
    subjects = list(found.params.get("subjects", default)) if found else list(default)
    return [s for s in subjects if s in ConsentSubject.values]


def _local_input(moment: datetime | None, tz: ZoneInfo, seconds: bool = False) -> str:
    """A value for <input type=datetime-local>."""
    if moment is None:
        return ""
    return timezone.localtime(moment, tz).strftime(
        "%Y-%m-%dT%H:%M:%S" if seconds else "%Y-%m-%dT%H:%M"
    )


@login_required
@require_GET
def order_page(request: HttpRequest, order_id: int) -> HttpResponse:
    user = request.user
    order = _own_order(request, order_id)
    staff = staff_of(user)
    tz = ZoneInfo(order.branch.timezone)
    now = clock.now()
    events = list(order.events.order_by("seq"))
    facts = visit_facts(events)
    actions = _tech_actions(order)
    window = _pre_call_window(order)
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
    values = script_values(order, staff, user, _spoken_time(order.appointment_start, tz, now))
    scripts = {
        "call": _script("call_repair" if order.kind == Kind.REPAIR else "call", values),
        "pre_visit_call": _script("pre_visit_call", values),
        "greeting": _script("greeting", values),
        "closing": _script("closing", values),
        "delay": _script("delay", values, reason="", delay_minutes=""),
        "reschedule": _script("reschedule", values, reason="", time=""),
        "unreachable_sms": _script("unreachable_sms", values),
    }
    arrived_local = timezone.localtime(facts.arrived_at, tz) if facts.arrived_at else None
    not_home = _script(
        "not_home",
        {**values, "time": arrived_local.strftime("%H:%M") if arrived_local else "—"},
        leave_time="",
    )
    subjects = _consent_subjects(order)
    consents = []
    for subject in subjects:
        line = _script("consent", values, situation=subject)
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
    kit = _kit()
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
        "sms_sent": bool(facts.calls)
        and facts.calls[-1].payload.get("outcome")
        in (ContactOutcome.NO_ANSWER, ContactOutcome.UNREACHABLE),
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
        "rules": _rule_notes(order, now),
        "clocks": [c for c in for_display(clocks_of_order(order), now) if c["open"]],
        "start": timezone.localtime(order.appointment_start, tz)
        if order.appointment_start
        else None,
        "end": timezone.localtime(order.appointment_end, tz) if order.appointment_end else None,
        "tz_offset": _offset(tz, now),
        "book_date": booking_day.strftime("%Y-%m-%d"),
        "arrived_at": arrived_local,
        "arrived_input": _local_input(facts.arrived_at, tz, seconds=True),
        "eta_input": _local_input((order.appointment_start or now) + timedelta(minutes=15), tz),
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


# -- banned phrases, as the technician types --------------------------------------------------


@login_required
@require_POST
def phrase_check(request: HttpRequest) -> JsonResponse:
    """R23 before sending: the hits in a customer-facing text and the reworded text."""
    text = ""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = {}
        text = str(body.get("text", "")) if isinstance(body, dict) else ""
    else:
        text = str(request.POST.get("text", ""))
    text = text[:2000]
    hits, better = problems(text) if text.strip() else ([], None)
    return JsonResponse(
        {
            "ok": not hits,
            "hits": [
                {
                    "matched": h.matched or h.phrase,
                    "start": h.start,
                    "end": h.end,
                    "suggestion": h.suggestion,
                    "kind": h.kind,
                    "source": h.source,
                }
                for h in hits
            ],
            "suggestion": better,
            "message": explain(hits, better) if hits else "",
        }
    )


# -- the service worker -----------------------------------------------------------------------


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from /m/ so that its scope covers the phone pages (a worker's scope is the
    folder it is served from): the pages and their assets stay readable without signal."""
    assets = [
        static("web/doorstep.css"),
        static("web/clocks.js"),
        static("vendor/htmx-2.0.11.min.js"),
        static("field/phone.css"),
        static("field/phone.js"),
        static("field/signature.js"),
    ]
    body = render_to_string("field/sw.js", {"assets": json.dumps(assets)})
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
