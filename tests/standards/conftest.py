from __future__ import annotations

from typing import Any

import pytest
import time_machine

from doorstep.orders.actions import create_order, perform
from tests.conftest import repair_data


@pytest.fixture
def at() -> Any:
    """`with at("2026-11-20 09:05"):` — Shanghai wall time, clock frozen."""

    def travel(when: str) -> Any:
        return time_machine.travel(f"{when} +0800", tick=False)

    return travel


def clock(order_id: int, name: str) -> Any:
    from doorstep.standards.models import Clock

    return Clock.objects.filter(order_id=order_id, name=name).order_by("-id").first()


def fault_at(org: Any, at: Any, when: str, **overrides: Any) -> Any:
    with at(when):
        order, _ = create_order(org.operator, repair_data(**overrides))
    return order


def do(
    at: Any, when: str, order: Any, action: str, actor: Any, payload: dict[str, Any] | None = None
) -> Any:
    with at(when):
        return perform(order.pk, action, actor, payload or {})[0]


def entry_in_status(status: str, by: Any = None, **fields: Any) -> Any:
    """A ledger entry written as the app writes one, then taken to `status` by the steps a
    user would take (appeal, then a decision)."""
    from doorstep.standards.breaches import append_change
    from doorstep.standards.integrity import penalty_hash
    from doorstep.standards.models import ChangeKind, Penalty

    p = Penalty(**fields)
    p.hash = penalty_hash(p)
    p.save()
    if status in ("appealed", "upheld", "exempted"):
        append_change(p, ChangeKind.APPEAL, "appealed", by=p.technician, note="申诉")
    if status == "upheld":
        append_change(p, ChangeKind.UPHOLD, "upheld", by=by, note="维持")
    if status == "exempted":
        append_change(p, ChangeKind.EXEMPT, "exempted", by=by, note="免责")
    return Penalty.objects.get(pk=p.pk)
