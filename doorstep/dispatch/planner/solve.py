"""Plan a day with PyVRP: jobs, technicians, skills, shifts, lunch, soft deadlines.

How the field rules map onto PyVRP 0.14, which knows none of them by name:

* Shift: each technician is a vehicle type (``num_available=1``) with ``tw_early``/``tw_late`` =
  shift start/end and start/end depots at their own positions. Identical technicians without
  lunch (e.g. Solomon's fleet) share one vehicle type, which is what PyVRP is tuned for.
* Skills (also fixed technician, branch, capacity, and "cannot reach it in time"): each vehicle
  type gets a routing profile in which the distance *and* duration to and from every job it may
  not do are prohibitive (``FORBIDDEN``), the way PyVRP's own reader encodes VRPLIB "allowed
  clients". The duration makes such a visit time-warp, i.e. infeasible rather than merely dear.
  Limit: one profile per distinct technician, so memory grows as technicians x locations^2
  (25 x 450^2 is ~80 MB). Every returned route is re-timed, repaired if the solver found nothing
  feasible in time (jobs dropped, never rules broken), and :meth:`Plan.violations` re-checks.
* Booked window: a hard client time window on the *start* of work.
* Soft lateness (starting after the window start) and soft deadlines: PyVRP has only hard
  windows, so such a job becomes a mutually exclusive client group of copies at one location,
  one per price tier: copy k may start until breakpoint k and earns ``prize = unplanned cost -
  cost of tier k``. The solver visits at most one copy, so it pays a tier's cost exactly when
  the job starts in that tier. Limits: the cost is stepped (each tier charged at its midpoint,
  fixed parts exact), and each copy is one more client (2-4 per job), which slows the search.
* Unassigned: ``required=False`` with prize = penalty by grade (dearer for booked appointments),
  plus the breach the job then suffers if its deadline falls within the day.
* Lunch: per technician, a required group of "lunch" clients, one per lunch spot (area centres,
  home), reachable only through that technician's profile; window = lunch window less its
  length, service = its length. Limit: lunch is taken at a listed spot, a small detour, not
  wherever the technician happens to be.

ProblemData is built directly from numpy matrices rather than with ``pyvrp.Model`` edge by edge:
per-profile matrices would be millions of Python ``Edge`` objects.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyvrp
from pyvrp import ActivityType, Client, ClientGroup, Depot, Location, ProblemData, VehicleType
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxRuntime

from .model import (
    Job,
    LunchBreak,
    MovedVisit,
    Plan,
    PlannedVisit,
    PlanRequest,
    Route,
    Technician,
    Unassigned,
    can_do,
    moved_visits,
)
from .schedule import INF, Clock, LunchStop, Stop, build_route, soft_cost, time_stops
from .schedule import unit_travel_for as _unit_travel
from .travel import Point, UnitTravel

# Distance and duration of an edge a technician may not use. Far beyond any day (so it always
# time-warps) yet far below PyVRP's MAX_VALUE (2**44): with MAX_VALUE, PyVRP's penalised costs
# overflow int64 and its local search was seen to loop forever on a 200-job day.
FORBIDDEN = 10**9


@dataclass(frozen=True)
class _Ref:
    job: Job | None
    tech: Technician | None  # lunch owner
    point: Point


@dataclass
class Built:
    """A request translated for PyVRP, plus what is needed to translate the answer back."""

    request: PlanRequest
    data: ProblemData
    refs: list[_Ref]  # per PyVRP client index
    type_techs: list[list[Technician]]  # per vehicle type index
    excluded: list[Unassigned]  # jobs no technician can possibly do
    clock: Clock
    ut: UnitTravel
    job_clients: dict[str, list[tuple[int, int]]]  # job id -> (client, latest start) per tier
    lunch_clients: dict[str, list[int]]  # username -> lunch clients, one per spot
    tech_type: dict[str, int]  # username -> vehicle type


def _reach_reason(
    request: PlanRequest, clock: Clock, ut: UnitTravel, tech: Technician, job: Job
) -> str | None:
    t0 = clock.units(request.available_from(tech))
    early = clock.units(job.window_start) if job.window_start is not None else 0
    late = clock.units(job.window_end) if job.window_end is not None else INF
    start = max(t0 + ut.dur(tech.start_point, job.point, tech.region_type), early)
    if start > late:
        return "no qualified technician can get there within its window"
    end = start + clock.minutes_units(job.service_minutes)
    if end + ut.dur(job.point, tech.end_point, tech.region_type) > clock.units(tech.shift_end):
        return "does not fit in any qualified technician's shift"
    return None


def _tiers(
    request: PlanRequest, clock: Clock, job: Job, early: int, late: int, horizon: int
) -> list[tuple[int, float]]:
    """(latest start, cost in km) per price tier, cheapest first; see module docstring."""
    costs = request.costs
    tu = clock.tu
    grade = job.grade
    service = clock.minutes_units(job.service_minutes)
    bps = {late}
    ws = clock.units(job.window_start) if job.window_start is not None else None
    if ws is not None and (costs.late_fixed_km[grade] > 0 or costs.late_km_per_minute[grade] > 0):
        for m in costs.late_tier_minutes:
            b = ws + clock.minutes_units(m)
            if early <= b < late:
                bps.add(b)
    dl = None
    if job.deadline is not None and (
        costs.breach_fixed_km[grade] > 0 or costs.breach_km_per_minute[grade] > 0
    ):
        dl = clock.units(job.deadline) - service  # latest start that still finishes in time
        for m in costs.breach_tier_minutes:
            b = dl + clock.minutes_units(m)
            if early <= b < late:
                bps.add(b)
    out: list[tuple[int, float]] = []
    lo = early
    for i, hi in enumerate(sorted(bps)):
        # A tier (lo, hi] is charged at its midpoint; the first tier [early, hi] starting at
        # its lowest breakpoint is charged at ``early`` when it is a single instant.
        top = min(hi, max(horizon, lo))
        rep = early if (i == 0 and hi == early) else (lo + top) / 2
        cost = 0.0
        if ws is not None:
            cost += costs.late_cost(grade, (rep - ws) / tu)
        if dl is not None:
            cost += costs.breach_cost(grade, (rep - dl) / tu)
        out.append((hi, cost))
        lo = hi
    return out


def build(request: PlanRequest) -> Built:
    clock = Clock(request)
    ut = _unit_travel(request)
    techs = list(request.technicians)
    du = request.distance_units_per_km

    # Which technician may do which job: rules first, then whether it is reachable at all.
    eligible: dict[str, list[int]] = {}
    excluded: list[Unassigned] = []
    for job in request.jobs:
        ok: list[int] = []
        reasons: list[str] = []
        for ti, tech in enumerate(techs):
            reason = can_do(tech, job) or _reach_reason(request, clock, ut, tech, job)
            if reason is None:
                ok.append(ti)
            else:
                reasons.append(reason)
        if ok:
            eligible[job.id] = ok
        else:
            reason = "no technicians" if not reasons else max(set(reasons), key=reasons.count)
            excluded.append(Unassigned(job.id, reason))
    jobs = [j for j in request.jobs if j.id in eligible]

    # Locations: depots, one per job, one per (technician, lunch spot).
    points: list[Point] = []
    depot_of: dict[Point, int] = {}
    for tech in techs:
        for p in (tech.start_point, tech.end_point):
            if p not in depot_of:
                depot_of[p] = len(points)
                points.append(p)
    num_depots = len(points)
    job_loc: dict[str, int] = {}
    for job in jobs:
        job_loc[job.id] = len(points)
        points.append(job.point)
    lunch_locs: dict[str, list[int]] = {}
    for tech in techs:
        if request.lunch_due(tech):
            lunch_locs[tech.username] = []
            for p in tech.spots:
                lunch_locs[tech.username].append(len(points))
                points.append(p)
    pidx = np.array([ut.idx(p) for p in points], dtype=np.int64)
    grid = np.ix_(pidx, pidx)
    base_dist = ut.distance[grid]
    base_dur = {rt: m[grid] for rt, m in ut.duration.items()}

    # Vehicle types and their profiles (allowed locations).
    allowed_jobs: dict[int, list[int]] = {ti: [] for ti in range(len(techs))}
    for job in jobs:
        for ti in eligible[job.id]:
            allowed_jobs[ti].append(job_loc[job.id])
    groups_by_key: dict[tuple[object, ...], list[int]] = {}
    for ti, tech in enumerate(techs):
        if tech.username in lunch_locs:
            key: tuple[object, ...] = ("own", tech.username)
        else:
            key = (
                tech.start_point,
                tech.end_point,
                request.available_from(tech),
                tech.shift_end,
                tech.capacity,
                tech.region_type,
                tuple(allowed_jobs[ti]),
            )
        groups_by_key.setdefault(key, []).append(ti)

    use_load = any(j.demand for j in jobs) or any(t.capacity is not None for t in techs)
    big_capacity = sum(j.demand for j in jobs) + 1

    profile_key: dict[tuple[object, ...], int] = {}
    dist_mats: list[Any] = []  # PyVRP's stubs type these oddly; they are int64 matrices
    dur_mats: list[Any] = []
    vehicle_types: list[VehicleType] = []
    type_techs: list[list[Technician]] = []
    for members in groups_by_key.values():
        tech = techs[members[0]]
        allowed = np.zeros(len(points), dtype=bool)
        allowed[:num_depots] = True
        allowed[allowed_jobs[members[0]]] = True
        allowed[lunch_locs.get(tech.username, [])] = True
        pkey = (tech.region_type, allowed.tobytes())
        if pkey not in profile_key:
            dist = base_dist.copy()
            dur = base_dur[tech.region_type].copy()
            if not allowed.all():
                for mat in (dist, dur):
                    mat[:, ~allowed] = FORBIDDEN
                    mat[~allowed, :] = FORBIDDEN
                    np.fill_diagonal(mat, 0)
            profile_key[pkey] = len(dist_mats)
            dist_mats.append(dist)
            dur_mats.append(dur)
        cap = tech.capacity if tech.capacity is not None else big_capacity
        vehicle_types.append(
            VehicleType(
                num_available=len(members),
                capacity=[cap] if use_load else [],
                start_depot=depot_of[tech.start_point],
                end_depot=depot_of[tech.end_point],
                tw_early=clock.units(request.available_from(tech)),
                tw_late=clock.units(tech.shift_end),
                profile=profile_key[pkey],
                name=",".join(techs[i].username for i in members),
            )
        )
        type_techs.append([techs[i] for i in members])

    horizon = max((clock.units(t.shift_end) for t in techs), default=0)
    clients: list[Client] = []
    groups: list[ClientGroup] = []
    refs: list[_Ref] = []
    job_clients: dict[str, list[tuple[int, int]]] = {}
    lunch_clients: dict[str, list[int]] = {}

    def add_client(
        loc: int,
        ref: _Ref,
        service: int,
        early: int,
        late: int,
        prize: int,
        required: bool,
        group: int | None,
        demand: int,
        name: str,
    ) -> None:
        if group is not None:
            groups[group].add_client(len(clients))
        if ref.job is not None:
            job_clients.setdefault(ref.job.id, []).append((len(clients), late))
        elif ref.tech is not None:
            lunch_clients.setdefault(ref.tech.username, []).append(len(clients))
        clients.append(
            Client(
                location=loc,
                delivery=[demand] if use_load else [],
                pickup=[0] if use_load else [],
                service_duration=service,
                tw_early=early,
                tw_late=late,
                prize=prize,
                required=required,
                group=group,
                name=name,
            )
        )
        refs.append(ref)

    for job in jobs:
        early = clock.units(job.window_start) if job.window_start is not None else 0
        late = clock.units(job.window_end) if job.window_end is not None else horizon
        service = clock.minutes_units(job.service_minutes)
        tiers = _tiers(request, clock, job, early, late, horizon)
        penalty = request.unplanned_cost(job)
        if not job.required:
            tiers = [(b, c) for b, c in tiers if c < penalty] or tiers[:1]
        ref = _Ref(job, None, job.point)
        if len(tiers) == 1:
            prize = 0 if job.required else max(1, round((penalty - tiers[0][1]) * du))
            add_client(
                loc=job_loc[job.id],
                ref=ref,
                service=service,
                early=early,
                late=tiers[0][0],
                prize=prize,
                required=job.required,
                group=None,
                demand=job.demand,
                name=job.id,
            )
            continue
        groups.append(ClientGroup(required=job.required, name=job.id))
        gi = len(groups) - 1
        top = max(penalty, max(c for _, c in tiers) + 1.0)
        for k, (bound, cost) in enumerate(tiers):
            add_client(
                loc=job_loc[job.id],
                ref=ref,
                service=service,
                early=early,
                late=bound,
                prize=round((top - cost) * du),
                required=False,
                group=gi,
                demand=job.demand,
                name=f"{job.id}#{k}",
            )

    for tech in techs:
        if tech.username not in lunch_locs:
            continue
        span = request.lunch_span(tech)
        assert span is not None
        service = clock.minutes_units(tech.lunch_minutes)
        early = clock.units(span[0])
        late = max(early, clock.units(span[1]) - service)
        locs = lunch_locs[tech.username]
        lunch_group: int | None = None
        if len(locs) > 1:
            groups.append(ClientGroup(required=True, name=f"lunch:{tech.username}"))
            lunch_group = len(groups) - 1
        for loc in locs:
            add_client(
                loc=loc,
                ref=_Ref(None, tech, points[loc]),
                service=service,
                early=early,
                late=late,
                prize=0,
                required=lunch_group is None,
                group=lunch_group,
                demand=0,
                name=f"lunch:{tech.username}",
            )

    data = ProblemData(
        locations=[Location(x=p[1], y=p[0]) for p in points],
        clients=clients,
        depots=[Depot(location=i) for i in range(num_depots)],
        vehicle_types=vehicle_types,
        distance_matrices=dist_mats,
        duration_matrices=dur_mats,
        groups=groups,
    )
    tech_type = {t.username: k for k, members in enumerate(type_techs) for t in members}
    return Built(
        request, data, refs, type_techs, excluded, clock, ut, job_clients, lunch_clients, tech_type
    )


def _repair(built: Built, tech: Technician, stops: list[Stop]) -> list[Stop]:
    """Make a route obey every hard rule by dropping jobs, should the solver return an
    infeasible one (it does when it found nothing feasible in time). Feasible routes pass
    through unchanged; a route that cannot be saved becomes empty.
    """
    request, clock, ut = built.request, built.clock, built.ut

    def ok(seq: list[Stop]) -> bool:
        load = sum(s.demand for s in seq if isinstance(s, Job))
        if tech.capacity is not None and load > tech.capacity:
            return False
        if request.lunch_due(tech) and not any(isinstance(s, LunchStop) for s in seq):
            return False
        return time_stops(request, clock, ut, tech, seq).ok

    if ok(stops):
        return stops
    due = request.lunch_due(tech)
    lunch = next((s for s in stops if isinstance(s, LunchStop)), None) if due else None
    if due and lunch is None:
        return []
    # Keep jobs in the solver's order while the route, with lunch still to come, stays valid.
    tail: list[Stop] = [lunch] if lunch is not None else []
    kept: list[Stop] = []
    for s in stops:
        if isinstance(s, LunchStop):
            if s is lunch:
                kept.append(s)
                tail = []
            continue
        if ok([*kept, s, *tail]):
            kept.append(s)
    return kept if ok(kept) else []


def plan_to_solution(built: Built, plan: Plan) -> pyvrp.Solution:
    """Express an existing plan (e.g. the greedy one) as a PyVRP solution, to start from it.

    Each job uses the cheapest tier copy whose window admits its planned start; lunch uses the
    technician's spot nearest to where the plan had it. The result may be infeasible (lunch
    moved to a spot); the search repairs that.
    """
    clock, data = built.clock, built.data
    routes: list[pyvrp.Route] = []
    used: set[str] = set()
    for route in plan.routes:
        vt = built.tech_type.get(route.technician)
        if vt is None:
            continue
        visits: list[int] = []
        for stop in route.stops():
            if isinstance(stop, LunchBreak):
                spots = built.lunch_clients.get(route.technician, [])
                if spots:
                    visits.append(min(spots, key=lambda c: _sq(built.refs[c].point, stop.point)))
                continue
            tiers = built.job_clients.get(stop.job_id)
            if not tiers:
                continue
            start = clock.units(stop.start)
            fits = [c for c, bound in tiers if bound >= start]
            visits.append(fits[0] if fits else tiers[-1][0])
        routes.append(pyvrp.Route(data, [_client(c) for c in visits], vt))
        used.add(route.technician)
    for username, spots in built.lunch_clients.items():
        if username not in used:  # an idle technician still owes the required lunch visit
            routes.append(pyvrp.Route(data, [_client(spots[0])], built.tech_type[username]))
    return pyvrp.Solution(data, routes)


def _client(idx: int) -> pyvrp.Activity:
    return pyvrp.Activity(ActivityType.CLIENT, idx)


def _sq(a: Point, b: Point) -> float:
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2


def solution_to_plan(built: Built, solution: pyvrp.Solution, solver: str = "pyvrp") -> Plan:
    request = built.request
    cursor = [0] * len(built.type_techs)
    by_tech: dict[str, Route] = {}
    for r in solution.routes():
        vt = r.vehicle_type()
        tech = built.type_techs[vt][cursor[vt]]
        cursor[vt] += 1
        stops: list[Stop] = []
        for act in r.schedule():
            if act.type != ActivityType.CLIENT:
                continue
            ref = built.refs[act.idx]
            stops.append(ref.job if ref.job is not None else LunchStop(ref.point))
        stops = _repair(built, tech, stops)
        if not any(isinstance(s, Job) for s in stops):
            continue  # an idle technician: nothing to dispatch
        by_tech[tech.username] = build_route(request, built.clock, built.ut, tech, stops)
    routes = tuple(by_tech[t.username] for t in request.technicians if t.username in by_tech)
    planned = {v.job_id for r in routes for v in r.visits}
    excluded = {u.job_id: u for u in built.excluded}
    unassigned: list[Unassigned] = []
    for job in request.jobs:
        if job.id in planned:
            continue
        unassigned.append(
            excluded.get(job.id)
            or Unassigned(job.id, "no qualified technician has room for it in the plan")
        )
    return Plan(
        request=request,
        routes=routes,
        unassigned=tuple(unassigned),
        objective=soft_cost(request, routes, [u.job_id for u in unassigned]),
        solver=solver,
        solver_feasible=solution.is_feasible(),
    )


Progress = Callable[[float], None]


class _Budget:
    """PyVRP's MaxRuntime that also tells `report` what share of the whole day's budget is
    spent. PyVRP calls its stopping criterion once per iteration, so `report` must be cheap
    (the day-plan job throttles its writes)."""

    def __init__(self, seconds: float, report: Progress | None, before: float, total: float):
        self._stop = MaxRuntime(seconds)
        self._report = report
        self._before = before
        self._total = total or 1.0
        self._start = time.perf_counter()

    def __call__(self, best_cost: int) -> bool:
        if self._report is not None:
            spent = self._before + time.perf_counter() - self._start
            self._report(min(1.0, spent / self._total))
        return bool(self._stop(best_cost))


def plan_day(
    request: PlanRequest,
    seconds: float = 10.0,
    seed: int = 0,
    params: pyvrp.SolveParams | None = None,
    warm_start: Plan | None = None,
    use_greedy_start: bool = True,
    progress: Progress | None = None,
) -> Plan:
    """Plan ``request`` with PyVRP for ``seconds`` of search (deterministic per seed).

    Parts of the day no technician links (e.g. two branches planned together) are solved as
    separate problems, each given a share of the time by size: the search scales worse than
    linearly, so two half-size problems get much further than one.

    Each search starts from ``warm_start`` if given, else from the greedy by-hand plan (cheap,
    and it spares a large day the random start PyVRP would otherwise spend seconds repairing),
    unless ``use_greedy_start`` is off.

    ``progress``, if given, is called during the search with the share (0–1) of ``seconds``
    spent so far.
    """
    parts, orphans = split(request)
    if len(parts) <= 1 and not orphans:
        return _plan_part(
            request,
            seconds,
            seed,
            params,
            warm_start,
            use_greedy_start,
            _Budget(seconds, progress, 0.0, seconds),
        )
    total = sum(len(p.jobs) + len(p.technicians) for p in parts) or 1
    plans = []
    before = 0.0
    for part in parts:
        share = seconds * (len(part.jobs) + len(part.technicians)) / total
        budget = _Budget(share, progress, before, seconds)
        plans.append(_plan_part(part, share, seed, params, warm_start, use_greedy_start, budget))
        before += share
    by_tech = {r.technician: r for p in plans for r in p.routes}
    routes = tuple(by_tech[t.username] for t in request.technicians if t.username in by_tech)
    unassigned = [u for p in plans for u in p.unassigned] + orphans
    order = {j.id: i for i, j in enumerate(request.jobs)}
    unassigned.sort(key=lambda u: order[u.job_id])
    return Plan(
        request=request,
        routes=routes,
        unassigned=tuple(unassigned),
        objective=soft_cost(request, routes, [u.job_id for u in unassigned]),
        solver="pyvrp",
        solver_feasible=all(p.solver_feasible is not False for p in plans),
    )


def split(request: PlanRequest) -> tuple[list[PlanRequest], list[Unassigned]]:
    """Independent sub-problems: technicians linked through jobs they could both do.

    Returns the parts (in technician order) and the jobs nobody may do at all.
    """
    techs = list(request.technicians)
    parent = list(range(len(techs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    job_owner: dict[str, int] = {}
    orphans: list[Unassigned] = []
    for job in request.jobs:
        able = [i for i, t in enumerate(techs) if can_do(t, job) is None]
        if not able:
            reasons = [r for t in techs if (r := can_do(t, job)) is not None]
            reason = max(set(reasons), key=reasons.count) if reasons else "no technicians"
            orphans.append(Unassigned(job.id, f"no technician may do it ({reason})"))
            continue
        for i in able[1:]:
            parent[root(i)] = root(able[0])
        job_owner[job.id] = able[0]
    groups: dict[int, list[int]] = {}
    for i in range(len(techs)):
        groups.setdefault(root(i), []).append(i)
    parts: list[PlanRequest] = []
    for members in groups.values():
        here = root(members[0])
        part_jobs = tuple(
            j for j in request.jobs if j.id in job_owner and root(job_owner[j.id]) == here
        )
        parts.append(replace(request, jobs=part_jobs, technicians=tuple(techs[i] for i in members)))
    return parts, orphans


def _plan_part(
    request: PlanRequest,
    seconds: float,
    seed: int,
    params: pyvrp.SolveParams | None,
    warm_start: Plan | None,
    use_greedy_start: bool,
    stop: _Budget | None = None,
) -> Plan:
    built = build(request)
    if built.data.num_clients == 0:
        return solution_to_plan(built, pyvrp.Solution(built.data, []))
    if warm_start is None and use_greedy_start:
        from .greedy import greedy_baseline  # greedy needs nothing from here; keep it lazy

        warm_start = greedy_baseline(request)
    initial = plan_to_solution(built, warm_start) if warm_start is not None else None
    with warnings.catch_warnings():
        # PyVRP warns when its penalties hit their bound on hard days; feasibility is checked
        # below and by Plan.violations, so the warning would only be noise for callers.
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = pyvrp.solve(
            built.data,
            stop=stop or MaxRuntime(seconds),
            seed=seed,
            collect_stats=False,
            display=False,
            params=params or pyvrp.SolveParams(),
            initial_solution=initial,
        )
    return solution_to_plan(built, result.best)


# --- re-planning during the day ---------------------------------------------------------------


@dataclass(frozen=True)
class Replan:
    plan: Plan
    moved: tuple[MovedVisit, ...]  # customers to tell
    in_progress: tuple[PlannedVisit, ...]  # kept where they are (times as now expected)
    done: tuple[str, ...]


def _progress(
    route: Route, now: datetime, extend: Mapping[str, float]
) -> list[tuple[PlannedVisit | LunchBreak, datetime, datetime]]:
    """Stops that have started by ``now``, with their expected (possibly extended) times.

    Delays ripple: a visit that runs long pushes the following stop's start by the overrun the
    waiting time could not absorb, so that stop may not have started yet after all.
    """
    started: list[tuple[PlannedVisit | LunchBreak, datetime, datetime]] = []
    delay = timedelta(0)
    prev_planned_end = route.depart
    for stop in route.stops():
        slack = stop.start - (prev_planned_end + timedelta(minutes=stop.travel_minutes_from_prev))
        delay = max(timedelta(0), delay - max(slack, timedelta(0)))
        start = stop.start + delay
        if start > now:
            break
        extra = 0.0
        if isinstance(stop, PlannedVisit):
            extra = extend.get(stop.job_id, 0.0)
        end = stop.end + delay + timedelta(minutes=extra)
        started.append((stop, start, end))
        delay += timedelta(minutes=extra)
        prev_planned_end = stop.end
    return started


def replan(
    previous: Plan,
    now: datetime,
    *,
    off_sick: Iterable[str] = (),
    extend_minutes: Mapping[str, float] | None = None,
    new_jobs: Sequence[Job] = (),
    cancelled: Iterable[str] = (),
    seconds: float = 5.0,
    seed: int = 0,
    notify_threshold_minutes: float = 15.0,
) -> Replan:
    """Re-plan the rest of the day from ``now``.

    Visits already finished are dropped; visits under way stay with their technician, who
    becomes free where and when that visit (extended by ``extend_minutes``) ends. Technicians in
    ``off_sick`` are removed and all their unfinished work, even a visit under way, goes back to
    the pool. Everything not started is planned again, and :func:`moved_visits` lists the
    customers whose time moved by more than ``notify_threshold_minutes``.
    """
    req = previous.request
    extend = dict(extend_minutes or {})
    sick = set(off_sick)
    gone = set(cancelled)
    done: list[str] = []
    in_progress: list[PlannedVisit] = []
    new_techs: list[Technician] = []
    routes = {r.technician: r for r in previous.routes}
    for tech in req.technicians:
        route = routes.get(tech.username)
        free_at = max(now, req.available_from(tech))
        pos = tech.start_point
        lunch_taken = False
        for stop, start, end in _progress(route, now, extend) if route is not None else []:
            if isinstance(stop, LunchBreak):
                lunch_taken = True
            elif end <= now:
                done.append(stop.job_id)
            elif tech.username not in sick:
                in_progress.append(replace(stop, start=start, end=end))
            # else: the sick technician's unfinished visit goes back to the pool
            free_at = max(free_at, end)
            pos = stop.point if isinstance(stop, LunchBreak) else req.job(stop.job_id).point
        if tech.username in sick:
            continue
        changes: dict[str, object] = {
            "lat": pos[0],
            "lng": pos[1],
            "end_lat": tech.end_point[0],
            "end_lng": tech.end_point[1],
            "shift_start": max(tech.shift_start, free_at),
        }
        if lunch_taken:
            changes["lunch_minutes"] = 0.0
        elif tech.has_lunch:
            assert tech.lunch_start is not None and tech.lunch_end is not None
            # A lunch pushed out of its window by the day's events is taken late, not skipped.
            ls = max(tech.lunch_start, free_at)
            changes["lunch_start"] = ls
            changes["lunch_end"] = max(tech.lunch_end, ls + timedelta(minutes=tech.lunch_minutes))
        if free_at >= tech.shift_end:
            continue
        new_techs.append(replace(tech, **changes))  # type: ignore[arg-type]

    locked = {v.job_id for v in in_progress} | set(done) | gone
    pool = [j for j in req.jobs if j.id not in locked] + list(new_jobs)
    new_request = replace(req, jobs=tuple(pool), technicians=tuple(new_techs), now=now)
    plan = plan_day(new_request, seconds=seconds, seed=seed)
    moved = moved_visits(previous, plan, notify_threshold_minutes)
    return Replan(plan, tuple(moved), tuple(in_progress), tuple(done))
