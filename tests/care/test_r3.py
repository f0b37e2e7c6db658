"""R3 as configured: the pre-visit call counts between the row's earliest minute and the booked
time — the window the phone shows (doorstep.standards.windows.pre_call_window)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from doorstep.orders.actions import create_order
from doorstep.standards.models import Breach
from doorstep.standards.windows import pre_call_window
from tests.conftest import install_data
from tests.standards.conftest import do

D = "2026-11-20"


def _booked(org: Any, at: Any) -> Any:
    with at(f"{D} 09:00"):
        order, _ = create_order(org.operator, install_data())
    do(at, f"{D} 09:05", order, "assign", org.dispatcher, {"technician": "tech"})
    do(at, f"{D} 09:10", order, "accept", org.tech)
    do(at, f"{D} 09:15", order, "contact", org.tech, {"outcome": "reached"})
    return do(
        at,
        f"{D} 09:20",
        order,
        "schedule",
        org.tech,
        {"start": f"{D}T14:00:00+08:00", "end": f"{D}T15:00:00+08:00"},
    )


def test_a_call_15_minutes_before_the_booking_satisfies_r3(org: Any, at: Any) -> None:
    order = _booked(org, at)
    do(at, f"{D} 13:45", order, "contact", org.tech, {"outcome": "reached"})
    do(at, f"{D} 14:05", order, "arrive", org.tech)
    assert not Breach.objects.filter(order=order, rule="R3").exists()


def test_a_call_after_the_booked_time_is_not_a_pre_visit_call(org: Any, at: Any) -> None:
    order = _booked(org, at)
    do(at, f"{D} 14:02", order, "contact", org.tech, {"outcome": "reached"})
    do(at, f"{D} 14:06", order, "arrive", org.tech)
    breach = Breach.objects.get(order=order, rule="R3")
    assert breach.evidence["window_to"] == "2026-11-20T06:00:00+00:00"  # 14:00 Shanghai


def test_the_window_follows_the_policy_row(org: Any, at: Any) -> None:
    from doorstep.standards import policies
    from doorstep.standards.models import Policy

    order = _booked(org, at)
    row = Policy.objects.get(key="check.R3")
    row.params = {**row.params, "earliest_minutes": 20}
    policies.save_policy(row, org.admin, "test")
    policies.clear_cache()
    window = pre_call_window(order)
    assert window is not None and window.opens == datetime(2026, 11, 20, 5, 40, tzinfo=UTC)
    do(at, f"{D} 13:30", order, "contact", org.tech, {"outcome": "reached"})  # too early now
    do(at, f"{D} 13:58", order, "arrive", org.tech)
    assert Breach.objects.filter(order=order, rule="R3").exists()
