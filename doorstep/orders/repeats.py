"""R13: a fault reported again soon after a close-out is a repeat of the earlier order."""

from __future__ import annotations

from datetime import datetime, timedelta

from doorstep.orders.choices import Kind, Status
from doorstep.orders.models import WorkOrder
from doorstep.org.models import Customer

# SPEC R13 defaults (7 days after a repair, 15 after an install); the standards app's
# policies override these per branch once they exist.
DEFAULT_REPEAT_WINDOW_DAYS = {Kind.REPAIR: 7, Kind.INSTALL: 15, Kind.MOVE: 15}


def repeat_window_days(kind: str) -> int:
    return DEFAULT_REPEAT_WINDOW_DAYS.get(Kind(kind), 0)


def find_repeat_of(customer: Customer, kind: str, reported_at: datetime) -> WorkOrder | None:
    """The most recent order for the same line closed out within its kind's window."""
    longest = max(DEFAULT_REPEAT_WINDOW_DAYS.values())
    candidates = (
        WorkOrder.objects.filter(
            customer=customer,
            status__in=[Status.COMPLETED, Status.CLOSED],
            completed_at__isnull=False,
            completed_at__lte=reported_at,
            completed_at__gte=reported_at - timedelta(days=longest),
        )
        .exclude(kind=Kind.REMOVAL)
        .order_by("-completed_at")
    )
    for earlier in candidates[:5]:
        if earlier.completed_at and reported_at - earlier.completed_at <= timedelta(
            days=repeat_window_days(earlier.kind)
        ):
            return earlier
    return None
