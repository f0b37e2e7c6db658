"""The dispatch board (调度台): hand-over sign-for, unassigned orders with suggestions and one
time line per technician. The day planner's pages are in `plan_views`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from doorstep.core import clock as app_clock
from doorstep.core.errors import DoorstepError
from doorstep.dispatch.models import DayPlan
from doorstep.dispatch.services import (
    TRAVEL,
    UNASSIGNED,
    availability,
    local,
    next_handover,
    sign_for,
    suggest,
    unsigned_orders,
)
from doorstep.incidents.services import board_rows, held_back_orders
from doorstep.orders.access import staff_of, visible_orders
from doorstep.orders.actions import perform
from doorstep.orders.models import WorkOrder
from doorstep.orders.privacy import customer_view, log_personal_views
from doorstep.org.choices import Role
from doorstep.org.models import Branch, roles_of
from doorstep.ratings import stars_of
from doorstep.ui.clocks import nearest_by_order

DISPATCH_ROLES = {Role.DISPATCHER, Role.MANAGER, Role.ADMIN}
DAY_START_HOUR, DAY_END_HOUR = 7, 21


def _gate(request: HttpRequest) -> None:
    if not roles_of(request.user) & DISPATCH_ROLES:
        raise PermissionDenied("调度台仅供调度、班长和管理人员使用")


def _branches(request: HttpRequest) -> list[Branch]:
    staff = staff_of(request.user)
    qs = Branch.objects.all()
    if staff is not None and staff.branch_id is not None:
        qs = qs.filter(pk=staff.branch_id)
    return list(qs)


def _branch_and_day(request: HttpRequest) -> tuple[Branch, date, list[Branch]]:
    branches = _branches(request)
    if not branches:
        raise Http404("没有可调度的分公司")
    code = request.GET.get("branch") or request.POST.get("branch")
    branch = next((b for b in branches if b.code == code), branches[0])
    raw = request.GET.get("day") or request.POST.get("day")
    try:
        day = date.fromisoformat(raw) if raw else local(app_clock.now(), branch.timezone).date()
    except ValueError:
        day = local(app_clock.now(), branch.timezone).date()
    return branch, day, branches


def _pct(moment: datetime, branch: Branch, day: date) -> float:
    t = local(moment, branch.timezone)
    start = datetime.combine(day, datetime.min.time(), tzinfo=t.tzinfo) + timedelta(
        hours=DAY_START_HOUR
    )
    span = (DAY_END_HOUR - DAY_START_HOUR) * 3600
    return max(0.0, min(100.0, (t - start).total_seconds() / span * 100))


def _timeline(branch: Branch, day: date) -> list[dict[str, Any]]:
    """One row per technician: shift, lunch, booked visits and the travel between them."""
    rows = []
    tz_day_start = datetime.combine(day, datetime.min.time()).replace(tzinfo=None)
    del tz_day_start
    avail = availability(branch, day)
    ids = [a.staff.user_id for a in avail]
    stars = stars_of(ids)  # doorstep.ratings: the latest computed stars
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(branch.timezone)
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    visits = list(
        WorkOrder.objects.filter(
            technician_id__in=ids,
            appointment_start__gte=start,
            appointment_start__lt=start + timedelta(days=1),
        )
        .select_related("customer")
        .order_by("appointment_start")
    )
    open_load = {
        uid: n for uid, n in [(u, sum(1 for o in visits if o.technician_id == u)) for u in ids]
    }
    for a in avail:
        mine = [o for o in visits if o.technician_id == a.staff.user_id]
        blocks = []
        prev = (a.staff.home_lat, a.staff.home_lng) if a.staff.home_lat is not None else None
        travel_km = 0.0
        for o in mine:
            assert o.appointment_start is not None and o.appointment_end is not None
            here = (o.lat, o.lng) if o.lat is not None else None
            travel = None
            if prev and here:
                km = TRAVEL.km(prev, here)  # type: ignore[arg-type]
                minutes = TRAVEL.minutes(prev, here, branch.region_type)  # type: ignore[arg-type]
                travel_km += km
                leave = _pct(o.appointment_start - timedelta(minutes=minutes), branch, day)
                reach = _pct(o.appointment_start, branch, day)
                travel = {
                    "km": round(km, 1),
                    "minutes": round(minutes),
                    "left": leave,
                    "width": max(0.3, reach - leave),
                }
            blocks.append(
                {
                    "order": o,
                    "left": _pct(o.appointment_start, branch, day),
                    "width": max(
                        1.0,
                        _pct(o.appointment_end, branch, day)
                        - _pct(o.appointment_start, branch, day),
                    ),
                    "travel": travel,
                }
            )
            prev = here or prev
        rows.append(
            {
                "a": a,
                "shift_left": _pct(a.start, branch, day),
                "shift_width": _pct(a.end, branch, day) - _pct(a.start, branch, day),
                "lunch": (
                    {
                        "left": _pct(a.lunch_from, branch, day),
                        "width": _pct(a.lunch_to, branch, day) - _pct(a.lunch_from, branch, day),
                    }
                    if a.lunch_from and a.lunch_to
                    else None
                ),
                "blocks": blocks,
                "load": open_load.get(a.staff.user_id, 0),
                "travel_km": round(travel_km, 1),
                "stars": stars[a.staff.user_id],
            }
        )
    return rows


@login_required
def board(request: HttpRequest) -> HttpResponse:
    _gate(request)
    branch, day, branches = _branch_and_day(request)
    now = app_clock.now()
    pending = list(unsigned_orders(branch))
    unassigned = list(
        visible_orders(request.user)
        .filter(branch=branch, status__in=UNASSIGNED)
        # R14: members of an open incident are handled as one, on the incident's page.
        .exclude(pk__in=held_back_orders())
        .select_related("customer")
        # R15 (doorstep.care): how often each was chased, shown beside it.
        .annotate(chases=Count("events", filter=Q(events__action="chase")))
        .order_by("reported_at")
    )
    nearest = nearest_by_order([o.pk for o in unassigned])
    latest_plan = (
        DayPlan.objects.filter(branch=branch, day=day)
        .exclude(status=DayPlan.Status.SUPERSEDED)
        .first()
    )
    ctx = {
        "branch": branch,
        "branches": branches,
        "day": day,
        "hours": list(range(DAY_START_HOUR, DAY_END_HOUR + 1)),
        "pending": [(o, now - o.reported_at) for o in pending],
        "oldest_wait": (now - pending[0].reported_at) if pending else None,
        "next_handover": next_handover(branch, now),
        "unassigned": [(o, nearest.get(o.pk), customer_view(request.user, o)) for o in unassigned],
        "incidents": board_rows(branch),
        "rows": _timeline(branch, day),
        "plan": latest_plan,
        "now_pct": _pct(now, branch, day) if local(now, branch.timezone).date() == day else None,
    }
    log_personal_views(request.user, unassigned, "board")
    return render(request, "dispatch/board.html", ctx)


@login_required
def suggestions(request: HttpRequest, order_id: int) -> HttpResponse:
    _gate(request)
    order = (
        visible_orders(request.user)
        .select_related("branch", "customer")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise Http404
    return render(
        request, "dispatch/_suggestions.html", {"order": order, "suggestions": suggest(order)}
    )


@login_required
@require_POST
def assign(request: HttpRequest, order_id: int) -> HttpResponse:
    _gate(request)
    branch, day, _ = _branch_and_day(request)
    try:
        order, _ = perform(
            order_id, "assign", request.user, {"technician": request.POST.get("technician", "")}
        )
    except DoorstepError as exc:
        messages.error(request, f"派单失败：{exc.message}")
    else:
        messages.success(request, f"{order.number} 已派给 {request.POST.get('technician')}")
    return redirect(f"/dispatch/?branch={branch.code}&day={day.isoformat()}")


@login_required
@require_POST
def sign(request: HttpRequest) -> HttpResponse:
    _gate(request)
    branch, day, _ = _branch_and_day(request)
    batch = sign_for(branch, request.user)
    if batch is None:
        messages.info(request, "没有待签收的工单")
    else:
        who = getattr(request.user, "first_name", "") or request.user.get_username()
        messages.success(request, f"已签收 {batch.items.count()} 张工单（签收人：{who}）")
    return redirect(f"/dispatch/?branch={branch.code}&day={day.isoformat()}")
