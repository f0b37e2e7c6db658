"""SPEC §6, each worked example as it is written, with the clock moved (never slept)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from doorstep.orders.actions import create_order
from doorstep.standards.models import Breach, Penalty
from tests.conftest import repair_data
from tests.standards.conftest import clock, do, fault_at

D = "2026-11-20"


def test_first_call_at_0950_breaches_contact_at_0935_and_meets_first_reply(
    org: Any, at: Any
) -> None:
    order = fault_at(org, at, f"{D} 09:00")
    do(at, f"{D} 09:05", order, "assign", org.dispatcher, {"technician": "tech"})
    do(at, f"{D} 09:50", order, "contact", org.tech, {"outcome": "reached"})
    contact = clock(order.pk, "contact")
    assert contact.status == "breached"
    assert contact.deadline.isoformat() == "2026-11-20T01:35:00+00:00"  # 09:35 Shanghai
    first_reply = clock(order.pk, "first_reply")
    assert first_reply.status == "met"
    assert first_reply.deadline.isoformat() == "2026-11-20T09:00:00+00:00"  # 17:00 Shanghai
    assert first_reply.stopped_at.isoformat() == "2026-11-20T01:50:00+00:00"
    (penalty,) = Penalty.objects.filter(order=order)
    assert (penalty.rule, penalty.amount, penalty.status, penalty.technician) == (
        "R1",
        Decimal("10"),
        "open",
        org.tech,
    )


def _booked(org: Any, at: Any) -> Any:
    order = fault_at(org, at, f"{D} 09:00")
    do(at, f"{D} 09:05", order, "assign", org.dispatcher, {"technician": "tech"})
    do(at, f"{D} 09:10", order, "accept", org.tech)
    do(at, f"{D} 09:15", order, "contact", org.tech, {"outcome": "reached"})
    do(
        at,
        f"{D} 09:16",
        order,
        "schedule",
        org.tech,
        {"start": f"{D}T14:00:00+08:00", "end": f"{D}T15:00:00+08:00"},
    )
    return order


def test_arriving_at_1407_without_notice_breaches_arrival_and_r8(org: Any, at: Any) -> None:
    order = _booked(org, at)
    do(at, f"{D} 14:07", order, "arrive", org.tech)
    arrival = clock(order.pk, "arrival")
    assert (
        arrival.status == "breached" and arrival.deadline.isoformat() == "2026-11-20T06:00:00+00:00"
    )
    rules = sorted(Breach.objects.filter(order=order).values_list("rule", flat=True))
    assert rules == ["R6", "R8"]
    r8 = Breach.objects.get(order=order, rule="R8")
    assert r8.evidence["late_minutes"] == 7 and r8.evidence["delay_notices"] == []


def test_a_delay_notice_at_1320_satisfies_r8_and_only_arrival_is_breached(
    org: Any, at: Any
) -> None:
    order = _booked(org, at)
    do(
        at,
        f"{D} 13:20",
        order,
        "notify_delay",
        org.tech,
        {"eta": f"{D}T14:10:00+08:00", "reason": "前一单超时"},
    )
    do(at, f"{D} 14:07", order, "arrive", org.tech)
    assert list(Breach.objects.filter(order=order).values_list("rule", flat=True)) == ["R6"]


def test_a_delay_notice_given_too_late_still_breaches_r8(org: Any, at: Any) -> None:
    order = _booked(org, at)
    do(
        at,
        f"{D} 13:50",
        order,
        "notify_delay",
        org.tech,
        {"eta": f"{D}T14:10:00+08:00", "reason": "堵车"},
    )
    do(at, f"{D} 14:07", order, "arrive", org.tech)
    assert Breach.objects.get(order=order, rule="R8").evidence["delay_notices"]


def _restore_path(org: Any, at: Any, suspend: bool) -> Any:
    order = fault_at(org, at, f"{D} 09:00")
    do(at, f"{D} 09:05", order, "assign", org.dispatcher, {"technician": "tech"})
    do(at, f"{D} 09:10", order, "accept", org.tech)
    do(at, f"{D} 09:15", order, "contact", org.tech, {"outcome": "reached"})
    if suspend:
        do(
            at,
            f"{D} 10:00",
            order,
            "suspend",
            org.tech,
            {"reason": "customer_request", "note": "客户晚上才在家"},
        )
        do(at, f"{D} 18:00", order, "resume", org.tech)
    do(
        at,
        "2026-11-21 09:30",
        order,
        "schedule",
        org.tech,
        {"start": "2026-11-21T14:00:00+08:00", "end": "2026-11-21T15:30:00+08:00"},
    )
    do(at, "2026-11-21 14:00", order, "arrive", org.tech)
    do(
        at,
        "2026-11-21 15:10",
        order,
        "complete",
        org.tech,
        {"resolution": "更换尾纤", "no_signature_reason": "客户外出", "rating": 5},
    )
    return order


def test_completed_at_1510_next_day_breaches_restore_due_at_0900(org: Any, at: Any) -> None:
    order = _restore_path(org, at, suspend=False)
    restore = clock(order.pk, "restore")
    assert restore.status == "breached"
    assert restore.deadline.isoformat() == "2026-11-21T01:00:00+00:00"  # 09:00 next day


def test_a_customer_requested_suspension_moves_the_deadline_to_1700_and_restore_is_met(
    org: Any, at: Any
) -> None:
    order = _restore_path(org, at, suspend=True)
    restore = clock(order.pk, "restore")
    assert restore.status == "met"
    assert restore.deadline.isoformat() == "2026-11-21T09:00:00+00:00"  # 17:00 next day
    assert restore.paused_seconds == 8 * 3600


def test_a_fault_five_days_after_close_out_is_a_repeat_charged_to_who_closed_it(
    org: Any, at: Any
) -> None:
    first = _restore_path(org, at, suspend=True)
    with at("2026-11-26 10:00"):
        again, _ = create_order(org.operator, repair_data(symptom="又断网了"))
    assert again.repeat_of_id == first.pk
    (entry,) = Penalty.objects.filter(order=again)
    assert (entry.rule, entry.amount, entry.technician) == ("R13", Decimal("20"), org.tech)
    assert Breach.objects.get(order=again, rule="R13").evidence["repeat_of"] == first.number
