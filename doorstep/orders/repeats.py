"""R13: a fault reported again soon after a close-out is a repeat of the earlier order.

The window after each kind of close-out is the `repeat.window` policy (SPEC: 7 days after a
repair, 15 after an install or a move), resolved for the earlier order like every policy.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from doorstep.orders.choices import Kind, Status
from doorstep.orders.models import WorkOrder
from doorstep.org.models import Customer
from doorstep.standards import policies


def repeat_window(earlier: WorkOrder) -> timedelta:
    """How long after `earlier` was closed out a new report on the line is a repeat (zero when
    no enabled `repeat.window` row matches it)."""
    found = policies.resolve("repeat.window", earlier)
    return timedelta(minutes=found.minutes or 0) if found else timedelta(0)


def repeat_window_days(kind: str) -> int:
    """Whole days of the `repeat.window` row for orders of `kind` that no branch, region or
    grade narrows (for pages with no order at hand; prefer `repeat_window(order)`)."""
    rows = [
        r
        for r in policies.rows_for("repeat.window")
        if r.kind in ("", kind) and not (r.fault_class or r.branch_id or r.region_type or r.grade)
    ]
    best = max(rows, key=lambda r: (bool(r.kind), r.id), default=None)
    return (best.minutes or 0) // 1440 if best else 0


def _longest_window() -> timedelta:
    return max(
        (timedelta(minutes=r.minutes or 0) for r in policies.rows_for("repeat.window")),
        default=timedelta(0),
    )


def find_repeat_of(customer: Customer, kind: str, reported_at: datetime) -> WorkOrder | None:
    """The most recent order for the same line closed out within its window."""
    longest = _longest_window()
    if not longest:
        return None
    candidates = (
        WorkOrder.objects.filter(
            customer=customer,
            status__in=[Status.COMPLETED, Status.CLOSED],
            completed_at__isnull=False,
            completed_at__lte=reported_at,
            completed_at__gte=reported_at - longest,
        )
        .exclude(kind=Kind.REMOVAL)
        .select_related("branch", "customer")
        .order_by("-completed_at")
    )
    for earlier in candidates[:5]:
        if earlier.completed_at and reported_at - earlier.completed_at <= repeat_window(earlier):
            return earlier
    return None
