"""What several phone pages share: the technician's own orders (through the one permission
gate), the next step of an order, the R3 pre-visit call window, times as a technician says them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest
from django.utils import timezone

from doorstep.orders.access import visible_orders
from doorstep.orders.choices import Action, Status
from doorstep.orders.models import WorkOrder
from doorstep.orders.states import allowed_actions
from doorstep.org.choices import Role
from doorstep.standards import policies
from doorstep.standards.windows import pre_call_window as standards_pre_call_window

VISIT_STATES = (Status.SCHEDULED, Status.EN_ROUTE, Status.ON_SITE)


# -- small helpers ----------------------------------------------------------------------------


def span(minutes: int) -> str:
    """120 → "2 小时", 30 → "30 分钟", 90 → "1 小时 30 分钟"."""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} 小时 {rest} 分钟"
    return f"{hours} 小时" if hours else f"{rest} 分钟"


def spoken_time(moment: datetime | None, tz: ZoneInfo, now: datetime) -> str:
    """As a technician says it on the phone: 今天14:00, 明天9:30, 11月22日14:00."""
    if moment is None:
        return ""
    local = timezone.localtime(moment, tz)
    days = (local.date() - timezone.localtime(now, tz).date()).days
    hhmm = f"{local.hour}:{local.minute:02d}"
    prefix = {0: "今天", 1: "明天", 2: "后天"}.get(days, f"{local.month}月{local.day}日")
    return prefix + hhmm


def tz_offset(tz: ZoneInfo, at: datetime) -> str:
    """The zone's UTC offset as ISO 8601 wants it (+08:00), for times typed into pickers."""
    delta = at.astimezone(tz).utcoffset() or timedelta(0)
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def policy_minutes(key: str, order: WorkOrder, default: int) -> tuple[int, dict[str, Any]] | None:
    """The minutes of a check policy for this order; None when an admin switched it off."""
    found = policies.resolve(key, order)
    if found is None:
        return None
    return (found.minutes if found.minutes is not None else default), found.params


def own_orders(user: Any) -> Any:
    """The technician's own orders, through the one permission gate."""
    return visible_orders(user).filter(technician_id=user.pk)


def own_order(request: HttpRequest, order_id: int) -> WorkOrder:
    order = (
        own_orders(request.user)
        .select_related("branch", "customer", "technician")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise Http404("工单不存在或不是您的工单")
    return order


def tech_actions(order: WorkOrder) -> list[str]:
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


def pre_call_window(order: WorkOrder) -> tuple[datetime, datetime, int] | None:
    """R3: from when before the booking a call counts as the pre-visit call, and its target —
    the window the check uses (doorstep.standards.windows.pre_call_window)."""
    window = standards_pre_call_window(order)
    if window is None:
        return None
    return window.opens, window.closes, window.minutes


def _in_pre_call_window(order: WorkOrder, now: datetime) -> bool:
    window = pre_call_window(order)
    return window is not None and window[0] <= now <= window[1]
