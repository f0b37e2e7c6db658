"""Penalty ledger, breaches and report-backs over the API (SPEC §5 penalties)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Schema
from pydantic import Field, PlainSerializer, WithJsonSchema

from doorstep.api.errors import Router
from doorstep.core.bounds import PageNumber, RowId
from doorstep.core.errors import Forbidden, NotFound
from doorstep.org.choices import Role
from doorstep.org.models import roles_of
from doorstep.standards import ledger
from doorstep.standards.checks import decide_report_back
from doorstep.standards.choices import ClockName, PenaltyStatus, ReportBackStatus, Rule
from doorstep.standards.models import Breach, ChangeKind, Penalty, PenaltyChange, ReportBack

router = Router(tags=["standards"])

# Times as these endpoints have always written them: `datetime.isoformat()` in UTC
# ("2026-11-20T01:35:00+00:00"), documented as an ordinary date-time.
Instant = Annotated[
    datetime,
    PlainSerializer(lambda d: d.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
Username = Annotated[str, Field(description="the user's login name")]


class PenaltyChangeOut(Schema):
    """One appended row of an entry's history: an appeal, a decision, an exemption, a void."""

    seq: int
    kind: ChangeKind
    status_after: PenaltyStatus
    by: Username | None = Field(description="who made the change; null for the system")
    at: Instant
    note: str
    refers_to: int | None = Field(
        description="a carried decision: the change on the revived entry it carries"
    )


class PenaltyOut(Schema):
    """A penalty ledger entry; `status` is derived from its history (the row is never edited)."""

    id: int
    rule: Rule
    amount: float = Field(description="yuan")
    order: int = Field(description="the order's id")
    order_number: str
    technician: Username | None
    branch: str = Field(description="the branch's code")
    status: PenaltyStatus
    reason: str
    created_at: Instant
    appeal_reason: str | None
    decided_by: Username | None
    decision_note: str | None
    policy: int | None = Field(description="the policy row that priced the entry")
    policy_version: int | None
    revives: int | None = Field(description="the voided entry this one revives")
    history: list[PenaltyChangeOut]


class PenaltyList(Schema):
    count: int = Field(description="entries matching the filters, over all pages")
    results: list[PenaltyOut]


class BreachOut(Schema):
    id: int
    rule: Rule
    order: int
    order_number: str
    technician: Username | None
    branch: str
    occurred_at: Instant
    evidence: dict[str, Any] = Field(description="what the record showed: times, events, clock")
    void: bool = Field(description="a later upload showed there was no breach")


class BreachList(Schema):
    count: int
    results: list[BreachOut]


class ReportBackOut(Schema):
    id: int
    order: int
    order_number: str
    technician: Username | None
    reason: str
    note: str
    status: ReportBackStatus
    contradiction: str | None = Field(description="what in the order's record contradicts it")
    clocks: list[ClockName] = Field(description="the clocks still running when it was made")
    created_at: Instant


class ReportBackList(Schema):
    count: int
    results: list[ReportBackOut]


def change_dict(c: PenaltyChange) -> dict[str, Any]:
    return {
        "seq": c.seq,
        "kind": c.kind,
        "status_after": c.status_after,
        "by": c.by.get_username() if c.by else None,
        "at": c.at,
        "note": c.note,
        "refers_to": c.refers_to_id,
    }


def penalty_dict(p: Penalty) -> dict[str, Any]:
    appealed, decision = ledger.appeal_and_decision(p)
    return {
        "id": p.pk,
        "rule": p.rule,
        "amount": float(p.amount),
        "order": p.order_id,
        "order_number": p.order.number,
        "technician": p.technician.username if p.technician else None,
        "branch": p.branch.code,
        "status": p.status,
        "reason": p.reason,
        "created_at": p.created_at,
        "appeal_reason": appealed.note if appealed else None,
        "decided_by": decision.by.get_username() if decision and decision.by else None,
        "decision_note": (decision.note or None) if decision else None,
        "policy": p.policy_id,
        "policy_version": p.policy_version,
        "revives": p.revives_id,
        "history": [change_dict(c) for c in sorted(p.changes.all(), key=lambda c: c.seq)],
    }


def _one(pk: int) -> Penalty:
    return (
        Penalty.objects.select_related("order", "technician", "branch")
        .prefetch_related("changes__by")
        .get(pk=pk)
    )


class PenaltyFilters(Schema):
    technician: str | None = None
    order: RowId | None = None
    status: PenaltyStatus | None = None
    rule: Rule | None = None
    branch: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: PageNumber = 1
    page_size: int = Field(default=100, ge=1, le=500)


def filter_penalties(qs: Any, f: PenaltyFilters) -> Any:
    if f.technician:
        qs = qs.filter(technician__username=f.technician)
    if f.order:
        qs = qs.filter(order_id=f.order)
    if f.status:
        qs = ledger.in_status(qs, f.status)
    if f.rule:
        qs = qs.filter(rule=f.rule)
    if f.branch:
        qs = qs.filter(branch__code=f.branch)
    if f.date_from:
        qs = qs.filter(created_at__date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(created_at__date__lte=f.date_to)
    return qs


@router.get("/penalties", response={200: PenaltyList}, summary="The penalty ledger (R20)")
def list_penalties(request: HttpRequest, filters: Query[PenaltyFilters]) -> dict[str, Any]:
    qs = filter_penalties(
        ledger.visible_penalties(request.user)
        .select_related("order", "technician", "branch")
        .prefetch_related("changes__by"),
        filters,
    ).order_by("-created_at", "-id")
    total = qs.count()
    start = (filters.page - 1) * filters.page_size
    return {
        "count": total,
        "results": [penalty_dict(p) for p in qs[start : start + filters.page_size]],
    }


class AppealIn(Schema):
    reason: str = Field(min_length=1, max_length=1000)


class DecideIn(Schema):
    uphold: bool
    note: str = Field(default="", max_length=1000)


@router.post(
    "/penalties/{penalty_id}/appeal", response={200: PenaltyOut}, summary="A technician appeals"
)
def appeal(request: HttpRequest, penalty_id: int, body: AppealIn) -> dict[str, Any]:
    p = ledger.appeal(penalty_id, request.user, body.reason)
    return penalty_dict(_one(p.pk))


@router.post(
    "/penalties/{penalty_id}/decide",
    response={200: PenaltyOut},
    summary="A manager decides an appeal",
)
def decide(request: HttpRequest, penalty_id: int, body: DecideIn) -> dict[str, Any]:
    p = ledger.decide(penalty_id, request.user, body.uphold, body.note)
    return penalty_dict(_one(p.pk))


def breach_dict(b: Breach) -> dict[str, Any]:
    return {
        "id": b.pk,
        "rule": b.rule,
        "order": b.order_id,
        "order_number": b.order.number,
        "technician": b.technician.username if b.technician else None,
        "branch": b.branch.code,
        "occurred_at": b.occurred_at,
        "evidence": b.evidence,
        "void": b.void,
    }


@router.get("/breaches", response={200: BreachList}, summary="Breaches with their evidence")
def list_breaches(
    request: HttpRequest,
    rule: Rule | None = None,
    order: RowId | None = None,
    technician: str | None = None,
) -> dict[str, Any]:
    qs = ledger.visible_breaches(request.user).select_related("order", "technician", "branch")
    if rule:
        qs = qs.filter(rule=rule)
    if order:
        qs = qs.filter(order_id=order)
    if technician:
        qs = qs.filter(technician__username=technician)
    rows = list(qs.order_by("-occurred_at")[:500])
    return {"count": len(rows), "results": [breach_dict(b) for b in rows]}


def report_back_dict(rb: ReportBack) -> dict[str, Any]:
    return {
        "id": rb.pk,
        "order": rb.order_id,
        "order_number": rb.order.number,
        "technician": rb.technician.username if rb.technician else None,
        "reason": rb.reason,
        "note": rb.note,
        "status": rb.status,
        "contradiction": rb.contradiction or None,
        "clocks": [c.name for c in rb.clocks.all()],
        "created_at": rb.created_at,
    }


@router.get("/report-backs", response={200: ReportBackList}, summary="Report-backs (R16)")
def list_report_backs(request: HttpRequest, status: str | None = None) -> dict[str, Any]:
    qs = (
        ledger.visible_report_backs(request.user)
        .select_related("order", "technician")
        .prefetch_related("clocks")
    )
    if status:
        qs = qs.filter(status=status)
    rows = list(qs.order_by("-created_at")[:500])
    return {"count": len(rows), "results": [report_back_dict(r) for r in rows]}


class ReportBackDecision(Schema):
    approve: bool
    note: str = Field(default="", max_length=1000)


@router.post(
    "/report-backs/{rb_id}/decide",
    response={200: ReportBackOut},
    summary="A manager approves or rejects",
)
def decide_rb(request: HttpRequest, rb_id: int, body: ReportBackDecision) -> dict[str, Any]:
    if not roles_of(request.user) & {Role.MANAGER, Role.ADMIN}:
        raise Forbidden("只有管理人员可以审批回告")
    rb = ledger.visible_report_backs(request.user).filter(pk=rb_id).first()
    if rb is None:
        raise NotFound("回告不存在")
    decide_report_back(rb, request.user, body.approve, body.note)
    return report_back_dict(ReportBack.objects.select_related("order", "technician").get(pk=rb.pk))
