"""The quality desk (SPEC R17, R20 and §5 "Complaints are cases", "Callbacks").

Nothing here changes an order: the order actions do (`callback`, `close`, `complain`,
`verify_complaint`), and this module follows them through the action layer's hooks:

- `on_order_event` (after-event, inside the action's transaction) opens a callback task at
  close-out with its audit mark, ends it at callback or close, flags a callback that
  contradicts the close-out, opens a complaint case and records its finding — and, only when a
  complaint is upheld, opens its R20 ledger entry through `standards.breaches`;
- `gate` (before-event) refuses a person's `close` inside the callback window, a callback on a
  call another agent has claimed, and a `verify_complaint` naming no open case of the order.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from doorstep.core import clock
from doorstep.core.errors import Conflict, Forbidden, GateRefused, InvalidInput
from doorstep.orders.access import visible_orders
from doorstep.orders.actions.context import ActionContext, Outcome
from doorstep.orders.choices import Action, AttachmentKind, Status
from doorstep.orders.models import Attachment, OrderEvent, WorkOrder
from doorstep.org.choices import Role
from doorstep.org.models import roles_of
from doorstep.quality.choices import (
    AUDIT_POLICY,
    VERIFY_COMPLAINT,
    CallbackOutcome,
    Contradiction,
    Finding,
)
from doorstep.quality.models import CallbackTask, Complaint, FalseCloseFlag

# Who works the callback desk and decides complaints.
DESK_ROLES = {Role.QUALITY, Role.MANAGER, Role.ADMIN}
# Who sees the false close-out flags.
MANAGER_ROLES = {Role.MANAGER, Role.ADMIN}
# A claimed call nobody finished is free again after this long (the agent left the desk).
CLAIM_TTL = timedelta(minutes=15)


def may_work_desk(user: Any) -> bool:
    return bool(roles_of(user) & DESK_ROLES)


def _require_desk(user: Any) -> None:
    if not may_work_desk(user):
        raise Forbidden("只有质检回访人员和管理人员可以使用回访台")


# -- audit sampling --------------------------------------------------------------------------


def audit_seed() -> str | None:
    """Tests and replays set DOORSTEP_AUDIT_SEED to make the sample reproducible."""
    seed = getattr(settings, "DOORSTEP_AUDIT_SEED", None) or os.environ.get("DOORSTEP_AUDIT_SEED")
    return str(seed) if seed else None


def audit_draw(key: str, seed: str | None) -> float:
    """A number in [0, 1): from the seed and the close-out when seeded, else truly random."""
    if seed is None:
        return secrets.SystemRandom().random()
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def audit_share(order: WorkOrder) -> Decimal:
    from doorstep.standards import policies

    found = policies.resolve(AUDIT_POLICY, order)
    if found is None:
        return Decimal("0")
    share = Decimal(str(found.params.get("share", 0)))
    return min(max(share, Decimal("0")), Decimal("1"))


# -- hooks -----------------------------------------------------------------------------------


def on_order_event(order: WorkOrder, event: OrderEvent) -> None:
    action = event.action
    if action == Action.COMPLETE:
        _open_task(order, event)
    elif action == Action.CALLBACK:
        _callback_recorded(order, event)
    elif action == Action.CLOSE:
        _end_task(order, event, CallbackOutcome.AUTO_CLOSED if event.actor_id is None else None)
    elif action == Action.COMPLAIN:
        _open_case(order, event)
    elif action == VERIFY_COMPLAINT:
        _decide_case(order, event)


def _callback_deadline(order: WorkOrder) -> datetime | None:
    from doorstep.standards.choices import OPEN_CLOCK, ClockName
    from doorstep.standards.models import Clock

    c = (
        Clock.objects.filter(order=order, name=ClockName.CALLBACK, status__in=OPEN_CLOCK)
        .order_by("-id")
        .first()
    )
    return c.deadline if c else None


def _open_task(order: WorkOrder, event: OrderEvent) -> None:
    share = audit_share(order)
    draw = audit_draw(f"{order.number}:{event.seq}", audit_seed())
    CallbackTask.objects.create(
        order=order,
        completed_event=event,
        branch_id=order.branch_id,
        completed_at=event.occurred_at,
        due_at=_callback_deadline(order),
        audit=draw < share,
        audit_share=share,
        audit_draw=draw,
    )


def _waiting_task(order: WorkOrder) -> CallbackTask | None:
    return CallbackTask.objects.filter(order=order, done_at__isnull=True).order_by("-id").first()


def _end_task(order: WorkOrder, event: OrderEvent, outcome: str | None) -> CallbackTask | None:
    task = _waiting_task(order)
    if task is None:
        return None
    CallbackTask.objects.filter(pk=task.pk, done_at__isnull=True).update(
        done_at=event.recorded_at,
        result_event=event,
        outcome=outcome or CallbackOutcome.CLOSED,
    )
    return task


def _callback_recorded(order: WorkOrder, event: OrderEvent) -> None:
    p = event.payload
    satisfied = bool(p.get("satisfied"))
    _end_task(order, event, CallbackOutcome.SATISFIED if satisfied else CallbackOutcome.UNSATISFIED)
    kind = p.get("contradiction")
    if kind in Contradiction.values:
        complete = (
            order.events.filter(action=Action.COMPLETE, seq__lt=event.seq).order_by("-seq").first()
        )
        FalseCloseFlag.objects.create(
            order=order,
            callback_event=event,
            kind=kind,
            technician_id=complete.actor_id if complete else order.technician_id,
            branch_id=order.branch_id,
            evidence=close_out_evidence(order, complete) if complete else {},
            created_at=event.recorded_at,
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def close_out_evidence(order: WorkOrder, complete: OrderEvent) -> dict[str, Any]:
    """What the crew's record says about the visit the callback contradicts, as it stood then:
    arrival time and position, photos, signature, close-out time."""
    arrive = (
        order.events.filter(action=Action.ARRIVE, seq__lt=complete.seq).order_by("-seq").first()
    )
    files = Attachment.objects.filter(order=order, uploaded_at__lte=complete.recorded_at)
    pos = None
    if arrive is not None and arrive.payload.get("lat") is not None:
        pos = {"lat": arrive.payload.get("lat"), "lng": arrive.payload.get("lng")}
    p = complete.payload
    return {
        "technician": complete.actor.get_username() if complete.actor else None,
        "arrived_at": _iso(arrive.occurred_at) if arrive else None,
        "arrival_position": pos,
        "completed_at": _iso(complete.occurred_at),
        "completed_recorded_at": _iso(complete.recorded_at),
        "resolution": p.get("resolution"),
        "onsite_rating": p.get("rating"),
        "photos": [a.pk for a in files if a.kind == AttachmentKind.PHOTO],
        "speed_tests": [a.pk for a in files if a.kind == AttachmentKind.SPEED_TEST],
        "signature": p.get("signature"),
        "no_signature_reason": p.get("no_signature_reason"),
    }


def _open_case(order: WorkOrder, event: OrderEvent) -> None:
    Complaint.objects.create(
        order=order,
        event=event,
        branch_id=order.branch_id,
        customer_id=order.customer_id,
        channel=event.payload.get("channel", ""),
        note=event.payload.get("note") or "",
        opened_by_id=event.actor_id,
        opened_at=event.occurred_at,
    )


def responsible_technician(order: WorkOrder) -> int | None:
    """The technician who has the order, or who last had it (a returned order has none now)."""
    if order.technician_id:
        return order.technician_id
    last = order.events.filter(action=Action.ASSIGN).order_by("-seq").first()
    if last is None:
        return None
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(username=last.payload.get("technician"))
        .values_list("pk", flat=True)
        .first()
    )


def _decide_case(order: WorkOrder, event: OrderEvent) -> None:
    from doorstep.notifications.notices import notify_customer
    from doorstep.standards.breaches import record_check_breach
    from doorstep.standards.choices import Rule

    p = event.payload
    case = Complaint.objects.get(pk=p["complaint"], order=order)
    finding = p["finding"]
    tech = responsible_technician(order) if finding == Finding.UPHELD else None
    decided = Complaint.objects.filter(pk=case.pk, finding="").update(
        finding=finding,
        finding_note=p.get("note") or "",
        decided_event=event,
        decided_by_id=event.actor_id,
        decided_at=event.occurred_at,
        charged_technician_id=tech,
    )
    if decided != 1:  # the gate checked it under the order's lock; this cannot race
        raise Conflict("该投诉已有核查结论", state=order.status, allowed=[])
    if finding == Finding.UPHELD:
        # R20 (004 §3: "经查情况属实的"): priced by the channel's policy row; against the
        # technician, or the branch alone when no technician ever had the order.
        record_check_breach(
            order,
            event,
            Rule.R20,
            {"complaint": case.pk, "channel": case.channel, "note": case.note},
            technician_id=tech,
            amount_key=f"penalty.complaint.{case.channel}",
            reason=f"投诉属实（{case.channel}）",
        )
    notify_customer(
        order,
        "complaint_finding",
        f"complaint:{case.pk}",
        event,
        finding=Finding(finding).label,
        note=p.get("note") or "",
    )


# -- gates -----------------------------------------------------------------------------------


def gate(ctx: ActionContext, outcome: Outcome) -> None:
    if ctx.action == Action.CLOSE and ctx.actor is not None:
        _gate_close(ctx)
    elif ctx.action == Action.CALLBACK and ctx.actor is not None:
        _gate_claim(ctx)
    elif ctx.action == VERIFY_COMPLAINT:
        _gate_case(ctx)


def _gate_close(ctx: ActionContext) -> None:
    """A person closes a completed order only with a callback result (which closes it
    itself) or once the callback window has ended; the system closes it at the window's end."""
    task = _waiting_task(ctx.order)
    if task is None or task.due_at is None or task.due_at <= ctx.occurred_at:
        return
    due = timezone.localtime(task.due_at).strftime("%m月%d日 %H:%M")
    raise GateRefused(
        "R17",
        {"close": f"尚无回访结果：请先回访（callback），或在回访期限 {due} 届满后归档"},
        "尚无回访结果，不能提前归档",
    )


def _gate_claim(ctx: ActionContext) -> None:
    task = _waiting_task(ctx.order)
    if (
        task is not None
        and task.claimed_by_id not in (None, ctx.actor.pk)
        and task.claimed_at is not None
        and task.claimed_at > ctx.now - CLAIM_TTL
    ):
        raise Conflict(
            "该工单正由其他质检人员回访",
            state=ctx.order.status,
            allowed=[],
            code="claimed",
        )


def _gate_case(ctx: ActionContext) -> None:
    from doorstep.orders.actions.payloads import VerifyComplaintPayload

    pl = ctx.payload
    assert isinstance(pl, VerifyComplaintPayload)
    case = Complaint.objects.filter(pk=pl.complaint, order=ctx.order).first()
    if case is None:
        raise InvalidInput({"complaint": "该工单没有这个投诉"})
    if not case.is_open:
        raise Conflict(
            f"该投诉已核查（{case.get_finding_display()}）",
            state=ctx.order.status,
            allowed=[],
            code="already_decided",
        )


# -- the desk ----------------------------------------------------------------------------------


def waiting_tasks(user: Any) -> QuerySet[CallbackTask]:
    """Completed orders waiting for their callback, oldest close-out first."""
    _require_desk(user)
    return (
        CallbackTask.objects.filter(
            done_at__isnull=True,
            order__status=Status.COMPLETED,
            order__in=visible_orders(user),
        )
        .select_related("order", "order__customer", "order__technician", "order__branch")
        .order_by("completed_at", "id")
    )


def _free(now: datetime) -> Q:
    return Q(claimed_by__isnull=True) | Q(claimed_at__lte=now - CLAIM_TTL)


def take_next(user: Any) -> CallbackTask | None:
    """Claim the oldest waiting call nobody else is on (keeping the caller's own claim first),
    with a conditional UPDATE so two agents never get the same customer."""
    now = clock.now()
    mine = waiting_tasks(user).filter(claimed_by=user, claimed_at__gt=now - CLAIM_TTL).first()
    if mine is not None:
        return mine
    for _ in range(5):
        candidate = waiting_tasks(user).filter(_free(now)).first()
        if candidate is None:
            return None
        won = (
            CallbackTask.objects.filter(pk=candidate.pk, done_at__isnull=True)
            .filter(_free(now))
            .update(claimed_by=user, claimed_at=now)
        )
        if won == 1:
            candidate.claimed_by, candidate.claimed_at = user, now
            return candidate
    return None


def release(task: CallbackTask, user: Any) -> None:
    CallbackTask.objects.filter(pk=task.pk, claimed_by=user).update(
        claimed_by=None, claimed_at=None
    )


def visible_complaints(user: Any) -> QuerySet[Complaint]:
    _require_desk(user)
    return Complaint.objects.filter(order__in=visible_orders(user))


def may_see_flags(user: Any) -> bool:
    return bool(roles_of(user) & MANAGER_ROLES)


def visible_flags(user: Any) -> QuerySet[FalseCloseFlag]:
    if not may_see_flags(user):
        raise Forbidden("只有管理人员可以查看疑似虚假回单")
    return FalseCloseFlag.objects.filter(order__in=visible_orders(user))


def complaints_of(order: WorkOrder, events: list[OrderEvent]) -> list[dict[str, Any]]:
    """The order JSON's `complaints` (SPEC §5): each {id, channel, finding}. Read only when
    the order's history (already loaded) has a complaint, so most orders cost no query."""
    if not any(e.action == Action.COMPLAIN for e in events):
        return []
    return [
        {"id": c.pk, "channel": c.channel, "finding": c.finding or None}
        for c in Complaint.objects.filter(order=order).order_by("id")
    ]
