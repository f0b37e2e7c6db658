"""R17, the callback desk: the queue, the audit sample, the call's outcome, the window."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from doorstep.core.errors import Conflict, GateRefused
from doorstep.orders.models import PersonalDataView, WorkOrder
from doorstep.quality import services
from doorstep.quality.jobs import run_due
from doorstep.quality.models import CallbackTask, FalseCloseFlag
from doorstep.standards.models import Breach, Penalty, Policy
from doorstep.standards.policies import clear_cache
from doorstep.worker import Worker
from tests.conftest import bearer, make_user
from tests.quality.conftest import completed, do


def set_share(share: float) -> None:
    Policy.objects.filter(key="quality.audit_share").update(params={"share": share})
    clear_cache()


def test_the_queue_lists_completed_orders_oldest_first_with_their_audit_marks(
    org: Any, at: Any, settings: Any
) -> None:
    settings.DOORSTEP_AUDIT_SEED = "queue"
    set_share(0.5)
    first = completed(org, at, "2026-11-18", phone="13800000001")
    third = completed(org, at, "2026-11-20", phone="13800000003")
    second = completed(org, at, "2026-11-19", phone="13800000002")
    with at("2026-11-20 12:00"):
        body = Client().get("/api/v1/callbacks/queue", headers=bearer("quality")).json()
    assert body["count"] == 3
    assert [r["id"] for r in body["results"]] == [first.pk, second.pk, third.pk]
    marks = {t.order_id: t.audit for t in CallbackTask.objects.all()}
    assert [r["audit"] for r in body["results"]] == [marks[o.pk] for o in (first, second, third)]
    assert {r["status"] for r in body["results"]} == {"completed"}


def test_the_audit_sample_takes_the_configured_share_reproducibly_and_is_kept(
    org: Any, at: Any, settings: Any
) -> None:
    settings.DOORSTEP_AUDIT_SEED = "2026"
    set_share(0.3)
    draws = [services.audit_draw(f"GS-20261120-{n:04d}:9", "2026") for n in range(400)]
    assert draws == [services.audit_draw(f"GS-20261120-{n:04d}:9", "2026") for n in range(400)]
    assert 90 <= sum(d < 0.3 for d in draws) <= 150  # about 30 % of 400
    orders = [completed(org, at, phone=f"1380000{n:04d}") for n in range(12)]
    tasks = {t.order_id: t for t in CallbackTask.objects.all()}
    for o in orders:
        t = tasks[o.pk]
        assert t.audit_share == Decimal("0.300")
        assert t.audit == (services.audit_draw(f"{o.number}:{t.completed_event.seq}", "2026") < 0.3)
    # A later change of the share does not redraw close-outs already sampled.
    before = {pk: t.audit for pk, t in tasks.items()}
    set_share(1.0)
    assert {t.order_id: t.audit for t in CallbackTask.objects.all()} == before
    assert CallbackTask.objects.get(
        order=completed(org, at, phone="13900009999")
    ).audit  # share 1: every close-out


def test_take_next_claims_so_two_agents_never_call_the_same_customer(org: Any, at: Any) -> None:
    a = completed(org, at, "2026-11-19", phone="13800000001")
    b = completed(org, at, "2026-11-20", phone="13800000002")
    other = make_user("quality2", ["quality"])
    with at("2026-11-20 12:00"):
        mine = services.take_next(org.quality)
        theirs = services.take_next(other)
        again = services.take_next(org.quality)
        third = make_user("quality3", ["quality"])
        assert services.take_next(third) is None
    assert (mine.order_id, theirs.order_id, again.order_id) == (a.pk, b.pk, a.pk)
    # Over the API: the claim answers the call with the customer; nothing left answers 404.
    with at("2026-11-20 12:01"):
        mine_again = Client().post("/api/v1/callbacks/next", headers=bearer("quality"))
        nothing = Client().post("/api/v1/callbacks/next", headers=bearer("quality3"))
    assert mine_again.json()["id"] == a.pk
    assert mine_again.json()["customer"]["phone"] == "13800000001"
    assert nothing.status_code == 404
    # The other agent cannot record a callback on the call this agent holds.
    with pytest.raises(Conflict) as refused:
        do(at, "2026-11-20 12:05", a, "callback", other, score=8, satisfied=True)
    assert refused.value.code == "claimed"
    assert WorkOrder.objects.get(pk=a.pk).status == "completed"


def test_an_unsatisfied_callback_sends_the_order_back_to_the_crew(org: Any, at: Any) -> None:
    order = completed(org, at)
    order = do(
        at,
        "2026-11-20 15:00",
        order,
        "callback",
        org.quality,
        score=3,
        satisfied=False,
        note="网速还是很慢",
    )
    assert (order.status, order.technician_id) == ("dispatched", org.tech.pk)
    task = CallbackTask.objects.get(order=order)
    assert task.outcome == "unsatisfied" and task.done_at is not None
    with at("2026-11-20 15:01"):
        queue = Client().get("/api/v1/callbacks/queue", headers=bearer("quality")).json()
    assert queue["count"] == 0
    # The technician takes it up again; completing it again puts it back in the queue.
    do(at, "2026-11-20 15:10", order, "accept", org.tech)
    do(
        at,
        "2026-11-20 15:12",
        order,
        "schedule",
        org.tech,
        start="2026-11-20T16:00:00+08:00",
        end="2026-11-20T17:00:00+08:00",
    )
    do(at, "2026-11-20 15:55", order, "arrive", org.tech)
    do(
        at,
        "2026-11-20 16:40",
        order,
        "complete",
        org.tech,
        resolution="更换分光器端口",
        no_signature_reason="客户不便签字",
        rating=5,
    )
    with at("2026-11-20 16:41"):
        queue = Client().get("/api/v1/callbacks/queue", headers=bearer("quality")).json()
    assert [r["id"] for r in queue["results"]] == [order.pk]
    assert CallbackTask.objects.filter(order=order).count() == 2
    assert FalseCloseFlag.objects.count() == 0


def test_a_callback_that_contradicts_the_close_out_flags_it_with_the_evidence(
    org: Any, at: Any
) -> None:
    order = completed(org, at)
    do(
        at,
        "2026-11-20 16:00",
        order,
        "callback",
        org.quality,
        score=1,
        satisfied=False,
        contradiction="nobody_came",
        note="客户说根本没人来过",
    )
    flag = FalseCloseFlag.objects.get(order=order)
    e = flag.evidence
    assert flag.kind == "nobody_came" and flag.technician == org.tech
    assert e["arrived_at"].startswith("2026-11-20T01:55") and e["arrival_position"] == {
        "lat": 30.3271,
        "lng": 120.1412,
    }
    assert e["completed_at"].startswith("2026-11-20T03:00")
    assert len(e["photos"]) == 1 and e["signature"] is None
    assert e["no_signature_reason"] == "客户不便签字"
    c = Client()
    assert c.login(username="manager", password="pw-manager")
    assert order.number in c.get("/quality/flags/").content.decode()
    page = c.get(f"/quality/flags/{flag.pk}/").content.decode()
    assert "无人上门" in page and "客户说根本没人来过" in page and "30.3271" in page
    assert PersonalDataView.objects.filter(user=org.manager, order=order).exists()
    # The quality agent may not open the manager's page.
    assert c.login(username="quality", password="pw-quality")
    assert c.get(f"/quality/flags/{flag.pk}/").status_code == 403


def test_a_satisfied_callback_cannot_claim_a_contradiction(org: Any, at: Any) -> None:
    order = completed(org, at)
    c = Client()
    resp = c.post(
        f"/api/v1/orders/{order.pk}/actions/callback",
        data={"score": 9, "satisfied": True, "contradiction": "still_broken"},
        content_type="application/json",
        headers=bearer("quality"),
    )
    assert resp.status_code == 422 and "satisfied" in resp.json()["error"]["fields"]


def test_quality_cannot_close_early_without_a_callback_result(org: Any, at: Any) -> None:
    order = completed(org, at)
    with pytest.raises(GateRefused) as refused:
        do(at, "2026-11-21 10:00", order, "close", org.quality)
    assert "close" in refused.value.fields and "回访" in refused.value.message
    assert WorkOrder.objects.get(pk=order.pk).status == "completed"
    # Over the API: the clear error, the order unchanged.
    with at("2026-11-21 10:00"):
        resp = Client().post(
            f"/api/v1/orders/{order.pk}/actions/close",
            data={},
            content_type="application/json",
            headers=bearer("quality"),
        )
    assert resp.status_code == 422 and resp.json()["error"]["rule"] == "R17"
    # Once the window is over, quality may close it by hand.
    closed = do(at, "2026-11-22 11:30", order, "close", org.quality, note="多次回访未接通")
    assert closed.status == "closed"
    assert CallbackTask.objects.get(order=order).outcome == "closed"


def test_orders_nobody_called_back_close_at_the_end_of_the_window(org: Any, at: Any) -> None:
    order = completed(
        org, at
    )  # completed 11:00 on the 20th: the 48 h window ends 11:00 on the 22nd
    with at("2026-11-22 10:59"):
        assert run_due("w1") == 0
    with at("2026-11-22 11:01"):
        assert run_due("w1") == 1
        assert run_due("w1") == 0
    order.refresh_from_db()
    assert order.status == "closed"
    last = order.events.order_by("-seq").first()
    assert (last.action, last.actor_id, last.actor_role) == ("close", None, "system")
    assert CallbackTask.objects.get(order=order).outcome == "auto_closed"
    # Nobody called back in time: the quality desk's breach, charged to the branch.
    entry = Penalty.objects.get(order=order, rule="R17")
    assert (entry.technician_id, entry.branch_id) == (None, org.gs.pk)


def test_the_worker_runs_the_auto_close_duty(org: Any, at: Any) -> None:
    order = completed(org, at)
    with at("2026-11-22 11:30"):
        Worker().tick()
    assert WorkOrder.objects.get(pk=order.pk).status == "closed"
    # The order's page shows the system's close (an event without a person).
    c = Client()
    assert c.login(username="quality", password="pw-quality")
    page = c.get(f"/orders/{order.pk}/")
    assert page.status_code == 200 and "系统" in page.content.decode()


def test_a_late_callback_is_the_quality_desks_breach_not_the_technicians(org: Any, at: Any) -> None:
    order = completed(org, at)
    do(at, "2026-11-22 14:00", order, "callback", org.quality, score=9, satisfied=True)
    breach = Breach.objects.get(order=order, rule="R17")
    entry = Penalty.objects.get(order=order, rule="R17")
    assert breach.technician_id is None and entry.technician_id is None
    assert entry.branch_id == org.gs.pk and entry.amount == Decimal("10")
    assert not Penalty.objects.filter(order=order, technician=org.tech).exists()


def test_the_worker_sweep_also_charges_a_missed_callback_to_the_branch(org: Any, at: Any) -> None:
    order = completed(org, at)
    with at("2026-11-22 11:05"):
        Worker().sweep_clocks()
    entry = Penalty.objects.get(order=order, rule="R17")
    assert (entry.technician_id, entry.branch_id) == (None, org.gs.pk)


def test_the_desk_shows_the_customers_phone_and_logs_the_view(org: Any, at: Any) -> None:
    order = completed(org, at)
    c = Client()
    assert c.login(username="quality", password="pw-quality")
    with at("2026-11-20 12:00"):
        page = c.post("/quality/callbacks/next/", follow=True).content.decode()
    assert "13812345678" in page and order.number in page
    assert PersonalDataView.objects.filter(user=org.quality, order=order, via="callback").exists()
    assert CallbackTask.objects.get(order=order).claimed_by == org.quality
    # A technician has no desk.
    assert c.login(username="tech", password="pw-tech")
    assert c.get("/quality/callbacks/").status_code == 403
    assert Client().get("/api/v1/callbacks/queue", headers=bearer("tech")).status_code == 403
