"""The crash test (issue 12): the mixed load of `doorstep bench load` while the server and each
worker are killed with SIGKILL at random moments and started again. Afterwards every
acknowledged order and action is in the record, one order per intake key, `verify-history` is
clean, no clock is marked twice, every message went out and none reached the gateway twice.

The run itself is PostgreSQL only (the bench makes its own scratch PostgreSQL database); the
checker it relies on is tested on both databases against a record it must find fault with."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from doorstep.bench import load
from doorstep.bench.load_setup import check
from doorstep.notifications.models import Notification
from doorstep.notifications.outbox import queue
from doorstep.orders.actions import create_order
from tests.conftest import repair_data

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


@pytest.mark.slow
@pytest.mark.skipif(not ON_POSTGRES, reason="the bench's scratch database is PostgreSQL")
def test_nothing_acknowledged_is_lost_when_the_server_and_the_workers_are_killed() -> None:
    ns = load.parser().parse_args(
        [
            "--crash",
            "--seconds",
            "30",
            "--kill-every",
            "4",
            "--technicians",
            "16",
            "--backlog",
            "40",
            "--demo-scale",
            "0.2",
            "--lease",
            "15",
        ]
    )
    result = load.bench(ns)
    killed = Counter(k["what"] for k in result["kills"])
    assert killed["server"] >= 1 and killed["worker-1"] >= 1 and killed["worker-2"] >= 1, killed
    counts = result["checks"]["counts"]
    # The load did something worth checking while it was being killed.
    assert counts["orders_acknowledged"] > 20 and counts["actions_acknowledged"] > 20, counts
    assert counts["sms_sent"] > 20 and counts["breaches"] > 0, counts
    assert result["checks"]["problems"] == {}
    assert result["double_actions"] == {}
    assert result["verify_history"]["exit"] == 0, result["verify_history"]
    # A repeat post only from a worker killed between the gateway's answer and its record.
    assert counts["gateway_repeats"] <= killed["worker-1"] + killed["worker-2"]
    assert result["tracebacks_in_logs"] == 0
    assert not load.failed(result)


def test_the_crash_checker_names_what_the_record_lost_or_doubled(org: Any, tmp_path: Path) -> None:
    """Fed an acknowledgement the record does not hold and a gateway that got one notice twice
    and never got another, the checker says so; fed the truth, it finds nothing."""
    order, event = create_order(org.operator, repair_data())  # queues the 受理 notice
    queue("customer_sms", "技术员已接单", to_phone="13812345678", order=order)
    notes = list(Notification.objects.order_by("pk"))
    assert len(notes) >= 2
    Notification.objects.update(status="sent")
    ack = {"what": "order", "id": order.pk, "number": order.number, "phone": "13812345678"}
    acks = tmp_path / "acks.json"
    sink = tmp_path / "sink.json"

    def run(acknowledged: list[dict[str, Any]], received: dict[str, int]) -> dict[str, Any]:
        acks.write_text(json.dumps({"acks": acknowledged, "since": "2000-01-01T00:00:00+00:00"}))
        sink.write_text(json.dumps({"received": received}))
        return check(acks, sink)

    truth = {f"doorstep-notification-{n.pk}": 1 for n in notes}
    fine = run(
        [ack, {"what": "action", "order": order.pk, "seq": event.seq, "action": "create"}], truth
    )
    assert fine["problems"] == {} and fine["counts"]["gateway_repeats"] == 0

    found = run(
        [
            ack,
            {"what": "order", "id": order.pk + 999, "number": "X1", "phone": "13800000001"},
            {"what": "action", "order": order.pk, "seq": event.seq + 1, "action": "accept"},
        ],
        {f"doorstep-notification-{notes[0].pk}": 2},
    )
    problems = found["problems"]
    assert problems["acknowledged order missing"]["count"] == 1
    assert problems["acknowledged action missing"]["first"] == [
        f"order {order.pk} #{event.seq + 1} accept"
    ]
    # The other notices never reached the gateway; the first reached it twice.
    assert problems["message lost"]["count"] == len(notes) - 1
    assert found["counts"]["gateway_repeats"] == 1
