"""The order actions of doorstep.care: damage claims (R18), an install whose site is not ready
(001 ch.2), and faults handed to the engineering team (003 part 3 §2).

Payloads and handlers only, like the rest of this package; the state table rows are in
doorstep/orders/states.py and the records, clocks and notices they lead to are written by
doorstep.care's after-event hook in the same transaction.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from doorstep.core.bounds import RowId
from doorstep.core.errors import InvalidInput
from doorstep.orders.actions.context import ActionContext, Outcome
from doorstep.orders.actions.handlers import handles, offered_when
from doorstep.orders.actions.payloads import (
    PAYLOADS,
    LongText,
    OptText,
    Payload,
    Phone,
    ShortText,
    as_json,
)
from doorstep.orders.choices import AttachmentKind, Kind, Status
from doorstep.orders.models import Attachment, WorkOrder

CLAIM_DAMAGE = "claim_damage"
SETTLE_DAMAGE = "settle_damage"
SITE_NOT_READY = "site_not_ready"
ESCALATE_ENGINEERING = "escalate_engineering"

LABELS = {
    CLAIM_DAMAGE: "登记损坏赔偿",
    SETTLE_DAMAGE: "赔偿处理完毕",
    SITE_NOT_READY: "施工条件不具备",
    ESCALATE_ENGINEERING: "转派工程队",
}

PaidVia = Literal["cash", "transfer", "bill_credit", "replacement", "repair", "other"]
SiteReason = Literal["no_port", "no_cable", "building_not_ready", "other"]
EngineeringKind = Literal["cutover", "cable"]


class ClaimDamagePayload(Payload):
    what: ShortText = Field(description="What was damaged (e.g. 木地板、墙面、机顶盒)")
    customer_words: LongText = Field(description="The customer's own words")
    photos: list[RowId] = Field(default_factory=list, max_length=20, description="attachment ids")
    apologized: bool = Field(description="Whether the crew has apologised to the customer")
    note: OptText = None


class SettleDamagePayload(Payload):
    claim: RowId = Field(description="The damage claim's id")
    amount: Decimal = Field(ge=0, max_digits=10, decimal_places=2, description="yuan paid")
    paid_via: PaidVia
    apologized: bool = Field(description="The apology was made (required by now)")
    note: OptText = None

    def cross_field_errors(self) -> dict[str, str]:
        if not self.apologized:
            return {"apologized": "赔偿处理须先向客户道歉（000 第四章 §8.2）"}
        return {}


class SiteNotReadyPayload(Payload):
    reason: SiteReason
    customer_consent: bool = Field(description="The customer agreed that the crew leaves")
    note: OptText = None

    def cross_field_errors(self) -> dict[str, str]:
        errors = {}
        if not self.customer_consent:
            errors["customer_consent"] = "须征得客户同意后方可离去（001 第二章）"
        if self.reason == "other" and not self.note:
            errors["note"] = "原因为“其他”时请说明情况"
        return errors


class EscalateEngineeringPayload(Payload):
    kind: EngineeringKind
    team: ShortText = Field(description="The engineering team (割接工程队 / 电缆班)")
    team_phone: Phone = Field(description="Its contact number, told to the customer")
    customer_reached: bool = Field(description="The customer was reached by phone and told")
    note: OptText = None

    def cross_field_errors(self) -> dict[str, str]:
        if not self.customer_reached:
            return {"customer_reached": "转派工程队前一定要联系到用户并告知工程队电话（003）"}
        return {}


PAYLOADS.update(
    {
        CLAIM_DAMAGE: ClaimDamagePayload,
        SETTLE_DAMAGE: SettleDamagePayload,
        SITE_NOT_READY: SiteNotReadyPayload,
        ESCALATE_ENGINEERING: EscalateEngineeringPayload,
    }
)


@handles(CLAIM_DAMAGE)
def claim_damage(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, ClaimDamagePayload)
    if pl.photos:
        found = set(
            Attachment.objects.filter(
                pk__in=pl.photos, order_id=ctx.order.pk, kind=AttachmentKind.PHOTO
            ).values_list("pk", flat=True)
        )
        missing = [i for i in pl.photos if i not in found]
        if missing:
            raise InvalidInput({"photos": f"照片附件 {missing} 不存在或不属于该工单"})
    return Outcome(
        event={
            "what": pl.what,
            "customer_words": pl.customer_words,
            "photos": list(pl.photos),
            "apologized": pl.apologized,
            "note": pl.note,
        }
    )


@offered_when(SETTLE_DAMAGE)
def _has_open_claim(order: WorkOrder) -> bool:
    from doorstep.care.models import DamageClaim

    return DamageClaim.objects.filter(order_id=order.pk, settled_at=None).exists()


@handles(SETTLE_DAMAGE)
def settle_damage(ctx: ActionContext) -> Outcome:
    from doorstep.care.models import DamageClaim

    pl = ctx.payload
    assert isinstance(pl, SettleDamagePayload)
    claim = DamageClaim.objects.filter(pk=pl.claim, order_id=ctx.order.pk).first()
    if claim is None:
        raise InvalidInput({"claim": "该工单没有这条损坏赔偿登记"})
    if claim.settled_at is not None:
        raise InvalidInput({"claim": "这条损坏赔偿已处理完毕"})
    return Outcome(
        event={
            "claim": pl.claim,
            "amount": as_json(str(pl.amount)),
            "paid_via": pl.paid_via,
            "apologized": pl.apologized,
            "note": pl.note,
        }
    )


@handles(SITE_NOT_READY)
def site_not_ready(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, SiteNotReadyPayload)
    if ctx.order.kind not in (Kind.INSTALL, Kind.MOVE):
        raise InvalidInput({"reason": "施工条件不具备只用于装机、移机；障碍请转派工程队或回告"})
    previous = ctx.order.technician.username if ctx.order.technician else None
    # Back to dispatch like `return`: the booking and the technician are released.
    return Outcome(
        to_status=Status.RETURNED,
        fields={"technician_id": None, "appointment_start": None, "appointment_end": None},
        event={
            "reason": pl.reason,
            "customer_consent": pl.customer_consent,
            "note": pl.note,
            "previous_technician": previous,
        },
    )


@handles(ESCALATE_ENGINEERING)
def escalate_engineering(ctx: ActionContext) -> Outcome:
    pl = ctx.payload
    assert isinstance(pl, EscalateEngineeringPayload)
    if ctx.order.kind != Kind.REPAIR:
        raise InvalidInput({"kind": "只有障碍单可以转派割接工程队或电缆班"})
    return Outcome(
        event={
            "kind": pl.kind,
            "team": pl.team,
            "team_phone": pl.team_phone,
            "customer_reached": pl.customer_reached,
            "note": pl.note,
        }
    )
