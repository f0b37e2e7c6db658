"""违规记录: breaches with their evidence, and the clocks the worker set aside."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET

from doorstep.orders.access import staff_of
from doorstep.orders.choices import ComplaintChannel, ConsentSubject
from doorstep.org.models import roles_of
from doorstep.standards import ledger
from doorstep.standards.choices import ClockName
from doorstep.standards.forms import BreachFilterForm
from doorstep.standards.models import Clock
from doorstep.standards.views.common import (
    PAGE_SIZE,
    in_shanghai,
    ledger_filters,
    query_without_page,
    render_page,
    scope_choices,
)

EVIDENCE_LABELS = {
    "clock": "计时项目",
    "started_at": "开始计时",
    "deadline": "时限",
    "stopped_at": "停止计时",
    "paused_seconds": "暂停时长",
    "marked_at": "判定时间",
    "marked_by": "判定进程",
    "previous_start": "原预约时间",
    "moved_at": "改约操作时间",
    "notice_minutes": "提前告知（分钟）",
    "required_minutes": "要求（分钟）",
    "reason": "原因",
    "appointment_start": "预约时间",
    "arrived_at": "到达时间",
    "late_minutes": "迟到（分钟）",
    "delay_notices": "迟到告知记录",
    "required_notice_minutes": "须提前告知（分钟）",
    "window_from": "确认电话最早时间",
    "calls_in_window": "时段内通话次数",
    "left_at": "离开时间",
    "waited_minutes": "等候（分钟）",
    "calls_while_there": "现场通话记录",
    "work_without_consent": "未经同意的作业",
    "repeat_of": "前单",
    "earlier_completed_at": "前单完工时间",
    "channel": "投诉渠道",
    "note": "备注",
    "contradiction": "与记录矛盾之处",
}
_VALUE_LABELS: dict[str, dict[str, str]] = {
    "clock": {str(v): str(label) for v, label in ClockName.choices},
    "channel": {str(v): str(label) for v, label in ComplaintChannel.choices},
    "work_without_consent": {str(v): str(label) for v, label in ConsentSubject.choices},
}


def _readable(key: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_readable(key, v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if key == "paused_seconds" and isinstance(value, int | float):
        if not value:
            return "无"
        minutes = round(value / 60)
        return f"{minutes} 分钟" if minutes else f"{value} 秒"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    if isinstance(value, str):
        if key in _VALUE_LABELS:
            return _VALUE_LABELS[key].get(value, value)
        if len(value) >= 16 and value[4:5] == "-" and "T" in value:
            try:
                parsed = parse_datetime(value)
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is not None:
                return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M")
    return str(value)


def evidence_items(evidence: Any) -> list[tuple[str, str]]:
    if not isinstance(evidence, dict):
        return [("证据", _readable("", evidence))]
    return [
        (EVIDENCE_LABELS.get(str(k), str(k)), _readable(str(k), v)) for k, v in evidence.items()
    ]


# -- 违规记录 breaches -------------------------------------------------------------------------


def _failed_clocks(user: Any) -> list[Clock]:
    """Clocks the worker could not process and set aside (office staff only)."""
    if not roles_of(user) & ledger.OFFICE:
        return []
    staff = staff_of(user)
    qs = Clock.objects.filter(failed_at__isnull=False).select_related("order")
    if staff is not None and staff.branch_id is not None:
        qs = qs.filter(order__branch_id=staff.branch_id)
    return list(qs.order_by("-failed_at")[:50])


@login_required
@require_GET
@in_shanghai
def breaches(request: HttpRequest) -> HttpResponse:
    branch_choices, tech_choices = scope_choices(request.user)
    form = BreachFilterForm(request.GET, branches=branch_choices, technicians=tech_choices)
    f = form.active()
    qs = ledger.visible_breaches(request.user).select_related(
        "order", "technician__staff", "branch"
    )
    qs = ledger_filters(qs, f, "occurred_at")
    if f.get("void") == "yes":
        qs = qs.filter(void=True)
    elif f.get("void") == "no":
        qs = qs.filter(void=False)
    page = Paginator(qs.order_by("-occurred_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(b, evidence_items(b.evidence)) for b in page.object_list]
    ctx = {
        "form": form,
        "page": page,
        "rows": rows,
        "query": query_without_page(request),
        "show_branch": bool(branch_choices),
        "failed_clocks": _failed_clocks(request.user),
    }
    partial = bool(request.headers.get("HX-Request"))
    return render_page(
        request, "standards/_breach_rows.html" if partial else "standards/breaches.html", ctx
    )


# -- 考核台账 penalty ledger -------------------------------------------------------------------
