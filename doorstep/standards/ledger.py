"""Appeals and decisions on the penalty ledger, and who may see which entries."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from doorstep.core import clock as app_clock
from doorstep.core.errors import Conflict, Forbidden, InvalidInput
from doorstep.orders.access import staff_of
from doorstep.org.choices import Role
from doorstep.org.models import roles_of
from doorstep.standards.choices import PenaltyStatus
from doorstep.standards.models import Breach, Penalty, ReportBack

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


def appeal(penalty_id: int, user: Any, reason: str) -> Penalty:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": "请填写申诉理由"})
    with transaction.atomic():
        p = visible_penalties(user).select_for_update().filter(pk=penalty_id).first()
        if p is None:
            from doorstep.core.errors import NotFound

            raise NotFound("处罚记录不存在")
        if p.technician_id != user.pk:
            raise Forbidden("只能对自己的处罚提出申诉")
        if p.status != PenaltyStatus.OPEN:
            raise Conflict("只有待执行的处罚可以申诉", state=p.status, allowed=[])
        p.status = PenaltyStatus.APPEALED
        p.appeal_reason = reason
        p.appealed_at = app_clock.now()
        p.save()
    return p


def decide(penalty_id: int, user: Any, uphold: bool, note: str = "") -> Penalty:
    if not roles_of(user) & {Role.MANAGER, Role.ADMIN}:
        raise Forbidden("只有管理人员可以裁决申诉")
    with transaction.atomic():
        p = visible_penalties(user).select_for_update().filter(pk=penalty_id).first()
        if p is None:
            from doorstep.core.errors import NotFound

            raise NotFound("处罚记录不存在")
        if p.status not in (PenaltyStatus.APPEALED, PenaltyStatus.OPEN):
            raise Conflict("该处罚已有结论", state=p.status, allowed=[])
        p.status = PenaltyStatus.UPHELD if uphold else PenaltyStatus.EXEMPTED
        p.decided_by = user
        p.decided_at = app_clock.now()
        p.decision_note = note
        p.save()
    return p
