from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.db import connection

from doorstep.cli import main as cli
from doorstep.orders.actions import create_order, perform
from doorstep.orders.history import verify_history
from doorstep.orders.models import OrderEvent
from tests.conftest import repair_data, walk_to


def _sql(statement: str, params: list[Any]) -> None:
    with connection.cursor() as cur:
        cur.execute(statement, params)


def test_a_clean_history_verifies(org: Any, repair_order: Any) -> None:
    walk_to(repair_order.pk, org, "on_site")
    assert list(verify_history()) == []


def test_an_event_altered_by_sql_is_found_and_named(
    org: Any, repair_order: Any, capsys: Any
) -> None:
    walk_to(repair_order.pk, org, "scheduled")
    victim = OrderEvent.objects.get(order=repair_order, seq=3)
    table = OrderEvent._meta.db_table
    _sql(f"UPDATE {table} SET payload = %s WHERE id = %s", ['{"note": "edited"}', victim.pk])
    problems = list(verify_history())
    assert len(problems) == 1
    assert problems[0].order_number == repair_order.number and problems[0].seq == 3
    assert cli(["verify-history"]) == 1
    err = capsys.readouterr().err
    assert repair_order.number in err and "#3" in err


def test_a_changed_time_is_found(org: Any, repair_order: Any) -> None:
    walk_to(repair_order.pk, org, "accepted")
    table = OrderEvent._meta.db_table
    ev = OrderEvent.objects.get(order=repair_order, seq=2)
    _sql(
        f"UPDATE {table} SET occurred_at = %s WHERE id = %s",
        [ev.occurred_at.replace(year=2020), ev.pk],
    )
    assert [p.seq for p in verify_history()] == [2]


def test_a_deleted_event_is_found_in_the_middle_and_at_the_end(org: Any) -> None:
    first, _ = create_order(org.operator, repair_data())
    second, _ = create_order(org.operator, repair_data())
    for order in (first, second):
        walk_to(order.pk, org, "accepted")
    table = OrderEvent._meta.db_table
    _sql(f"DELETE FROM {table} WHERE order_id = %s AND seq = 2", [first.pk])
    _sql(f"DELETE FROM {table} WHERE order_id = %s AND seq = 3", [second.pk])
    found = {p.order_number: p for p in verify_history()}
    assert set(found) == {first.number, second.number}
    assert found[first.number].seq == 2
    assert "deleted" in found[second.number].problem


def test_an_order_state_changed_behind_the_history_is_found(org: Any, repair_order: Any) -> None:
    perform(repair_order.pk, "assign", org.dispatcher, {"technician": "tech"})
    _sql("UPDATE orders_workorder SET status = 'closed' WHERE id = %s", [repair_order.pk])
    (problem,) = verify_history()
    assert "differs from its history" in problem.problem


def test_the_console_script_is_installed() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "doorstep.cli", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "verify-history" in out.stdout
