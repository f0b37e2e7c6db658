"""`doorstep worker`: clocks that pass their deadline with nobody touching the order, warnings
before a breach, escalations after it, and the notification outbox (Healthchecks' sendalerts).

Each step claims its rows inside a transaction with SELECT … FOR UPDATE SKIP LOCKED on
PostgreSQL (on SQLite, BEGIN IMMEDIATE already lets one writer in at a time), so several
workers on several machines never do one job twice. Steps work in batches and set-based SQL:
a sweep over 10,000 due clocks is a handful of statements, not 10,000 round trips.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, Q

from doorstep.core import clock as app_clock
from doorstep.notifications.models import Notification
from doorstep.notifications.outbox import GATEWAYS
from doorstep.org.choices import Role
from doorstep.org.models import Staff
from doorstep.standards import policies
from doorstep.standards.breaches import clock_evidence
from doorstep.standards.choices import (
    CLOCK_RULE,
    ClockName,
    ClockStatus,
    PenaltyStatus,
    ReportBackStatus,
)
from doorstep.standards.models import Breach, Clock, Penalty, ReportBack

log = logging.getLogger("doorstep.worker")


def _claim(qs: Any) -> Any:
    if connection.vendor == "postgresql":
        return qs.select_for_update(skip_locked=True, of=("self",))
    return qs


class Worker:
    def __init__(self, name: str | None = None, batch: int = 1000) -> None:
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.batch = batch
        self.stopping = False

    # -- the loop ---------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)

    def run(self, interval: float = 5.0, once: bool = False) -> None:
        self.install_signal_handlers()
        while not self.stopping:
            found = self.tick()
            if once and not found:
                return
            if not found:
                # Sleep in short steps so SIGTERM is answered quickly.
                slept = 0.0
                while slept < interval and not self.stopping:
                    time.sleep(0.2)
                    slept += 0.2

    def _stop(self, signum: int, frame: Any) -> None:
        log.warning("worker %s: signal %s, finishing the current batch", self.name, signum)
        self.stopping = True

    def tick(self, now: datetime | None = None) -> int:
        """One round of every step; returns how much work it found."""
        found = self.sweep_clocks(now)
        if not self.stopping:
            found += self.send_notifications(now)
        return found

    # -- clocks -----------------------------------------------------------------------------

    def sweep_clocks(self, now: datetime | None = None) -> int:
        """Process every clock due by `now` (one pass), batch by batch."""
        now = now or app_clock.now()
        total = 0
        while not self.stopping:
            # Every batch moves what it handled past `now`, so this ends.
            done = self._sweep_batch(now)
            total += done
            if done == 0:
                break
        return total

    def _uniform_overdue_amount(self) -> Decimal | None:
        """The overdue penalty when one amount applies to every order (the usual case), so
        breaches can be marked in one statement; None when policies differ by order."""
        amounts = {r.amount or Decimal(0) for r in policies.rows_for("penalty.overdue")}
        if not amounts:
            return Decimal(0)
        return next(iter(amounts)) if len(amounts) == 1 else None

    def _breach_in_sql(self, now: datetime) -> int | None:
        """PostgreSQL: claim, mark, record and charge a batch of due clocks in one statement."""
        if connection.vendor != "postgresql":
            return None
        amount = self._uniform_overdue_amount()
        if amount is None or any(r.minutes for r in policies.rows_for("escalation")):
            return None  # amounts or escalation delays differ by order: the row-by-row path
        rule_case = " ".join(f"WHEN '{name}' THEN '{rule}'" for name, rule in CLOCK_RULE.items())
        label_case = " ".join(
            f"WHEN '{name}' THEN '{ClockName(name).label} 超时'" for name in CLOCK_RULE
        )
        sql = f"""
        WITH due AS (
            SELECT id FROM standards_clock
            WHERE next_check_at <= %(now)s AND status = 'running' AND deadline <= %(now)s
            ORDER BY next_check_at LIMIT %(batch)s FOR UPDATE SKIP LOCKED
        ), marked AS (
            UPDATE standards_clock c SET status = 'breached', breached_at = c.deadline,
                   next_check_at = %(escalate_at)s
            FROM due WHERE c.id = due.id
            RETURNING c.id, c.order_id, c.name, c.technician_id, c.deadline, c.started_at, c.paused_seconds
        ), breaches AS (
            INSERT INTO standards_breach (order_id, rule, clock_id, technician_id, branch_id, occurred_at,
                                          evidence, void, created_at)
            SELECT m.order_id, CASE m.name {rule_case} END, m.id, COALESCE(m.technician_id, o.technician_id),
                   o.branch_id, m.deadline,
                   jsonb_build_object('clock', m.name, 'started_at', m.started_at, 'deadline', m.deadline,
                                      'paused_seconds', m.paused_seconds, 'marked_at', %(now)s::timestamptz,
                                      'marked_by', %(worker)s::text),
                   false, %(now)s
            FROM marked m JOIN orders_workorder o ON o.id = m.order_id
            RETURNING id, order_id, clock_id, technician_id, branch_id, rule
        ), charged AS (
            INSERT INTO standards_penalty (order_id, breach_id, rule, amount, technician_id, branch_id, status,
                                           reason, appeal_reason, decision_note, created_at)
            SELECT b.order_id, b.id, b.rule, %(amount)s, b.technician_id, b.branch_id,
                   CASE WHEN EXISTS (SELECT 1 FROM standards_reportback_clocks rc
                                     JOIN standards_reportback r ON r.id = rc.reportback_id
                                     WHERE rc.clock_id = b.clock_id AND r.status = 'approved')
                        THEN 'exempted' ELSE 'open' END,
                   CASE m.name {label_case} END, '', '', %(now)s
            FROM breaches b JOIN marked m ON m.id = b.clock_id
            WHERE %(amount)s > 0
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM marked), (SELECT count(*) FROM charged)
        """
        with connection.cursor() as cur:
            cur.execute(
                sql,
                {
                    "now": now,
                    "batch": self.batch,
                    "escalate_at": now + timedelta(microseconds=1),
                    "worker": self.name,
                    "amount": amount,
                },
            )
            marked, _ = cur.fetchone()
        return int(marked)

    def _sweep_batch(self, now: datetime) -> int:
        with transaction.atomic():
            fast = self._breach_in_sql(now)
            if fast:
                return fast
            due = list(
                _claim(
                    Clock.objects.filter(next_check_at__lte=now)
                    .select_related("order", "order__branch", "order__customer")
                    .order_by("next_check_at")
                )[: self.batch]
            )
            if not due:
                return 0
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
            self._breach(breach, now)
            self._warn(warn, now)
            self._escalate(escalate, now)
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
            return len(due)

    def _escalation_delay(self, order: Any) -> timedelta:
        found = policies.resolve("escalation", order)
        return timedelta(minutes=found.minutes or 0) if found else timedelta(0)

    def _breach(self, clocks: list[Clock], now: datetime) -> None:
        if not clocks:
            return
        ids = [c.pk for c in clocks]
        # Escalation comes on a later pass, so that a pass stays "mark what is due".
        Clock.objects.filter(pk__in=ids).update(
            status=ClockStatus.BREACHED,
            breached_at=F("deadline"),
            next_check_at=now + timedelta(microseconds=1),
        )
        delayed = [c for c in clocks if self._escalation_delay(c.order)]
        for c in delayed:
            Clock.objects.filter(pk=c.pk).update(
                next_check_at=(c.deadline or now) + self._escalation_delay(c.order)
            )
        exempt = set(
            ReportBack.objects.filter(status=ReportBackStatus.APPROVED, clocks__in=ids).values_list(
                "clocks", flat=True
            )
        )
        breaches = Breach.objects.bulk_create(
            [
                Breach(
                    order_id=c.order_id,
                    rule=CLOCK_RULE[c.name],
                    clock_id=c.pk,
                    technician_id=c.technician_id or c.order.technician_id,
                    branch_id=c.order.branch_id,
                    occurred_at=c.deadline or now,
                    evidence=clock_evidence(c, marked_by=self.name),
                )
                for c in clocks
            ]
        )
        by_clock = {b.clock_id: b for b in breaches}
        if any(b.pk is None for b in breaches):  # backends that do not return ids
            by_clock = {b.clock_id: b for b in Breach.objects.filter(clock_id__in=ids)}
        amounts: dict[tuple[Any, ...], Decimal] = {}
        penalties = []
        for c in clocks:
            o = c.order
            key = (o.kind, o.fault_class, o.branch_id, o.customer.grade)
            if key not in amounts:
                amounts[key] = policies.amount_for("penalty.overdue", o)
            if amounts[key] <= 0:
                continue
            penalties.append(
                Penalty(
                    order_id=o.pk,
                    breach=by_clock[c.pk],
                    rule=CLOCK_RULE[c.name],
                    amount=amounts[key],
                    technician_id=c.technician_id or o.technician_id,
                    branch_id=o.branch_id,
                    reason=f"{c.get_name_display()} 超时",
                    status=PenaltyStatus.EXEMPTED if c.pk in exempt else PenaltyStatus.OPEN,
                    created_at=now,
                )
            )
        Penalty.objects.bulk_create(penalties)

    def _leads(self, tech_ids: set[int]) -> dict[int, int]:
        rows = Staff.objects.filter(user_id__in=tech_ids, team__lead__isnull=False).values_list(
            "user_id", "team__lead_id"
        )
        return {u: lead for u, lead in rows if lead != u}

    def _warn(self, clocks: list[Clock], now: datetime) -> None:
        if not clocks:
            return
        leads = self._leads({c.technician_id for c in clocks if c.technician_id})
        notes = []
        for c in clocks:
            left = max(0, int(((c.deadline or now) - now).total_seconds() // 60))
            body = (
                f"工单 {c.order.number}「{c.get_name_display()}」还剩 {left} 分钟到期，请尽快处理。"
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
        Notification.objects.bulk_create(notes, ignore_conflicts=True)
        Clock.objects.filter(pk__in=[c.pk for c in clocks]).update(
            warned_at=now, next_check_at=F("deadline")
        )

    def _managers(self) -> dict[int | None, list[int]]:
        by_branch: dict[int | None, list[int]] = defaultdict(list)
        for user_id, branch_id in Staff.objects.filter(
            role_names__contains=Role.MANAGER
        ).values_list("user_id", "branch_id"):
            by_branch[branch_id].append(user_id)
        if not by_branch:
            for uid in (
                get_user_model()
                .objects.filter(groups__name=Role.MANAGER)
                .values_list("pk", flat=True)
            ):
                by_branch[None].append(uid)
        return by_branch

    def _escalate(self, clocks: list[Clock], now: datetime) -> None:
        if not clocks:
            return
        managers = self._managers()
        notes = []
        for c in clocks:
            who = set(managers.get(c.order.branch_id, [])) | set(managers.get(None, []))
            body = (
                f"工单 {c.order.number}「{c.get_name_display()}」已于 "
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
        Notification.objects.bulk_create(notes, ignore_conflicts=True)
        Clock.objects.filter(pk__in=[c.pk for c in clocks]).update(
            escalated_at=now, next_check_at=None
        )

    # -- the outbox -------------------------------------------------------------------------

    def send_notifications(self, now: datetime | None = None, limit: int = 200) -> int:
        now = now or app_clock.now()
        with transaction.atomic():
            notes = list(
                _claim(
                    Notification.objects.filter(
                        status=Notification.Status.PENDING, available_at__lte=now
                    ).order_by("available_at")
                )[:limit]
            )
            for note in notes:
                gateway = GATEWAYS.get(note.channel) or GATEWAYS["console"]
                try:
                    gateway.send(note)
                except Exception as exc:  # noqa: BLE001 - a gateway failure must not stop the loop
                    note.attempts += 1
                    note.error = str(exc)[:500]
                    note.status = (
                        Notification.Status.FAILED
                        if note.attempts >= 5
                        else Notification.Status.PENDING
                    )
                    note.available_at = now + timedelta(minutes=2**note.attempts)
                else:
                    note.status = Notification.Status.SENT
                    note.sent_at = now
                    note.attempts += 1
                note.save(update_fields=["status", "sent_at", "attempts", "error", "available_at"])
        return len(notes)


def run(interval: float = 5.0, once: bool = False) -> None:
    Worker().run(interval=interval, once=once)


__all__ = ["Worker", "run", "ClockName", "Q"]
