"""What a batch fault does to its members' restore clocks, through the standards app's own
clock functions (doorstep.standards.clocks), so the deadline arithmetic stays in one place.

The standards app deliberately does not pause clocks for a `suspend` with reason `outage`:
R14 pauses them only once a manager has confirmed the outage. That confirmation lives here.
"""

from __future__ import annotations

from datetime import datetime

from doorstep.orders.models import WorkOrder
from doorstep.standards.choices import ClockName
from doorstep.standards.clocks import open_clocks, pause_clock, stop_clock


def pause_restore(order: WorkOrder, at: datetime) -> None:
    """Pause the member's restore clock (R4) while the confirmed outage lasts. The order's
    own `resume` resumes it (standards.clocks.on_event resumes every paused clock)."""
    for c in open_clocks(order, ClockName.RESTORE):
        pause_clock(c, at)


def restore_met(order: WorkOrder, at: datetime) -> None:
    """The outage's repair restored this member's service at `at`: its restore clock stops
    there (met, or breached if the deadline had already passed), instead of being cancelled
    with the order that no visit is needed for any more."""
    for c in open_clocks(order, ClockName.RESTORE):
        stop_clock(c, order, at)
