"""What the customer does through their link (doorstep.customers): payloads and handlers.

The customer has no login: `perform(..., as_customer=True)` records the event with no actor and
the role "customer". Text the customer types (a preferred time's note, a comment, a complaint)
stays in doorstep.customers' own rows, which retention can blank; the event carries only its
salted digest (`text_digest`), so the hash chain still proves what was said and when without
holding the words (see docs/customers.md, "Retention").
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from doorstep.core.errors import InvalidInput
from doorstep.orders.actions import payloads as p
from doorstep.orders.actions.context import ActionContext, Outcome
from doorstep.orders.actions.handlers import HANDLERS, Handler
from doorstep.orders.actions.payloads import as_json
from doorstep.orders.choices import ChaseBy
from doorstep.orders.states import CustomerAction

Digest = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class ConfirmPayload(p.Payload):
    pass


class AskReschedulePayload(p.Payload):
    preferred_start: AwareDatetime | None = None
    preferred_end: AwareDatetime | None = None
    text_digest: Digest | None = None

    def cross_field_errors(self) -> dict[str, str]:
        if self.preferred_start is None and self.text_digest is None:
            return {"preferred_start": "请选择希望的时间，或写下您方便的时间"}
        if (
            self.preferred_start is not None
            and self.preferred_end is not None
            and self.preferred_end <= self.preferred_start
        ):
            return {"preferred_end": "结束时间必须晚于开始时间"}
        return {}


class RatePayload(p.Payload):
    stars: int = Field(ge=1, le=5)
    text_digest: Digest | None = None


class LodgeComplaintPayload(p.Payload):
    text_digest: Digest


CUSTOMER_PAYLOADS: dict[str, type[p.Payload]] = {
    CustomerAction.CONFIRM: ConfirmPayload,
    CustomerAction.ASK_RESCHEDULE: AskReschedulePayload,
    CustomerAction.CHASE: p.ChasePayload,
    CustomerAction.RATE: RatePayload,
    CustomerAction.LODGE_COMPLAINT: LodgeComplaintPayload,
}


def confirm(ctx: ActionContext) -> Outcome:
    order = ctx.order
    if order.appointment_start is None:
        raise InvalidInput({"__all__": "工单还没有预约时间"})
    return Outcome(
        event={
            "start": as_json(order.appointment_start),
            "end": as_json(order.appointment_end),
        }
    )


def ask_reschedule(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, AskReschedulePayload)
    if pl.preferred_start is not None and pl.preferred_start < ctx.occurred_at:
        raise InvalidInput({"preferred_start": "希望的时间不能早于现在"})
    return Outcome(
        event={
            "preferred_start": as_json(pl.preferred_start),
            "preferred_end": as_json(pl.preferred_end),
            "current_start": as_json(ctx.order.appointment_start),
            "text_digest": pl.text_digest,
        }
    )


def chase(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, p.ChasePayload)
    if pl.by != ChaseBy.CUSTOMER:
        raise InvalidInput({"by": "客户催单只能记为 customer"})
    return HANDLERS["chase"](ctx)


def rate(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, RatePayload)
    if ctx.order.events.filter(action=CustomerAction.RATE).exists():
        raise InvalidInput({"stars": "您已经评价过这次服务"})
    return Outcome(event={"stars": pl.stars, "text_digest": pl.text_digest})


def lodge_complaint(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, LodgeComplaintPayload)
    return Outcome(event={"text_digest": pl.text_digest})


CUSTOMER_HANDLERS: dict[str, Handler] = {
    CustomerAction.CONFIRM: confirm,
    CustomerAction.ASK_RESCHEDULE: ask_reschedule,
    CustomerAction.CHASE: chase,
    CustomerAction.RATE: rate,
    CustomerAction.LODGE_COMPLAINT: lodge_complaint,
}


def validate_customer_payload(action: str, data: dict[str, object] | p.Payload | None) -> p.Payload:
    from pydantic import ValidationError

    if isinstance(data, p.Payload):
        payload = data
    else:
        try:
            payload = CUSTOMER_PAYLOADS[action].model_validate(data or {})
        except ValidationError as exc:
            raise InvalidInput(p.errors_from_pydantic(exc)) from None
    cross = payload.cross_field_errors()
    if cross:
        raise InvalidInput(cross)
    return payload
