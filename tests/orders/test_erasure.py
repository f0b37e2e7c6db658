"""Sealed personal fields: retention erases the customer's data inside the hash-chained events,
`verify-history` still passes and the KPIs do not move; any other edit is still caught."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from doorstep.customers import retention
from doorstep.kpis.compute import kpi_report
from doorstep.orders.actions import create_order, perform
from doorstep.orders.history import (
    PERSONAL_FIELDS,
    erase_personal_fields,
    event_hash,
    verify_history,
)
from doorstep.orders.models import OrderEvent, WorkOrder
from tests.conftest import repair_data, walk_to

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
NAME = "张三"
ADDRESS = "杭州市拱墅区大关小区3幢2单元501室"
ACCOUNT = "ZJ-HZ-0098765"
HOME = (30.316512, 120.143377)
AT_DOOR = (30.316534, 120.143319)
NOTE_PHONE = "13900001111"
NOTE_PERSON = "王师傅"
TABLE = OrderEvent._meta.db_table


def _sql(statement: str, params: list[Any]) -> None:
    with connection.cursor() as cur:
        cur.execute(statement, params)


def _set_payload(ev: OrderEvent, payload: Any) -> None:
    _sql(f"UPDATE {TABLE} SET payload = %s WHERE id = %s", [json.dumps(payload), ev.pk])


def _history_text(order: WorkOrder) -> str:
    """Every stored event column a reader could see, as one JSON text."""
    rows = OrderEvent.objects.filter(order=order).values("payload", "erased", "salt")
    return json.dumps(list(rows), ensure_ascii=False)


def _visit(order_id: int, org: Any) -> None:
    perform(order_id, "depart", org.tech, {"checklist": ["鞋套"]})
    perform(order_id, "arrive", org.tech, {"lat": AT_DOOR[0], "lng": AT_DOOR[1]})


def _schedule(order_id: int, org: Any) -> None:
    start = timezone.now() + timedelta(hours=1)
    perform(
        order_id,
        "schedule",
        org.tech,
        {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
    )


def closed_order_with_every_personal_field(org: Any) -> WorkOrder:
    """Intake with account and position, a not-home visit, a second visit, completion, callback."""
    data = repair_data(location={"lat": HOME[0], "lng": HOME[1]})
    data["customer"]["account"] = ACCOUNT
    order, _ = create_order(org.operator, data)
    walk_to(order.pk, org, "accepted")
    _schedule(order.pk, org)
    _visit(order.pk, org)
    now = timezone.now()
    perform(
        order.pk,
        "absent",
        org.tech,
        {
            "arrived_at": (now - timedelta(minutes=10)).isoformat(),
            "left_at": now.isoformat(),
            "note": "敲门无人应答，已在门上留言",
            "contact_phone": NOTE_PHONE,
            "contact_person": NOTE_PERSON,
        },
    )
    _schedule(order.pk, org)
    _visit(order.pk, org)
    perform(
        order.pk,
        "complete",
        org.tech,
        {"resolution": "更换光猫", "rating": 5, "no_signature_reason": "客户外出"},
    )
    perform(order.pk, "callback", org.quality, {"score": 9, "satisfied": True})
    order = WorkOrder.objects.get(pk=order.pk)
    assert order.closed_at is not None and (order.lat, order.lng) == HOME
    return order


def _kpis() -> list[Any]:
    day = timezone.localdate()
    return [kpi_report(level, "month", day) for level in ("technician", "branch")]


def _erase(order: WorkOrder) -> int:
    return erase_personal_fields(OrderEvent.objects.filter(order=order).order_by("pk"))


def test_retention_erases_the_customer_from_every_event_and_the_history_still_verifies(
    org: Any, settings: Any
) -> None:
    settings.DOORSTEP_RETENTION_DAYS = 365
    order = closed_order_with_every_personal_field(org)
    text = _history_text(order)
    personal = [PHONE, NAME, ADDRESS, ACCOUNT, NOTE_PHONE, NOTE_PERSON]
    positions = [str(v) for v in (*HOME, *AT_DOOR)]
    assert all(value in text for value in personal + positions)
    hashes = list(OrderEvent.objects.filter(order=order).values_list("seq", "hash"))
    kpis = _kpis()
    assert any(any(row.metrics.values()) for report in kpis for row in report.rows)

    assert retention.run_due("w1", now=timezone.now() + timedelta(days=366)) == 1

    text = _history_text(order)
    assert [value for value in personal + positions if value in text] == []
    created = OrderEvent.objects.get(order=order, action="create")
    assert created.payload["customer"] == {
        "name": None,
        "phone": None,
        "address": None,
        "account": None,
        "grade": "normal",
    }
    assert created.payload["location"] is None and created.salt == ""
    assert set(created.erased) == {".".join(path) for path in PERSONAL_FIELDS["create"]}
    # What the KPIs and the quality desk read stays: the symptom, the rating, the times.
    assert created.payload["symptom"] == repair_data()["symptom"]
    order.refresh_from_db()
    assert (order.lat, order.lng) == (None, None)
    assert list(OrderEvent.objects.filter(order=order).values_list("seq", "hash")) == hashes
    assert list(verify_history()) == []
    assert _kpis() == kpis
    # Erasing again changes nothing.
    assert _erase(order) == 0


@pytest.mark.parametrize("edit", ["changed", "nulled"])
def test_a_sealed_personal_value_edited_by_sql_is_caught(
    org: Any, repair_order: Any, edit: str
) -> None:
    created = OrderEvent.objects.get(order=repair_order, seq=1)
    payload = created.payload
    # Nulling it by hand, without the digest the erasure records, is an edit like any other.
    payload["customer"]["phone"] = "13800000000" if edit == "changed" else None
    _set_payload(created, payload)
    (problem,) = verify_history()
    assert (problem.order_number, problem.seq, problem.problem) == (
        repair_order.number,
        1,
        "content was altered",
    )


def test_after_erasure_a_non_personal_edit_is_still_caught(org: Any, repair_order: Any) -> None:
    walk_to(repair_order.pk, org, "on_site")
    assert _erase(repair_order) == 2  # the intake and the arrival
    assert list(verify_history()) == []
    created = OrderEvent.objects.get(order=repair_order, seq=1)
    payload = created.payload
    payload["symptom"] = "无故障"
    _set_payload(created, payload)
    assert [(p.seq, p.problem) for p in verify_history()] == [(1, "content was altered")]


def test_an_erased_value_put_back_or_a_forged_digest_is_caught(org: Any, repair_order: Any) -> None:
    assert _erase(repair_order) == 1
    created = OrderEvent.objects.get(order=repair_order, seq=1)
    # Another value written where one was erased: the recorded digest would still match.
    payload = created.payload
    payload["customer"]["phone"] = "13800000000"
    _set_payload(created, payload)
    (problem,) = verify_history()
    assert problem.seq == 1 and "erased field holds a value" in problem.problem

    payload["customer"]["phone"] = None
    _set_payload(created, payload)
    assert list(verify_history()) == []
    forged = dict(created.erased, **{"customer.phone": "0" * 64})
    _sql(f"UPDATE {TABLE} SET erased = %s WHERE id = %s", [json.dumps(forged), created.pk])
    assert [(p.seq, p.problem) for p in verify_history()] == [(1, "content was altered")]


def test_events_recorded_before_the_seal_still_verify_and_are_left_as_they_are(
    org: Any, repair_order: Any
) -> None:
    # An intake recorded before the seal existed: the migration left seal 0 and no salt, and
    # its hash covers the payload as stored.
    created = OrderEvent.objects.get(order=repair_order, seq=1)
    legacy = event_hash(
        order_number=repair_order.number,
        seq=1,
        action=created.action,
        from_status=created.from_status,
        to_status=created.to_status,
        actor_id=created.actor_id,
        actor_role=created.actor_role,
        occurred_at=created.occurred_at,
        recorded_at=created.recorded_at,
        payload=created.payload,
        prev_hash="",
        seal=0,
        salt="",
        erased={},
    )
    assert legacy != created.hash
    _sql(f"UPDATE {TABLE} SET seal = 0, salt = '', hash = %s WHERE id = %s", [legacy, created.pk])
    _sql("UPDATE orders_workorder SET history_head = %s WHERE id = %s", [legacy, repair_order.pk])
    assert list(verify_history()) == []

    assert _erase(repair_order) == 0
    assert OrderEvent.objects.get(pk=created.pk).payload["customer"]["phone"] == PHONE
    assert list(verify_history()) == []
    # A legacy event still has its whole payload hashed: any edit is caught.
    payload = created.payload
    payload["customer"]["phone"] = None
    _set_payload(created, payload)
    assert [p.seq for p in verify_history()] == [1]


def test_the_queryset_still_refuses_every_other_change(org: Any, repair_order: Any) -> None:
    events = OrderEvent.objects.filter(order=repair_order)
    with pytest.raises(PermissionError):
        events.update(payload={})
    with pytest.raises(PermissionError):
        events.delete()
