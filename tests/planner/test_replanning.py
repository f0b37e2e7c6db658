"""Re-planning during the day: someone goes off sick, a visit runs long."""

from __future__ import annotations

from doorstep.dispatch.planner import moved_visits, plan_day, replan

from .helpers import FAR, NEAR, at, job, request, tech


def _day():  # type: ignore[no-untyped-def]
    jobs = [
        job("a1", where=NEAR, window=((9, 0), (10, 0))),
        job("a2", where=NEAR, window=((13, 0), (15, 0))),
        job("b1", where=FAR, window=((9, 0), (10, 0))),
        job("b2", where=FAR, window=((14, 0), (16, 0))),
    ]
    return request(jobs, [tech("amy", where=NEAR), tech("bob", where=FAR)])


def test_when_a_technician_goes_off_sick_their_remaining_jobs_move_and_customers_are_listed():
    plan = plan_day(_day(), seconds=0.3, seed=1)
    bob_jobs = {v.job_id for v in plan.routes[1].visits} if len(plan.routes) > 1 else set()
    assert bob_jobs, "the far jobs should go to the technician who lives there"
    result = replan(plan, at(11, 0), off_sick=["bob"], seconds=0.3, seed=1)
    assert result.plan.violations() == []
    assert "bob" not in {r.technician for r in result.plan.routes}
    assert set(result.done) == {"a1", "b1"}  # finished before 11:00
    # b2 is still to do: it now goes to amy (or is listed for rebooking) and its customer is told
    moved = {m.job_id: m for m in result.moved}
    assert "b2" in moved
    assert moved["b2"].new_technician in ("amy", None)


def test_a_visit_that_runs_long_keeps_its_technician_and_pushes_the_rest():
    jobs = [
        job("first", window=((9, 0), (9, 30)), minutes=60),
        job("second", minutes=30, deadline=at(18, 0)),
    ]
    plan = plan_day(request(jobs, [tech("amy")]), seconds=0.3, seed=1)
    assert [v.job_id for v in plan.visits()] == ["first", "second"]
    before = plan.visit("second")
    assert before is not None
    result = replan(plan, at(9, 45), extend_minutes={"first": 90}, seconds=0.3, seed=1)
    assert [v.job_id for v in result.in_progress] == ["first"]
    assert result.in_progress[0].end == at(11, 30)
    after = result.plan.visit("second")
    assert after is not None and after.start >= at(11, 30)
    assert [m.job_id for m in result.moved] == ["second"]
    assert result.plan.violations() == []


def test_moved_visits_ignores_small_shifts_and_lists_dropped_ones():
    plan = plan_day(_day(), seconds=0.3, seed=1)
    assert moved_visits(plan, plan) == []
    smaller = request(list(plan.request.jobs), [tech("amy", where=NEAR)])
    shrunk = plan_day(smaller, seconds=0.3, seed=1)
    moved = moved_visits(plan, shrunk)
    assert {m.job_id for m in moved if m.new_start is None} == {u.job_id for u in shrunk.unassigned}
