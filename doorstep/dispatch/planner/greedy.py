"""The by-hand baseline: how a dispatcher assigns orders without a planner.

Orders are taken earliest deadline first (window start breaks ties); each goes to the nearest
qualified technician whose day it still fits (window, shift, capacity, lunch). Also used as the
planner's starting solution, so the search never begins from something worse than by-hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from .model import Job, Plan, PlanRequest, Route, Technician, Unassigned, can_do
from .schedule import Clock, LunchStop, Stop, build_route, soft_cost, time_stops, unit_travel_for
from .travel import Point, TravelModel, UnitTravel


@dataclass
class _Day:
    tech: Technician
    stops: list[Stop] = field(default_factory=list)
    lunch: bool = False
    load: int = 0

    def position(self) -> Point:
        return self.stops[-1].point if self.stops else self.tech.start_point


def greedy_baseline(request: PlanRequest, travel: TravelModel | None = None) -> Plan:
    """Dispatch by hand: each order, earliest deadline first (window start breaks ties), goes to
    the nearest qualified technician whose day it still fits (window, shift, capacity, lunch).

    Lunch is taken where the technician is, at the first moment that keeps the next job in its
    window, or at the end of the day's work; that is slightly kinder than the planner, whose
    lunch is at a listed spot.
    """
    if travel is not None:
        request = replace(request, travel=travel)
    clock = Clock(request)
    ut = unit_travel_for(request)
    days = [_Day(t) for t in request.technicians]
    far = request.day_start + timedelta(days=2)

    def key(j: Job) -> tuple[datetime, datetime, str]:
        due = j.deadline or j.window_end or far
        return (due, j.window_start or request.day_start, j.id)

    unassigned: list[Unassigned] = []
    for job in sorted(request.jobs, key=key):
        best: tuple[float, _Day, list[Stop], bool] | None = None
        qualified = False
        for d in days:
            if can_do(d.tech, job) is not None:
                continue
            qualified = True
            if d.tech.capacity is not None and d.load + job.demand > d.tech.capacity:
                continue
            trial = _fit(request, clock, ut, d, job)
            if trial is None:
                continue
            km = ut.dist_km(d.position(), job.point)
            if best is None or km < best[0]:
                best = (km, d, trial[0], trial[1])
        if best is None:
            reason = "no room" if qualified else "no technician has the skills"
            unassigned.append(Unassigned(job.id, reason))
            continue
        _, d, stops, lunch = best
        d.stops, d.lunch = stops, lunch
        d.load += job.demand
    routes: list[Route] = []
    for d in days:
        if not any(isinstance(s, Job) for s in d.stops):
            continue
        if request.lunch_due(d.tech) and not d.lunch:
            d.stops.append(LunchStop(d.position()))
        routes.append(build_route(request, clock, ut, d.tech, d.stops))
    return Plan(
        request=request,
        routes=tuple(routes),
        unassigned=tuple(unassigned),
        objective=soft_cost(request, routes, [u.job_id for u in unassigned]),
        solver="greedy",
        solver_feasible=None,
    )


def _fit(
    request: PlanRequest, clock: Clock, ut: UnitTravel, d: _Day, job: Job
) -> tuple[list[Stop], bool] | None:
    """The technician's stops with ``job`` appended (lunch inserted if due), or None."""
    tech = d.tech
    options: list[tuple[list[Stop], bool]] = []
    if d.lunch or not request.lunch_due(tech):
        options.append(([*d.stops, job], d.lunch))
    else:
        # Lunch after this job if it still fits afterwards, else before it, where they are.
        options.append(([*d.stops, job, LunchStop(job.point)], True))
        options.append(([*d.stops, LunchStop(d.position()), job], True))
    for stops, lunch in options:
        timing = time_stops(request, clock, ut, tech, stops)
        if timing.ok:
            if lunch and not d.lunch and isinstance(stops[-1], LunchStop):
                # Keep lunch pending: only proved it *can* still follow.
                return stops[:-1], False
            return stops, lunch
    return None
