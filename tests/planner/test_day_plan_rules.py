"""The day planner respects skills, shifts, windows and lunch, and prefers VIPs when short."""

from __future__ import annotations

from datetime import timedelta

from doorstep.dispatch.planner import plan_day

from .helpers import FAR, NEAR, at, job, request, tech


def test_it_never_gives_a_job_to_a_technician_without_the_skill() -> None:
    jobs = [job(f"f{i}", skills={"fiber_splice"}) for i in range(3)]
    jobs += [job(f"b{i}", where=FAR) for i in range(3)]
    splicer = tech("splicer", skills={"broadband", "fiber_splice"}, where=FAR)
    plain = tech("plain", skills={"broadband"}, where=NEAR)
    plan = plan_day(request(jobs, [splicer, plain]), seconds=0.5, seed=1)
    assert plan.violations() == []
    for v in plan.visits():
        if v.job_id.startswith("f"):
            assert v.technician == "splicer"
    assert {v.job_id for v in plan.visits()} >= {"f0", "f1", "f2"}


def test_a_job_nobody_has_the_skill_for_is_listed_with_the_reason() -> None:
    plan = plan_day(request([job("x", skills={"appliance"})], [tech("a")]), seconds=0.2)
    assert [u.job_id for u in plan.unassigned] == ["x"]
    assert "appliance" in plan.unassigned[0].reason


def test_work_starts_inside_the_booked_window_and_the_shift() -> None:
    jobs = [
        job("early", window=((9, 0), (10, 0))),
        job("late", window=((15, 0), (16, 0)), where=FAR),
        job("anytime", minutes=60),
    ]
    t = tech("a", start=(8, 30), end=(17, 0))
    plan = plan_day(request(jobs, [t]), seconds=0.5, seed=1)
    assert plan.violations() == []
    route = plan.routes[0]
    assert route.depart >= at(8, 30) and route.return_at <= at(17, 0)
    for v in route.visits:
        if v.window_start is not None:
            assert v.window_start <= v.start <= v.window_end  # type: ignore[operator]


def test_nothing_is_planned_outside_a_short_shift() -> None:
    jobs = [job("morning", window=((9, 0), (9, 30))), job("evening", window=((16, 0), (16, 30)))]
    plan = plan_day(request(jobs, [tech("a", start=(8, 30), end=(12, 0))]), seconds=0.3)
    assert [v.job_id for v in plan.visits()] == ["morning"]
    assert [u.job_id for u in plan.unassigned] == ["evening"]


def test_lunch_is_taken_inside_its_window_between_jobs() -> None:
    jobs = [job(f"j{i}", minutes=60) for i in range(6)]
    plan = plan_day(request(jobs, [tech("a", lunch_minutes=45)]), seconds=0.5, seed=1)
    assert plan.violations() == []
    lunch = plan.routes[0].lunch
    assert lunch is not None
    assert at(11, 30) <= lunch.start and lunch.end <= at(13, 30)
    assert lunch.end - lunch.start >= timedelta(minutes=45)
    for v in plan.visits():  # no work overlaps lunch
        assert v.end <= lunch.start or v.start >= lunch.end


def test_a_vip_is_served_first_when_there_is_room_for_only_one() -> None:
    same_slot = ((10, 0), (10, 15))
    jobs = [
        job("normal", window=same_slot, minutes=60),
        job("vip", window=same_slot, minutes=60, grade="vip", where=FAR),
    ]
    plan = plan_day(request(jobs, [tech("a")]), seconds=0.3, seed=1)
    assert [v.job_id for v in plan.visits()] == ["vip"]
    assert [u.job_id for u in plan.unassigned] == ["normal"]


def test_the_plan_arrives_at_the_window_start_when_it_can() -> None:
    # Two jobs booked for 9:00 and 10:00 (2 h windows) at the same place: keeping both on time
    # costs nothing, so neither customer should wait past the start of their window.
    jobs = [job("a", window=((9, 0), (11, 0))), job("b", window=((10, 0), (12, 0)))]
    plan = plan_day(request(jobs, [tech("t")]), seconds=0.3, seed=1)
    assert [v.minutes_after_window_start for v in plan.visits()] == [0.0, 0.0]


def test_a_deadline_at_risk_is_flagged_and_explained() -> None:
    jobs = [job("r", minutes=60, deadline=at(9, 45))]
    plan = plan_day(request(jobs, [tech("a", start=(8, 30))]), seconds=0.2)
    visit = plan.visits()[0]
    assert visit.deadline_at_risk and not visit.deadline_breached
    assert "deadline 09:45 at risk" in plan.explain()


def test_a_restore_deadline_beats_a_nearer_job_with_a_later_one() -> None:
    urgent = job("urgent", where=FAR, minutes=60, deadline=at(10, 0))
    easy = job("easy", where=NEAR, minutes=60, deadline=at(17, 0))
    plan = plan_day(request([easy, urgent], [tech("a", start=(8, 30))]), seconds=0.3, seed=1)
    assert [v.job_id for v in plan.visits()] == ["urgent", "easy"]
    assert not any(v.deadline_breached for v in plan.visits())
