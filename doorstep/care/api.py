"""doorstep.care in the API: damage claims (R18), first-ask questions (R19), site-not-ready
reports for dispatch, and the kit list (R24). Order changes go through the order actions
(`claim_damage`, `settle_damage`, `site_not_ready`, `escalate_engineering`); these endpoints
read, and write only what is not an order's (questions, dispatch's acknowledgement)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from doorstep.api.errors import Router
from doorstep.care import services
from doorstep.care.choices import AskedVia
from doorstep.care.kit import items_for
from doorstep.care.models import DamageClaim, Question, SiteReport
from doorstep.care.schemas import (
    AnswerIn,
    ClaimListOut,
    ClaimOut,
    HandledIn,
    HandOffIn,
    KitOut,
    QuestionIn,
    QuestionListOut,
    QuestionOut,
    SiteReportListOut,
    SiteReportOut,
)
from doorstep.core import clock as app_clock
from doorstep.core.errors import Forbidden, InvalidInput, NotFound
from doorstep.orders.access import staff_of, visible_orders
from doorstep.org.choices import Role
from doorstep.org.models import Branch, Customer, roles_of

router = Router(tags=["care"])

DISPATCH_ROLES = {Role.DISPATCHER, Role.MANAGER, Role.ADMIN}


def _who(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def claim_dict(c: DamageClaim) -> dict[str, Any]:
    return {
        "id": c.pk,
        "order": c.order_id,
        "order_number": c.order.number,
        "what": c.what,
        "customer_words": c.customer_words,
        "photos": list(c.photos or []),
        "apologized_at": c.apologized_at,
        "opened_by": _who(c.opened_by),
        "opened_at": c.opened_at,
        "deadline": c.clock.deadline if c.clock else None,
        "clock_status": c.clock.status if c.clock else None,
        "amount": c.amount,
        "paid_via": c.paid_via,
        "settled_by": _who(c.settled_by),
        "settled_at": c.settled_at,
    }


@router.get("/damage-claims", response=ClaimListOut, summary="Damage claims (R18)")
def list_claims(request: HttpRequest, open: bool | None = None) -> dict[str, Any]:
    qs = services.claims_for(request.user)
    if open is not None:
        qs = qs.filter(settled_at__isnull=open)
    rows = [claim_dict(c) for c in qs[:500]]
    return {"count": len(rows), "results": rows}


@router.get("/damage-claims/{claim_id}", response=ClaimOut, summary="One damage claim")
def get_claim(request: HttpRequest, claim_id: int) -> dict[str, Any]:
    claim = services.claims_for(request.user).filter(pk=claim_id).first()
    if claim is None:
        raise NotFound("损坏赔偿登记不存在或无权查看")
    return claim_dict(claim)


def question_dict(q: Question) -> dict[str, Any]:
    end = q.answered_at or app_clock.now()
    return {
        "id": q.pk,
        "order": q.order_id,
        "customer": q.customer_id,
        "asked_via": q.asked_via,
        "asked_at": q.asked_at,
        "question": q.question,
        "owner": _who(q.owner),
        "handled_by": _who(q.handled_by),
        "answer": q.answer,
        "answered_by": _who(q.answered_by),
        "answered_at": q.answered_at,
        "age_seconds": int((end - q.asked_at).total_seconds()),
        "handoffs": [
            {"from_user": _who(h.from_user), "to_user": _who(h.to_user), "at": h.at, "note": h.note}
            for h in q.handoffs.select_related("from_user", "to_user")
        ],
    }


@router.get("/questions", response=QuestionListOut, summary="My questions (R19)")
def my_questions(request: HttpRequest, unanswered: bool = False) -> dict[str, Any]:
    """Questions the caller owns (even when handed on) or was handed, oldest first."""
    qs = services.questions_of(request.user)
    if unanswered:
        qs = qs.filter(answered_at__isnull=True)
    rows = [question_dict(q) for q in qs[:500]]
    return {"count": len(rows), "results": rows}


@router.post("/questions", response={201: QuestionOut}, summary="Record a customer's question")
def ask(request: HttpRequest, body: QuestionIn) -> tuple[int, dict[str, Any]]:
    if staff_of(request.user) is None:
        raise Forbidden("只有员工可以登记客户问题")
    if body.asked_via not in AskedVia.values:
        raise InvalidInput({"asked_via": f"渠道须为 {', '.join(AskedVia.values)} 之一"})
    order = None
    if body.order is not None:
        order = visible_orders(request.user).filter(pk=body.order).first()
        if order is None:
            raise InvalidInput({"order": "工单不存在或无权查看"})
    customer = None
    if body.customer is not None:
        customer = Customer.objects.filter(pk=body.customer).first()
        if customer is None:
            raise InvalidInput({"customer": "客户不存在"})
    q = services.ask(
        request.user,
        question=body.question,
        asked_via=body.asked_via,
        order=order,
        customer=customer,
        asked_at=body.asked_at,
    )
    return 201, question_dict(q)


@router.post(
    "/questions/{question_id}/hand-off", response=QuestionOut, summary="Hand a question on"
)
def hand_off(request: HttpRequest, question_id: int, body: HandOffIn) -> dict[str, Any]:
    return question_dict(services.hand_off(question_id, request.user, body.to, body.note))


@router.post("/questions/{question_id}/answer", response=QuestionOut, summary="Answer a question")
def answer(request: HttpRequest, question_id: int, body: AnswerIn) -> dict[str, Any]:
    return question_dict(services.answer(question_id, request.user, body.answer))


def site_dict(r: SiteReport) -> dict[str, Any]:
    return {
        "id": r.pk,
        "order": r.order_id,
        "order_number": r.order.number,
        "reason": r.reason,
        "reason_label": r.get_reason_display(),
        "customer_consent": r.customer_consent,
        "note": r.note,
        "reported_by": _who(r.reported_by),
        "reported_at": r.reported_at,
        "handled_by": _who(r.handled_by),
        "handled_at": r.handled_at,
    }


def site_reports_for(user: Any) -> Any:
    if not roles_of(user) & DISPATCH_ROLES:
        raise Forbidden("施工条件不具备的上报由调度处理")
    return SiteReport.objects.filter(order__in=visible_orders(user)).select_related(
        "order", "reported_by", "handled_by"
    )


@router.get("/site-reports", response=SiteReportListOut, summary="Sites not ready, for dispatch")
def list_site_reports(request: HttpRequest, open: bool | None = None) -> dict[str, Any]:
    qs = site_reports_for(request.user)
    if open is not None:
        qs = qs.filter(handled_at__isnull=open)
    rows = [site_dict(r) for r in qs[:500]]
    return {"count": len(rows), "results": rows}


@router.post(
    "/site-reports/{report_id}/handled", response=SiteReportOut, summary="Dispatch has it in hand"
)
def mark_handled(request: HttpRequest, report_id: int, body: HandledIn) -> dict[str, Any]:
    if not site_reports_for(request.user).filter(pk=report_id).exists():
        raise NotFound("没有这条上报或无权查看")
    report = services.mark_site_handled(report_id, request.user, body.note)
    return site_dict(SiteReport.objects.select_related("order").get(pk=report.pk))


@router.get("/kit", response=KitOut, summary="The pre-departure kit list (R24)")
def kit(request: HttpRequest, branch: str | None = None) -> dict[str, Any]:
    staff = staff_of(request.user)
    found: Branch | None
    if branch:
        found = Branch.objects.filter(code=branch).first()
    else:
        found = staff.branch if staff is not None else None
    if found is None:
        raise InvalidInput({"branch": "请指定分公司编码"})
    items = [
        {"code": i.code, "label": i.label, "required": i.required} for i in items_for(found.pk)
    ]
    return {"branch": found.code, "items": items}
