"""Running the planner for a branch's day and keeping the result as a DayPlan."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import transaction

from doorstep.core import clock as app_clock
from doorstep.core.errors import DoorstepError
from doorstep.dispatch.models import DayPlan
from doorstep.dispatch.planner import Plan, plan_day
from doorstep.dispatch.services import build_request
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
    """Plan the day (or re-plan the rest of it from now) and store the preview."""
    now = app_clock.now() if replan else None
    request, orders = build_request(branch, day, now=now)
    sick = set(off_sick)
    if sick or extend_minutes:
        from dataclasses import replace

        techs = tuple(t for t in request.technicians if t.username not in sick)
        jobs = tuple(
            replace(j, service_minutes=j.service_minutes + (extend_minutes or {}).get(int(j.id), 0))
            for j in request.jobs
        )
        request = replace(request, technicians=techs, jobs=jobs)
    plan = plan_day(request, seconds=seconds, seed=0)
    numbers = {str(o.pk): o.number for o in orders}
    routes, unassigned = _serialise(plan, numbers)
    visits = plan.visits()
    previous = (
        DayPlan.objects.filter(branch=branch, day=day)
        .exclude(status=DayPlan.Status.SUPERSEDED)
        .first()
        if replan
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
    with transaction.atomic():
        if previous is not None:
            DayPlan.objects.filter(pk=previous.pk).update(status=DayPlan.Status.SUPERSEDED)
        return DayPlan.objects.create(
            branch=branch,
            day=day,
            created_by=user,
            created_at=app_clock.now(),
            seconds=seconds,
            summary=summary,
            routes=routes,
            unassigned=unassigned,
            moved=_moved(previous, routes, booked),
            log=plan.explain(),
        )


def apply(day_plan: DayPlan, user: Any, overrides: dict[int, str] | None = None) -> dict[str, Any]:
    """Apply the preview as ordinary assign actions; `overrides` are the dispatcher's changes
    (order id → technician username, or "" to leave an order out)."""
    overrides = overrides or {}
    wanted: dict[int, str] = {}
    for r in day_plan.routes:
        for v in r["visits"]:
            wanted[v["order"]] = r["technician"]
    # Changes apply only to orders this plan planned (never to another branch's orders).
    wanted.update({k: v for k, v in overrides.items() if k in wanted})
    assigned, unchanged, failed = [], 0, []
    orders = (
        WorkOrder.objects.filter(branch=day_plan.branch)
        .select_related("technician")
        .in_bulk(list(wanted))
    )
    for oid, tech in wanted.items():
        order = orders.get(oid)
        if order is None or not tech:
            continue
        if order.technician and order.technician.username == tech:
            unchanged += 1
            continue
        try:
            perform(oid, "assign", user, {"technician": tech, "note": "按日计划派单"})
        except DoorstepError as exc:
            failed.append({"number": order.number, "error": exc.message})
        else:
            assigned.append({"number": order.number, "technician": tech})
    DayPlan.objects.filter(pk=day_plan.pk).update(status=DayPlan.Status.APPLIED)
    return {"assigned": assigned, "unchanged": unchanged, "failed": failed}
