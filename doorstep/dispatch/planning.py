"""A branch's day plan: queue it, compute it (in the worker, see `jobs`), tell a preview whose
orders changed since, and apply it as assign actions, all or none."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.db import transaction

from doorstep.core import clock as app_clock
from doorstep.core.errors import Conflict, DoorstepError
from doorstep.dispatch.models import DayPlan, Leave
from doorstep.dispatch.planner import Plan, plan_day
from doorstep.dispatch.planner.solve import Progress
from doorstep.dispatch.services import (
    PLANNABLE,
    availability,
    build_request,
    plannable_orders,
)
from doorstep.orders.actions import perform
from doorstep.orders.models import WorkOrder
from doorstep.org.models import Branch

MOVE_THRESHOLD_MINUTES = 15


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _serialise(
    plan: Plan, numbers: dict[str, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    routes = []
    for r in plan.routes:
        routes.append(
            {
                "technician": r.technician,
                "depart": _iso(r.depart),
                "return_at": _iso(r.return_at),
                "travel_km": round(r.total_travel_km, 1),
                "travel_minutes": round(r.total_travel_minutes),
                "lunch": {"start": _iso(r.lunch.start), "end": _iso(r.lunch.end)}
                if r.lunch
                else None,
                "visits": [
                    {
                        "order": int(v.job_id),
                        "number": numbers.get(v.job_id, v.job_id),
                        "arrival": _iso(v.arrival),
                        "start": _iso(v.start),
                        "end": _iso(v.end),
                        "window_start": _iso(v.window_start),
                        "window_end": _iso(v.window_end),
                        "late_minutes": round(v.minutes_after_window_start),
                        "deadline": _iso(v.deadline),
                        "deadline_at_risk": v.deadline_at_risk,
                        "deadline_breached": v.deadline_breached,
                        "travel_km": round(v.travel_km_from_prev, 1),
                        "travel_minutes": round(v.travel_minutes_from_prev),
                    }
                    for v in r.visits
                ],
            }
        )
    unassigned = [
        {"order": int(u.job_id), "number": numbers.get(u.job_id, u.job_id), "reason": u.reason}
        for u in plan.unassigned
    ]
    return routes, unassigned


def _moved(
    previous: DayPlan | None, routes: list[dict[str, Any]], booked: set[int]
) -> list[dict[str, Any]]:
    """Booked customers whose visit moves by more than the threshold, changes hands or drops
    out: they must be told (R8)."""
    if previous is None:
        return []
    new = {v["order"]: (r["technician"], v["start"]) for r in routes for v in r["visits"]}
    out = []
    for r in previous.routes:
        for v in r["visits"]:
            if v["order"] not in booked:
                continue
            old_start = datetime.fromisoformat(v["start"])
            now_tech, now_start = new.get(v["order"], (None, None))
            if now_start is None:
                out.append(
                    {
                        "order": v["order"],
                        "number": v["number"],
                        "old_start": v["start"],
                        "new_start": None,
                        "old_technician": r["technician"],
                        "new_technician": None,
                    }
                )
                continue
            shift = abs((datetime.fromisoformat(now_start) - old_start).total_seconds()) / 60
            if shift > MOVE_THRESHOLD_MINUTES or now_tech != r["technician"]:
                out.append(
                    {
                        "order": v["order"],
                        "number": v["number"],
                        "old_start": v["start"],
                        "new_start": now_start,
                        "old_technician": r["technician"],
                        "new_technician": now_tech,
                    }
                )
    return out


def queue(
    branch: Branch,
    day: date,
    user: Any,
    *,
    seconds: float = 5.0,
    off_sick: Iterable[str] = (),
    extend_minutes: dict[int, float] | None = None,
    replan: bool = False,
) -> DayPlan:
    """Ask for a plan of the day (or, `replan`, of the rest of it from when the job runs): a
    queued job `doorstep worker` runs (`jobs.run_due`)."""
    return DayPlan.objects.create(
        branch=branch,
        day=day,
        created_by=user,
        created_at=app_clock.now(),
        seconds=seconds,
        replan=replan,
        off_sick=sorted(set(off_sick)),
        extend_minutes={str(k): v for k, v in (extend_minutes or {}).items()},
    )


@dataclass
class Computed:
    """What a finished job stores on its DayPlan, and the plan a re-plan supersedes."""

    fields: dict[str, Any]
    replaces: int | None = None


def compute(job: DayPlan, now: datetime, progress: Progress | None = None) -> Computed:
    """Run the solver for a job: reads the orders and technicians (short queries, no
    transaction held) and searches for `job.seconds`. Never writes."""
    branch = job.branch
    request, orders = build_request(branch, job.day, now=now if job.replan else None)
    sick = set(job.off_sick)
    extend = {int(k): float(v) for k, v in (job.extend_minutes or {}).items()}
    if sick or extend:
        techs = tuple(t for t in request.technicians if t.username not in sick)
        jobs = tuple(
            replace(j, service_minutes=j.service_minutes + extend.get(int(j.id), 0))
            for j in request.jobs
        )
        request = replace(request, technicians=techs, jobs=jobs)
    plan = plan_day(request, seconds=job.seconds, seed=0, progress=progress)
    numbers = {str(o.pk): o.number for o in orders}
    routes, unassigned = _serialise(plan, numbers)
    visits = plan.visits()
    previous = (
        DayPlan.objects.filter(branch=branch, day=job.day, status__in=DayPlan.RESULTS)
        .exclude(pk=job.pk)
        .first()
        if job.replan
        else None
    )
    booked = {o.pk for o in orders if o.appointment_start is not None}
    summary = {
        "travel_km": round(plan.travel_km, 1),
        "visits": len(visits),
        "unassigned": len(plan.unassigned),
        "late": sum(1 for v in visits if v.minutes_after_window_start > 0.5),
        "at_risk": sum(1 for v in visits if v.deadline_at_risk),
        "violations": plan.violations(),
        "technicians": len(request.technicians),
        "off_sick": sorted(sick),
    }
    return Computed(
        fields={
            "summary": summary,
            "routes": routes,
            "unassigned": unassigned,
            "moved": _moved(previous, routes, booked),
            "inputs": {"orders": {str(o.pk): o.version for o in orders}},
            "log": plan.explain(),
        },
        replaces=previous.pk if previous is not None else None,
    )


def make_plan(
    branch: Branch,
    day: date,
    user: Any,
    *,
    seconds: float = 5.0,
    off_sick: Iterable[str] = (),
    extend_minutes: dict[int, float] | None = None,
    replan: bool = False,
) -> DayPlan:
    """Queue a plan and run it here and now through the worker's own claim and store: for the
    demo, the shell and tests, which have no worker running."""
    from doorstep.dispatch import jobs

    job = queue(
        branch,
        day,
        user,
        seconds=seconds,
        off_sick=off_sick,
        extend_minutes=extend_minutes,
        replan=replan,
    )
    jobs.run_job(job.pk, "in-process")
    job.refresh_from_db()
    return job


# -- a preview whose orders changed -----------------------------------------------------------


def changed_orders(day_plan: DayPlan) -> list[dict[str, Any]]:
    """Orders that changed since the solver read them (another assignment, a booking, a
    cancellation …) and orders that became plannable after: the preview no longer describes
    the day, so the page says so and suggests planning again."""
    known = {int(k): v for k, v in (day_plan.inputs.get("orders") or {}).items()}
    out = []
    for o in WorkOrder.objects.filter(pk__in=list(known)).order_by("pk"):
        if o.version != known[o.pk]:
            out.append(
                {"order": o.pk, "number": o.number, "why": f"已变更，现为{o.get_status_display()}"}
            )
    for o in plannable_orders(day_plan.branch, day_plan.day):
        if o.pk not in known:
            out.append({"order": o.pk, "number": o.number, "why": "计划生成后新增"})
    return out


# -- apply ------------------------------------------------------------------------------------


@dataclass
class Applied:
    applied: bool
    assigned: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    # [{"order", "number", "technician", "error"}]: why each order could not be assigned
    failed: list[dict[str, Any]] = field(default_factory=list)


def _unavailable(day_plan: DayPlan) -> dict[str, str]:
    """Technicians the plan may not use (username → why): on leave that day, off sick per the
    re-plan, no longer a working technician of the branch."""
    out: dict[str, str] = {}
    known = set()
    for a in availability(day_plan.branch, day_plan.day):
        known.add(a.username)
        if a.on_leave:
            reason = (
                Leave.objects.filter(
                    technician=a.staff.user,
                    first_day__lte=day_plan.day,
                    last_day__gte=day_plan.day,
                )
                .values_list("reason", flat=True)
                .first()
            )
            out[a.username] = f"{a.staff.name} 当天请假" + (f"（{reason}）" if reason else "")
    for username in day_plan.off_sick:
        out.setdefault(username, f"{username} 已标记为临时不在岗")
    return out


def apply(day_plan: DayPlan, user: Any, overrides: dict[int, str] | None = None) -> Applied:
    """Apply the preview as ordinary assign actions, all or none: if any order cannot be
    assigned, nothing is and the result names each such order and why. `overrides` are the
    dispatcher's changes (order id → technician username, or "" to leave an order out)."""
    overrides = overrides or {}
    wanted: dict[int, str] = {}
    for r in day_plan.routes:
        for v in r["visits"]:
            wanted[v["order"]] = r["technician"]
    # Changes apply only to orders this plan planned (never to another branch's orders).
    wanted.update({k: v for k, v in overrides.items() if k in wanted})
    numbers = {v["order"]: v["number"] for r in day_plan.routes for v in r["visits"]}
    result = Applied(applied=False)
    with transaction.atomic():
        # The conditional UPDATE first: of two dispatchers applying at once, one wins and the
        # other finds the plan applied.
        won = DayPlan.objects.filter(pk=day_plan.pk, status=DayPlan.Status.PREVIEW).update(
            status=DayPlan.Status.APPLIED, applied_by=user, applied_at=app_clock.now()
        )
        if not won:
            state = DayPlan.objects.filter(pk=day_plan.pk).values_list("status", flat=True)
            raise Conflict("该计划已应用或已被新的计划替换", state=state.first() or "", allowed=[])
        unavailable = _unavailable(day_plan)
        orders = (
            WorkOrder.objects.filter(branch=day_plan.branch)
            .select_related("technician")
            .in_bulk(list(wanted))
        )
        for oid, tech in wanted.items():
            if not tech:
                continue
            order = orders.get(oid)
            failure = {"order": oid, "number": numbers.get(oid, str(oid)), "technician": tech}
            if order is None:
                result.failed.append({**failure, "error": "工单已不在本分公司"})
                continue
            if order.status not in PLANNABLE:
                # Cancelled, completed … since the preview, perhaps by its own technician.
                error = f"工单当前状态为{order.get_status_display()}，不能按计划派单"
                result.failed.append({**failure, "error": error})
                continue
            if order.technician and order.technician.username == tech:
                result.unchanged += 1
                continue
            if tech in unavailable:
                result.failed.append({**failure, "error": unavailable[tech]})
                continue
            try:
                perform(oid, "assign", user, {"technician": tech, "note": "按日计划派单"})
            except DoorstepError as exc:
                result.failed.append({**failure, "error": exc.message})
            else:
                result.assigned.append({"order": oid, "number": order.number, "technician": tech})
        if result.failed:
            transaction.set_rollback(True)
            result.assigned = []
            result.unchanged = 0
            return result
    day_plan.refresh_from_db()
    result.applied = True
    return result
