"""The hash chain over each order's events, and the check `doorstep verify-history` runs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    *,
    order_number: str,
    seq: int,
    action: str,
    from_status: str,
    to_status: str,
    actor_id: int | None,
    actor_role: str,
    occurred_at: datetime,
    recorded_at: datetime,
    payload: Any,
    prev_hash: str,
) -> str:
    body = json.dumps(
        [
            order_number,
            seq,
            action,
            from_status,
            to_status,
            actor_id,
            actor_role,
            _iso(occurred_at),
            _iso(recorded_at),
            payload,
            prev_hash,
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class HistoryProblem:
    order_id: int
    order_number: str
    seq: int | None
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"event #{self.seq} (id {self.event_id})" if self.seq is not None else "history"
        return f"order {self.order_number} (id {self.order_id}), {where}: {self.problem}"


def verify_history(batch: int = 2000) -> Iterator[HistoryProblem]:
    """Recompute every chain. Yields one problem per broken place, oldest first."""
    from doorstep.orders.models import OrderEvent, WorkOrder

    orders = WorkOrder.objects.order_by("id").values_list(
        "id", "number", "event_count", "history_head", "status"
    )
    last_id = 0
    while True:
        chunk = list(orders.filter(id__gt=last_id)[:batch])
        if not chunk:
            return
        last_id = chunk[-1][0]
        ids = [row[0] for row in chunk]
        events: dict[int, list[OrderEvent]] = {i: [] for i in ids}
        for ev in OrderEvent.objects.filter(order_id__in=ids).order_by("order_id", "seq"):
            events[ev.order_id].append(ev)
        for order_id, number, count, head, status in chunk:
            yield from _verify_one(order_id, number, count, head, status, events[order_id])


def _verify_one(
    order_id: int, number: str, count: int, head: str, status: str, events: list[Any]
) -> Iterator[HistoryProblem]:
    prev = ""
    for expected_seq, ev in enumerate(events, start=1):
        if ev.seq != expected_seq:
            yield HistoryProblem(
                order_id, number, expected_seq, None, f"event #{expected_seq} is missing"
            )
            return
        if ev.prev_hash != prev:
            yield HistoryProblem(
                order_id, number, ev.seq, ev.id, "does not chain to the event before it"
            )
            return
        recomputed = event_hash(
            order_number=number,
            seq=ev.seq,
            action=ev.action,
            from_status=ev.from_status,
            to_status=ev.to_status,
            actor_id=ev.actor_id,
            actor_role=ev.actor_role,
            occurred_at=ev.occurred_at,
            recorded_at=ev.recorded_at,
            payload=ev.payload,
            prev_hash=ev.prev_hash,
        )
        if recomputed != ev.hash:
            yield HistoryProblem(order_id, number, ev.seq, ev.id, "content was altered")
            return
        prev = ev.hash
    if len(events) != count or prev != head:
        yield HistoryProblem(
            order_id,
            number,
            len(events) + 1 if len(events) < count else None,
            None,
            f"history has {len(events)} events but the order recorded {count}: events deleted",
        )
        return
    if events and events[-1].to_status != status:
        yield HistoryProblem(
            order_id,
            number,
            None,
            None,
            f"order state {status!r} differs from its history ({events[-1].to_status!r})",
        )
