"""Recording breaches with their evidence, and the penalty ledger entries they open (R20)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from doorstep.core import clock as app_clock
from doorstep.orders.models import OrderEvent, WorkOrder
from doorstep.standards import policies
from doorstep.standards.choices import CLOCK_RULE, PenaltyStatus, ReportBackStatus
from doorstep.standards.models import Breach, Clock, Penalty


def _exempting_report_back(clock: Clock) -> Any:
    return clock.report_backs.filter(status=ReportBackStatus.APPROVED).first()


def open_penalty(
    order: WorkOrder,
    rule: str,
    amount: Decimal,
    *,
    technician_id: int | None,
    breach: Breach | None = None,
    event: OrderEvent | None = None,
    reason: str = "",
    status: str = PenaltyStatus.OPEN,
) -> Penalty | None:
    if amount <= 0:
        return None
    try:
        with transaction.atomic():
            return Penalty.objects.create(
                order=order,
                breach=breach,
                event=event,
                rule=rule,
                amount=amount,
                technician_id=technician_id,
                branch_id=order.branch_id,
                status=status,
                reason=reason[:200],
                created_at=app_clock.now(),
            )
    except IntegrityError:
        return None  # already in the ledger: each breach is charged once


def clock_evidence(clock: Clock, marked_by: str = "") -> dict[str, Any]:
    """What proves a clock breach: the same record whether an event or the worker marked it."""
    evidence: dict[str, Any] = {
        "clock": clock.name,
        "started_at": clock.started_at.isoformat(),
        "deadline": clock.deadline.isoformat() if clock.deadline else None,
        "stopped_at": clock.stopped_at.isoformat() if clock.stopped_at else None,
        "paused_seconds": clock.paused_seconds,
        "marked_at": app_clock.now().isoformat(),
    }
    if marked_by:
        evidence["marked_by"] = marked_by
    return evidence


def record_clock_breach(clock: Clock, order: WorkOrder) -> Breach:
    rule = CLOCK_RULE[clock.name]
    technician_id = clock.technician_id or order.technician_id
    breach, created = Breach.objects.get_or_create(
        clock=clock,
        defaults={
            "order": order,
            "rule": rule,
            "technician_id": technician_id,
            "branch_id": order.branch_id,
            "occurred_at": clock.breached_at or clock.deadline or app_clock.now(),
            "evidence": clock_evidence(clock),
        },
    )
    if not created and breach.void:
        Breach.objects.filter(pk=breach.pk).update(void=False)
        Penalty.objects.filter(breach=breach, status=PenaltyStatus.VOID).update(
            status=PenaltyStatus.OPEN
        )
        return breach
    if created:
        exempt = _exempting_report_back(clock)
        open_penalty(
            order,
            rule,
            policies.amount_for("penalty.overdue", order),
            technician_id=technician_id,
            breach=breach,
            reason=f"{clock.get_name_display()} 超时",
            status=PenaltyStatus.EXEMPTED if exempt else PenaltyStatus.OPEN,
        )
    return breach


def void_clock_breach(clock: Clock) -> None:
    Breach.objects.filter(clock=clock).update(void=True)
    Penalty.objects.filter(breach__clock=clock).update(
        status=PenaltyStatus.VOID, decision_note="late upload showed the clock was met in time"
    )


def record_check_breach(
    order: WorkOrder,
    event: OrderEvent,
    rule: str,
    evidence: dict[str, Any],
    *,
    technician_id: int | None = None,
    amount_key: str = "penalty.check",
    amount: Decimal | None = None,
    reason: str = "",
) -> Breach | None:
    """A check (R3, R7, R8, R9, R12 …) broken by `event`. Once per event and rule."""
    tech = technician_id if technician_id is not None else order.technician_id
    try:
        with transaction.atomic():
            breach = Breach.objects.create(
                order=order,
                rule=rule,
                event=event,
                technician_id=tech,
                branch_id=order.branch_id,
                occurred_at=event.occurred_at,
                evidence=evidence,
            )
    except IntegrityError:
        return None
    open_penalty(
        order,
        rule,
        amount if amount is not None else policies.amount_for(amount_key, order),
        technician_id=tech,
        breach=breach,
        reason=reason,
    )
    return breach
