"""The day planner's pages: make a plan (or re-plan), its preview, and apply."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from doorstep.dispatch import planning
from doorstep.dispatch.models import DayPlan
from doorstep.dispatch.services import availability
from doorstep.dispatch.views import _branch_and_day, _branches, _gate


@login_required
@require_POST
def plan(request: HttpRequest) -> HttpResponse:
    _gate(request)
    branch, day, _ = _branch_and_day(request)
    extend: dict[int, float] = {}
    if request.POST.get("extend_order") and request.POST.get("extend_minutes"):
        try:
            extend[int(request.POST["extend_order"])] = float(request.POST["extend_minutes"])
        except ValueError:
            messages.error(request, "超时分钟数必须是数字")
            return redirect(f"/dispatch/?branch={branch.code}&day={day.isoformat()}")
    try:
        seconds = min(30.0, max(1.0, float(request.POST.get("seconds", "5"))))
    except ValueError:
        seconds = 5.0
    day_plan = planning.make_plan(
        branch,
        day,
        request.user,
        seconds=seconds,
        off_sick=[u for u in request.POST.getlist("off_sick") if u],
        extend_minutes=extend,
        replan=request.POST.get("replan") == "1",
    )
    return redirect("dispatch:plan_detail", plan_id=day_plan.pk)


@login_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    _gate(request)
    branches = _branches(request)
    day_plan = (
        DayPlan.objects.filter(pk=plan_id, branch__in=branches).select_related("branch").first()
    )
    if day_plan is None:
        raise Http404
    technicians = sorted(
        {r["technician"] for r in day_plan.routes}
        | {a.username for a in availability(day_plan.branch, day_plan.day)}
    )
    routes = []
    for r in day_plan.routes:
        visits = []
        for v in r["visits"]:
            times = ("arrival", "start", "end", "window_start", "window_end", "deadline")
            visits.append({**v, **{k: parse_datetime(v[k]) if v.get(k) else None for k in times}})
        lunch = r.get("lunch")
        lunch_times = {k: parse_datetime(x) for k, x in lunch.items()} if lunch else None
        routes.append({**r, "visits": visits, "lunch": lunch_times})
    moved = [
        {
            **m,
            "old_start": parse_datetime(m["old_start"]),
            "new_start": parse_datetime(m["new_start"]) if m["new_start"] else None,
        }
        for m in day_plan.moved
    ]
    return render(
        request,
        "dispatch/plan.html",
        {"plan": day_plan, "routes": routes, "technicians": technicians, "moved": moved},
    )


@login_required
@require_POST
def plan_apply(request: HttpRequest, plan_id: int) -> HttpResponse:
    _gate(request)
    day_plan = DayPlan.objects.filter(pk=plan_id, branch__in=_branches(request)).first()
    if day_plan is None:
        raise Http404
    if day_plan.status != DayPlan.Status.PREVIEW:
        messages.error(request, "该计划已应用或已被新的计划替换")
        return redirect("dispatch:plan_detail", plan_id=plan_id)
    overrides: dict[int, str] = {}
    for key, value in request.POST.items():
        if key.startswith("tech_"):
            try:
                overrides[int(key[5:])] = str(value)
            except ValueError:
                continue
    result = planning.apply(day_plan, request.user, overrides)
    messages.success(
        request,
        f"已派单 {len(result['assigned'])} 张，{result['unchanged']} 张无需变更"
        + (
            f"，{len(result['failed'])} 张失败："
            + "；".join(f"{f['number']} {f['error']}" for f in result["failed"])
            if result["failed"]
            else ""
        ),
    )
    return redirect(f"/dispatch/?branch={day_plan.branch.code}&day={day_plan.day.isoformat()}")
