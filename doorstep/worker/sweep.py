"""The clock sweep: clocks that pass their deadline with nobody touching the order, warnings
before a breach, escalations after it (Healthchecks' sendalerts, for deadlines).

Due clocks are claimed inside a transaction with SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL
(on SQLite, BEGIN IMMEDIATE already lets one writer in at a time), so several workers never
handle one clock twice. Breaches are recorded by `breaches.mark_clocks_breached`, the same
function the action path calls; on PostgreSQL a batch it provably prices the same way is
written set-based by `breaches.mark_due_in_sql` instead.

A clock that fails is logged with its order, moved aside (`next_check_at` NULL, `failed_at`
and `failure` set: the breaches page lists it) and the rest of its batch goes on.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.db.models import F

from doorstep.core import clock as app_clock
from doorstep.notifications.models import Notification
from doorstep.notifications.outbox import queue_many
from doorstep.org.choices import Role
from doorstep.org.models import Staff
from doorstep.standards import policies
from doorstep.standards.breaches import mark_clocks_breached, mark_due_in_sql
from doorstep.standards.choices import ClockName, ClockStatus
from doorstep.standards.models import Clock

log = logging.getLogger("doorstep.worker")

TICK = timedelta(microseconds=1)


def _claim(qs: Any) -> Any:
    if connection.vendor == "postgresql":
        return qs.select_for_update(skip_locked=True, of=("self",))
    return qs


def sweep_clocks(
    worker_name: str,
    now: datetime | None = None,
    batch: int = 1000,
    stopping: Callable[[], bool] = lambda: False,
) -> int:
    """Process every clock due by `now` (one pass), batch by batch; how many it handled."""
    now = now or app_clock.now()
    total = 0
    while not stopping():
        # Every batch moves what it handled past `now` (or aside), so this ends.
        done = sweep_batch(worker_name, now, batch)
        total += done
        if done == 0:
            break
    return total


def _escalation_delay(order: Any) -> timedelta:
    found = policies.resolve("escalation", order)
    return timedelta(minutes=found.minutes or 0) if found else timedelta(0)


def _set_based(worker_name: str, now: datetime, batch: int) -> int:
    if connection.vendor != "postgresql":
        return 0
    if any(r.minutes for r in policies.rows_for("escalation")):
        return 0  # escalation delays differ by order: the row-by-row path
    try:
        with transaction.atomic():
            return mark_due_in_sql(now, batch, worker_name, now + TICK)
    except DatabaseError:
        # One bad row fails the whole statement: the row-by-row path finds and sets it aside.
        log.exception("worker %s: set-based sweep failed, going row by row", worker_name)
        return 0


def sweep_batch(worker_name: str, now: datetime, batch: int) -> int:
    fast = _set_based(worker_name, now, batch)
    if fast:
        return fast
    with transaction.atomic():
        due = list(
            _claim(
                Clock.objects.filter(next_check_at__lte=now)
                .select_related("order", "order__branch", "order__customer")
                .order_by("next_check_at")
            )[:batch]
        )
        if not due:
            return 0
        try:
            with transaction.atomic():  # a savepoint: a failure undoes this batch only
                _process(due, now, worker_name)
        except Exception:  # noqa: BLE001 - any bad row must not stop every order's clocks
            log.warning("worker %s: a batch of %d failed, going row by row", worker_name, len(due))
            for c in due:
                try:
                    with transaction.atomic():
                        # Read afresh: the failed attempt may have changed the objects.
                        c.refresh_from_db()
                        _process([c], now, worker_name)
                except Exception as exc:  # noqa: BLE001
                    log.exception(
                        "worker %s: clock %s (%s) of order %s failed; set aside",
                        worker_name,
                        c.pk,
                        c.name,
                        c.order.number,
                    )
                    set_aside(c, exc, now)
        return len(due)


def set_aside(c: Clock, exc: BaseException, now: datetime) -> None:
    Clock.objects.filter(pk=c.pk).update(
        next_check_at=None, failed_at=now, failure=f"{type(exc).__name__}: {exc}"[:500]
    )


def _process(due: list[Clock], now: datetime, worker_name: str) -> None:
    breach, warn, escalate, rest = [], [], [], []
    for c in due:
        if c.status == ClockStatus.RUNNING and c.deadline is not None and c.deadline <= now:
            breach.append(c)
        elif (
            c.status == ClockStatus.RUNNING
            and c.warned_at is None
            and c.warn_at
            and c.warn_at <= now
        ):
            warn.append(c)
        elif c.status == ClockStatus.BREACHED and c.escalated_at is None:
            escalate.append(c)
        else:
            rest.append(c)
    _breach(breach, now, worker_name)
    _warn(warn, now)
    _escalate(escalate, now)
    if rest:
        # Nothing left to do now (met, paused, already escalated): look again at the
        # deadline if it is still ahead, else never.
        Clock.objects.filter(pk__in=[c.pk for c in rest]).update(next_check_at=None)
        ahead = [
            c.pk
            for c in rest
            if c.status == ClockStatus.RUNNING and c.deadline and c.deadline > now
        ]
        if ahead:
            Clock.objects.filter(pk__in=ahead).update(next_check_at=F("deadline"))


def _breach(clocks: list[Clock], now: datetime, worker_name: str) -> None:
    if not clocks:
        return
    mark_clocks_breached(clocks, marked_by=worker_name, now=now)
    # Escalation comes on a later pass, so that a pass stays "mark what is due".
    Clock.objects.filter(pk__in=[c.pk for c in clocks]).update(
        status=ClockStatus.BREACHED, breached_at=F("deadline"), next_check_at=now + TICK
    )
    for c in clocks:
        delay = _escalation_delay(c.order)
        if delay:
            Clock.objects.filter(pk=c.pk).update(next_check_at=(c.deadline or now) + delay)


def _leads(tech_ids: set[int]) -> dict[int, int]:
    rows = Staff.objects.filter(user_id__in=tech_ids, team__lead__isnull=False).values_list(
        "user_id", "team__lead_id"
    )
    return {u: lead for u, lead in rows if lead != u}


def _warn(clocks: list[Clock], now: datetime) -> None:
    if not clocks:
        return
    leads = _leads({c.technician_id for c in clocks if c.technician_id})
    notes = []
    for c in clocks:
        left = max(0, int(((c.deadline or now) - now).total_seconds() // 60))
        body = (
            f"工单 {c.order.number}「{ClockName(c.name).label}」还剩 {left} 分钟到期，请尽快处理。"
        )
        for who in {c.technician_id, leads.get(c.technician_id or 0)} - {None}:
            notes.append(
                Notification(
                    kind="warning",
                    recipient_id=who,
                    body=body,
                    order_id=c.order_id,
                    subject="即将超时",
                    dedupe_key=f"warn:{c.pk}:{who}",
                    available_at=now,
                )
            )
    # Queued in the outbox only; the sender (doorstep.notifications.sender) sends after commit.
    queue_many(notes)
    Clock.objects.filter(pk__in=[c.pk for c in clocks]).update(
        warned_at=now, next_check_at=F("deadline")
    )


def _managers() -> dict[int | None, list[int]]:
    by_branch: dict[int | None, list[int]] = defaultdict(list)
    for user_id, branch_id in Staff.objects.filter(role_names__contains=Role.MANAGER).values_list(
        "user_id", "branch_id"
    ):
        by_branch[branch_id].append(user_id)
    if not by_branch:
        for uid in (
            get_user_model().objects.filter(groups__name=Role.MANAGER).values_list("pk", flat=True)
        ):
            by_branch[None].append(uid)
    return by_branch


def _escalate(clocks: list[Clock], now: datetime) -> None:
    if not clocks:
        return
    managers = _managers()
    notes = []
    for c in clocks:
        who = set(managers.get(c.order.branch_id, [])) | set(managers.get(None, []))
        body = (
            f"工单 {c.order.number}「{ClockName(c.name).label}」已于 "
            f"{(c.breached_at or c.deadline or now):%m-%d %H:%M} 超时，请督办。"
        )
        for m in who:
            notes.append(
                Notification(
                    kind="escalation",
                    recipient_id=m,
                    body=body,
                    order_id=c.order_id,
                    subject="超时升级",
                    dedupe_key=f"escalate:{c.pk}:{m}",
                    available_at=now,
                )
            )
    queue_many(notes)
    Clock.objects.filter(pk__in=[c.pk for c in clocks]).update(escalated_at=now, next_check_at=None)
