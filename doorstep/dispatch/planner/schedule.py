"""Timing a technician's sequence of stops, in the solver's integer units.

Shared by the PyVRP planner (to turn a solver route into real times) and the greedy baseline (to
test whether a job still fits), so both are judged on exactly the same clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .model import Job, LunchBreak, PlannedVisit, PlanRequest, Route, Technician
from .travel import Point, UnitTravel

INF = 1 << 60


@dataclass(frozen=True)
class LunchStop:
    point: Point


Stop = Job | LunchStop


class Clock:
    """Converts between datetimes and the request's integer time units."""

    def __init__(self, request: PlanRequest) -> None:
        self.origin = request.day_start
        self.tu = request.time_units_per_minute

    def units(self, t: datetime) -> int:
        return max(0, round((t - self.origin).total_seconds() * self.tu / 60.0))

    def minutes_units(self, minutes: float) -> int:
        return round(minutes * self.tu)

    def at(self, units: int) -> datetime:
        return self.origin + timedelta(minutes=units / self.tu)


def unit_travel_for(request: PlanRequest, extra: Sequence[Point] = ()) -> UnitTravel:
    points: list[Point] = []
    for t in request.technicians:
        points += [t.start_point, t.end_point, *t.spots]
    points += [j.point for j in request.jobs]
    points += list(extra)
    return UnitTravel(
        request.travel,
        points,
        [t.region_type for t in request.technicians] or ["urban"],
        request.time_units_per_minute,
        request.distance_units_per_km,
    )


@dataclass
class Timing:
    """Earliest-start schedule of a stop sequence; ``ok`` is whether every hard rule holds."""

    ok: bool
    starts: list[int]
    arrivals: list[int]
    ends: list[int]
    travel: list[int]  # travel time into each stop
    depart: int
    return_at: int
    return_travel: int


def time_stops(
    request: PlanRequest,
    clock: Clock,
    ut: UnitTravel,
    tech: Technician,
    stops: Sequence[Stop],
) -> Timing:
    rt = tech.region_type
    t0 = clock.units(request.available_from(tech))
    shift_end = clock.units(tech.shift_end)
    now = t0
    pos = tech.start_point
    ok = True
    starts: list[int] = []
    ends: list[int] = []
    travel: list[int] = []
    for s in stops:
        if isinstance(s, LunchStop):
            span = request.lunch_span(tech)
            if span is None:
                ok = False  # a lunch nobody owes cannot be scheduled
                span = (request.available_from(tech), request.available_from(tech))
            early = clock.units(span[0])
            service = clock.minutes_units(tech.lunch_minutes)
            late = clock.units(span[1]) - service
            point = s.point
        else:
            early = clock.units(s.window_start) if s.window_start is not None else 0
            late = clock.units(s.window_end) if s.window_end is not None else INF
            service = clock.minutes_units(s.service_minutes)
            point = s.point
        tt = ut.dur(pos, point, rt)
        arrive = now + tt
        start = max(arrive, early)
        if start > late:
            ok = False
        travel.append(tt)
        starts.append(start)
        ends.append(start + service)
        now = start + service
        pos = point
    back = ut.dur(pos, tech.end_point, rt)
    return_at = now + back
    if return_at > shift_end:
        ok = False
    # Leave as late as possible without delaying any stop: nobody wants a technician idling at
    # a customer's door for an hour, so any wait is spent before setting off.
    depart = t0
    if stops:
        depart = max(t0, starts[0] - travel[0])
    arrivals = list(starts)  # see above: waiting happens before setting off
    return Timing(ok, starts, arrivals, ends, travel, depart, return_at, back)


def build_route(
    request: PlanRequest,
    clock: Clock,
    ut: UnitTravel,
    tech: Technician,
    stops: Sequence[Stop],
    timing: Timing | None = None,
) -> Route:
    timing = timing or time_stops(request, clock, ut, tech, stops)
    costs = request.costs
    tu = clock.tu
    visits: list[PlannedVisit] = []
    lunch: LunchBreak | None = None
    total_km = 0.0
    total_units = 0
    pos = tech.start_point
    for i, s in enumerate(stops):
        km = ut.dist_km(pos, s.point)
        total_km += km
        total_units += timing.travel[i]
        if isinstance(s, LunchStop):
            lunch = LunchBreak(
                start=clock.at(timing.starts[i]),
                end=clock.at(timing.ends[i]),
                lat=s.point[0],
                lng=s.point[1],
                after_visits=len(visits),
                travel_km_from_prev=km,
                travel_minutes_from_prev=timing.travel[i] / tu,
            )
        else:
            start = clock.at(timing.starts[i])
            end = clock.at(timing.ends[i])
            after_ws = 0.0
            if s.window_start is not None:
                after_ws = max(0.0, (start - s.window_start).total_seconds() / 60.0)
            late = 0.0
            if s.window_end is not None:
                late = max(0.0, (start - s.window_end).total_seconds() / 60.0)
            breached = s.deadline is not None and end > s.deadline
            at_risk = s.deadline is not None and (
                end > s.deadline - timedelta(minutes=costs.deadline_risk_minutes)
            )
            visits.append(
                PlannedVisit(
                    job_id=s.id,
                    technician=tech.username,
                    arrival=clock.at(timing.arrivals[i]),
                    start=start,
                    end=end,
                    window_start=s.window_start,
                    window_end=s.window_end,
                    deadline=s.deadline,
                    minutes_after_window_start=after_ws,
                    late_minutes=late,
                    deadline_at_risk=at_risk,
                    deadline_breached=breached,
                    travel_km_from_prev=km,
                    travel_minutes_from_prev=timing.travel[i] / tu,
                )
            )
        pos = s.point
    back_km = ut.dist_km(pos, tech.end_point)
    total_km += back_km
    total_units += timing.return_travel
    return Route(
        technician=tech.username,
        visits=tuple(visits),
        depart=clock.at(timing.depart),
        return_at=clock.at(timing.return_at),
        total_travel_km=total_km,
        total_travel_minutes=total_units / tu,
        lunch=lunch,
        return_km=back_km,
    )


def soft_cost(
    request: PlanRequest, routes: Sequence[Route], unassigned_ids: Sequence[str]
) -> float:
    """The plan's true objective (km-equivalent): travel, lateness, breaches, unplanned jobs.

    Evaluated exactly (not the solver's stepped approximation), so plans from different solvers
    compare on the same scale.
    """
    costs = request.costs
    jobs = request._jobs()
    total = sum(r.total_travel_km for r in routes)
    for r in routes:
        for v in r.visits:
            grade = jobs[v.job_id].grade
            total += costs.late_cost(grade, v.minutes_after_window_start)
            if v.deadline is not None:
                over = (v.end - v.deadline).total_seconds() / 60.0
                total += costs.breach_cost(grade, over)
    for job_id in unassigned_ids:
        total += request.unplanned_cost(jobs[job_id])
    return total if math.isfinite(total) else float("inf")
