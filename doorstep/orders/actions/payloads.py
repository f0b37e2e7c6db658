"""The fields each action takes (SPEC §5 action payloads), validated with pydantic.

The same classes document the API (OpenAPI) and drive the web forms, so a field name or
limit is written once. Cross-field rules that need the order live in the handlers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from doorstep.core.bounds import RowId
from doorstep.core.phones import normalise_phone
from doorstep.orders.choices import (
    Channel,
    ChaseBy,
    ComplaintChannel,
    ConsentSubject,
    ContactOutcome,
    FaultClass,
    Kind,
    RequestedBy,
    SuspendReason,
)
from doorstep.org.choices import CustomerGrade


def _phone(value: str) -> str:
    return normalise_phone(value)


Phone = Annotated[str, StringConstraints(min_length=3, max_length=32), AfterValidator(_phone)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
OptText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    occurred_at: AwareDatetime | None = Field(
        default=None,
        description="When it happened on the phone (ISO 8601 with offset); default: now.",
    )

    def cross_field_errors(self) -> dict[str, str]:
        """Rules between fields, reported against the field at fault."""
        return {}


class WindowMixin(BaseModel):
    start: AwareDatetime
    end: AwareDatetime

    def window_errors(self) -> dict[str, str]:
        if self.end <= self.start:
            return {"end": "预约结束时间必须晚于开始时间"}
        if (self.end - self.start).total_seconds() > 12 * 3600:
            return {"end": "预约时段不能超过 12 小时"}
        return {}


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    name: ShortText
    phone: Phone
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=200)]
    account: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    grade: CustomerGrade = CustomerGrade.NORMAL


class Location(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


class CreatePayload(Payload):
    kind: Kind
    fault_class: FaultClass | None = None
    customer: CustomerIn
    symptom: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    product: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    channel: Channel = Channel.PHONE
    reported_at: AwareDatetime | None = None
    branch: Annotated[str, StringConstraints(max_length=16)] | None = None
    approved_deadline: AwareDatetime | None = None
    location: Location | None = None
    area: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None

    def cross_field_errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if self.kind == Kind.REPAIR:
            if not self.fault_class:
                errors["fault_class"] = "修障工单必须填写障碍类别 (line / network / severe)"
            if not self.symptom:
                errors["symptom"] = "修障工单必须填写故障现象"
            if self.fault_class == FaultClass.SEVERE and self.approved_deadline is None:
                errors["approved_deadline"] = "严重网络故障必须填写领导批准的修复时限"
        else:
            if self.fault_class:
                errors["fault_class"] = "只有修障工单有障碍类别"
            if self.kind in (Kind.INSTALL, Kind.MOVE) and not self.product:
                errors["product"] = "装机 / 移机工单必须填写产品"
        if self.approved_deadline is not None and self.fault_class != FaultClass.SEVERE:
            errors.setdefault("approved_deadline", "只有严重网络故障由领导批准时限")
        return errors


class AssignPayload(Payload):
    technician: ShortText = Field(description="The technician's username")
    note: OptText = None


class AcceptPayload(Payload):
    pass


class ContactPayload(Payload):
    outcome: ContactOutcome
    note: OptText = None


class SchedulePayload(Payload, WindowMixin):
    def cross_field_errors(self) -> dict[str, str]:
        return self.window_errors()


class ReschedulePayload(Payload, WindowMixin):
    reason: Text
    requested_by: RequestedBy

    def cross_field_errors(self) -> dict[str, str]:
        return self.window_errors()


class NotifyDelayPayload(Payload):
    eta: AwareDatetime
    reason: Text


class DepartPayload(Payload):
    checklist: list[ShortText] = Field(default_factory=list, max_length=30)


class ArrivePayload(Payload):
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_or_neither(self) -> ArrivePayload:
        if (self.lat is None) != (self.lng is None):
            raise ValueError("lat and lng come together")
        return self


class AbsentPayload(Payload):
    arrived_at: AwareDatetime
    left_at: AwareDatetime
    note: Text
    contact_phone: Phone
    contact_person: ShortText

    def cross_field_errors(self) -> dict[str, str]:
        if self.left_at < self.arrived_at:
            return {"left_at": "离开时间不能早于到达时间"}
        return {}


class ConsentPayload(Payload):
    subject: ConsentSubject
    granted: bool
    note: OptText = None


class AttachPayload(Payload):
    attachment: RowId
    kind: str


class CompletePayload(Payload):
    resolution: LongText
    signature: RowId | None = Field(default=None, description="Attachment id of the signature")
    no_signature_reason: OptText = None
    rating: int = Field(ge=1, le=5)
    rating_comment: OptText = None
    work: list[ConsentSubject] = Field(
        default_factory=list,
        description="Work done that needs the customer's consent first (R12): "
        "drill_wall, move_items, enter_room, disk_data",
    )

    def cross_field_errors(self) -> dict[str, str]:
        if self.signature is None and not self.no_signature_reason:
            return {"signature": "需要客户签名，或填写无法签名的原因 (no_signature_reason)"}
        return {}


class SuspendPayload(Payload):
    reason: SuspendReason
    note: OptText = None


class ResumePayload(Payload):
    note: OptText = None


class ReasonPayload(Payload):
    reason: Text


class ReplyPayload(Payload):
    message: Text


class ChasePayload(Payload):
    by: ChaseBy
    note: OptText = None


class ReportBackPayload(Payload):
    reason: Text
    note: Text


class CallbackPayload(Payload):
    score: int = Field(ge=1, le=10)
    satisfied: bool
    note: OptText = None
    contradiction: Literal["nobody_came", "still_broken"] | None = Field(
        default=None,
        description="What the customer said that contradicts the close-out (R17): "
        "nobody_came, still_broken; flags a possible false close-out for the manager",
    )

    def cross_field_errors(self) -> dict[str, str]:
        if self.contradiction and self.satisfied:
            return {"satisfied": "客户反映无人上门或故障未修好时，回访结果不能是满意"}
        return {}


class ComplainPayload(Payload):
    channel: ComplaintChannel
    note: OptText = None


class ClosePayload(Payload):
    note: OptText = None


class VerifyComplaintPayload(Payload):
    """The finding on a complaint case (SPEC §5: complaints are cases)."""

    complaint: RowId = Field(description="The complaint case's id (the order JSON's complaints)")
    finding: Literal["upheld", "rejected"]
    note: Text


PAYLOADS: dict[str, type[Payload]] = {
    "create": CreatePayload,
    "assign": AssignPayload,
    "accept": AcceptPayload,
    "contact": ContactPayload,
    "schedule": SchedulePayload,
    "reschedule": ReschedulePayload,
    "notify_delay": NotifyDelayPayload,
    "depart": DepartPayload,
    "arrive": ArrivePayload,
    "absent": AbsentPayload,
    "consent": ConsentPayload,
    "attach": AttachPayload,
    "complete": CompletePayload,
    "suspend": SuspendPayload,
    "resume": ResumePayload,
    "return": ReasonPayload,
    "reply": ReplyPayload,
    "chase": ChasePayload,
    "report_back": ReportBackPayload,
    "callback": CallbackPayload,
    "complain": ComplainPayload,
    "cancel": ReasonPayload,
    "close": ClosePayload,
    "verify_complaint": VerifyComplaintPayload,
}


def errors_from_pydantic(exc: Any) -> dict[str, list[str]]:
    """pydantic's error list → {"customer.phone": ["…"]}, the field path users see."""
    fields: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "payload")]
        name = ".".join(loc) or "__all__"
        msg = str(err.get("msg", "invalid"))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        fields.setdefault(name, []).append(msg)
    return fields


def validate_payload(action: str, data: Any) -> Payload:
    from pydantic import ValidationError

    from doorstep.core.errors import InvalidInput

    schema = PAYLOADS[action]
    if not isinstance(data, dict):
        raise InvalidInput({"__all__": "请求体必须是 JSON 对象"})
    try:
        payload = schema.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(errors_from_pydantic(exc)) from None
    cross = payload.cross_field_errors()
    if cross:
        raise InvalidInput(cross)
    return payload


def as_json(value: Any) -> Any:
    """Payload values as they go into the append-only history (ISO times, plain types)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    return value
