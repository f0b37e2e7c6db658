from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from doorstep.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from doorstep.orders.actions import create_order, perform
from doorstep.orders.models import OrderEvent, WorkOrder
from tests.conftest import install_data, iso, repair_data, walk_to


def snapshot(order_id: int) -> tuple[Any, ...]:
    o = WorkOrder.objects.get(pk=order_id)
    return (
        o.status,
        o.version,
        o.technician_id,
        o.appointment_start,
        o.event_count,
        OrderEvent.objects.filter(order_id=order_id).count(),
    )


def test_intake_registers_a_repair_with_a_readable_number_and_one_event(org: Any) -> None:
    order, event = create_order(org.operator, repair_data())
    local = timezone.localtime(order.reported_at)
    assert order.number == f"GS-{local:%Y%m%d}-0001"
    assert order.status == "received"
    assert event.action == "create" and event.actor_role == "operator"
    second, _ = create_order(org.operator, repair_data())
    assert second.number.endswith("-0002")


def test_intake_refuses_a_repair_without_fault_class_naming_the_field(org: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        create_order(org.operator, repair_data(fault_class=None))
    assert "fault_class" in exc.value.fields
    assert WorkOrder.objects.count() == 0


def test_intake_refuses_an_install_without_product(org: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        create_order(org.operator, install_data(product=None))
    assert list(exc.value.fields) == ["product"]


def test_a_severe_fault_needs_the_approved_deadline(org: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        create_order(org.operator, repair_data(fault_class="severe"))
    assert "approved_deadline" in exc.value.fields
    deadline = timezone.now() + timedelta(hours=72)
    order, _ = create_order(
        org.operator, repair_data(fault_class="severe", approved_deadline=iso(deadline))
    )
    assert order.approved_deadline == deadline


@pytest.mark.parametrize(
    "phone,ok",
    [
        ("13812345678", True),
        ("+86 138-1234-5678", True),
        ("0571-87654321", True),
        ("057187654321", True),
        ("12345", False),
        ("23812345678", False),
        ("abc", False),
    ],
)
def test_intake_validates_mainland_phone_numbers(org: Any, phone: str, ok: bool) -> None:
    data = repair_data(
        customer={"name": "王五", "phone": phone, "address": "杭州市拱墅区米市巷1号"}
    )
    if ok:
        order, _ = create_order(org.operator, data)
        assert order.customer.phone in ("13812345678", "0571-87654321")
    else:
        with pytest.raises(InvalidInput) as exc:
            create_order(org.operator, data)
        assert "customer.phone" in exc.value.fields


def test_a_technician_of_an_urban_branch_cannot_take_intake(org: Any) -> None:
    with pytest.raises(Forbidden):
        create_order(org.tech, repair_data())
    order, event = create_order(org.township_tech, repair_data(branch=None))
    assert order.branch == org.tl and event.actor_role == "technician"


def test_only_a_dispatcher_assigns(org: Any, repair_order: Any) -> None:
    before = snapshot(repair_order.pk)
    with pytest.raises(Forbidden):
        perform(repair_order.pk, "assign", org.operator, {"technician": "tech"})
    assert snapshot(repair_order.pk) == before


def test_a_technician_acts_only_on_orders_assigned_to_them(org: Any, repair_order: Any) -> None:
    perform(repair_order.pk, "assign", org.dispatcher, {"technician": "tech"})
    before = snapshot(repair_order.pk)
    with pytest.raises(NotFound):  # not theirs: they cannot even see it
        perform(repair_order.pk, "accept", org.other_tech, {})
    assert snapshot(repair_order.pk) == before
    order, event = perform(repair_order.pk, "accept", org.tech, {})
    assert order.status == "accepted" and event.actor_role == "technician"


def test_an_illegal_transition_names_the_state_and_the_allowed_actions(
    org: Any, repair_order: Any
) -> None:
    perform(repair_order.pk, "assign", org.dispatcher, {"technician": "tech"})
    before = snapshot(repair_order.pk)
    with pytest.raises(Conflict) as exc:
        perform(repair_order.pk, "arrive", org.tech, {})
    body = exc.value.as_dict()
    assert body["state"] == "dispatched"
    assert "accept" in body["allowed_actions"] and "arrive" not in body["allowed_actions"]
    assert snapshot(repair_order.pk) == before


def test_assign_refuses_a_technician_of_another_branch(org: Any, repair_order: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        perform(repair_order.pk, "assign", org.dispatcher, {"technician": "township_tech"})
    assert "technician" in exc.value.fields


def test_occurred_at_may_not_be_in_the_future_beyond_clock_skew(
    org: Any, repair_order: Any
) -> None:
    soon = timezone.now() + timedelta(seconds=60)
    perform(
        repair_order.pk, "assign", org.dispatcher, {"technician": "tech", "occurred_at": iso(soon)}
    )
    later = timezone.now() + timedelta(minutes=10)
    with pytest.raises(InvalidInput) as exc:
        perform(repair_order.pk, "accept", org.tech, {"occurred_at": iso(later)})
    assert "occurred_at" in exc.value.fields


def test_occurred_at_may_not_be_before_the_previous_event(org: Any) -> None:
    with time_machine.travel("2026-11-20 09:00 +0800", tick=False):
        order, _ = create_order(org.operator, repair_data())
    with time_machine.travel("2026-11-20 09:05 +0800", tick=False):
        perform(order.pk, "assign", org.dispatcher, {"technician": "tech"})
    with time_machine.travel("2026-11-20 09:30 +0800", tick=False):
        with pytest.raises(InvalidInput) as exc:
            perform(order.pk, "accept", org.tech, {"occurred_at": "2026-11-20T09:02:00+08:00"})
        assert "occurred_at" in exc.value.fields
        # An offline phone uploading late, but after the previous event, is accepted as it happened.
        _, ev = perform(order.pk, "accept", org.tech, {"occurred_at": "2026-11-20T09:20:00+08:00"})
    stored = OrderEvent.objects.get(pk=ev.pk)
    assert stored.occurred_at == datetime(2026, 11, 20, 1, 20, tzinfo=UTC)
    assert ev.recorded_at > ev.occurred_at


def test_occurred_at_needs_an_offset(org: Any, repair_order: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        perform(
            repair_order.pk,
            "assign",
            org.dispatcher,
            {"technician": "tech", "occurred_at": "2026-11-20T09:00:00"},
        )
    assert "occurred_at" in exc.value.fields


def test_a_stale_version_loses_with_a_conflict_and_changes_nothing(
    org: Any, repair_order: Any
) -> None:
    seen = WorkOrder.objects.get(pk=repair_order.pk).version
    perform(
        repair_order.pk, "assign", org.dispatcher, {"technician": "tech"}, expected_version=seen
    )
    before = snapshot(repair_order.pk)
    with pytest.raises(Conflict) as exc:
        perform(
            repair_order.pk,
            "assign",
            org.dispatcher,
            {"technician": "other_tech"},
            expected_version=seen,
        )
    assert exc.value.code == "concurrent_change"
    assert snapshot(repair_order.pk) == before


def test_suspend_and_resume_return_to_the_state_it_left(org: Any, repair_order: Any) -> None:
    walk_to(repair_order.pk, org, "scheduled")
    order, _ = perform(repair_order.pk, "suspend", org.tech, {"reason": "customer_request"})
    assert order.status == "suspended"
    order, _ = perform(repair_order.pk, "resume", org.dispatcher, {})
    assert order.status == "scheduled"


def test_customer_not_home_sends_the_order_back_to_booking_with_the_visit_note(
    org: Any, repair_order: Any
) -> None:
    walk_to(repair_order.pk, org, "on_site")
    now = timezone.now()
    with pytest.raises(InvalidInput) as exc:
        perform(repair_order.pk, "absent", org.tech, {"arrived_at": iso(now), "left_at": iso(now)})
    assert {"note", "contact_phone", "contact_person"} <= set(exc.value.fields)
    order, ev = perform(
        repair_order.pk,
        "absent",
        org.tech,
        {
            "arrived_at": iso(now - timedelta(minutes=15)),
            "left_at": iso(now),
            "note": "敲门无人，已留言",
            "contact_phone": "13900001111",
            "contact_person": "王师傅",
        },
    )
    assert order.status == "accepted" and order.appointment_start is None
    assert ev.payload["contact_person"] == "王师傅"


def test_complete_needs_a_signature_or_the_reason_there_is_none(
    org: Any, repair_order: Any
) -> None:
    walk_to(repair_order.pk, org, "on_site")
    with pytest.raises(InvalidInput) as exc:
        perform(repair_order.pk, "complete", org.tech, {"resolution": "更换尾纤", "rating": 5})
    assert "signature" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        perform(
            repair_order.pk,
            "complete",
            org.tech,
            {"resolution": "更换尾纤", "rating": 5, "signature": 99999},
        )
    assert "signature" in exc.value.fields
    order, _ = perform(
        repair_order.pk,
        "complete",
        org.tech,
        {"resolution": "更换尾纤", "rating": 5, "no_signature_reason": "客户不在场，由家属确认"},
    )
    assert order.status == "completed" and order.completed_at is not None


def test_an_unsatisfied_callback_reopens_the_work_for_the_same_technician(
    org: Any, repair_order: Any
) -> None:
    walk_to(repair_order.pk, org, "on_site")
    perform(
        repair_order.pk,
        "complete",
        org.tech,
        {"resolution": "ok", "rating": 4, "no_signature_reason": "老人不会签字"},
    )
    order, ev = perform(
        repair_order.pk,
        "callback",
        org.quality,
        {"score": 3, "satisfied": False, "note": "仍然断网"},
    )
    assert order.status == "dispatched" and order.technician_id == org.tech.pk
    assert ev.payload["reopened"] is True


def test_a_repair_reported_again_within_seven_days_links_to_the_earlier_order(org: Any) -> None:
    with time_machine.travel("2026-11-10 09:00 +0800", tick=False):
        first, _ = create_order(org.operator, repair_data())
        walk_to(first.pk, org, "on_site")
        perform(
            first.pk,
            "complete",
            org.tech,
            {"resolution": "ok", "rating": 5, "no_signature_reason": "x"},
        )
    with time_machine.travel("2026-11-15 09:00 +0800", tick=False):
        again, _ = create_order(org.operator, repair_data())
    assert again.repeat_of_id == first.pk
    with time_machine.travel("2026-11-25 09:00 +0800", tick=False):
        late, _ = create_order(org.operator, repair_data())
    assert late.repeat_of_id is None


def test_nothing_writes_or_deletes_an_event_outside_the_action_layer(
    org: Any, repair_order: Any
) -> None:
    ev = OrderEvent.objects.get(order=repair_order)
    ev.payload = {"tampered": True}
    with pytest.raises(PermissionError):
        ev.save()
    with pytest.raises(PermissionError):
        ev.delete()
    with pytest.raises(PermissionError):
        OrderEvent.objects.filter(order=repair_order).update(action="cancel")
    with pytest.raises(PermissionError):
        OrderEvent.objects.filter(order=repair_order).delete()
