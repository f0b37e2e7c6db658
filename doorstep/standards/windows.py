"""The notice windows of R7 and R8 (and R9's wait), and R3's pre-visit call window, read once
from the policies.

The checks that record a breach and the phone pages that warn the technician before one both
call `notice_window`, so the page can never promise a window the check does not use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from doorstep.orders.models import WorkOrder
from doorstep.standards import policies

# SPEC §3 defaults, used when a policy row leaves its minutes blank.
DEFAULT_MINUTES = {"R7": 120, "R8": 30, "R9": 10}


@dataclass(frozen=True)
class NoticeWindow:
    """`minutes` of notice (R7, R8) or of waiting (R9) the rule asks for this order.

    `cutoff` is the last moment a notice still counts: the appointment start minus `minutes`
    (None when the order has no appointment, and always for R9)."""

    rule: str
    minutes: int
    cutoff: datetime | None

    def late(self, at: datetime) -> bool:
        """Whether a notice given at `at` comes too late."""
        return self.cutoff is not None and at > self.cutoff

    def enough_notice(self, notice_seconds: float) -> bool:
        return notice_seconds >= self.minutes * 60


def notice_window(
    order: WorkOrder, rule: str, start: datetime | None = None
) -> NoticeWindow | None:
    """The window of `rule` ("R7", "R8" or "R9") for the order, or None when the policy is
    switched off for it. `start` defaults to the order's current appointment start."""
    if rule not in DEFAULT_MINUTES:
        raise ValueError(f"no notice window for rule {rule!r}")
    found = policies.resolve(f"check.{rule}", order)
    if found is None:
        return None
    minutes = found.minutes if found.minutes is not None else DEFAULT_MINUTES[rule]
    start = start if start is not None else order.appointment_start
    cutoff = start - timedelta(minutes=minutes) if start is not None and rule != "R9" else None
    return NoticeWindow(rule, minutes, cutoff)


# R3 (003 part 2 §1.1: call 10–15 min before the booked time): kinds it applies to, and the
# defaults when the `check.R3` row leaves its numbers out.
PRE_CALL_KINDS = ("install", "move")
DEFAULT_PRE_CALL_MINUTES = 15


@dataclass(frozen=True)
class PreCallWindow:
    """R3: a call between `opens` and `closes` (the booked time) is the pre-visit call;
    `minutes` before the booking is the target the phone suggests."""

    opens: datetime
    closes: datetime
    minutes: int

    def holds(self, at: datetime) -> bool:
        return self.opens <= at <= self.closes

    @property
    def target(self) -> datetime:
        return self.closes - timedelta(minutes=self.minutes)


def pre_call_window(order: WorkOrder, start: datetime | None = None) -> PreCallWindow | None:
    """The R3 window of an install or move booked for `start` (default: its appointment), or
    None (another kind, no booking, the policy switched off). The check that records an R3
    breach and the phone page that prompts the call both use it. The row's `minutes` is the
    target; its `earliest_minutes` how long before the booking a call already counts (default
    four times the target, at least an hour)."""
    start = start if start is not None else order.appointment_start
    if order.kind not in PRE_CALL_KINDS or start is None:
        return None
    found = policies.resolve("check.R3", order)
    if found is None:
        return None
    minutes = found.minutes if found.minutes is not None else DEFAULT_PRE_CALL_MINUTES
    earliest = int(found.params.get("earliest_minutes", max(minutes * 4, 60)))
    return PreCallWindow(start - timedelta(minutes=earliest), start, minutes)
