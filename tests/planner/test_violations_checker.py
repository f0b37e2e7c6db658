"""The independent checker catches broken plans (otherwise the property test proves nothing)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from doorstep.dispatch.planner import Plan, plan_day

from .helpers import at, job, request, tech


def _plan() -> Plan:
    jobs = [job("j1", window=((9, 0), (10, 0))), job("j2", skills={"iptv"})]
    techs = [tech("a", skills={"broadband", "iptv"}, lunch_minutes=30)]
    plan = plan_day(request(jobs, techs), seconds=0.2, seed=1)
    assert plan.violations() == []
    return plan


def _with_visit(plan: Plan, index: int, **changes: object) -> Plan:
    route = plan.routes[0]
    visits = list(route.visits)
    visits[index] = replace(visits[index], **changes)  # type: ignore[arg-type]
    return replace(plan, routes=(replace(route, visits=tuple(visits)),))


def test_it_catches_work_outside_the_booked_window() -> None:
    plan = _plan()
    i = [v.job_id for v in plan.routes[0].visits].index("j1")
    broken = _with_visit(plan, i, start=at(10, 30), end=at(11, 0))
    assert any("after its window" in v for v in broken.violations())


def test_it_catches_a_technician_without_the_skill() -> None:
    plan = _plan()
    skill_less = replace(plan.request, technicians=(tech("a", lunch_minutes=30),))
    assert any("lacks skill iptv" in v for v in replace(plan, request=skill_less).violations())


def test_it_catches_a_missing_or_misplaced_lunch() -> None:
    plan = _plan()
    route = plan.routes[0]
    assert route.lunch is not None
    no_lunch = replace(plan, routes=(replace(route, lunch=None),))
    assert any("no lunch" in v for v in no_lunch.violations())
    early = replace(route.lunch, start=at(10, 0), end=at(10, 30))
    assert any(
        "outside its window" in v
        for v in replace(plan, routes=(replace(route, lunch=early),)).violations()
    )


def test_it_catches_a_return_after_the_shift_and_teleporting() -> None:
    plan = _plan()
    route = plan.routes[0]
    late = replace(plan, routes=(replace(route, return_at=at(18, 30)),))
    assert any("after shift end" in v for v in late.violations())
    first = route.visits[0]
    too_fast = _with_visit(
        plan, 0, start=route.depart, arrival=route.depart, end=route.depart + timedelta(minutes=30)
    )
    assert first.travel_km_from_prev > 0
    assert any("faster than travel" in v for v in too_fast.violations())


def test_it_catches_a_job_planned_twice_or_forgotten() -> None:
    plan = _plan()
    route = plan.routes[0]
    doubled = replace(plan, routes=(replace(route, visits=route.visits * 2),))
    assert any("twice" in v for v in doubled.violations())
    forgotten = replace(plan, routes=(replace(route, visits=route.visits[:1]),))
    assert any("neither planned nor listed" in v for v in forgotten.violations())
