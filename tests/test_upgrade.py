"""Upgrading keeps the record (issue 12): a database made by the previous release's migrations
(commit 7b5b329), with orders, hash-chained events, ledger entries and a policy written the way
that release wrote them, is migrated to the latest and still passes `verify-history`; the current
code reads the old rows and chains new events onto the old ones.

tests/test_project_migrations.py replays a narrower step (the IdempotencyRecord move) only."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from doorstep.cli import main as cli

# The leaf migrations of the previous release (git show 7b5b329 --stat doorstep/*/migrations).
# Its `bench` app has no migrations any more (api 0002 drops its table); apps that did not exist
# then are taken back to zero.
PREVIOUS_RELEASE = {
    "api": "0001_initial",
    "dispatch": "0001_initial",
    "field": "0001_initial",
    "notifications": "0001_initial",
    "orders": "0002_personal_data_view",
    "org": "0003_branch_handover_times_branch_lunch_from_and_more",
    "standards": "0002_default_policies",
}
DOORSTEP_APPS = {
    "api",
    "care",
    "customers",
    "dashboards",
    "dispatch",
    "field",
    "incidents",
    "kpis",
    "notifications",
    "orders",
    "org",
    "quality",
    "ratings",
    "standards",
}


def _migrate(targets: list[tuple[str, str | None]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([(a, m) for a, m in targets if m]).apps


def _previous_release_targets() -> list[tuple[str, str | None]]:
    graph = MigrationExecutor(connection).loader.graph
    present = {app for app, _ in graph.leaf_nodes()}
    targets: list[tuple[str, str | None]] = [
        (app, PREVIOUS_RELEASE[app]) for app in PREVIOUS_RELEASE
    ]
    targets += [(app, None) for app in sorted(present & DOORSTEP_APPS - set(PREVIOUS_RELEASE))]
    return targets


# The event hash as the previous release computed it (frozen copy of its orders/history.py).
def _old_iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _old_event_hash(number: str, ev: dict[str, Any], prev: str) -> str:
    body = json.dumps(
        [
            number,
            ev["seq"],
            ev["action"],
            ev["from_status"],
            ev["to_status"],
            ev["actor_id"],
            ev["actor_role"],
            _old_iso(ev["occurred_at"]),
            _old_iso(ev["recorded_at"]),
            ev["payload"],
            prev,
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _old_order(old: Any, org: Any, number: str, at: datetime) -> Any:
    """A repair order received, assigned and accepted, its chain as the old code built it."""
    customer = old.get_model("org", "Customer").objects.create(
        branch_id=org.gs.pk, name="张三", phone="13812345678", address="杭州市拱墅区大关小区3幢"
    )
    order = old.get_model("orders", "WorkOrder").objects.create(
        number=number,
        kind="repair",
        fault_class="line",
        status="accepted",
        branch_id=org.gs.pk,
        customer_id=customer.pk,
        symptom="光猫 LOS 灯红色闪烁",
        channel="phone",
        reported_at=at,
        received_by_id=org.operator.pk,
        technician_id=org.tech.pk,
    )
    create = {
        "kind": "repair",
        "fault_class": "line",
        "customer": {"name": "张三", "phone": "13812345678", "address": "杭州市拱墅区大关小区3幢"},
        "symptom": "光猫 LOS 灯红色闪烁",
        "customer_id": customer.pk,
        "number": number,
        "branch": "GS",
        "repeat_of": None,
    }
    steps = [
        ("create", "", "received", org.operator, "operator", create),
        ("assign", "received", "dispatched", org.dispatcher, "dispatcher", {"technician": "tech"}),
        ("accept", "dispatched", "accepted", org.tech, "technician", {}),
    ]
    Event = old.get_model("orders", "OrderEvent")
    prev = ""
    events = []
    for seq, (action, src, dst, actor, role, payload) in enumerate(steps, start=1):
        when = at + timedelta(minutes=5 * seq)
        ev = {
            "seq": seq,
            "action": action,
            "from_status": src,
            "to_status": dst,
            "actor_id": actor.pk,
            "actor_role": role,
            "occurred_at": when,
            "recorded_at": when,
            "payload": payload,
        }
        digest = _old_event_hash(number, ev, prev)
        events.append(Event.objects.create(order_id=order.pk, prev_hash=prev, hash=digest, **ev))
        prev = digest
    type(order).objects.filter(pk=order.pk).update(
        event_count=len(steps), history_head=prev, version=len(steps)
    )
    return order, events


def test_a_database_of_the_previous_release_upgrades_with_its_record_intact(
    org: Any, transactional_db: Any, capsys: Any
) -> None:
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = _migrate(_previous_release_targets())

    at = datetime(2026, 11, 19, 0, 0, tzinfo=UTC)
    first, first_events = _old_order(old, org, "GS20261119-0001", at)
    second, _ = _old_order(old, org, "GS20261119-0002", at + timedelta(hours=1))
    Penalty = old.get_model("standards", "Penalty")
    # Old ledger rows were edited in place: an open entry and one appealed and upheld.
    kept = Penalty.objects.create(
        order_id=first.pk,
        event_id=first_events[-1].pk,
        rule="R1",
        amount=Decimal("50.00"),
        technician_id=org.tech.pk,
        branch_id=org.gs.pk,
        status="open",
        created_at=at + timedelta(hours=2),
    )
    upheld = Penalty.objects.create(
        order_id=second.pk,
        rule="R2",
        amount=Decimal("100.00"),
        technician_id=org.tech.pk,
        branch_id=org.gs.pk,
        status="upheld",
        appeal_reason="客户改约",
        appealed_at=at + timedelta(hours=3),
        decided_by_id=org.manager.pk,
        decided_at=at + timedelta(hours=4),
        decision_note="无改约记录",
        created_at=at + timedelta(hours=2),
    )
    Policy = old.get_model("standards", "Policy")
    local = Policy.objects.create(
        key="upgrade.test",
        label="拱墅 R1 处罚",
        branch_id=org.gs.pk,
        minutes=30,
        amount=Decimal("80.00"),
        source="升级测试",
    )

    _migrate(latest)

    from doorstep.orders.actions import perform
    from doorstep.orders.history import verify_history
    from doorstep.orders.models import OrderEvent, WorkOrder
    from doorstep.standards.integrity import verify_ledger, verify_policy_history
    from doorstep.standards.models import Penalty as Ledger
    from doorstep.standards.models import Policy as CurrentPolicy

    assert list(verify_history()) == []
    assert list(verify_ledger()) == [] and list(verify_policy_history()) == []
    assert cli(["verify-history"]) == 0
    out = capsys.readouterr().out
    assert "2 orders, 6 events" in out and "all intact" in out

    # The current code reads the old rows as they were.
    order = WorkOrder.objects.get(number="GS20261119-0001")
    assert (order.status, order.technician_id, order.customer.name) == (
        "accepted",
        org.tech.pk,
        "张三",
    )
    assert [e.action for e in OrderEvent.objects.filter(order=order).order_by("seq")] == [
        "create",
        "assign",
        "accept",
    ]
    statuses = {p.pk: p.status for p in Ledger.objects.all()}
    assert statuses == {kept.pk: "open", upheld.pk: "upheld"}
    assert CurrentPolicy.objects.get(pk=local.pk).amount == Decimal("80.00")

    # New events chain onto the old ones, and the whole chain still verifies.
    start = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    with time_machine.travel(start - timedelta(hours=2), tick=False):
        perform(
            order.pk,
            "schedule",
            org.tech,
            {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
        )
    order.refresh_from_db()
    newest = OrderEvent.objects.get(order=order, seq=4)
    assert newest.prev_hash == first_events[-1].hash and order.status == "scheduled"
    assert list(verify_history()) == [] and cli(["verify-history"]) == 0
