"""One test per rule of issue 3: clocks, calendars, checks, gates, the ledger and the worker."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from doorstep.core.errors import GateRefused
from doorstep.notifications.models import Notification
from doorstep.orders.actions import create_order, perform
from doorstep.orders.attachments import store_attachment
from doorstep.standards.calendar import library_has_year
from doorstep.standards.models import (
    Breach,
    Calendar,
    Clock,
    HolidayDay,
    Penalty,
    Policy,
    ReportBack,
)
from doorstep.worker import Worker
from tests.conftest import bearer, install_data, repair_data
from tests.standards.conftest import clock, do, fault_at

D = "2026-11-20"


def assigned(org: Any, at: Any, when: str = f"{D} 09:00") -> Any:
    order = fault_at(org, at, when)
    do(at, when.replace("09:00", "09:05"), order, "assign", org.dispatcher, {"technician": "tech"})
    return order


# -- the worker -------------------------------------------------------------------------------


def test_the_worker_marks_a_breach_when_nobody_touches_the_order_and_only_once(
    org: Any, at: Any
) -> None:
    order = assigned(org, at)
    with at(f"{D} 09:34"):
        Worker().tick()
    assert clock(order.pk, "contact").status == "running"
    with at(f"{D} 09:36"):
        Worker().tick()
        Worker().tick()
    c = clock(order.pk, "contact")
    assert c.status == "breached" and c.breached_at == c.deadline
    assert Breach.objects.filter(clock=c).count() == 1
    assert Penalty.objects.filter(order=order, rule="R1").count() == 1


def test_the_worker_warns_technician_and_team_lead_at_80_percent_once(org: Any, at: Any) -> None:
    from doorstep.org.models import Team

    team = Team.objects.create(branch=org.gs, name="一班", lead=org.other_tech)
    org.tech.staff.team = team
    org.tech.staff.save()
    order = assigned(org, at)
    with at(f"{D} 09:29"):  # assigned 09:05: 24 of 30 minutes gone = 80 %
        Worker().tick()
        Worker().tick()
    warned = Notification.objects.filter(kind="warning", order=order)
    assert sorted(warned.values_list("recipient__username", flat=True)) == ["other_tech", "tech"]
    assert all(n.status == "sent" for n in warned)
    assert "30分钟联系" in warned.first().body


def test_after_a_breach_the_manager_is_told_once(org: Any, at: Any) -> None:
    order = assigned(org, at)
    with at(f"{D} 09:36"):
        Worker().tick()
    with at(f"{D} 09:37"):
        Worker().tick()
        Worker().tick()
    esc = Notification.objects.filter(kind="escalation", order=order)
    assert list(esc.values_list("recipient__username", flat=True)) == ["manager"]
    assert clock(order.pk, "contact").escalated_at is not None


def test_the_workers_warnings_and_escalations_go_to_the_phones_on_the_staff_roster(
    org: Any, at: Any
) -> None:
    """With an SMS gateway, a notice without a number is refused ("没有收信号码"): the worker's
    warning and escalation must carry the recipient's roster phone (found by `bench load`)."""
    org.tech.staff.phone = "13911112222"
    org.tech.staff.save()
    org.manager.staff.phone = "13933334444"
    org.manager.staff.save()
    order = assigned(org, at)
    with at(f"{D} 09:29"):
        Worker().tick()
    with at(f"{D} 09:36"):
        Worker().tick()
    with at(f"{D} 09:37"):
        Worker().tick()
    warning = Notification.objects.get(kind="warning", order=order, recipient=org.tech)
    escalation = Notification.objects.get(kind="escalation", order=order)
    assert (warning.to_phone, escalation.to_phone) == ("13911112222", "13933334444")


def test_a_call_made_offline_before_the_deadline_voids_the_breach_the_worker_marked(
    org: Any, at: Any
) -> None:
    order = assigned(org, at)
    with at(f"{D} 09:36"):
        Worker().tick()
    assert Penalty.objects.get(order=order, rule="R1").status == "open"
    # The phone was in a lift shaft: the 09:20 call reaches the server at 09:50.
    do(
        at,
        f"{D} 09:50",
        order,
        "contact",
        org.tech,
        {"outcome": "reached", "occurred_at": f"{D}T09:20:00+08:00"},
    )
    c = clock(order.pk, "contact")
    assert c.status == "met" and c.stopped_at.isoformat() == "2026-11-20T01:20:00+00:00"
    assert Penalty.objects.get(order=order, rule="R1").status == "void"
    assert Breach.objects.get(clock=c).void is True


# -- clocks as of a time ----------------------------------------------------------------------


def test_the_clocks_endpoint_answers_as_of_any_time(org: Any, at: Any) -> None:
    order = assigned(org, at)
    do(at, f"{D} 09:50", order, "contact", org.tech, {"outcome": "reached"})
    c = Client()
    h = bearer("dispatcher")

    def as_of(when: str) -> dict[str, Any]:
        rows = c.get(f"/api/v1/orders/{order.pk}/clocks", {"at": when}, headers=h).json()
        return {r["name"]: r for r in rows}

    early = as_of(f"{D}T09:20:00+08:00")
    assert early["contact"]["status"] == "running" and early["restore"]["status"] == "running"
    assert early["contact"]["stopped_at"] is None
    mid = as_of(f"{D}T09:40:00+08:00")
    assert mid["contact"]["status"] == "breached" and mid["contact"]["stopped_at"] is None
    late = as_of(f"{D}T10:00:00+08:00")
    assert (
        late["contact"]["status"] == "breached"
        and late["contact"]["stopped_at"] == "2026-11-20T01:50:00+00:00"
    )
    assert late["first_reply"]["status"] == "met"
    assert set(as_of(f"{D}T09:02:00+08:00")) == {
        "first_reply",
        "restore",
    }  # contact had not started
    assert set(late["restore"]) == {
        "name",
        "status",
        "started_at",
        "deadline",
        "paused_seconds",
        "stopped_at",
    }


def test_a_suspension_for_no_capacity_does_not_stop_the_clocks(org: Any, at: Any) -> None:
    order = assigned(org, at)
    do(at, f"{D} 09:10", order, "suspend", org.dispatcher, {"reason": "no_capacity"})
    assert clock(order.pk, "restore").status == "running"
    do(at, f"{D} 10:10", order, "resume", org.dispatcher)
    assert clock(order.pk, "restore").deadline.isoformat() == "2026-11-21T01:00:00+00:00"


def test_a_severe_fault_takes_the_deadline_a_manager_approved(org: Any, at: Any) -> None:
    with at(f"{D} 09:00"):
        order, _ = create_order(
            org.operator, repair_data(fault_class="severe", approved_deadline=f"{D}T21:00:00+08:00")
        )
    assert clock(order.pk, "restore").deadline.isoformat() == "2026-11-20T13:00:00+00:00"


# -- calendars --------------------------------------------------------------------------------


def use_working_hours(minutes: int) -> None:
    cal = Calendar.objects.get(kind="working_hours")
    Policy.objects.filter(key="clock.restore", fault_class="line").update(
        calendar=cal, minutes=minutes
    )
    from doorstep.standards import policies

    policies.clear_cache()


def test_a_working_hours_deadline_skips_the_national_day_holiday(org: Any, at: Any) -> None:
    use_working_hours(16 * 60)  # two 8-hour working days
    order = fault_at(org, at, "2025-09-30 17:00")
    # 1 h on 30 Sep, nothing 1–8 Oct, 8 h on 9 Oct, 7 h on 10 Oct → 17:00 on 10 Oct.
    assert clock(order.pk, "restore").deadline.isoformat() == "2025-10-10T09:00:00+00:00"


def test_a_make_up_working_saturday_counts(org: Any, at: Any) -> None:
    use_working_hours(8 * 60)
    order = fault_at(org, at, "2025-10-10 17:00")  # Friday; Saturday 11 Oct is a 调休 working day
    assert clock(order.pk, "restore").deadline.isoformat() == "2025-10-11T09:00:00+00:00"


def test_a_year_without_holiday_data_falls_back_to_weekends_and_entered_days_win(
    org: Any, at: Any
) -> None:
    year = 2030
    assert not library_has_year(year)
    use_working_hours(8 * 60)
    order = fault_at(org, at, f"{year}-01-04 17:00")  # a Friday: falls back to Mon–Fri
    assert clock(order.pk, "restore").deadline.isoformat() == f"{year}-01-07T09:00:00+00:00"
    HolidayDay.objects.create(date=date(year, 1, 7), is_working=False, name="元旦调休")
    HolidayDay.objects.create(date=date(year, 1, 5), is_working=True, name="元旦补班")
    order2 = fault_at(org, at, f"{year}-01-04 17:00")
    assert clock(order2.pk, "restore").deadline.isoformat() == f"{year}-01-05T09:00:00+00:00"


# -- checks and gates -------------------------------------------------------------------------


def booked(
    org: Any,
    at: Any,
    order: Any,
    start: str = f"{D}T14:00:00+08:00",
    end: str = f"{D}T15:00:00+08:00",
) -> Any:
    do(at, f"{D} 09:10", order, "accept", org.tech)
    do(at, f"{D} 09:15", order, "contact", org.tech, {"outcome": "reached"})
    do(at, f"{D} 09:16", order, "schedule", org.tech, {"start": start, "end": end})
    return order


@pytest.mark.parametrize(
    "when,by,breach",
    [("13:00", "crew", True), ("11:00", "crew", False), ("13:30", "customer", False)],
)
def test_r7_a_crew_moving_a_booking_with_less_than_2h_notice_is_a_breach(
    org: Any, at: Any, when: str, by: str, breach: bool
) -> None:
    order = booked(org, at, assigned(org, at))
    do(
        at,
        f"{D} {when}",
        order,
        "reschedule",
        org.tech,
        {
            "start": f"{D}T16:00:00+08:00",
            "end": f"{D}T17:00:00+08:00",
            "reason": "前一单超时",
            "requested_by": by,
        },
    )
    found = Breach.objects.filter(order=order, rule="R7")
    assert found.exists() is breach
    if breach:
        assert found.get().evidence["notice_minutes"] == 60
        assert clock(order.pk, "arrival").deadline.isoformat() == "2026-11-20T08:00:00+00:00"


def test_r9_leaving_after_five_minutes_without_calling_is_recorded(org: Any, at: Any) -> None:
    order = booked(org, at, assigned(org, at))
    do(at, f"{D} 13:55", order, "arrive", org.tech)
    do(
        at,
        f"{D} 14:00",
        order,
        "absent",
        org.tech,
        {
            "arrived_at": f"{D}T13:55:00+08:00",
            "left_at": f"{D}T14:00:00+08:00",
            "note": "敲门无人",
            "contact_phone": "13900001111",
            "contact_person": "邻居",
        },
    )
    breach = Breach.objects.get(order=order, rule="R9")
    assert breach.evidence["waited_minutes"] == 5.0 and breach.evidence["calls_while_there"] == []


def test_r9_waiting_and_calling_first_is_not_a_breach(org: Any, at: Any) -> None:
    order = booked(org, at, assigned(org, at))
    do(at, f"{D} 13:55", order, "arrive", org.tech)
    do(at, f"{D} 14:00", order, "contact", org.tech, {"outcome": "no_answer"})
    do(
        at,
        f"{D} 14:08",
        order,
        "absent",
        org.tech,
        {
            "arrived_at": f"{D}T13:55:00+08:00",
            "left_at": f"{D}T14:08:00+08:00",
            "note": "敲门无人，电话未接",
            "contact_phone": "13900001111",
            "contact_person": "邻居",
        },
    )
    assert not Breach.objects.filter(order=order, rule="R9").exists()


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buf, format="PNG")
    return buf.getvalue()


def on_site_install(org: Any, at: Any) -> Any:
    with at(f"{D} 09:00"):
        order, _ = create_order(org.operator, install_data())
    do(at, f"{D} 09:05", order, "assign", org.dispatcher, {"technician": "tech"})
    booked(org, at, order)
    do(at, f"{D} 13:50", order, "contact", org.tech, {"outcome": "reached"})
    do(at, f"{D} 13:58", order, "arrive", org.tech)
    return order


DONE = {"resolution": "已开通", "no_signature_reason": "客户手受伤", "rating": 5}


def test_r10_an_install_cannot_close_without_speed_test_and_photo(org: Any, at: Any) -> None:
    order = on_site_install(org, at)
    with at(f"{D} 14:30"), pytest.raises(GateRefused) as exc:
        perform(order.pk, "complete", org.tech, DONE)
    assert set(exc.value.fields) == {"speed_test", "photo"} and exc.value.rule == "R10"
    assert "测速" in exc.value.message
    with at(f"{D} 14:31"):
        store_attachment(order.pk, org.tech, kind="photo", data=png(), filename="a.png")
        store_attachment(
            order.pk,
            org.tech,
            kind="speed_test",
            data=png(),
            filename="s.png",
            down_mbps=500,
            up_mbps=50,
        )
    order = do(at, f"{D} 14:35", order, "complete", org.tech, DONE)
    assert order.status == "completed"
    assert not Breach.objects.filter(order=order, rule__in=["R3", "R6", "R8"]).exists()


def test_r10_disk_work_needs_the_backup_consent(org: Any, at: Any) -> None:
    order = assigned(org, at)
    booked(org, at, order)
    do(at, f"{D} 13:58", order, "arrive", org.tech)
    with at(f"{D} 14:30"), pytest.raises(GateRefused) as exc:
        perform(order.pk, "complete", org.tech, {**DONE, "work": ["disk_data"]})
    assert "work" in exc.value.fields
    do(at, f"{D} 14:31", order, "consent", org.tech, {"subject": "disk_data", "granted": True})
    assert (
        do(at, f"{D} 14:35", order, "complete", org.tech, {**DONE, "work": ["disk_data"]}).status
        == "completed"
    )


def test_r12_drilling_without_consent_is_a_breach_and_with_consent_is_not(
    org: Any, at: Any
) -> None:
    order = assigned(org, at)
    booked(org, at, order)
    do(at, f"{D} 13:58", order, "arrive", org.tech)
    do(at, f"{D} 14:00", order, "consent", org.tech, {"subject": "enter_room", "granted": True})
    do(
        at,
        f"{D} 14:35",
        order,
        "complete",
        org.tech,
        {**DONE, "work": ["drill_wall", "enter_room"]},
    )
    breach = Breach.objects.get(order=order, rule="R12")
    assert breach.evidence["work_without_consent"] == ["drill_wall"]


def test_r3_an_install_visit_without_a_call_shortly_before_is_recorded(org: Any, at: Any) -> None:
    with at(f"{D} 09:00"):
        order, _ = create_order(org.operator, install_data())
    do(at, f"{D} 09:05", order, "assign", org.dispatcher, {"technician": "tech"})
    booked(org, at, order)
    do(at, f"{D} 13:58", order, "arrive", org.tech)
    assert Breach.objects.filter(order=order, rule="R3").exists()


# -- report-backs, complaints and the ledger --------------------------------------------------


def test_r16_a_report_back_the_record_contradicts_is_false_and_penalised(org: Any, at: Any) -> None:
    order = assigned(org, at)
    do(at, f"{D} 09:06", order, "accept", org.tech)
    do(
        at,
        f"{D} 09:20",
        order,
        "report_back",
        org.tech,
        {"reason": "客户联系不上", "note": "多次拨打无人接听"},
    )
    rb = ReportBack.objects.get(order=order)
    assert rb.status == "false" and "没有一次未接通" in rb.contradiction
    assert Penalty.objects.get(order=order, rule="R16").amount == Decimal("20")


def test_r16_an_approved_report_back_exempts_the_breach_it_warned_of(org: Any, at: Any) -> None:
    order = assigned(org, at)
    do(at, f"{D} 09:06", order, "accept", org.tech)
    do(at, f"{D} 09:10", order, "contact", org.tech, {"outcome": "no_answer"})
    do(
        at,
        "2026-11-21 08:00",
        order,
        "report_back",
        org.tech,
        {"reason": "客户联系不上", "note": "三次未接，已发短信"},
    )
    rb = ReportBack.objects.get(order=order)
    assert rb.status == "pending" and "restore" in [c.name for c in rb.clocks.all()]
    with at("2026-11-21 08:30"):
        from doorstep.standards.checks import decide_report_back

        decide_report_back(rb, org.manager, approve=True, note="属实")
    with at("2026-11-21 09:01"):
        Worker().tick()
    assert Penalty.objects.get(order=order, rule="R4").status == "exempted"


def test_r20_a_complaint_to_the_hotline_costs_100_once_upheld(org: Any, at: Any) -> None:
    order = assigned(org, at)
    do(
        at,
        f"{D} 10:00",
        order,
        "complain",
        org.operator,
        {"channel": "hotline", "note": "师傅态度差"},
    )
    assert not Penalty.objects.filter(order=order, rule="R20").exists()  # a case, not a charge
    case = order.complaints.get()
    do(
        at,
        f"{D} 15:00",
        order,
        "verify_complaint",
        org.quality,
        {"complaint": case.pk, "finding": "upheld", "note": "录音核实属实"},
    )
    p = Penalty.objects.get(order=order, rule="R20")
    assert (p.amount, p.technician) == (Decimal("100"), org.tech)


def test_a_technician_appeals_and_a_manager_decides_over_the_api(org: Any, at: Any) -> None:
    order = assigned(org, at)
    do(at, f"{D} 09:50", order, "contact", org.tech, {"outcome": "reached"})
    c = Client()
    listed = c.get(
        "/api/v1/penalties", {"technician": "tech", "order": order.pk}, headers=bearer("tech")
    ).json()
    (entry,) = listed["results"]
    assert (entry["rule"], entry["amount"], entry["status"], entry["technician"]) == (
        "R1",
        10.0,
        "open",
        "tech",
    )
    assert c.get("/api/v1/penalties", headers=bearer("other_tech")).json()["count"] == 0
    url = f"/api/v1/penalties/{entry['id']}"
    assert (
        c.post(
            f"{url}/appeal",
            data=json.dumps({"reason": "x"}),
            content_type="application/json",
            headers=bearer("other_tech"),
        ).status_code
        == 404
    )
    ok = c.post(
        f"{url}/appeal",
        data=json.dumps({"reason": "客户电话停机，已有截图"}),
        content_type="application/json",
        headers=bearer("tech"),
    )
    assert ok.json()["status"] == "appealed"
    assert (
        c.post(
            f"{url}/decide",
            data=json.dumps({"uphold": False}),
            content_type="application/json",
            headers=bearer("tech"),
        ).status_code
        == 403
    )
    done = c.post(
        f"{url}/decide",
        data=json.dumps({"uphold": False, "note": "情况属实"}),
        content_type="application/json",
        headers=bearer("manager"),
    )
    assert done.json()["status"] == "exempted"


def test_every_clock_of_an_order_is_indexed_for_the_sweep(org: Any, at: Any) -> None:
    order = assigned(org, at)
    due = Clock.objects.filter(order=order, next_check_at__isnull=False)
    assert {c.name for c in due} == {"contact", "first_reply", "restore"}
