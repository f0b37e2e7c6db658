"""Property: whatever the day looks like, a plan never breaks a hard rule."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doorstep.dispatch.planner import Job, PlanRequest, Technician, plan_day
from doorstep.dispatch.planner.greedy import greedy_baseline

from .helpers import DAY

SKILLS = ("broadband", "iptv", "fiber_splice")
coord = st.tuples(st.floats(30.28, 30.36), st.floats(120.10, 120.20))


@st.composite
def days(draw: st.DrawFn) -> PlanRequest:
    techs = []
    for i in range(draw(st.integers(1, 3))):
        start = DAY + timedelta(minutes=draw(st.integers(8 * 60, 9 * 60 + 30)))
        lunch = draw(st.sampled_from([0.0, 30.0, 60.0]))
        lat, lng = draw(coord)
        techs.append(
            Technician(
                username=f"t{i}",
                lat=lat,
                lng=lng,
                shift_start=start,
                shift_end=start + timedelta(hours=draw(st.integers(4, 10))),
                skills=frozenset(draw(st.sets(st.sampled_from(SKILLS), min_size=1))),
                lunch_start=DAY + timedelta(hours=11, minutes=30),
                lunch_end=DAY + timedelta(hours=13, minutes=30),
                lunch_minutes=lunch,
                lunch_spots=tuple(draw(st.lists(coord, max_size=2))),
                region_type=draw(st.sampled_from(["urban", "township"])),
                capacity=draw(st.none() | st.integers(1, 6)),
            )
        )
    jobs = []
    for k in range(draw(st.integers(1, 8))):
        lat, lng = draw(coord)
        ws = we = None
        if draw(st.booleans()):
            ws = DAY + timedelta(minutes=draw(st.integers(8 * 60, 16 * 60)))
            we = ws + timedelta(minutes=draw(st.integers(0, 180)))
        deadline = None
        if draw(st.booleans()):
            deadline = DAY + timedelta(minutes=draw(st.integers(9 * 60, 19 * 60)))
        jobs.append(
            Job(
                id=f"j{k}",
                lat=lat,
                lng=lng,
                service_minutes=draw(st.integers(5, 120)),
                window_start=ws,
                window_end=we,
                deadline=deadline,
                grade=draw(st.sampled_from(["normal", "vip"])),
                required_skills=frozenset(draw(st.sets(st.sampled_from(SKILLS), max_size=2))),
                fixed_technician=draw(st.none() | st.sampled_from([t.username for t in techs])),
                demand=draw(st.integers(0, 3)),
            )
        )
    return PlanRequest(jobs=tuple(jobs), technicians=tuple(techs), day_start=DAY)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days())
def test_a_plan_never_breaks_a_hard_constraint(request: PlanRequest) -> None:
    plan = plan_day(request, seconds=0.3, seed=1)
    assert plan.violations() == []
    planned = [v.job_id for v in plan.visits()]
    assert len(planned) == len(set(planned)), "a job is planned twice"
    assert sorted(planned + [u.job_id for u in plan.unassigned]) == sorted(
        j.id for j in request.jobs
    )


@settings(max_examples=40, deadline=None)
@given(days())
def test_the_greedy_baseline_never_breaks_a_hard_constraint_either(request: PlanRequest) -> None:
    plan = greedy_baseline(request)
    assert plan.violations() == []
