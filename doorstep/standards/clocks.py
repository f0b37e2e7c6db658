"""Clocks: started, paused, met and breached by the order's own events (SPEC §3).

Every transition uses the event's `occurred_at`, so an event that reaches the server late from
an offline phone leaves the clocks exactly as if it had arrived on time; a breach the worker
marked in the meantime is voided (its ledger entry gets a `void` step) and, if the clock runs
out again, revived by `breaches.mark_clocks_breached`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils.dateparse import parse_datetime

from doorstep.core import clock as app_clock
from doorstep.orders.choices import Action, Kind, SuspendReason
from doorstep.orders.models import OrderEvent, WorkOrder
from doorstep.standards import policies
from doorstep.standards.calendar import deadline as calendar_deadline
from doorstep.standards.choices import OPEN_CLOCK, ClockName, ClockStatus
from doorstep.standards.models import Clock

# Clocks that a customer-side suspension stops. Close-out and callback measure the office's
# own work after the visit and never pause.
PAUSABLE = {
    ClockName.CONTACT,
    ClockName.FIRST_REPLY,
    ClockName.RESTORE,
    ClockName.INSTALL,
    ClockName.ARRIVAL,
}


def _dt(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


def _pauses(clock: Clock) -> list[tuple[datetime, datetime | None]]:
    return [(_dt(a), _dt(b)) for a, b in clock.pauses]  # type: ignore[misc]


def _paused_seconds(clock: Clock, at: datetime) -> int:
    total = 0.0
    for start, end in _pauses(clock):
        if start >= at:
            continue
        stop = min(end or at, at)
        total += max(0.0, (stop - start).total_seconds())
    return int(total)


def _tz(order: WorkOrder) -> str:
    return order.branch.timezone


def compute_deadline(clock: Clock, order: WorkOrder, at: datetime | None = None) -> datetime | None:
    """The deadline with every pause (up to `at`, if given) added back; None when there is
    no deadline (a severe fault without an approved one)."""
    pauses = _pauses(clock)
    if at is not None:
        pauses = [(s, e if e is not None and e <= at else at) for s, e in pauses if s < at]
    else:
        pauses = [(s, e) for s, e in pauses if e is not None]
    if clock.fixed_deadline is not None:
        extra = sum((e - s).total_seconds() for s, e in pauses if e is not None)
        return clock.fixed_deadline + timedelta(seconds=extra)
    if clock.duration_seconds is None:
        return None
    cal = policies.calendar_for(clock.calendar_id, _tz(order))
    return calendar_deadline(cal, clock.started_at, clock.duration_seconds, pauses)


def _warn_at(clock: Clock, deadline: datetime | None, params: dict[str, Any]) -> datetime | None:
    if deadline is None:
        return None
    if "warn_minutes" in params:
        return deadline - timedelta(minutes=int(params["warn_minutes"]))
    pct = float(params.get("warn_pct", 80)) / 100
    span = (deadline - clock.started_at).total_seconds()
    return clock.started_at + timedelta(seconds=span * pct) if span > 0 else None


def _schedule_checks(clock: Clock, params: dict[str, Any]) -> None:
    """Set warn_at and next_check_at for a running clock."""
    clock.warn_at = _warn_at(clock, clock.deadline, params)
    if clock.status != ClockStatus.RUNNING or clock.deadline is None:
        clock.next_check_at = None
        return
    if clock.warned_at is None and clock.warn_at is not None and clock.warn_at < clock.deadline:
        clock.next_check_at = clock.warn_at
    else:
        clock.next_check_at = clock.deadline


def _params(clock: Clock) -> dict[str, Any]:
    if clock.policy_id is None:
        return {}
    found = policies.resolve(f"clock.{clock.name}", clock.order)
    return found.params if found else {}


def start_clock(
    order: WorkOrder,
    name: str,
    started_at: datetime,
    *,
    fixed_deadline: datetime | None = None,
    technician_id: int | None = None,
) -> Clock | None:
    found = policies.resolve(f"clock.{name}", order)
    if found is None:
        return None  # the policy is switched off for these orders
    clock = Clock(
        order=order,
        name=name,
        status=ClockStatus.RUNNING,
        policy_id=found.policy_id,
        calendar_id=found.calendar_id,
        started_at=started_at,
        technician_id=technician_id if technician_id is not None else order.technician_id,
    )
    if found.params.get("approved_deadline"):
        clock.fixed_deadline = order.approved_deadline
    elif fixed_deadline is not None:
        clock.fixed_deadline = fixed_deadline + timedelta(minutes=found.minutes or 0)
    else:
        clock.duration_seconds = (found.minutes or 0) * 60
    clock.deadline = compute_deadline(clock, order)
    _schedule_checks(clock, found.params)
    return clock


def open_clocks(order: WorkOrder, *names: str) -> list[Clock]:
    """Clocks not yet stopped, including ones the worker marked breached while the work goes
    on. Locked, so an action and a worker sweep on the same clock take turns."""
    qs = Clock.objects.filter(order=order, stopped_at__isnull=True).filter(
        Q(status__in=OPEN_CLOCK) | Q(status=ClockStatus.BREACHED)
    )
    if names:
        qs = qs.filter(name__in=names)
    return list(qs.select_for_update().order_by("id"))


def stop_clock(clock: Clock, order: WorkOrder, at: datetime) -> None:
    """Met if stopped by the deadline, breached otherwise (SPEC: a clock met late is
    `breached`)."""
    from doorstep.standards.breaches import mark_clocks_breached, void_clock_breach

    was_breached = clock.status == ClockStatus.BREACHED
    if clock.status == ClockStatus.PAUSED:
        _close_pause(clock, at)
    clock.deadline = compute_deadline(clock, order)
    clock.stopped_at = at
    clock.paused_seconds = _paused_seconds(clock, at)
    late = clock.deadline is not None and at > clock.deadline
    clock.status = ClockStatus.BREACHED if late else ClockStatus.MET
    clock.next_check_at = None
    if late:
        clock.breached_at = clock.breached_at or clock.deadline
        if clock.escalated_at is None:
            clock.next_check_at = app_clock.now()  # the worker escalates it
    clock.save()
    if late:
        # Idempotent: a clock the worker already marked keeps its breach.
        clock.order = order
        mark_clocks_breached([clock], marked_by="event")
    elif not late and was_breached:
        # The worker marked it breached, then the phone's late upload showed it was met.
        clock.breached_at = None
        clock.save(update_fields=["breached_at"])
        void_clock_breach(clock)


def _close_pause(clock: Clock, at: datetime) -> None:
    pauses = list(clock.pauses)
    if pauses and pauses[-1][1] is None:
        pauses[-1] = [pauses[-1][0], at.isoformat()]
    clock.pauses = pauses


def _unbreach(clock: Clock, at: datetime) -> bool:
    """A late upload of an event that happened before the deadline the worker already marked
    as passed: undo the mark (and void its breach) so the event applies as if on time."""
    from doorstep.standards.breaches import void_clock_breach

    if (
        clock.status != ClockStatus.BREACHED
        or clock.stopped_at is not None
        or clock.deadline is None
        or at >= clock.deadline
    ):
        return False
    clock.status = ClockStatus.RUNNING
    clock.breached_at = None
    clock.escalated_at = None
    void_clock_breach(clock)
    return True


def pause_clock(clock: Clock, at: datetime) -> None:
    if clock.name not in PAUSABLE:
        return
    _unbreach(clock, at)
    if clock.status != ClockStatus.RUNNING:
        return
    clock.pauses = [*clock.pauses, [at.isoformat(), None]]
    clock.status = ClockStatus.PAUSED
    clock.next_check_at = None
    clock.save()


def resume_clock(clock: Clock, order: WorkOrder, at: datetime) -> None:
    if clock.status != ClockStatus.PAUSED:
        return
    _close_pause(clock, at)
    clock.status = ClockStatus.RUNNING
    clock.deadline = compute_deadline(clock, order)
    clock.paused_seconds = _paused_seconds(clock, at)
    _schedule_checks(clock, _params(clock))
    clock.save()


def cancel_clock(clock: Clock, at: datetime) -> None:
    if clock.status == ClockStatus.BREACHED:
        # The breach happened and stays on record (and in the ledger); the clock just stops.
        clock.stopped_at = at
        clock.save()
        return
    clock.status = ClockStatus.CANCELLED
    clock.stopped_at = at
    clock.next_check_at = None
    clock.save()


def _pausing_reasons(order: WorkOrder) -> set[str]:
    found = policies.resolve("pause.reasons", order)
    return set(found.params.get("reasons", [])) if found else set()


def on_event(order: WorkOrder, event: OrderEvent) -> None:
    """Drive the order's clocks from one of its events."""
    at = event.occurred_at
    action = event.action
    payload = event.payload or {}
    if action == Action.CREATE:
        new = []
        if order.kind == Kind.REPAIR:
            new.append(start_clock(order, ClockName.FIRST_REPLY, order.reported_at))
            new.append(start_clock(order, ClockName.RESTORE, order.reported_at))
        elif order.kind in (Kind.INSTALL, Kind.MOVE):
            new.append(start_clock(order, ClockName.INSTALL, order.reported_at))
        # One INSERT: intake is the hottest write path. A report registered after its deadline
        # (taken on paper) has next_check_at in the past and the worker marks it at once.
        # Kept on the order so the intake answer shows them without reading them back.
        order._fresh_clocks = Clock.objects.bulk_create([c for c in new if c is not None])  # type: ignore[attr-defined]
        return
    if action == Action.ASSIGN:
        for c in open_clocks(order):
            c.technician_id = order.technician_id
            if c.name == ClockName.CONTACT and c.status in OPEN_CLOCK:
                # The order reached a new technician: their 30 minutes start now.
                c.started_at = at
                c.pauses = []
                c.deadline = compute_deadline(c, order)
                _schedule_checks(c, _params(c))
            c.save()
        if not any(c.status in OPEN_CLOCK for c in open_clocks(order, ClockName.CONTACT)):
            new_clock = start_clock(order, ClockName.CONTACT, at)
            if new_clock is not None:
                new_clock.save()
        return
    if action == Action.CONTACT:
        for c in open_clocks(order, ClockName.CONTACT):
            stop_clock(c, order, at)
        if payload.get("outcome") == "reached":
            for c in open_clocks(order, ClockName.FIRST_REPLY):
                stop_clock(c, order, at)
        return
    if action == Action.REPLY:
        for c in open_clocks(order, ClockName.FIRST_REPLY):
            stop_clock(c, order, at)
        return
    if action == Action.SCHEDULE:
        for c in open_clocks(order, ClockName.ARRIVAL):
            cancel_clock(c, at)
        if order.appointment_start is not None:
            new_clock = start_clock(
                order, ClockName.ARRIVAL, at, fixed_deadline=order.appointment_start
            )
            if new_clock is not None:
                new_clock.save()
        return
    if action == Action.RESCHEDULE:
        found = policies.resolve("clock.arrival", order)
        for c in open_clocks(order, ClockName.ARRIVAL):
            _unbreach(c, event.occurred_at)
            if c.status not in OPEN_CLOCK or order.appointment_start is None:
                continue
            c.fixed_deadline = order.appointment_start + timedelta(
                minutes=(found.minutes or 0) if found else 0
            )
            c.deadline = compute_deadline(c, order)
            c.warned_at = None
            _schedule_checks(c, _params(c))
            c.save()
        return
    if action == Action.ARRIVE:
        for c in open_clocks(order, ClockName.ARRIVAL):
            stop_clock(c, order, at)
        return
    if action == Action.COMPLETE:
        for c in open_clocks(order, ClockName.RESTORE, ClockName.INSTALL, ClockName.FIRST_REPLY):
            stop_clock(c, order, at)
        close_out = start_clock(order, ClockName.CLOSE_OUT, at)
        if close_out is not None:
            close_out.save()
            # R11 is met when the server has the close-out: that is now, `recorded_at`.
            stop_clock(close_out, order, max(event.recorded_at, at))
        callback = start_clock(order, ClockName.CALLBACK, at)
        if callback is not None:
            callback.save()
        return
    if action in (Action.CALLBACK, Action.CLOSE):
        for c in open_clocks(order, ClockName.CALLBACK):
            stop_clock(c, order, at)
        if action == Action.CALLBACK and payload.get("reopened"):
            new_clock = start_clock(order, ClockName.CONTACT, at)
            if new_clock is not None:
                new_clock.save()
        return
    if action == Action.SUSPEND:
        if (
            payload.get("reason") in _pausing_reasons(order)
            and payload.get("reason") != SuspendReason.OUTAGE
        ):
            for c in open_clocks(order):
                pause_clock(c, at)
        return
    if action == Action.RESUME:
        for c in open_clocks(order):
            resume_clock(c, order, at)
        return
    if action in (Action.RETURN, "site_not_ready"):
        for c in open_clocks(order, ClockName.CONTACT, ClockName.ARRIVAL):
            cancel_clock(c, at)
        return
    if action == Action.CANCEL:
        # A damage claim's clock (R18) outlives the order: the customer is still owed.
        for c in open_clocks(order):
            if c.name != ClockName.COMPENSATION:
                cancel_clock(c, at)
        return


def state_at(clock: Clock, order: WorkOrder, at: datetime) -> dict[str, Any] | None:
    """The clock as it stood at `at` (SPEC §5 clock shape); None if it had not started."""
    if clock.started_at > at:
        return None
    if clock.status == ClockStatus.CANCELLED and clock.stopped_at and clock.stopped_at <= at:
        return None
    stopped = clock.stopped_at if clock.stopped_at and clock.stopped_at <= at else None
    if stopped is not None:
        deadline = compute_deadline(clock, order)
        status = ClockStatus.BREACHED if deadline and stopped > deadline else ClockStatus.MET
    else:
        deadline = compute_deadline(clock, order, at)
        paused_now = any(s <= at and (e is None or e > at) for s, e in _pauses(clock))
        if paused_now:
            status = ClockStatus.PAUSED
        elif deadline is not None and at > deadline:
            status = ClockStatus.BREACHED
        else:
            status = ClockStatus.RUNNING
    return {
        "name": clock.name,
        "status": str(status),
        "started_at": clock.started_at.isoformat(),
        "deadline": deadline.isoformat() if deadline else None,
        "paused_seconds": _paused_seconds(clock, stopped or at),
        "stopped_at": stopped.isoformat() if stopped else None,
    }


def clocks_as_of(order: WorkOrder, at: datetime | None = None) -> list[dict[str, Any]]:
    moment = at or app_clock.now()
    out = []
    # One use only: after that the order's clocks may have moved on.
    fresh = order.__dict__.pop("_fresh_clocks", None)
    rows = (
        fresh
        if fresh is not None and at is None
        else Clock.objects.filter(order=order).order_by("id")
    )
    for c in rows:
        c.order = order
        state = state_at(c, order, moment)
        if state is not None:
            out.append(state)
    return out
