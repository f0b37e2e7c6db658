"""Day plans run in the worker, not in the web request; applying one is all or none."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from doorstep.dispatch import jobs, planning
from doorstep.dispatch.models import DayPlan, Leave
from doorstep.dispatch.planner import plan_day
from doorstep.dispatch.services import build_request
from doorstep.orders.actions import perform
from doorstep.orders.models import WorkOrder
from tests.dispatch.test_board import DAY, order_at
from tests.orders.test_concurrency import race

MORNING = datetime.fromisoformat(f"{DAY}T07:30:00+08:00")


def dispatcher(crew: Any) -> Client:
    c = Client()
    c.login(username="dispatcher", password="pw-dispatcher")
    return c


def six_orders(crew: Any) -> list[WorkOrder]:
    # One area each: six faults of one area within the hour would be a batch fault (R14),
    # held back from the plan as one incident.
    return [
        order_at(crew, 30.30 + i * 0.005, 120.13 + i * 0.004, area=f"GS-DQ-{i}") for i in range(6)
    ]


def test_a_plan_asked_for_on_the_page_is_run_by_the_worker_and_the_page_then_shows_it(
    crew: Any,
) -> None:
    six_orders(crew)
    c = dispatcher(crew)
    with time_machine.travel(MORNING, tick=False):
        answer = c.post("/dispatch/plan/", {"branch": "GS", "day": DAY, "seconds": "1"})
        assert answer.status_code == 302  # answered at once: nothing was solved yet
        job = DayPlan.objects.get()
        assert job.status == "queued" and job.routes == []
        page = c.get(answer["Location"]).content.decode()
        assert "排队等待后台计算" in page and "?part=job" in page and 'data-tech="' not in page
        poll = c.get(answer["Location"], {"part": "job"}, headers={"HX-Request": "true"})
        assert poll.status_code == 200 and "plan-progress" in poll.content.decode()
    with time_machine.travel(MORNING + timedelta(seconds=40), tick=False):
        # Nobody has picked it up for a while: the page says the worker seems to be down.
        assert "no-worker" in c.get(answer["Location"]).content.decode()
        assert jobs.run_due("worker-1") == 1
    job.refresh_from_db()
    assert job.status == "preview" and job.worker == "worker-1" and job.attempts == 1
    assert job.started_at == MORNING + timedelta(seconds=40) and job.progress == 1.0
    assert job.finished_at is not None and job.finished_at > job.started_at
    with time_machine.travel(MORNING + timedelta(seconds=45), tick=False):
        poll = c.get(answer["Location"], {"part": "job"}, headers={"HX-Request": "true"})
        assert poll["HX-Refresh"] == "true"  # the polling box reloads the page
        page = c.get(answer["Location"]).content.decode()
    assert "排队等待" not in page and 'id="apply-plan"' in page
    first_tech = job.routes[0]["technician"]
    assert f'data-tech="{first_tech}"' in page


def test_the_worker_runs_queued_plans_in_turn_and_says_when_there_is_nothing_to_do(
    crew: Any,
) -> None:
    six_orders(crew)
    with time_machine.travel(MORNING, tick=False):
        first = planning.queue(crew.gs, date.fromisoformat(DAY), crew.dispatcher, seconds=1)
        second = planning.queue(crew.gs, date.fromisoformat(DAY), crew.dispatcher, seconds=1)
        assert jobs.run_due("w") == 1
        assert DayPlan.objects.get(pk=first.pk).status == "preview"
        assert DayPlan.objects.get(pk=second.pk).status == "queued"
        assert jobs.run_due("w") == 1
        assert jobs.run_due("w") == 0
    assert DayPlan.objects.get(pk=second.pk).status == "preview"


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_run_one_queued_plan_once(crew: Any) -> None:
    six_orders(crew)
    job = planning.queue(crew.gs, date.fromisoformat(DAY), crew.dispatcher, seconds=1)
    results = race(lambda: jobs.run_due("worker-a"), lambda: jobs.run_due("worker-b"))
    assert sorted(results) == [0, 1], results
    job.refresh_from_db()
    assert job.status == "preview" and job.attempts == 1
    assert job.worker == ("worker-a" if results[0] == 1 else "worker-b")


def test_a_plan_whose_worker_died_is_run_by_another_worker_and_never_stays_running(
    crew: Any,
) -> None:
    six_orders(crew)
    with time_machine.travel(MORNING, tick=False):
        job = planning.queue(crew.gs, date.fromisoformat(DAY), crew.dispatcher, seconds=1)
    # A worker claimed it at 07:30 and was killed mid-search.
    DayPlan.objects.filter(pk=job.pk).update(
        status="running", worker="dead-1", started_at=MORNING, attempts=1
    )
    assert jobs.run_due("w2", MORNING + timedelta(seconds=30)) == 0  # may still be working
    assert jobs.run_due("w2", MORNING + timedelta(minutes=5)) == 2  # re-queued, then run
    job.refresh_from_db()
    assert job.status == "preview" and job.worker == "w2" and job.attempts == 2

    with time_machine.travel(MORNING, tick=False):
        again = planning.queue(crew.gs, date.fromisoformat(DAY), crew.dispatcher, seconds=1)
    DayPlan.objects.filter(pk=again.pk).update(
        status="running", worker="dead-2", started_at=MORNING, attempts=jobs.MAX_ATTEMPTS
    )
    assert jobs.run_due("w3", MORNING + timedelta(minutes=5)) == 1
    again.refresh_from_db()
    assert again.status == "failed" and "dead-2" in again.error
    with time_machine.travel(MORNING + timedelta(minutes=5), tick=False):
        page = dispatcher(crew).get(f"/dispatch/plans/{again.pk}/").content.decode()
    assert "计算失败" in page and "dead-2" in page and "重新计算" in page


def test_a_re_plan_from_the_page_also_runs_in_the_worker(crew: Any) -> None:
    six_orders(crew)
    with time_machine.travel(MORNING, tick=False):
        first = planning.make_plan(crew.gs, date.fromisoformat(DAY), crew.dispatcher, seconds=1)
        answer = dispatcher(crew).post(
            "/dispatch/plan/",
            {"branch": "GS", "day": DAY, "replan": "1", "off_sick": ["tech"], "seconds": "1"},
        )
    job = DayPlan.objects.exclude(pk=first.pk).get()
    assert answer.status_code == 302 and job.status == "queued"
    assert job.replan and job.off_sick == ["tech"]
    assert DayPlan.objects.get(pk=first.pk).status == "preview"  # not replaced until it is done
    assert jobs.run_due("w", MORNING + timedelta(minutes=10)) == 1
    job.refresh_from_db()
    assert job.status == "preview" and all(r["technician"] != "tech" for r in job.routes)
    assert DayPlan.objects.get(pk=first.pk).status == "superseded"


def test_the_solver_reports_how_much_of_its_time_it_has_spent(crew: Any) -> None:
    six_orders(crew)
    request, _ = build_request(crew.gs, date.fromisoformat(DAY))
    shares: list[float] = []
    plan_day(request, seconds=1, progress=shares.append)
    assert shares and shares == sorted(shares) and 0.9 <= shares[-1] <= 1.0


# -- apply ------------------------------------------------------------------------------------


def planned(crew: Any) -> tuple[DayPlan, list[WorkOrder]]:
    orders = six_orders(crew)
    with time_machine.travel(MORNING, tick=False):
        plan = planning.make_plan(crew.gs, date.fromisoformat(DAY), crew.dispatcher, seconds=1)
    assert plan.summary["visits"] == 6, plan.unassigned
    return plan, orders


def test_apply_with_one_assignment_that_fails_changes_nothing_and_names_the_order(
    crew: Any,
) -> None:
    plan, orders = planned(crew)
    visits = [v["order"] for r in plan.routes for v in r["visits"]]
    # The dispatcher gives one order to other_tech and the rest to tech; other_tech has gone
    # on leave since the preview was made.
    odd = visits[0]
    choice = {f"tech_{oid}": "tech" for oid in visits} | {f"tech_{odd}": "other_tech"}
    Leave.objects.create(
        technician=crew.other_tech,
        first_day=date.fromisoformat(DAY),
        last_day=date.fromisoformat(DAY),
        reason="病假",
    )
    with time_machine.travel(MORNING + timedelta(minutes=5), tick=False):
        answer = dispatcher(crew).post(f"/dispatch/plans/{plan.pk}/apply/", choice)
    page = answer.content.decode()
    assert answer.status_code == 409 and 'id="apply-failed"' in page
    number = WorkOrder.objects.get(pk=odd).number
    assert number in page and "请假" in page
    # Nothing was assigned, not even the five that could have been, and the plan is unapplied.
    assert not WorkOrder.objects.filter(pk__in=[o.pk for o in orders], technician__isnull=False)
    assert not WorkOrder.objects.filter(status="dispatched").exists()
    plan.refresh_from_db()
    assert plan.status == "preview" and plan.applied_by is None
    # The page kept the dispatcher's choices for another try.
    assert f'name="tech_{odd}" aria-label' in page
    chosen = page.split(f'name="tech_{odd}"')[1].split("</select>")[0]
    assert '<option value="other_tech" selected>' in chosen


def test_apply_names_an_order_that_changed_state_since_the_preview(crew: Any) -> None:
    plan, orders = planned(crew)
    gone = orders[2]
    with time_machine.travel(MORNING + timedelta(minutes=1), tick=False):
        perform(gone.pk, "assign", crew.dispatcher, {"technician": "tech"})
        perform(gone.pk, "accept", crew.tech, {})
        perform(gone.pk, "cancel", crew.dispatcher, {"reason": "客户取消"})
    c = dispatcher(crew)
    with time_machine.travel(MORNING + timedelta(minutes=5), tick=False):
        page = c.get(f"/dispatch/plans/{plan.pk}/").content.decode()
        # The preview says it is out of date before anyone applies it.
        assert 'id="stale"' in page and gone.number in page
        result = planning.apply(plan, crew.dispatcher)
    assert not result.applied and [f["number"] for f in result.failed] == [gone.number]
    assert "撤单" in result.failed[0]["error"]
    assert WorkOrder.objects.filter(status="dispatched").count() == 0
    assert DayPlan.objects.get(pk=plan.pk).status == "preview"


def test_a_fully_successful_apply_marks_the_plan_applied_by_whom_and_when(crew: Any) -> None:
    plan, orders = planned(crew)
    c = dispatcher(crew)
    when = MORNING + timedelta(minutes=5)
    with time_machine.travel(when, tick=False):
        answer = c.post(f"/dispatch/plans/{plan.pk}/apply/", {})
    assert answer.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "applied" and plan.applied_by == crew.dispatcher
    assert plan.applied_at == when
    assert WorkOrder.objects.filter(status="dispatched").count() == len(orders)
    page = c.get(f"/dispatch/plans/{plan.pk}/").content.decode()
    assert 'id="applied"' in page and 'id="apply-plan"' not in page and 'id="stale"' not in page
    # Applying twice assigns nothing twice.
    again = c.post(f"/dispatch/plans/{plan.pk}/apply/", {}, follow=True).content.decode()
    assert "已应用" in again
    assert WorkOrder.objects.get(pk=orders[0].pk).version == orders[0].version + 1


def test_the_worker_loop_runs_a_queued_plan(crew: Any) -> None:
    from doorstep.worker import Worker

    six_orders(crew)
    with time_machine.travel(MORNING, tick=False):
        job = planning.queue(crew.gs, date.fromisoformat(DAY), crew.dispatcher, seconds=1)
        assert Worker("loop-1").tick() >= 1
    job.refresh_from_db()
    assert job.status == "preview" and job.worker == "loop-1"
