"""R13 repeats that escalate, and R15 chases: counted, notified, escalated (clock moved)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from doorstep.notifications.models import Notification
from doorstep.orders.actions import create_order, perform
from doorstep.standards.models import Penalty
from tests.care.helpers import close_out
from tests.conftest import bearer, repair_data

D = "2026-11-20"


def _report(org: Any, at: Any, when: str, **overrides: Any) -> Any:
    with at(when):
        order, event = create_order(org.operator, repair_data(**overrides))
    return order, event


def test_a_repeat_of_a_repeat_escalates_to_the_lead_of_whoever_closed_the_earlier_one(
    org: Any, lead: Any, at: Any
) -> None:
    first, _ = _report(org, at, f"{D} 09:00")
    with at(f"{D} 10:00"):
        close_out(first, org, org.tech)
    second, event = _report(org, at, "2026-11-22 09:00")
    assert second.repeat_of_id == first.pk and "escalation" not in event.payload
    with at("2026-11-22 10:00"):
        close_out(second, org, org.other_tech)
    third, event = _report(org, at, "2026-11-24 09:00")

    assert third.repeat_of_id == second.pk
    assert event.payload["escalation"]["reason"] == "repeat_of_repeat"
    assert event.payload["escalation"]["to"] == "lead"
    assert second.number in event.payload["escalation"]["note"]
    notice = Notification.objects.get(kind="escalation", order=third)
    assert notice.recipient == lead and "技能更高" in notice.body
    # The 20 ¥ entry goes to whoever closed the earlier order (other_tech), not to `tech`.
    entry = Penalty.objects.get(order=third, rule="R13")
    assert (entry.technician, entry.amount) == (org.other_tech, Decimal("20"))


def test_a_first_repeat_does_not_escalate(org: Any, lead: Any, at: Any) -> None:
    first, _ = _report(org, at, f"{D} 09:00")
    with at(f"{D} 10:00"):
        close_out(first, org, org.tech)
    second, event = _report(org, at, "2026-11-22 09:00")
    assert second.repeat_of_id == first.pk and "escalation" not in event.payload
    assert not Notification.objects.filter(kind="escalation").exists()


def _assigned(org: Any, at: Any, **overrides: Any) -> Any:
    order, _ = _report(org, at, f"{D} 09:00", **overrides)
    with at(f"{D} 09:05"):
        perform(order.pk, "assign", org.dispatcher, {"technician": "tech"})
    return order


def test_chases_are_counted_notified_to_the_technician_and_the_third_escalates(
    client: Any, org: Any, lead: Any, at: Any
) -> None:
    order = _assigned(org, at)
    events = []
    for n, when in enumerate(["10:00", "10:30", "11:00"], start=1):
        with at(f"{D} {when}"):
            _, e = perform(order.pk, "chase", org.operator, {"by": "customer", "note": f"第{n}次"})
        events.append(e)
    assert [e.payload["chase_number"] for e in events] == [1, 2, 3]
    assert "escalation" not in events[0].payload and "escalation" not in events[1].payload
    assert events[2].payload["escalation"]["reason"] == "chases"
    assert events[2].payload["escalation"]["to"] == "lead"

    to_tech = Notification.objects.filter(kind="chase", order=order, recipient=org.tech)
    assert to_tech.count() == 3
    (escalated,) = Notification.objects.filter(kind="escalation", order=order)
    assert escalated.recipient == lead and "第 3 次催单" in escalated.body

    resp = client.get(
        f"/api/v1/orders/{order.pk}",
        HTTP_AUTHORIZATION=bearer("operator")["Authorization"],
    )
    assert resp.json()["chases"] == 3


def test_a_chase_that_mentions_a_complaint_escalates_at_once(org: Any, lead: Any, at: Any) -> None:
    order = _assigned(org, at)
    with at(f"{D} 10:00"):
        _, e = perform(order.pk, "chase", org.operator, {"by": "customer", "note": "再不来就投诉"})
    assert e.payload["escalation"]["reason"] == "complaint_risk"
    assert "投诉" in e.payload["escalation"]["note"]


def test_a_vip_customer_chasing_is_complaint_risk(org: Any, lead: Any, at: Any) -> None:
    data = repair_data()
    data["customer"]["grade"] = "vip"
    with at(f"{D} 09:00"):
        order, _ = create_order(org.operator, data)
    with at(f"{D} 10:00"):
        _, e = perform(order.pk, "chase", org.operator, {"by": "operator"})
    assert e.payload["escalation"]["reason"] == "complaint_risk"


def test_a_chase_after_80_percent_of_the_restore_time_escalates(
    org: Any, lead: Any, at: Any
) -> None:
    order = _assigned(org, at)
    with at(f"{D} 20:00"):  # 11 h of 24: not yet
        _, early = perform(order.pk, "chase", org.operator, {"by": "customer"})
    with at("2026-11-21 04:30"):  # 19.5 h of 24: past 80 %
        _, late = perform(order.pk, "chase", org.operator, {"by": "customer"})
    assert "escalation" not in early.payload
    assert late.payload["escalation"]["reason"] == "complaint_risk"
    assert "修复时限" in late.payload["escalation"]["note"]


def test_the_chase_count_comes_from_the_policy_row(org: Any, lead: Any, at: Any) -> None:
    from doorstep.standards import policies
    from doorstep.standards.models import Policy

    row = Policy.objects.get(key="escalation.chase")
    row.params = {**row.params, "chases": 1}
    policies.save_policy(row, org.admin, "test")
    policies.clear_cache()
    order = _assigned(org, at)
    with at(f"{D} 10:00"):
        _, first = perform(order.pk, "chase", org.operator, {"by": "customer"})
        _, second = perform(order.pk, "chase", org.operator, {"by": "customer"})
    assert "escalation" not in first.payload and second.payload["escalation"]["reason"] == "chases"


def test_the_api_reports_chases_as_a_count(client: Any, org: Any, at: Any) -> None:
    order = _assigned(org, at)
    resp = client.get(
        f"/api/v1/orders/{order.pk}", HTTP_AUTHORIZATION=bearer("operator")["Authorization"]
    )
    assert resp.json()["chases"] == 0


def test_the_worker_sends_the_chase_and_escalation_notices(org: Any, lead: Any, at: Any) -> None:
    from doorstep.worker import Worker

    order = _assigned(org, at)
    with at(f"{D} 10:00"):
        perform(order.pk, "chase", org.operator, {"by": "customer", "note": "要投诉"})
        Worker().tick()
    sent = Notification.objects.filter(order=order, kind__in=["chase", "escalation"])
    assert sorted(sent.values_list("kind", "status")) == [
        ("chase", "sent"),
        ("escalation", "sent"),
    ]
