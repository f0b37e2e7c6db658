"""Solomon VRPTW instances through the planner, and through bare PyVRP for comparison.

DIMACS 2021 convention: every distance and travel time truncated to one decimal, objective =
total distance, at most 25 vehicles. The planner gets this by working in tenths (10 units per
"km" and per "minute"), which is exactly ``pyvrp.read(path, round_func="dimacs")``.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyvrp
import vrplib
from pyvrp.stop import MaxRuntime

from .model import CostSettings, Job, Plan, PlanRequest, Technician
from .solve import plan_day
from .travel import MatrixTravel, Point

# Solomon times are abstract units; the planner wants datetimes, so one unit = one minute.
EPOCH = datetime(2000, 1, 1)


@dataclass(frozen=True)
class Bks:
    vehicles: int
    distance: float


def read_bks(directory: Path) -> dict[str, Bks]:
    out: dict[str, Bks] = {}
    path = directory / "bks_dimacs.csv"
    if not path.exists():
        return out
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            out[row["instance"]] = Bks(int(row["bks_vehicles"]), float(row["bks_distance"]))
    return out


def read_solomon(path: str | Path) -> PlanRequest:
    """A Solomon VRPLIB file as a planner request: customers are jobs, vehicles technicians."""
    inst = vrplib.read_instance(str(path))
    coords = np.asarray(inst["node_coord"], dtype=np.float64)
    # DIMACS: truncate to one decimal (pyvrp's "dimacs" rounding is trunc(10 x value)).
    tenths = (10 * np.asarray(inst["edge_weight"], dtype=np.float64)).astype(np.int64)
    points: list[Point] = [(float(c[1]), float(c[0])) for c in coords]  # (y, x) like (lat, lng)
    travel = MatrixTravel(points, tenths / 10.0)
    n = len(points)
    service = inst.get("service_time", 0)
    services = np.full(n, service) if np.isscalar(service) else np.asarray(service)
    tw = np.asarray(inst["time_window"], dtype=np.float64)
    demand = np.asarray(inst.get("demand", np.zeros(n)), dtype=np.int64)
    depot = int(np.asarray(inst.get("depot", [0]))[0])

    def at(units: float) -> datetime:
        return EPOCH + timedelta(minutes=float(units))

    jobs = tuple(
        Job(
            id=str(i),
            lat=points[i][0],
            lng=points[i][1],
            service_minutes=float(services[i]),
            window_start=at(tw[i][0]),
            window_end=at(tw[i][1]),
            demand=int(demand[i]),
            required=True,
        )
        for i in range(n)
        if i != depot
    )
    dp = points[depot]
    techs = tuple(
        Technician(
            username=f"v{k + 1:02d}",
            lat=dp[0],
            lng=dp[1],
            shift_start=at(tw[depot][0]),
            shift_end=at(tw[depot][1]),
            capacity=int(inst["capacity"]),
        )
        for k in range(int(inst.get("vehicles", 25)))
    )
    return PlanRequest(
        jobs=jobs,
        technicians=techs,
        day_start=EPOCH,
        travel=travel,
        costs=CostSettings.distance_only(),
        time_units_per_minute=10,
        distance_units_per_km=10,
    )


@dataclass(frozen=True)
class SolomonResult:
    name: str
    distance: float
    vehicles: int
    feasible: bool
    seconds: float
    problems: tuple[str, ...] = ()


def solve_solomon(path: str | Path, seconds: float, seed: int = 0) -> tuple[SolomonResult, Plan]:
    """Through the planner: read into a PlanRequest, ``plan_day``, check, measure."""
    began = time.perf_counter()
    request = read_solomon(path)
    plan = plan_day(request, seconds=seconds, seed=seed)
    problems = plan.violations()
    if plan.unassigned:
        problems.append(f"{len(plan.unassigned)} customers not served")
    feasible = bool(plan.solver_feasible) and not problems
    # Each leg is an exact tenth; summing floats could drift in the last digit.
    distance = round(plan.travel_km, 1)
    result = SolomonResult(
        name=Path(path).stem,
        distance=distance,
        vehicles=len(plan.routes),
        feasible=feasible,
        seconds=time.perf_counter() - began,
        problems=tuple(problems),
    )
    return result, plan


def bare_solve(path: str | Path, seconds: float, seed: int = 0) -> SolomonResult:
    """The same instance straight through PyVRP, to show what the planner layer costs."""
    began = time.perf_counter()
    data = pyvrp.read(str(path), round_func="dimacs")
    res = pyvrp.Model.from_data(data).solve(
        stop=MaxRuntime(seconds), seed=seed, collect_stats=False, display=False
    )
    best = res.best
    return SolomonResult(
        name=Path(path).stem,
        distance=best.distance() / 10.0,
        vehicles=best.num_routes(),
        feasible=best.is_feasible(),
        seconds=time.perf_counter() - began,
    )


def gap_pct(distance: float, bks: float) -> float:
    return (distance - bks) / bks * 100.0
