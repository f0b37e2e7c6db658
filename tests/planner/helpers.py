"""Small hand-made days for the planner tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from doorstep.dispatch.planner import Job, PlanRequest, Technician

DAY = datetime(2025, 6, 10, 0, 0)
DEPOT = (30.3190, 120.1415)  # the urban branch office
NEAR = (30.3085, 120.1484)  # ~1.3 km away
FAR = (30.3610, 120.1760)  # ~5.6 km away


def at(hour: int, minute: int = 0) -> datetime:
    return DAY + timedelta(hours=hour, minutes=minute)


def tech(
    username: str,
    skills: set[str] | None = None,
    start: tuple[int, int] = (8, 30),
    end: tuple[int, int] = (18, 0),
    lunch_minutes: float = 0.0,
    where: tuple[float, float] = DEPOT,
) -> Technician:
    return Technician(
        username=username,
        lat=where[0],
        lng=where[1],
        shift_start=at(*start),
        shift_end=at(*end),
        skills=frozenset(skills or {"broadband"}),
        lunch_start=at(11, 30) if lunch_minutes else None,
        lunch_end=at(13, 30) if lunch_minutes else None,
        lunch_minutes=lunch_minutes,
    )


def job(
    job_id: str,
    where: tuple[float, float] = NEAR,
    minutes: float = 30,
    window: tuple[tuple[int, int], tuple[int, int]] | None = None,
    skills: set[str] | None = None,
    grade: str = "normal",
    deadline: datetime | None = None,
) -> Job:
    return Job(
        id=job_id,
        lat=where[0],
        lng=where[1],
        service_minutes=minutes,
        window_start=at(*window[0]) if window else None,
        window_end=at(*window[1]) if window else None,
        required_skills=frozenset(skills or {"broadband"}),
        grade=grade,
        deadline=deadline,
    )


def request(jobs: list[Job], techs: list[Technician]) -> PlanRequest:
    return PlanRequest(jobs=tuple(jobs), technicians=tuple(techs), day_start=DAY)
