"""Appeals and decisions on the penalty ledger, and who may see which entries."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from doorstep.core.errors import Conflict, Forbidden, InvalidInput
from doorstep.orders.access import staff_of
from doorstep.org.choices import Role
from doorstep.org.models import roles_of
from doorstep.standards.breaches import append_change
from doorstep.standards.choices import PenaltyStatus
from doorstep.standards.models import (
    DECISIONS,
    Breach,
    ChangeKind,
    Penalty,
    PenaltyChange,
    ReportBack,
)

OFFICE = {Role.ADMIN, Role.MANAGER, Role.QUALITY, Role.DISPATCHER, Role.OPERATOR}


def _scope(user: Any, tech_field: str) -> Q | None:
    roles = roles_of(user)
    staff = staff_of(user)
    scope: Q | None = None
    if roles & OFFICE:
        scope = Q() if staff is None or staff.branch_id is None else Q(branch_id=staff.branch_id)
        if scope == Q():
            return scope
    if Role.TECHNICIAN in roles:
        own = Q(**{tech_field: user.pk})
        scope = own if scope is None else scope | own
    return scope


def visible_penalties(user: Any) -> QuerySet[Penalty]:
    scope = _scope(user, "technician_id")
    return Penalty.objects.none() if scope is None else Penalty.objects.filter(scope)


def in_status(qs: QuerySet[Penalty], *statuses: str) -> QuerySet[Penalty]:
    """Entries whose derived status (the annotation every Penalty query carries) is one of
    `statuses`. One place, because type checkers see no `status` column."""
    annotated: Any = qs
    return annotated.filter(status__in=statuses)  # type: ignore[no-any-return]


def visible_breaches(user: Any) -> QuerySet[Breach]:
    scope = _scope(user, "technician_id")
    return Breach.objects.none() if scope is None else Breach.objects.filter(scope)


def visible_report_backs(user: Any) -> QuerySet[ReportBack]:
    roles = roles_of(user)
    staff = staff_of(user)
    if roles & OFFICE:
        if staff is None or staff.branch_id is None:
            return ReportBack.objects.all()
        qs = ReportBack.objects.filter(order__branch_id=staff.branch_id)
        if Role.TECHNICIAN in roles:
            qs = qs | ReportBack.objects.filter(technician_id=user.pk)
        return qs
    if Role.TECHNICIAN in roles:
        return ReportBack.objects.filter(technician_id=user.pk)
    return ReportBack.objects.none()


def _locked_entry(penalty_id: int, user: Any) -> Penalty:
    from doorstep.core.errors import NotFound

    # Lock the plain row (the derived status is read after the lock is held).
    found = (
        Penalty.raw.select_for_update()
        .filter(pk__in=visible_penalties(user).filter(pk=penalty_id).values("pk"))
        .first()
    )
    if found is None:
        raise NotFound("处罚记录不存在")
    return found


def appeal(penalty_id: int, user: Any, reason: str) -> Penalty:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": "请填写申诉理由"})
    with transaction.atomic():
        p = _locked_entry(penalty_id, user)
        if p.technician_id != user.pk:
            raise Forbidden("只能对自己的处罚提出申诉")
        if p.status != PenaltyStatus.OPEN:
            raise Conflict("只有待执行的处罚可以申诉", state=p.status, allowed=[])
        append_change(p, ChangeKind.APPEAL, PenaltyStatus.APPEALED, by=user, note=reason)
    return p


def decide(penalty_id: int, user: Any, uphold: bool, note: str = "") -> Penalty:
    if not roles_of(user) & {Role.MANAGER, Role.ADMIN}:
        raise Forbidden("只有管理人员可以裁决申诉")
    with transaction.atomic():
        p = _locked_entry(penalty_id, user)
        if p.status not in (PenaltyStatus.APPEALED, PenaltyStatus.OPEN):
            raise Conflict("该处罚已有结论", state=p.status, allowed=[])
        if uphold:
            append_change(p, ChangeKind.UPHOLD, PenaltyStatus.UPHELD, by=user, note=note)
        else:
            append_change(p, ChangeKind.EXEMPT, PenaltyStatus.EXEMPTED, by=user, note=note)
    return p


def history(penalty: Penalty) -> list[PenaltyChange]:
    """The entry's steps, oldest first, with who took them."""
    return list(penalty.changes.select_related("by", "refers_to").order_by("seq"))


def appeal_and_decision(p: Penalty) -> tuple[PenaltyChange | None, PenaltyChange | None]:
    """The entry's latest appeal and latest decision (from prefetched `changes`)."""
    steps = sorted(p.changes.all(), key=lambda c: c.seq)
    appeals = [c for c in steps if c.kind == ChangeKind.APPEAL]
    decisions = [c for c in steps if c.kind in (*DECISIONS, ChangeKind.REPORT_BACK_EXEMPT)]
    return (appeals[-1] if appeals else None, decisions[-1] if decisions else None)
