"""The incidents pages (批量障碍): the list, one incident with its members, their clocks, a
map of their positions, and the actions the viewer's role allows."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from doorstep.core import clock as app_clock
from doorstep.core.errors import DoorstepError, InvalidInput
from doorstep.incidents import services
from doorstep.incidents.choices import IncidentAction, IncidentStatus
from doorstep.orders.access import visible_orders
from doorstep.orders.choices import OPEN
from doorstep.orders.hooks import clocks_of
from doorstep.orders.privacy import customer_view, log_personal_views, position_view
from doorstep.standards.choices import ClockName
from doorstep.ui.clocks import for_display

MAP_W, MAP_H, MAP_PAD = 320, 220, 18
STATUS_LABEL = {"paused": "暂停", "met": "已达成", "breached": "超时", "running": ""}


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    qs = services.visible_incidents(request.user).select_related("branch")
    if status in IncidentStatus.values:
        qs = qs.filter(status=status)
    rows = [(i, services.members_of(i).count()) for i in qs[:100]]
    return render(
        request,
        "incidents/list.html",
        {
            "rows": rows,
            "status": status,
            "statuses": IncidentStatus.choices,
            "may_open": services.may(request.user, IncidentAction.OPEN),
        },
    )


def _map(points: list[tuple[int, str, float, float]]) -> dict[str, Any] | None:
    """Members' positions scaled into the incident's bounding box (an inline SVG, no tiles)."""
    if not points:
        return None
    lats = [p[2] for p in points]
    lngs = [p[3] for p in points]
    lat0, lat1, lng0, lng1 = min(lats), max(lats), min(lngs), max(lngs)
    span_lat = (lat1 - lat0) or 0.002
    span_lng = (lng1 - lng0) or 0.002
    w, h = MAP_W - 2 * MAP_PAD, MAP_H - 2 * MAP_PAD
    dots = [
        {
            "order": oid,
            "number": number,
            "x": round(MAP_PAD + (lng - lng0) / span_lng * w, 1),
            "y": round(MAP_PAD + (lat1 - lat) / span_lat * h, 1),
            "tx": round(MAP_PAD + (lng - lng0) / span_lng * w + 9, 1),
            "n": i + 1,
        }
        for i, (oid, number, lat, lng) in enumerate(points)
    ]
    return {
        "w": MAP_W,
        "h": MAP_H,
        "dots": dots,
        "box": f"{lat0:.4f}–{lat1:.4f}N, {lng0:.4f}–{lng1:.4f}E",
    }


def _local(moment: datetime | None, tz: str) -> datetime | None:
    return moment.astimezone(ZoneInfo(tz)) if moment else None


@login_required
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = (
        services.visible_incidents(request.user)
        .select_related("branch", "opened_by", "confirmed_by", "closed_by")
        .filter(pk=incident_id)
        .first()
    )
    if incident is None:
        raise Http404
    now = app_clock.now()
    members = list(
        services.members_of(incident).select_related(
            "order", "order__customer", "order__branch", "order__technician"
        )
    )
    rows, points, shown_full = [], [], []
    for m in members:
        order = m.order
        restore = [
            c | {"status_label": STATUS_LABEL.get(c["status"], "")}
            for c in for_display(clocks_of(order), now)
            if c["open"] or c["name"] == ClockName.RESTORE
        ]
        cust = customer_view(request.user, order)
        pos = position_view(request.user, order)
        if not cust.get("masked"):
            shown_full.append(order)
        if pos is not None:
            points.append((order.pk, order.number, pos["lat"], pos["lng"]))
        rows.append({"m": m, "order": order, "customer": cust, "clocks": restore, "pos": pos})
    log_personal_views(request.user, shown_full, "incident")
    tz = incident.branch.timezone
    allowed = services.allowed_actions(incident, request.user)
    candidates = []
    if IncidentAction.ADD_MEMBER in allowed:
        candidates = list(
            visible_orders(request.user)
            .filter(branch=incident.branch, area_code=incident.area, status__in=OPEN)
            .exclude(pk__in=services.held_back_orders())
            .order_by("-reported_at")[:30]
        )
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "rows": rows,
            "map": _map(points),
            "allowed": allowed,
            "candidates": candidates,
            "events": list(incident.events.select_related("actor")),
            "expected_local": _local(incident.expected_restore_at, tz),
        },
    )


def _form_body(action: str, post: Any) -> dict[str, Any]:
    if action == IncidentAction.CONFIRM_OUTAGE:
        raw = (post.get("expected_restore_at") or "").strip()
        body: dict[str, Any] = {"note": post.get("note") or None}
        if raw:
            try:
                moment = datetime.fromisoformat(raw)
            except ValueError:
                raise InvalidInput({"expected_restore_at": "时间格式不对"}) from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=ZoneInfo(post.get("tz") or "Asia/Shanghai"))
            body["expected_restore_at"] = moment.isoformat()
        return body
    if action in (IncidentAction.ADD_MEMBER, IncidentAction.REMOVE_MEMBER):
        return {"order": post.get("order") or None}
    fixed = post.getlist("fixed")
    return {"note": post.get("note") or None, "fixed": [int(x) for x in fixed if x.isdigit()]}


@login_required
@require_POST
def incident_action(request: HttpRequest, incident_id: int, action: str) -> HttpResponse:
    try:
        services.act(incident_id, action, request.user, _form_body(action, request.POST))
    except InvalidInput as exc:
        detail = "；".join(f"{v[0]}" for v in exc.fields.values()) or exc.message
        messages.error(request, f"操作失败：{detail}")
    except DoorstepError as exc:
        messages.error(request, f"操作失败：{exc.message}")
    else:
        messages.success(request, f"已{IncidentAction(action).label}")
    return redirect("incidents:detail", incident_id)


@login_required
@require_POST
def incident_open(request: HttpRequest) -> HttpResponse:
    numbers = [n.strip() for n in (request.POST.get("orders") or "").replace("，", ",").split(",")]
    ids = list(
        visible_orders(request.user)
        .filter(number__in=[n for n in numbers if n])
        .values_list("pk", flat=True)
    )
    branch = (request.POST.get("branch") or "").strip()
    try:
        if len(ids) != len([n for n in numbers if n]):
            raise InvalidInput({"orders": "有工单号不存在或无权查看"})
        incident = services.open_by_hand(
            request.user, branch, request.POST.get("area", ""), ids, request.POST.get("note", "")
        )
    except DoorstepError as exc:
        fields = getattr(exc, "fields", None)
        messages.error(
            request,
            "立案失败：" + ("；".join(v[0] for v in fields.values()) if fields else exc.message),
        )
        return redirect("incidents:list")
    messages.success(request, f"已立案：批量障碍 #{incident.pk}")
    return redirect("incidents:detail", incident.pk)
