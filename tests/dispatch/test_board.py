from __future__ import annotations

from datetime import date, time
from typing import Any

import time_machine
from django.test import Client

from doorstep.dispatch import planning
from doorstep.dispatch.models import DayPlan, HandoverItem, Leave, Shift, Territory
from doorstep.dispatch.services import build_request, sign_for, suggest, unsigned_orders
from doorstep.orders.actions import create_order, perform
from doorstep.orders.models import WorkOrder
from tests.conftest import install_data, make_user, repair_data

DAY = "2026-11-20"


def order_at(org: Any, lat: float, lng: float, **kw: Any) -> WorkOrder:
    data = repair_data(location={"lat": lat, "lng": lng}, area=kw.pop("area", "GS-DQ"), **kw)
    with time_machine.travel(f"{DAY} 08:10 +0800", tick=False):
        return create_order(org.operator, data)[0]


def test_orders_from_the_customer_department_wait_to_be_signed_for_and_one_click_signs_them(
    crew: Any,
) -> None:
    a = order_at(crew, 30.31, 120.14)
    b = order_at(crew, 30.32, 120.15)
    own, _ = create_order(crew.dispatcher, repair_data())  # registered by the branch itself
    assert {o.pk for o in unsigned_orders(crew.gs)} == {a.pk, b.pk}
    batch = sign_for(crew.gs, crew.dispatcher)
    assert batch is not None and batch.signed_by == crew.dispatcher
    assert set(HandoverItem.objects.values_list("order_id", flat=True)) == {a.pk, b.pk}
    assert not unsigned_orders(crew.gs).exists() and own.pk not in {a.pk, b.pk}
    assert sign_for(crew.gs, crew.dispatcher) is None


def test_suggestions_need_the_skill_prefer_the_territory_and_say_why(crew: Any) -> None:
    Territory.objects.create(
        branch=crew.gs, name="大关片", technician=crew.other_tech, area_codes=["GS-DQ"]
    )
    iptv = order_at(crew, 30.31, 120.14, symptom="IPTV 机顶盒无信号")
    names = [s.staff.user.username for s in suggest(iptv, date.fromisoformat(DAY))]
    assert names == ["tech"]  # other_tech has no IPTV skill
    plain = order_at(crew, 30.31, 120.14)
    best = suggest(plain, date.fromisoformat(DAY))
    assert best[0].staff.user.username == "other_tech"
    assert "属于其包片" in best[0].reasons and any("公里" in r for r in best[0].reasons)


def test_a_technician_on_leave_is_neither_suggested_nor_planned(crew: Any) -> None:
    Leave.objects.create(
        technician=crew.other_tech,
        first_day=date.fromisoformat(DAY),
        last_day=date.fromisoformat(DAY),
        reason="病假",
    )
    order = order_at(crew, 30.31, 120.14)
    assert [s.staff.user.username for s in suggest(order, date.fromisoformat(DAY))] == ["tech"]
    request, _ = build_request(crew.gs, date.fromisoformat(DAY))
    assert [t.username for t in request.technicians] == ["tech"]


def test_a_shift_entered_for_the_day_replaces_the_branch_default(crew: Any) -> None:
    Shift.objects.create(
        technician=crew.tech,
        day=date.fromisoformat(DAY),
        start=time(12),
        end=time(20),
        lunch_from=None,
        lunch_to=None,
    )
    request, _ = build_request(crew.gs, date.fromisoformat(DAY))
    t = request.technician("tech")
    assert t.shift_start.hour == 12 and not t.has_lunch


def test_the_day_plan_is_previewed_then_applied_as_assign_actions(crew: Any) -> None:
    # One area each: six faults of one area within the hour would be a batch fault (R14).
    orders = [
        order_at(crew, 30.30 + i * 0.005, 120.13 + i * 0.004, area=f"GS-DQ-{i}") for i in range(6)
    ]
    with time_machine.travel(f"{DAY} 07:30 +0800", tick=False):
        plan = planning.make_plan(crew.gs, date.fromisoformat(DAY), crew.dispatcher, seconds=1)
    assert plan.status == "preview" and plan.summary["violations"] == []
    assert plan.summary["visits"] + plan.summary["unassigned"] == 6
    assert not WorkOrder.objects.filter(
        technician__isnull=False
    ).exists()  # a preview changes nothing
    first = plan.routes[0]["visits"][0]["order"]
    result = planning.apply(plan, crew.dispatcher, overrides={first: "other_tech"})
    assert result.applied and len(result.assigned) == plan.summary["visits"] and not result.failed
    assert WorkOrder.objects.get(pk=first).technician.username == "other_tech"
    assigned = WorkOrder.objects.filter(pk__in=[o.pk for o in orders], status="dispatched").count()
    assert assigned == plan.summary["visits"]


def test_a_technician_off_sick_moves_their_booked_visits_and_lists_who_to_tell(crew: Any) -> None:
    booked = []
    for i, hour in enumerate([9, 10, 14]):
        o = order_at(crew, 30.30 + i * 0.01, 120.14)
        with time_machine.travel(f"{DAY} 08:20 +0800", tick=False):
            perform(o.pk, "assign", crew.dispatcher, {"technician": "tech"})
            perform(o.pk, "accept", crew.tech, {})
            perform(
                o.pk,
                "schedule",
                crew.tech,
                {
                    "start": f"{DAY}T{hour:02d}:00:00+08:00",
                    "end": f"{DAY}T{hour + 1:02d}:00:00+08:00",
                },
            )
        booked.append(o)
    with time_machine.travel(f"{DAY} 08:30 +0800", tick=False):
        first = planning.make_plan(crew.gs, date.fromisoformat(DAY), crew.dispatcher, seconds=1)
        planning.apply(first, crew.dispatcher)
    tech_of = {v["order"]: r["technician"] for r in first.routes for v in r["visits"]}
    on_tech = [o.pk for o in booked if tech_of.get(o.pk) == "tech"]
    with time_machine.travel(f"{DAY} 08:40 +0800", tick=False):
        again = planning.make_plan(
            crew.gs,
            date.fromisoformat(DAY),
            crew.dispatcher,
            seconds=1,
            off_sick=["tech"],
            replan=True,
        )
    assert all(r["technician"] != "tech" for r in again.routes)
    assert {m["order"] for m in again.moved} == set(on_tech)
    assert DayPlan.objects.get(pk=first.pk).status == "superseded"  # the new preview replaces it


def test_the_board_is_for_dispatchers_and_shows_the_time_lines(crew: Any) -> None:
    order_at(crew, 30.31, 120.14)
    c = Client()
    c.login(username="tech", password="pw-tech")
    assert c.get("/dispatch/").status_code == 403
    c.login(username="dispatcher", password="pw-dispatcher")
    page = c.get("/dispatch/", {"day": DAY}).content.decode()
    assert 'data-tech="tech"' in page and 'data-tech="other_tech"' in page and "待签收" in page


def test_an_install_needing_a_skill_nobody_has_is_left_out_with_the_reason(crew: Any) -> None:
    make_user("tl_only", ["technician"], crew.tl, technician=True)
    with time_machine.travel(f"{DAY} 08:10 +0800", tick=False):
        create_order(
            crew.operator, install_data(product="空调安装", location={"lat": 30.31, "lng": 120.14})
        )
    with time_machine.travel(f"{DAY} 07:30 +0800", tick=False):
        plan = planning.make_plan(crew.gs, date.fromisoformat(DAY), crew.dispatcher, seconds=1)
    assert plan.summary["unassigned"] == 1 and plan.unassigned[0]["reason"]


def test_orders_overdue_for_days_are_planned_not_left_out_as_if_there_were_no_room(
    crew: Any,
) -> None:
    orders = [order_at(crew, 30.30 + i * 0.005, 120.13 + i * 0.004) for i in range(2)]
    later = "2026-11-25"  # their restore deadlines passed four days ago
    with time_machine.travel(f"{later} 07:30 +0800", tick=False):
        plan = planning.make_plan(crew.gs, date.fromisoformat(later), crew.dispatcher, seconds=1)
    assert plan.summary["visits"] == len(orders) and plan.unassigned == []
