"""Two people acting on one order at once: one wins, the other gets a conflict, nothing lost.
Runs with real commits and real threads on whichever database the suite runs on."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from doorstep.core.errors import Conflict
from doorstep.orders.actions import create_order, perform
from doorstep.orders.history import verify_history
from doorstep.orders.models import OrderEvent, WorkOrder
from tests.conftest import repair_data

pytestmark = pytest.mark.django_db(transaction=True)


def race(*jobs: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the result is what the test inspects
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_dispatchers_assigning_the_same_order_at_once_one_wins(org: Any) -> None:
    order, _ = create_order(org.operator, repair_data())
    seen = order.version
    results = race(
        lambda: perform(
            order.pk, "assign", org.dispatcher, {"technician": "tech"}, expected_version=seen
        ),
        lambda: perform(
            order.pk, "assign", org.dispatcher, {"technician": "other_tech"}, expected_version=seen
        ),
    )
    wins = [r for r in results if isinstance(r, tuple)]
    losses = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(losses) == 1, results
    fresh = WorkOrder.objects.get(pk=order.pk)
    winner = wins[0][0]
    assert fresh.technician_id == winner.technician_id and fresh.version == seen + 1
    assert OrderEvent.objects.filter(order=order).count() == 2
    assert list(verify_history()) == []


def test_concurrent_actions_on_one_order_never_fork_its_history(org: Any) -> None:
    order, _ = create_order(org.operator, repair_data())
    perform(order.pk, "assign", org.dispatcher, {"technician": "tech"})
    perform(order.pk, "accept", org.tech, {})
    results = race(
        *[
            (
                lambda n=n: perform(
                    order.pk, "chase", org.operator, {"by": "customer", "note": f"第{n}次"}
                )
            )
            for n in range(6)
        ]
    )
    ok = [r for r in results if isinstance(r, tuple)]
    assert all(isinstance(r, tuple | Conflict) for r in results), results
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert fresh.event_count == 3 + len(ok)
    assert list(OrderEvent.objects.filter(order=order).values_list("seq", flat=True)) == list(
        range(1, 4 + len(ok))
    )
    assert list(verify_history()) == []


def test_concurrent_intake_never_hands_out_one_number_twice(org: Any) -> None:
    results = race(*[(lambda: create_order(org.operator, repair_data())) for _ in range(8)])
    assert all(isinstance(r, tuple) for r in results), results
    numbers = [r[0].number for r in results]
    assert len(set(numbers)) == 8
    assert connection.vendor in ("sqlite", "postgresql")
