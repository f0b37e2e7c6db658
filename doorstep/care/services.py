"""What doorstep.care does: the records its order actions lead to, the notices it owes, and the
first-ask questions (R19), which need no order and so are not order actions.

Everything here runs inside the caller's transaction; notices go to the outbox and are sent
after commit by the worker (doorstep.notifications.sender).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet

from doorstep.care.models import (
    DamageClaim,
    EngineeringHandover,
    Question,
    QuestionHandoff,
    SiteReport,
)
from doorstep.core import clock as app_clock
from doorstep.core.errors import Forbidden, InvalidInput, NotFound
from doorstep.notifications.outbox import queue
from doorstep.orders.choices import Action
from doorstep.orders.models import OrderEvent, WorkOrder
from doorstep.org.choices import Role
from doorstep.org.models import Customer, Staff
from doorstep.standards import policies
from doorstep.standards.choices import ClockName
from doorstep.standards.clocks import start_clock, stop_clock
from doorstep.standards.models import Clock

# 003 第三部分 二.2: hand a cutover fault to the engineering team within 4 hours.
DEFAULT_ENGINEERING_MINUTES = 240


def _dispatchers(order: WorkOrder) -> list[Any]:
    return [
        s.user
        for s in Staff.objects.filter(
            branch_id=order.branch_id, role_names__contains=Role.DISPATCHER
        ).select_related("user")
    ]


# -- notices ------------------------------------------------------------------------------------


def notify_escalation(order: WorkOrder, event: OrderEvent) -> None:
    """The team lead named in the event's `escalation` (R13, R15); dispatch when the branch has
    no lead."""
    esc = event.payload["escalation"]
    user_model = get_user_model()
    lead = user_model.objects.filter(username=esc.get("to")).first() if esc.get("to") else None
    recipients = [lead] if lead is not None else _dispatchers(order)
    for user in recipients:
        queue(
            "escalation",
            f"工单 {order.number}：{esc.get('note', '')}",
            recipient=user,
            subject="升级至班长",
            order=order,
            dedupe_key=f"care:escalate:{event.pk}:{user.pk}",
        )


def notify_chase(order: WorkOrder, event: OrderEvent) -> None:
    """R15: every chase reaches the technician the order is with."""
    if order.technician_id is None:
        return
    number = event.payload.get("chase_number")
    note = event.payload.get("note") or ""
    said = f"：{note}" if note else ""
    queue(
        "chase",
        f"工单 {order.number} 第 {number} 次催单{said}，请尽快处理并回复客户。",
        recipient=order.technician,
        subject="催单",
        order=order,
        dedupe_key=f"care:chase:{event.pk}",
    )


# -- R18 damage claims --------------------------------------------------------------------------


def open_claim(order: WorkOrder, event: OrderEvent) -> DamageClaim:
    """`claim_damage`: the claim, and its 48 h `compensation` clock (policy row)."""
    p = event.payload
    clock = start_clock(order, ClockName.COMPENSATION, event.occurred_at)
    if clock is not None:
        clock.save()
    return DamageClaim.objects.create(
        order=order,
        event=event,
        what=p["what"],
        customer_words=p["customer_words"],
        photos=p.get("photos", []),
        apologized_at=event.occurred_at if p.get("apologized") else None,
        opened_by_id=event.actor_id,
        opened_at=event.occurred_at,
        clock=clock,
    )


def settle_claim(order: WorkOrder, event: OrderEvent) -> DamageClaim:
    """`settle_damage`: the amount and how it was paid; the claim's clock stops — met when in
    time, breached (and charged through the one breach path) when late."""
    p = event.payload
    claim = DamageClaim.objects.select_for_update().get(pk=p["claim"], order=order)
    claim.amount = Decimal(p["amount"])
    claim.paid_via = p["paid_via"]
    claim.apologized_at = claim.apologized_at or event.occurred_at
    claim.settled_by_id = event.actor_id
    claim.settled_at = event.occurred_at
    claim.settle_note = p.get("note") or ""
    claim.save()
    if claim.clock_id is not None:
        clock = Clock.objects.select_for_update().get(pk=claim.clock_id)
        if clock.stopped_at is None:
            clock.order = order
            stop_clock(clock, order, event.occurred_at)
    return claim


def claims_for(user: Any) -> QuerySet[DamageClaim]:
    from doorstep.orders.access import visible_orders

    return DamageClaim.objects.filter(order__in=visible_orders(user)).select_related(
        "order", "order__customer", "clock", "opened_by", "settled_by"
    )


# -- site not ready, engineering hand-over ------------------------------------------------------


def report_site(order: WorkOrder, event: OrderEvent) -> SiteReport:
    """`site_not_ready`: the report dispatch works from, and a notice to the branch's
    dispatchers."""
    p = event.payload
    report = SiteReport.objects.create(
        order=order,
        event=event,
        reason=p["reason"],
        customer_consent=bool(p.get("customer_consent")),
        note=p.get("note") or "",
        reported_by_id=event.actor_id,
        reported_at=event.occurred_at,
    )
    for user in _dispatchers(order):
        queue(
            "site_not_ready",
            f"工单 {order.number} 施工条件不具备（{report.get_reason_display()}），"
            f"客户已同意离开，已退回调度。{report.note}",
            recipient=user,
            subject="施工条件不具备",
            order=order,
            dedupe_key=f"care:site:{event.pk}:{user.pk}",
        )
    return report


def mark_site_handled(report_id: int, user: Any, note: str = "") -> SiteReport:
    with transaction.atomic():
        report = SiteReport.objects.select_for_update().filter(pk=report_id).first()
        if report is None:
            raise NotFound("没有这条施工条件不具备的上报")
        if report.handled_at is not None:
            raise InvalidInput({"report": "这条上报已处理"})
        report.handled_by = user
        report.handled_at = app_clock.now()
        report.handled_note = note
        report.save()
    return report


def received_by_technician_at(order: WorkOrder, before: datetime) -> datetime:
    """When the fault last reached a technician (its latest `assign`), else its report time."""
    assigned = (
        order.events.filter(action=Action.ASSIGN, occurred_at__lte=before)
        .order_by("-seq")
        .values_list("occurred_at", flat=True)
        .first()
    )
    return assigned or order.reported_at


def hand_to_engineering(order: WorkOrder, event: OrderEvent) -> EngineeringHandover:
    """`escalate_engineering`: the hand-over with its 4 h deadline (policy `care.engineering`),
    and the customer told the team's number (the seed's script)."""
    p = event.payload
    found = policies.resolve("care.engineering", order)
    minutes = found.minutes if found and found.minutes is not None else DEFAULT_ENGINEERING_MINUTES
    received = received_by_technician_at(order, event.occurred_at)
    handover = EngineeringHandover.objects.create(
        order=order,
        event=event,
        kind=p["kind"],
        team=p["team"],
        team_phone=p["team_phone"],
        received_at=received,
        deadline=received + timedelta(minutes=minutes),
        handed_over_at=event.occurred_at,
        by_id=event.actor_id,
    )
    if order.customer.phone:
        what = "网络优化" if p["kind"] == "cutover" else "电缆故障紧急抢修"
        queue(
            "engineering_handover",
            f"您好，您报修的工单 {order.number} 所在区域正在{what}处理中，"
            f"负责的{p['team']}联系电话 {p['team_phone']}，感谢您的配合。",
            to_phone=order.customer.phone,
            subject="障碍转派工程队",
            order=order,
            dedupe_key=f"care:engineering:{event.pk}",
        )
    return handover


# -- R19 first-ask questions --------------------------------------------------------------------


def ask(
    user: Any,
    *,
    question: str,
    asked_via: str,
    order: WorkOrder | None = None,
    customer: Customer | None = None,
    asked_at: datetime | None = None,
) -> Question:
    """Record a customer's question; whoever received it first (`user`) owns it."""
    if not question.strip():
        raise InvalidInput({"question": "请填写客户的问题"})
    if order is None and customer is None:
        raise InvalidInput({"order": "请填写工单或客户"})
    now = app_clock.now()
    at = asked_at or now
    if at > now + timedelta(minutes=5):
        raise InvalidInput({"asked_at": "提问时间不能晚于当前时间"})
    return Question.objects.create(
        order=order,
        customer=customer or (order.customer if order is not None else None),
        asked_via=asked_via,
        asked_at=at,
        question=question.strip(),
        owner=user,
        handled_by=user,
    )


def _answerable_by(q: Question, user: Any) -> bool:
    return user.pk in (q.owner_id, q.handled_by_id)


def hand_off(question_id: int, user: Any, to_username: str, note: str = "") -> Question:
    """Pass the question to someone else: `handled_by` changes, the owner stays answerable."""
    with transaction.atomic():
        q = Question.objects.select_for_update().filter(pk=question_id).first()
        if q is None:
            raise NotFound("没有这个问题")
        if not _answerable_by(q, user):
            raise Forbidden("只有首问责任人或当前处理人可以转交")
        if q.answered_at is not None:
            raise InvalidInput({"question": "问题已答复，无需转交"})
        to = get_user_model().objects.filter(username=to_username, is_active=True).first()
        if to is None or not Staff.objects.filter(user=to).exists():
            raise InvalidInput({"to": f"没有用户名为 {to_username} 的员工"})
        if to.pk == q.handled_by_id:
            raise InvalidInput({"to": "问题已在此人处理中"})
        QuestionHandoff.objects.create(
            question=q, from_user=user, to_user=to, at=app_clock.now(), note=note
        )
        q.handled_by = to
        q.save(update_fields=["handled_by"])
    return q


def answer(question_id: int, user: Any, text: str) -> Question:
    with transaction.atomic():
        q = Question.objects.select_for_update().filter(pk=question_id).first()
        if q is None:
            raise NotFound("没有这个问题")
        if not _answerable_by(q, user):
            raise Forbidden("只有首问责任人或当前处理人可以答复")
        if q.answered_at is not None:
            raise InvalidInput({"answer": "问题已答复"})
        if not text.strip():
            raise InvalidInput({"answer": "请填写答复内容"})
        q.answer = text.strip()
        q.answered_by = user
        q.answered_at = app_clock.now()
        q.save(update_fields=["answer", "answered_by", "answered_at"])
    return q


def questions_of(user: Any) -> QuerySet[Question]:
    """The questions a person answers for: those they own (even when handed on) and those
    handed to them, oldest first."""
    from django.db.models import Q

    return (
        Question.objects.filter(Q(owner=user) | Q(handled_by=user))
        .select_related("order", "customer", "owner", "handled_by", "answered_by")
        .order_by("asked_at", "id")
    )


def unanswered_by_owner(now: datetime | None = None) -> list[dict[str, Any]]:
    """Per owner: their unanswered questions with the age of each (for the desk's list)."""
    now = now or app_clock.now()
    out: dict[int, dict[str, Any]] = {}
    for q in (
        Question.objects.filter(answered_at__isnull=True)
        .select_related("owner", "handled_by", "order")
        .order_by("owner_id", "asked_at")
    ):
        row = out.setdefault(q.owner_id, {"owner": q.owner, "questions": []})
        row["questions"].append({"question": q, "age": now - q.asked_at})
    return list(out.values())
