"""Per-action rules beyond the state table: what each action checks and changes.

Each handler reads the context and returns an Outcome; it never saves anything itself.
Gates from the service standards (R9, R10, R12 …) are added by doorstep.standards.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from doorstep.core.errors import InvalidInput
from doorstep.orders.actions import payloads as p
from doorstep.orders.actions.context import ActionContext, Outcome
from doorstep.orders.actions.escalation import chase_escalation
from doorstep.orders.actions.payloads import as_json
from doorstep.orders.choices import AttachmentKind, Status
from doorstep.orders.models import Attachment, WorkOrder
from doorstep.org.models import Staff

Handler = Callable[[ActionContext], Outcome]
HANDLERS: dict[str, Handler] = {}

# What the pages offer beyond the state table: an action that needs something on the order (an
# open damage claim, an undecided complaint) is offered only when the order has it. The rule sits
# beside its handler, which (or whose gate) refuses the action when it is taken anyway.
OfferCheck = Callable[[WorkOrder], bool]
OFFER_CHECKS: dict[str, OfferCheck] = {}


def offered_when(action: str) -> Callable[[OfferCheck], OfferCheck]:
    def register(fn: OfferCheck) -> OfferCheck:
        OFFER_CHECKS[action] = fn
        return fn

    return register


def may_offer(action: str, order: WorkOrder) -> bool:
    """Whether a page should offer `action` on `order` (the state table has allowed it)."""
    check = OFFER_CHECKS.get(action)
    return check is None or check(order)


# A booking may start a little before "now" (the phone and the customer agreed a minute ago).
BOOKING_SLACK = timedelta(minutes=5)


def handles(action: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[action] = fn
        return fn

    return register


def _fields(payload: p.Payload, *names: str) -> dict[str, object]:
    return {n: as_json(getattr(payload, n)) for n in names}


@handles("assign")
def assign(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.AssignPayload)
    staff = (
        Staff.objects.select_related("user")
        .filter(user__username=pl.technician, is_technician=True, user__is_active=True)
        .first()
    )
    if staff is None:
        raise InvalidInput({"technician": f"没有用户名为 {pl.technician} 的在岗装维人员"})
    if staff.branch_id != ctx.order.branch_id:
        raise InvalidInput({"technician": f"{staff.name} 不属于工单所在的分公司"})
    previous = ctx.order.technician.username if ctx.order.technician else None
    if ctx.order.technician_id == staff.user_id and ctx.order.status == Status.DISPATCHED:
        raise InvalidInput({"technician": "工单已派给该装维人员"})
    return Outcome(
        to_status=Status.DISPATCHED,
        fields={"technician_id": staff.user_id},
        event={"technician": pl.technician, "previous_technician": previous, "note": pl.note},
    )


@handles("accept")
def accept(ctx: ActionContext) -> Outcome:
    return Outcome(to_status=Status.ACCEPTED)


@handles("contact")
def contact(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.ContactPayload)
    return Outcome(event=_fields(pl, "outcome", "note"))


def _check_booking_start(ctx: ActionContext, start_field: str = "start") -> None:
    start = getattr(ctx.payload, start_field)
    if start < ctx.occurred_at - BOOKING_SLACK:
        raise InvalidInput({start_field: "预约时间不能早于当前时间"})


@handles("schedule")
def schedule(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.SchedulePayload)
    _check_booking_start(ctx)
    return Outcome(
        to_status=Status.SCHEDULED,
        fields={"appointment_start": pl.start, "appointment_end": pl.end},
        event=_fields(pl, "start", "end"),
    )


@handles("reschedule")
def reschedule(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.ReschedulePayload)
    _check_booking_start(ctx)
    old_start = ctx.order.appointment_start
    notice = (old_start - ctx.occurred_at).total_seconds() if old_start else None
    event = _fields(pl, "start", "end", "reason", "requested_by")
    event.update(
        previous_start=as_json(old_start),
        previous_end=as_json(ctx.order.appointment_end),
        notice_seconds=int(notice) if notice is not None else None,
    )
    return Outcome(
        to_status=Status.SCHEDULED,
        fields={"appointment_start": pl.start, "appointment_end": pl.end},
        event=event,
    )


@handles("notify_delay")
def notify_delay(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.NotifyDelayPayload)
    if pl.eta <= ctx.occurred_at:
        raise InvalidInput({"eta": "预计到达时间必须晚于当前时间"})
    start = ctx.order.appointment_start
    event = _fields(pl, "eta", "reason")
    event["before_appointment_seconds"] = (
        int((start - ctx.occurred_at).total_seconds()) if start else None
    )
    return Outcome(event=event)


@handles("depart")
def depart(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.DepartPayload)
    return Outcome(to_status=Status.EN_ROUTE, event={"checklist": list(pl.checklist)})


@handles("arrive")
def arrive(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.ArrivePayload)
    return Outcome(to_status=Status.ON_SITE, event=_fields(pl, "lat", "lng"))


@handles("absent")
def absent(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.AbsentPayload)
    if pl.left_at > ctx.occurred_at + timedelta(minutes=2):
        raise InvalidInput({"left_at": "离开时间不能晚于当前时间"})
    event = _fields(pl, "arrived_at", "left_at", "note", "contact_phone", "contact_person")
    event["previous_start"] = as_json(ctx.order.appointment_start)
    event["previous_end"] = as_json(ctx.order.appointment_end)
    # The customer was not home: the visit must be booked again.
    return Outcome(
        to_status=Status.ACCEPTED,
        fields={"appointment_start": None, "appointment_end": None},
        event=event,
    )


@handles("consent")
def consent(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.ConsentPayload)
    return Outcome(event=_fields(pl, "subject", "granted", "note"))


@handles("attach")
def attach(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.AttachPayload)
    return Outcome(event={"attachment": pl.attachment, "kind": pl.kind})


@handles("complete")
def complete(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.CompletePayload)
    if pl.signature is not None:
        ok = Attachment.objects.filter(
            pk=pl.signature, order_id=ctx.order.pk, kind=AttachmentKind.SIGNATURE
        ).exists()
        if not ok:
            raise InvalidInput({"signature": "签名附件不存在或不属于该工单"})
    event = _fields(pl, "resolution", "signature", "no_signature_reason", "rating")
    event["rating_comment"] = pl.rating_comment
    event["work"] = list(pl.work)
    return Outcome(
        to_status=Status.COMPLETED, fields={"completed_at": ctx.occurred_at}, event=event
    )


@handles("suspend")
def suspend(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.SuspendPayload)
    return Outcome(
        to_status=Status.SUSPENDED,
        fields={"suspended_from": ctx.order.status},
        event=_fields(pl, "reason", "note"),
    )


@handles("resume")
def resume(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.ResumePayload)
    back = ctx.order.suspended_from or Status.RECEIVED
    return Outcome(to_status=back, fields={"suspended_from": ""}, event={"note": pl.note})


@handles("return")
def return_(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.ReasonPayload)
    previous = ctx.order.technician.username if ctx.order.technician else None
    return Outcome(
        to_status=Status.RETURNED,
        fields={"technician_id": None, "appointment_start": None, "appointment_end": None},
        event={"reason": pl.reason, "previous_technician": previous},
    )


@handles("reply")
def reply(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.ReplyPayload)
    return Outcome(event={"message": pl.message})


@handles("chase")
def chase(ctx: ActionContext) -> Outcome:
    """R15: the chase is counted on the order; the third (policy) or one with complaint risk
    carries an escalation to the team lead (doorstep.orders.actions.escalation)."""
    pl = ctx.payload
    assert isinstance(pl, p.ChasePayload)
    event = _fields(pl, "by", "note")
    number = ctx.order.events.filter(action="chase").count() + 1
    event["chase_number"] = number
    escalation = chase_escalation(ctx.order, number, pl.note, ctx.occurred_at)
    if escalation is not None:
        event["escalation"] = escalation
    return Outcome(event=event)


@handles("report_back")
def report_back(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.ReportBackPayload)
    return Outcome(event=_fields(pl, "reason", "note"))


@handles("callback")
def callback(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.CallbackPayload)
    event = _fields(pl, "score", "satisfied", "note")
    if pl.contradiction:
        event["contradiction"] = pl.contradiction
    if pl.satisfied:
        return Outcome(to_status=Status.CLOSED, fields={"closed_at": ctx.occurred_at}, event=event)
    # Unsatisfied: the work goes back to the crew — dispatched again to the technician who did
    # it (they accept it anew and the R1 contact clock restarts), or to dispatch when none.
    event["reopened"] = True
    to = Status.DISPATCHED if ctx.order.technician_id else Status.RECEIVED
    return Outcome(to_status=to, fields={"completed_at": None}, event=event)


@handles("complain")
def complain(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.ComplainPayload)
    return Outcome(event=_fields(pl, "channel", "note"))


@offered_when("verify_complaint")
def _has_undecided_complaint(order: WorkOrder) -> bool:
    from doorstep.quality.models import Complaint

    return Complaint.objects.filter(order_id=order.pk, finding="").exists()


@handles("verify_complaint")
def verify_complaint(ctx: ActionContext) -> Outcome:
    # The case is checked and decided by doorstep.quality (its gate and after-event hook).
    pl = ctx.payload
    assert isinstance(pl, p.VerifyComplaintPayload)
    return Outcome(event=_fields(pl, "complaint", "finding", "note"))


@handles("cancel")
def cancel(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.ReasonPayload)
    return Outcome(
        to_status=Status.CANCELLED,
        fields={"closed_at": ctx.occurred_at},
        event={"reason": pl.reason},
    )


@handles("close")
def close(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.ClosePayload)
    return Outcome(
        to_status=Status.CLOSED, fields={"closed_at": ctx.occurred_at}, event={"note": pl.note}
    )
