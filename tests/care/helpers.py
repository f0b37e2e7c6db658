from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from doorstep.orders.actions import perform
from tests.conftest import iso


def close_out(order: Any, org: Any, tech: Any) -> Any:
    """Assign to `tech` and take the order to `completed` now (the caller froze the clock)."""
    start = timezone.now() + timedelta(hours=1)
    perform(order.pk, "assign", org.dispatcher, {"technician": tech.username})
    perform(order.pk, "accept", tech, {})
    perform(order.pk, "contact", tech, {"outcome": "reached"})
    perform(
        order.pk, "schedule", tech, {"start": iso(start), "end": iso(start + timedelta(hours=1))}
    )
    perform(order.pk, "depart", tech, {})
    perform(order.pk, "arrive", tech, {})
    return perform(
        order.pk,
        "complete",
        tech,
        {"resolution": "已修复", "rating": 5, "no_signature_reason": "客户外出"},
    )[0]


def to_on_site(order: Any, org: Any, tech: Any, checklist: list[str] | None = None) -> Any:
    start = timezone.now() + timedelta(hours=1)
    perform(order.pk, "assign", org.dispatcher, {"technician": tech.username})
    perform(order.pk, "accept", tech, {})
    perform(
        order.pk, "schedule", tech, {"start": iso(start), "end": iso(start + timedelta(hours=1))}
    )
    perform(order.pk, "depart", tech, {"checklist": checklist or []})
    return perform(order.pk, "arrive", tech, {})[0]
