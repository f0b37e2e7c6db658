"""Travel distances and times between positions, behind an interface a road router can replace.

A position is a ``(lat, lng)`` pair (WGS-84 degrees). Benchmark data on a plane (Solomon) uses the
same pair shape with planar coordinates; only the travel model decides what the numbers mean.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Point = tuple[float, float]
FloatMatrix = npt.NDArray[np.float64]
IntMatrix = npt.NDArray[np.int64]

EARTH_RADIUS_KM = 6371.0088


@runtime_checkable
class TravelModel(Protocol):
    """What the planner needs to know about getting from one place to another.

    ``region_type`` is the technician's region ("urban" / "township"): the same road is driven
    slower in town, so time depends on who drives, distance does not.
    """

    def km(self, a: Point, b: Point) -> float: ...

    def minutes(self, a: Point, b: Point, region_type: str = "urban") -> float: ...

    def km_matrix(self, points: Sequence[Point]) -> FloatMatrix: ...

    def minutes_matrix(
        self, points: Sequence[Point], region_type: str = "urban"
    ) -> FloatMatrix: ...


def haversine_matrix(points: Sequence[Point]) -> FloatMatrix:
    """Great-circle distances in km between every pair of points."""
    arr = np.radians(np.asarray(points, dtype=np.float64).reshape(-1, 2))
    lat = arr[:, 0][:, None]
    lng = arr[:, 1][:, None]
    dlat = lat - lat.T
    dlng = lng - lng.T
    h = np.sin(dlat / 2) ** 2 + np.cos(lat) * np.cos(lat.T) * np.sin(dlng / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def haversine_km(a: Point, b: Point) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, h))))


def _default_speeds() -> dict[str, float]:
    return {"urban": 25.0, "township": 40.0}


@dataclass(frozen=True)
class StraightLineTravel:
    """Straight line x detour factor, at an average speed per region type.

    Good enough to plan a day in the demo city; replace with a router-backed model (same four
    methods) when road data is available.
    """

    detour_factor: float = 1.3
    speed_kmh: Mapping[str, float] = field(default_factory=_default_speeds)

    def _speed(self, region_type: str) -> float:
        try:
            return float(self.speed_kmh[region_type])
        except KeyError:
            raise ValueError(f"no average speed for region type {region_type!r}") from None

    def km(self, a: Point, b: Point) -> float:
        return haversine_km(a, b) * self.detour_factor

    def minutes(self, a: Point, b: Point, region_type: str = "urban") -> float:
        return self.km(a, b) / self._speed(region_type) * 60.0

    def km_matrix(self, points: Sequence[Point]) -> FloatMatrix:
        return haversine_matrix(points) * self.detour_factor

    def minutes_matrix(self, points: Sequence[Point], region_type: str = "urban") -> FloatMatrix:
        return self.km_matrix(points) / self._speed(region_type) * 60.0


class MatrixTravel:
    """Travel read from a given matrix, e.g. a benchmark instance or a router's table.

    Every point that will ever be asked about must be in ``points``; duplicate points must have
    identical rows (true for any metric), so the first occurrence is used.
    """

    def __init__(
        self,
        points: Sequence[Point],
        km: npt.ArrayLike,
        minutes: npt.ArrayLike | None = None,
    ) -> None:
        self._km = np.asarray(km, dtype=np.float64)
        self._minutes = self._km if minutes is None else np.asarray(minutes, dtype=np.float64)
        n = len(points)
        if self._km.shape != (n, n) or self._minutes.shape != (n, n):
            raise ValueError("matrix shape does not match the number of points")
        self._index: dict[Point, int] = {}
        for i, p in enumerate(points):
            self._index.setdefault((float(p[0]), float(p[1])), i)

    def _idx(self, p: Point) -> int:
        try:
            return self._index[(float(p[0]), float(p[1]))]
        except KeyError:
            raise KeyError(f"point {p} is not in this travel matrix") from None

    def km(self, a: Point, b: Point) -> float:
        return float(self._km[self._idx(a), self._idx(b)])

    def minutes(self, a: Point, b: Point, region_type: str = "urban") -> float:
        return float(self._minutes[self._idx(a), self._idx(b)])

    def km_matrix(self, points: Sequence[Point]) -> FloatMatrix:
        idx = [self._idx(p) for p in points]
        return np.asarray(self._km[np.ix_(idx, idx)])

    def minutes_matrix(self, points: Sequence[Point], region_type: str = "urban") -> FloatMatrix:
        idx = [self._idx(p) for p in points]
        return np.asarray(self._minutes[np.ix_(idx, idx)])


class UnitTravel:
    """Integer travel matrices (the solver's units) over a fixed set of points.

    The solver and the greedy baseline both schedule with these same integers, so a schedule
    recomputed from a solver route reproduces exactly what the solver saw as feasible.
    """

    def __init__(
        self,
        travel: TravelModel,
        points: Sequence[Point],
        region_types: Sequence[str],
        time_units_per_minute: int,
        distance_units_per_km: int,
    ) -> None:
        self.travel = travel
        self.index: dict[Point, int] = {}
        unique: list[Point] = []
        for p in points:
            key = (float(p[0]), float(p[1]))
            if key not in self.index:
                self.index[key] = len(unique)
                unique.append(key)
        self.points = unique
        self.km = travel.km_matrix(unique) if unique else np.zeros((0, 0))
        # Round, not truncate: truncation biases every leg short, and the bias adds up per route.
        self.distance: IntMatrix = np.rint(self.km * distance_units_per_km).astype(np.int64)
        self.duration: dict[str, IntMatrix] = {}
        for rt in dict.fromkeys(region_types):
            minutes = travel.minutes_matrix(unique, rt) if unique else np.zeros((0, 0))
            self.duration[rt] = np.rint(minutes * time_units_per_minute).astype(np.int64)

    def idx(self, p: Point) -> int:
        return self.index[(float(p[0]), float(p[1]))]

    def dur(self, a: Point, b: Point, region_type: str) -> int:
        return int(self.duration[region_type][self.idx(a), self.idx(b)])

    def dist_km(self, a: Point, b: Point) -> float:
        return float(self.km[self.idx(a), self.idx(b)])
