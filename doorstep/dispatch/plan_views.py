"""The day planner's pages: ask for a plan (or a re-plan), follow the job, the preview, and
apply it all or none."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from doorstep.core import clock as app_clock
from doorstep.core.errors import DoorstepError
from doorstep.dispatch import planning
from doorstep.dispatch.models import DayPlan
from doorstep.dispatch.services import availability
from doorstep.dispatch.views import _branch_and_day, _branches, _gate

# A job queued this long with nobody claiming it: say that no worker seems to be running.
NO_WORKER_AFTER_SECONDS = 30


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
    job = planning.queue(
        branch,
        day,
        request.user,
        seconds=seconds,
        off_sick=[u for u in request.POST.getlist("off_sick") if u],
        extend_minutes=extend,
        replan=request.POST.get("replan") == "1",
    )
    return redirect("dispatch:plan_detail", plan_id=job.pk)


def _plan_of(request: HttpRequest, plan_id: int) -> DayPlan:
    day_plan = (
        DayPlan.objects.filter(pk=plan_id, branch__in=_branches(request))
        .select_related("branch", "applied_by")
        .first()
    )
    if day_plan is None:
        raise Http404
    return day_plan


def _job_context(day_plan: DayPlan) -> dict[str, Any]:
    now = app_clock.now()
    waited = (now - day_plan.created_at).total_seconds()
    elapsed = (now - day_plan.started_at).total_seconds() if day_plan.started_at else 0.0
    return {
        "plan": day_plan,
        "percent": round(100 * day_plan.progress),
        "elapsed": round(elapsed),
        "no_worker": day_plan.status == DayPlan.Status.QUEUED and waited > NO_WORKER_AFTER_SECONDS,
    }


def _render_plan(
    request: HttpRequest,
    day_plan: DayPlan,
    failed: list[dict[str, Any]] | None = None,
    overrides: dict[int, str] | None = None,
) -> HttpResponse:
    if day_plan.pending:
        return render(request, "dispatch/plan.html", _job_context(day_plan))
    usernames = sorted(
        {r["technician"] for r in day_plan.routes}
        | {a.username for a in availability(day_plan.branch, day_plan.day)}
    )
    names = staff_names(usernames)
    # The reassign menu names each technician with the username the dispatcher knows them by.
    technicians = [(u, f"{names[u]}（{u}）" if u in names else u) for u in usernames]
    routes = []
    for r in day_plan.routes:
        visits = []
        for v in r["visits"]:
            times = ("arrival", "start", "end", "window_start", "window_end", "deadline")
            parsed = {k: parse_datetime(v[k]) if v.get(k) else None for k in times}
            chosen = (overrides or {}).get(v["order"], r["technician"])
            visits.append({**v, **parsed, "chosen": chosen})
        lunch = r.get("lunch")
        lunch_times = {k: parse_datetime(x) for k, x in lunch.items()} if lunch else None
        name = names.get(r["technician"], r["technician"])
        routes.append({**r, "visits": visits, "lunch": lunch_times, "technician_name": name})
    moved = [
        {
            **m,
            "old_start": parse_datetime(m["old_start"]),
            "new_start": parse_datetime(m["new_start"]) if m["new_start"] else None,
            "old_technician": names.get(m["old_technician"], m["old_technician"]),
            "new_technician": names.get(m["new_technician"], m["new_technician"]),
        }
        for m in day_plan.moved
    ]
    changed = planning.changed_orders(day_plan) if day_plan.status == DayPlan.Status.PREVIEW else []
    ctx = {
        "plan": day_plan,
        "routes": routes,
        "technicians": technicians,
        "moved": moved,
        "changed": changed,
        "failed": [
            {**f, "technician": names.get(f["technician"], f["technician"])} for f in failed or []
        ],
    }
    return render(request, "dispatch/plan.html", ctx, status=409 if failed else 200)


@login_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    _gate(request)
    day_plan = _plan_of(request, plan_id)
    if request.headers.get("HX-Request") and request.GET.get("part") == "job":
        # The progress box polls here; once the job is over, htmx reloads the whole page.
        if day_plan.pending:
            return render(request, "dispatch/_plan_job.html", _job_context(day_plan))
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return _render_plan(request, day_plan)


@login_required
@require_POST
def plan_apply(request: HttpRequest, plan_id: int) -> HttpResponse:
    _gate(request)
    day_plan = _plan_of(request, plan_id)
    overrides: dict[int, str] = {}
    for key, value in request.POST.items():
        if key.startswith("tech_"):
            try:
                overrides[int(key[5:])] = str(value)
            except ValueError:
                continue
    try:
        result = planning.apply(day_plan, request.user, overrides)
    except DoorstepError as exc:
        messages.error(request, exc.message)
        return redirect("dispatch:plan_detail", plan_id=plan_id)
    if not result.applied:
        # Nothing was assigned: show the preview again, with the dispatcher's changes, and
        # the orders that could not be assigned and why.
        return _render_plan(request, day_plan, result.failed, overrides)
    messages.success(
        request, f"计划已应用：派单 {len(result.assigned)} 张，{result.unchanged} 张无需变更"
    )
    return redirect(f"/dispatch/?branch={day_plan.branch.code}&day={day_plan.day.isoformat()}")


def staff_names(usernames: Iterable[str]) -> dict[str, str]:
    """username → the staff member's name, in one query (those without a name are left out)."""
    from doorstep.org.models import Staff

    rows = Staff.objects.filter(user__username__in=list(usernames)).exclude(name="")
    return dict(rows.values_list("user__username", "name"))
