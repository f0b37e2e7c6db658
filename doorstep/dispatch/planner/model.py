"""The day planner's own input and output, independent of Django and of the solver.

The Django side turns orders and technicians into a :class:`PlanRequest`, and applies a
:class:`Plan` as ordinary assign actions. :meth:`Plan.violations` re-checks every hard rule from
the request alone, so a plan from any source (solver, greedy baseline, a dispatcher's edit) can be
trusted only after it passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .travel import Point, StraightLineTravel, TravelModel

GRADES = ("normal", "vip")


@dataclass(frozen=True)
class Job:
    """One visit to plan: a booked appointment or a bookable order.

    ``window_start``/``window_end`` bound when the work may start (the appointment the customer
    booked); ``None`` means "any time in the technician's shift". The deadline (restore or install
    clock) is soft: it is about when the work is *finished*.
    """

    id: str
    lat: float
    lng: float
    service_minutes: float
    window_start: datetime | None = None
    window_end: datetime | None = None
    deadline: datetime | None = None
    grade: str = "normal"
    required_skills: frozenset[str] = frozenset()
    fixed_technician: str | None = None
    kind: str = "repair"
    demand: int = 0
    required: bool = False
    branch: str = ""

    @property
    def point(self) -> Point:
        return (self.lat, self.lng)

    @property
    def booked(self) -> bool:
        return self.window_start is not None


@dataclass(frozen=True)
class Technician:
    """A technician's day: where they start and end, shift, lunch, skills.

    Lunch must start no earlier than ``lunch_start`` and end no later than ``lunch_end``; it is
    taken at one of ``lunch_spots`` (canteens, area centres), or at the start position if none
    are given.
    """

    username: str
    lat: float
    lng: float
    shift_start: datetime
    shift_end: datetime
    skills: frozenset[str] = frozenset()
    end_lat: float | None = None
    end_lng: float | None = None
    lunch_start: datetime | None = None
    lunch_end: datetime | None = None
    lunch_minutes: float = 0.0
    lunch_spots: tuple[Point, ...] = ()
    region_type: str = "urban"
    capacity: int | None = None
    branch: str = ""

    @property
    def start_point(self) -> Point:
        return (self.lat, self.lng)

    @property
    def end_point(self) -> Point:
        if self.end_lat is None or self.end_lng is None:
            return self.start_point
        return (self.end_lat, self.end_lng)

    @property
    def has_lunch(self) -> bool:
        return (
            self.lunch_minutes > 0 and self.lunch_start is not None and self.lunch_end is not None
        )

    @property
    def spots(self) -> tuple[Point, ...]:
        return self.lunch_spots or (self.start_point,)


def can_do(tech: Technician, job: Job) -> str | None:
    """Why ``tech`` may not do ``job`` regardless of time, or ``None`` if they may."""
    if job.fixed_technician is not None and job.fixed_technician != tech.username:
        return f"fixed to {job.fixed_technician}"
    missing = job.required_skills - tech.skills
    if missing:
        return "lacks skill " + ",".join(sorted(missing))
    if job.branch and tech.branch and job.branch != tech.branch:
        return f"branch {tech.branch} does not serve {job.branch}"
    if tech.capacity is not None and job.demand > tech.capacity:
        return "demand exceeds capacity"
    return None


def _grades(normal: float, vip: float) -> dict[str, float]:
    return {"normal": normal, "vip": vip}


@dataclass(frozen=True)
class CostSettings:
    """Soft costs, in km of travel they are worth (1 = as bad as driving one more km).

    "late" means starting after the booked window's start (what the customer experiences as
    lateness; the window end itself is hard). "breach" means finishing after the deadline.
    Tier breakpoints are minutes after the window start / the deadline at which the solver sees
    a new price step; see solve.py for why the cost is stepped.
    """

    unassigned_km: Mapping[str, float] = field(default_factory=lambda: _grades(60.0, 200.0))
    # A booked appointment left out breaks a promise and must be rebooked: far dearer.
    unassigned_booked_km: Mapping[str, float] = field(default_factory=lambda: _grades(200.0, 500.0))
    late_fixed_km: Mapping[str, float] = field(default_factory=lambda: _grades(4.0, 12.0))
    late_km_per_minute: Mapping[str, float] = field(default_factory=lambda: _grades(0.1, 0.3))
    breach_fixed_km: Mapping[str, float] = field(default_factory=lambda: _grades(15.0, 45.0))
    breach_km_per_minute: Mapping[str, float] = field(default_factory=lambda: _grades(0.1, 0.3))
    late_tier_minutes: tuple[float, ...] = (0.0,)
    breach_tier_minutes: tuple[float, ...] = (0.0, 60.0)
    deadline_risk_minutes: float = 30.0

    @classmethod
    def distance_only(cls) -> CostSettings:
        """Only travel counts (benchmarks such as Solomon)."""
        zero = _grades(0.0, 0.0)
        return cls(
            unassigned_km=_grades(1e6, 1e6),
            unassigned_booked_km=_grades(1e6, 1e6),
            late_fixed_km=zero,
            late_km_per_minute=zero,
            breach_fixed_km=zero,
            breach_km_per_minute=zero,
        )

    def late_cost(self, grade: str, minutes: float) -> float:
        if minutes <= 0:
            return 0.0
        return self.late_fixed_km[grade] + self.late_km_per_minute[grade] * minutes

    def breach_cost(self, grade: str, minutes: float) -> float:
        if minutes <= 0:
            return 0.0
        return self.breach_fixed_km[grade] + self.breach_km_per_minute[grade] * minutes


@dataclass(frozen=True)
class PlanRequest:
    """Everything needed to plan one branch's day.

    Times inside the solver are integers counted from ``day_start`` in
    ``time_units_per_minute``; distances in ``distance_units_per_km``. ``now`` (re-planning)
    forbids starting anything earlier.
    """

    jobs: tuple[Job, ...]
    technicians: tuple[Technician, ...]
    day_start: datetime
    travel: TravelModel = field(default_factory=StraightLineTravel)
    costs: CostSettings = field(default_factory=CostSettings)
    time_units_per_minute: int = 60
    distance_units_per_km: int = 1000
    now: datetime | None = None

    def job(self, job_id: str) -> Job:
        return self._jobs()[job_id]

    def technician(self, username: str) -> Technician:
        for t in self.technicians:
            if t.username == username:
                return t
        raise KeyError(username)

    def _jobs(self) -> dict[str, Job]:
        return {j.id: j for j in self.jobs}

    def available_from(self, tech: Technician) -> datetime:
        return tech.shift_start if self.now is None else max(tech.shift_start, self.now)

    def unplanned_cost(self, job: Job) -> float:
        """What leaving ``job`` out of today costs: its penalty plus the breach that follows,
        at least as long as until the end of the day. Counting the minutes matters for a job
        already overdue: without them, a breach days old made every visit dearer than leaving
        the job out, so the most overdue orders were never planned."""
        table = self.costs.unassigned_booked_km if job.booked else self.costs.unassigned_km
        cost = table[job.grade]
        horizon = max((t.shift_end for t in self.technicians), default=self.day_start)
        if job.deadline is not None and job.deadline <= horizon:
            overdue = (horizon - job.deadline).total_seconds() / 60
            cost += self.costs.breach_cost(job.grade, max(overdue, 0.001))
        return cost

    def lunch_due(self, tech: Technician) -> bool:
        """Lunch is owed if a whole lunch fits in its window within what is left of the shift."""
        span = self.lunch_span(tech)
        return span is not None

    def lunch_span(self, tech: Technician) -> tuple[datetime, datetime] | None:
        """Earliest lunch start and latest lunch end still possible, or None if none fits."""
        if not tech.has_lunch:
            return None
        assert tech.lunch_start is not None and tech.lunch_end is not None
        earliest = max(tech.lunch_start, self.available_from(tech))
        latest = min(tech.lunch_end, tech.shift_end)
        if earliest + timedelta(minutes=tech.lunch_minutes) > latest:
            return None
        return earliest, latest


@dataclass(frozen=True)
class PlannedVisit:
    job_id: str
    technician: str
    arrival: datetime
    start: datetime
    end: datetime
    window_start: datetime | None
    window_end: datetime | None
    deadline: datetime | None
    minutes_after_window_start: float  # the customer-facing lateness (soft)
    late_minutes: float  # after the window end: always 0 in a valid plan (windows are hard)
    deadline_at_risk: bool
    deadline_breached: bool
    travel_km_from_prev: float
    travel_minutes_from_prev: float


@dataclass(frozen=True)
class LunchBreak:
    start: datetime
    end: datetime
    lat: float
    lng: float
    after_visits: int  # how many of the route's visits come before lunch
    travel_km_from_prev: float
    travel_minutes_from_prev: float

    @property
    def point(self) -> Point:
        return (self.lat, self.lng)


@dataclass(frozen=True)
class Route:
    technician: str
    visits: tuple[PlannedVisit, ...]
    depart: datetime
    return_at: datetime
    total_travel_km: float
    total_travel_minutes: float
    lunch: LunchBreak | None = None
    return_km: float = 0.0

    def stops(self) -> list[PlannedVisit | LunchBreak]:
        """Visits and lunch in the order they happen."""
        out: list[PlannedVisit | LunchBreak] = list(self.visits)
        if self.lunch is not None:
            out.insert(self.lunch.after_visits, self.lunch)
        return out

    @property
    def deadlines_at_risk(self) -> list[str]:
        return [v.job_id for v in self.visits if v.deadline_at_risk]

    def explain(self) -> str:
        """A dispatcher-readable account: jobs, arrival against window, travel, risks."""

        def hm(t: datetime | None) -> str:
            return "--:--" if t is None else t.strftime("%H:%M")

        lines = [f"{self.technician}: leaves {hm(self.depart)}"]
        for s in self.stops():
            if isinstance(s, LunchBreak):
                km = s.travel_km_from_prev
                lines.append(f"  {hm(s.start)}-{hm(s.end)} lunch ({km:.1f} km to get there)")
                continue
            window = (
                "any time" if s.window_start is None else f"{hm(s.window_start)}-{hm(s.window_end)}"
            )
            status = "on time"
            if s.minutes_after_window_start > 0.5:
                status = f"{s.minutes_after_window_start:.0f} min after window start"
            risk = ""
            if s.deadline is not None:
                if s.deadline_breached:
                    risk = f"; BREACHES deadline {hm(s.deadline)}"
                elif s.deadline_at_risk:
                    risk = f"; deadline {hm(s.deadline)} at risk"
            lines.append(
                f"  {hm(s.arrival)} arrive {s.job_id} (window {window}), work {hm(s.start)}-"
                f"{hm(s.end)}, {status}, {s.travel_km_from_prev:.1f} km{risk}"
            )
        lines.append(
            f"  back {hm(self.return_at)}; {self.total_travel_km:.1f} km, "
            f"{self.total_travel_minutes:.0f} min driving"
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class Unassigned:
    job_id: str
    reason: str


@dataclass(frozen=True)
class Plan:
    request: PlanRequest = field(repr=False, compare=False)
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    objective: float  # same scale as CostSettings (km-equivalent); comparable across solvers
    solver: str = "pyvrp"
    solver_feasible: bool | None = None

    @property
    def travel_km(self) -> float:
        return sum(r.total_travel_km for r in self.routes)

    def visit(self, job_id: str) -> PlannedVisit | None:
        for r in self.routes:
            for v in r.visits:
                if v.job_id == job_id:
                    return v
        return None

    def visits(self) -> list[PlannedVisit]:
        return [v for r in self.routes for v in r.visits]

    def explain(self) -> str:
        parts = [r.explain() for r in self.routes]
        if self.unassigned:
            parts.append(
                "Not planned: " + "; ".join(f"{u.job_id} ({u.reason})" for u in self.unassigned)
            )
        return "\n".join(parts)

    def violations(self) -> list[str]:
        """Every hard rule this plan breaks, re-derived from the request (empty = valid).

        Checks: each job planned at most once and accounted for; skills, fixed technician,
        branch, capacity; start inside the booked window; travel time between consecutive stops
        respected; departure and return inside the shift; lunch taken, long enough, inside its
        window and not overlapping work or travel.
        """
        req = self.request
        jobs = req._jobs()
        techs = {t.username: t for t in req.technicians}
        travel = req.travel
        # Half a solver time unit plus float noise: schedules are integers in solver units.
        tol = timedelta(minutes=0.5 / req.time_units_per_minute) + timedelta(microseconds=2)
        out: list[str] = []

        seen: set[str] = set()
        for u in self.unassigned:
            if u.job_id not in jobs:
                out.append(f"unassigned job {u.job_id} is not in the request")
            elif jobs[u.job_id].required:
                out.append(f"required job {u.job_id} is not planned")
            if u.job_id in seen:
                out.append(f"job {u.job_id} listed twice")
            seen.add(u.job_id)

        route_techs: set[str] = set()
        for route in self.routes:
            tech = techs.get(route.technician)
            if tech is None:
                out.append(f"route for unknown technician {route.technician}")
                continue
            if route.technician in route_techs:
                out.append(f"technician {route.technician} has two routes")
            route_techs.add(route.technician)
            where = f"{tech.username}"
            load = 0
            pos = tech.start_point
            clock = route.depart
            if route.depart < req.available_from(tech) - tol:
                out.append(f"{where}: leaves {route.depart:%H:%M:%S} before shift/now")
            for stop in route.stops():
                if isinstance(stop, LunchBreak):
                    need = travel.minutes(pos, stop.point, tech.region_type)
                    if stop.start < clock + timedelta(minutes=need) - tol:
                        out.append(f"{where}: lunch starts before arriving at the lunch spot")
                    if not tech.has_lunch:
                        out.append(f"{where}: lunch planned but none due")
                    else:
                        assert tech.lunch_start is not None and tech.lunch_end is not None
                        if stop.start < tech.lunch_start - tol or stop.end > tech.lunch_end + tol:
                            out.append(
                                f"{where}: lunch {stop.start:%H:%M}-{stop.end:%H:%M} "
                                "outside its window"
                            )
                        if stop.end - stop.start < timedelta(minutes=tech.lunch_minutes) - tol:
                            out.append(f"{where}: lunch shorter than {tech.lunch_minutes} min")
                    clock, pos = stop.end, stop.point
                    continue
                job = jobs.get(stop.job_id)
                if job is None:
                    out.append(f"{where}: planned job {stop.job_id} is not in the request")
                    continue
                if stop.job_id in seen:
                    out.append(f"job {stop.job_id} planned twice or also unassigned")
                seen.add(stop.job_id)
                if stop.technician != tech.username:
                    out.append(f"{stop.job_id}: visit names {stop.technician}, route {where}")
                reason = can_do(tech, job)
                if reason is not None:
                    out.append(f"{stop.job_id} given to {where}: {reason}")
                load += job.demand
                need = travel.minutes(pos, job.point, tech.region_type)
                if stop.arrival < clock + timedelta(minutes=need) - tol:
                    out.append(f"{stop.job_id}: arrival faster than travel allows")
                if stop.start < stop.arrival - tol:
                    out.append(f"{stop.job_id}: starts before arriving")
                if job.window_start is not None and stop.start < job.window_start - tol:
                    out.append(f"{stop.job_id}: starts before its window")
                if job.window_end is not None and stop.start > job.window_end + tol:
                    out.append(f"{stop.job_id}: starts after its window")
                if req.now is not None and stop.start < req.now - tol:
                    out.append(f"{stop.job_id}: starts in the past")
                if stop.end - stop.start < timedelta(minutes=job.service_minutes) - tol:
                    out.append(f"{stop.job_id}: shorter than its service time")
                clock, pos = stop.end, job.point
            need = travel.minutes(pos, tech.end_point, tech.region_type)
            if route.return_at < clock + timedelta(minutes=need) - tol:
                out.append(f"{where}: returns faster than travel allows")
            if route.return_at > tech.shift_end + tol:
                out.append(f"{where}: returns {route.return_at:%H:%M} after shift end")
            if tech.capacity is not None and load > tech.capacity:
                out.append(f"{where}: load {load} over capacity {tech.capacity}")
            if req.lunch_due(tech) and route.visits and route.lunch is None:
                out.append(f"{where}: no lunch break")

        for job_id in jobs:
            if job_id not in seen:
                out.append(f"job {job_id} neither planned nor listed as unassigned")
        return out


@dataclass(frozen=True)
class MovedVisit:
    """A customer to tell: their visit moved, changed hands, or fell out of the plan."""

    job_id: str
    old_start: datetime
    new_start: datetime | None  # None: no longer planned today (rebook)
    old_technician: str
    new_technician: str | None

    @property
    def shift_minutes(self) -> float | None:
        if self.new_start is None:
            return None
        return (self.new_start - self.old_start).total_seconds() / 60.0


def moved_visits(old: Plan, new: Plan, threshold_minutes: float = 15.0) -> list[MovedVisit]:
    """Customers to tell: visits of ``old`` whose start moved more than ``threshold_minutes``
    in ``new``, that changed technician (a different person will call and come), or that
    ``new`` no longer plans. Jobs absent from ``new`` altogether (done, cancelled) are skipped.
    """
    new_jobs = {j.id for j in new.request.jobs}
    out: list[MovedVisit] = []
    for v in old.visits():
        if v.job_id not in new_jobs:
            continue
        nv = new.visit(v.job_id)
        if nv is None:
            out.append(MovedVisit(v.job_id, v.start, None, v.technician, None))
        elif (
            abs((nv.start - v.start).total_seconds()) > threshold_minutes * 60
            or nv.technician != v.technician
        ):
            out.append(MovedVisit(v.job_id, v.start, nv.start, v.technician, nv.technician))
    return out
