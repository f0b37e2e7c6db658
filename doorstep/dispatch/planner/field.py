"""Field-service benchmark: a seeded, reproducible busy day in the demo city, and its scoring.

The planner and the by-hand greedy baseline (greedy.py) are scored by :func:`evaluate` on the
same clock and the same hard rules.

"Late" is counted against the booked window's *start*: that is the appointment the customer
waits for (the arrival clock), even though a start anywhere in the window is allowed.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from doorstep.core.city import REGIONS, Area, Region

from .model import Job, Plan, PlanRequest, Technician
from .travel import Point, StraightLineTravel, TravelModel

CST = timezone(timedelta(hours=8), "CST")  # China has one zone and no DST
SKILLS = ("broadband", "iptv", "fixed_line", "fiber_splice", "appliance")
# Share of technicians with each skill besides broadband, which everyone has.
SKILL_SHARE = {"iptv": 0.7, "fixed_line": 0.5, "fiber_splice": 0.3, "appliance": 0.35}

# kind, required skills, service minutes (low, high), relative frequency
JOB_TYPES: tuple[tuple[str, frozenset[str], tuple[int, int], int], ...] = (
    ("install", frozenset({"broadband"}), (45, 70), 18),
    ("install", frozenset({"broadband", "iptv"}), (55, 80), 9),
    ("install", frozenset({"iptv"}), (30, 45), 7),
    ("install", frozenset({"fixed_line"}), (30, 45), 4),
    ("repair", frozenset({"broadband"}), (20, 45), 28),
    ("repair", frozenset({"iptv"}), (20, 40), 12),
    ("repair", frozenset({"fixed_line"}), (20, 40), 8),
    ("repair", frozenset({"fiber_splice"}), (40, 70), 7),
    ("repair", frozenset({"appliance"}), (20, 40), 7),
)


def _point_in(area: Area, rng: random.Random) -> Point:
    r = area.radius_km * math.sqrt(rng.random())
    theta = rng.uniform(0, 2 * math.pi)
    dlat = r * math.sin(theta) / 110.574
    dlng = r * math.cos(theta) / (111.320 * math.cos(math.radians(area.lat)))
    return (round(area.lat + dlat, 6), round(area.lng + dlng, 6))


def _at(day: date, hour: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=CST) + timedelta(hours=hour)


def field_instance(
    seed: int = 1,
    orders: int = 200,
    technicians: int = 25,
    day: date = date(2025, 6, 10),
    travel: TravelModel | None = None,
) -> PlanRequest:
    """A reproducible busy day over both branches of the demo city.

    Technicians and orders are split 60/40 between the urban and township branch (orders ~70/30:
    the city is denser). Most orders are booked into 1-2 h windows; a quarter are repairs
    bookable any time but carrying a restore deadline; some customers are VIP.
    """
    rng = random.Random(seed)
    n_urban_t = round(technicians * 0.6)
    n_urban_o = round(orders * 0.7)
    techs: list[Technician] = []
    jobs: list[Job] = []
    for region, n_t, n_o in (
        (REGIONS[0], n_urban_t, n_urban_o),
        (REGIONS[1], technicians - n_urban_t, orders - n_urban_o),
    ):
        techs += _technicians(region, n_t, day, rng)
        jobs += _orders(region, n_o, n_t, day, rng, start=len(jobs))
    return PlanRequest(
        jobs=tuple(jobs),
        technicians=tuple(techs),
        day_start=_at(day, 0),
        travel=travel or StraightLineTravel(),
    )


def _technicians(region: Region, n: int, day: date, rng: random.Random) -> list[Technician]:
    depot = (region.depot_lat, region.depot_lng)
    spots = (depot, *((a.lat, a.lng) for a in region.areas))
    out: list[Technician] = []
    for i in range(n):
        skills = {"broadband"}
        for skill, share in SKILL_SHARE.items():
            # The first technicians cover every skill, so each branch can do every kind of job.
            if rng.random() < share or i == list(SKILL_SHARE).index(skill):
                skills.add(skill)
        start_h = rng.choices([8.0, 8.5, 9.0], weights=[2, 6, 2])[0]
        home = depot if rng.random() < 0.7 else _point_in(rng.choice(region.areas), rng)
        out.append(
            Technician(
                username=f"{region.branch_code.lower()}{i + 1:02d}",
                lat=home[0],
                lng=home[1],
                shift_start=_at(day, start_h),
                shift_end=_at(day, start_h + 9.5),
                skills=frozenset(skills),
                lunch_start=_at(day, 11.5),
                lunch_end=_at(day, 13.5),
                lunch_minutes=rng.choice([30.0, 45.0, 60.0]),
                lunch_spots=tuple(dict.fromkeys((home, *spots))),
                region_type=region.region_type,
                branch=region.branch_code,
            )
        )
    return out


def _orders(
    region: Region, n: int, n_techs: int, day: date, rng: random.Random, start: int
) -> list[Job]:
    weights = [t[3] for t in JOB_TYPES]
    # Appointment slots people book: busier in the morning and after lunch.
    slots = [8.5, 9.0, 9.5, 10.0, 10.5, 11.0, 13.0, 13.5, 14.0, 14.5, 15.0, 15.5, 16.0]
    slot_w = [3, 5, 4, 4, 3, 2, 3, 4, 4, 3, 3, 2, 1]
    # Like a real booking screen, a slot closes once it holds about as many appointments as
    # technicians can start then (one job takes ~50 min, a slot is 30); the first slot of the
    # day gets fewer, since everyone must first drive out.
    cap = [max(1, round(n_techs * (0.3 if h == slots[0] else 0.5))) for h in slots]
    booked = [0] * len(slots)
    out: list[Job] = []
    for k in range(n):
        kind, skills, (lo, hi), _ = rng.choices(JOB_TYPES, weights=weights)[0]
        lat, lng = _point_in(rng.choice(region.areas), rng)
        service = float(rng.randrange(lo, hi + 1, 5))
        grade = "vip" if rng.random() < 0.15 else "normal"
        ws = we = deadline = None
        if kind == "install" or rng.random() < 0.65:
            want = rng.choices(range(len(slots)), weights=slot_w)[0]
            by_nearness = sorted(range(len(slots)), key=lambda i: (abs(i - want), -i))
            free = [i for i in by_nearness if booked[i] < cap[i]]
            pick = free[0] if free else min(range(len(slots)), key=lambda i: booked[i] / cap[i])
            booked[pick] += 1
            ws = _at(day, slots[pick])
            we = ws + timedelta(hours=rng.choice([1, 2, 2]))
            if kind == "repair" and rng.random() < 0.3:
                # A booked repair whose restore clock runs out while the window is still open.
                deadline = ws + timedelta(minutes=service + rng.choice([30, 60, 90]))
        else:
            # Bookable any time: the restore deadline is what matters (VIP clocks are shorter).
            hours = rng.uniform(11.0, 15.0) if grade == "vip" else rng.uniform(12.0, 19.0)
            deadline = _at(day, round(hours * 4) / 4)
        out.append(
            Job(
                id=f"{region.branch_code}-{start + k + 1:03d}",
                lat=lat,
                lng=lng,
                service_minutes=service,
                window_start=ws,
                window_end=we,
                deadline=deadline,
                grade=grade,
                required_skills=skills,
                kind=kind,
                branch=region.branch_code,
            )
        )
    return out


# --- evaluation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    travel_km: float
    late: int
    breached: int
    unassigned: int
    violations: int
    objective: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "travel_km": round(self.travel_km, 1),
            "late": self.late,
            "breached": self.breached,
            "unassigned": self.unassigned,
            "violations": self.violations,
            "objective": round(self.objective, 1),
        }


def evaluate(plan: Plan) -> Score:
    """travel km; late = starts after the booked window start (1 s grace for rounding);
    breached = finished after the deadline, or left unplanned with a deadline inside the day;
    violations = hard rules broken (see Plan.violations)."""
    req = plan.request
    horizon = max((t.shift_end for t in req.technicians), default=req.day_start)
    jobs = {j.id: j for j in req.jobs}
    late = sum(1 for v in plan.visits() if v.minutes_after_window_start > 1 / 60)
    breached = sum(1 for v in plan.visits() if v.deadline_breached)
    breached += sum(
        1 for u in plan.unassigned if (dl := jobs[u.job_id].deadline) is not None and dl <= horizon
    )
    return Score(
        travel_km=plan.travel_km,
        late=late,
        breached=breached,
        unassigned=len(plan.unassigned),
        violations=len(plan.violations()),
        objective=plan.objective,
    )
