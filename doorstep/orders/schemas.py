"""The orders API's answers as typed schemas, so /api/v1/openapi.json describes every field.

They describe what `doorstep.orders.serializers` builds (and `orders.privacy` masks per R22);
they do not compute anything. Times stay the ISO 8601 strings the serializers write, with the
offset they were written with, so the JSON is byte-for-byte what it was before the schemas.
A field the serializers add must be added here too, or the API leaves it out:
tests/orders/test_api_schemas.py compares the two field for field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, WithJsonSchema

from doorstep.orders.choices import AttachmentKind, Channel, ComplaintChannel, FaultClass, Kind
from doorstep.orders.choices import Status as OrderStatus
from doorstep.org.choices import CustomerGrade
from doorstep.quality.choices import Finding
from doorstep.standards.choices import ClockName

# An ISO 8601 time with its offset, passed through as the serializer wrote it.
IsoTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class OrderCustomerOut(Schema):
    id: int
    name: str
    phone: str = Field(description="masked (138****5678) unless `masked` is false (R22)")
    address: str = Field(description="masked to the compound unless `masked` is false (R22)")
    account: str | None = Field(description="null when masked")
    grade: CustomerGrade
    masked: bool


class AppointmentOut(Schema):
    start: IsoTime | None
    end: IsoTime | None


class PositionOut(Schema):
    lat: float
    lng: float


class ClockOut(Schema):
    """SPEC §5 clock shape; `stopped_at` is when it was met (a clock met late is `breached`)."""

    name: ClockName
    status: Literal["running", "paused", "met", "breached"]
    started_at: IsoTime
    deadline: IsoTime | None
    paused_seconds: int
    stopped_at: IsoTime | None


class HistoryEventOut(Schema):
    seq: int
    action: str
    from_status: OrderStatus | None
    to_status: OrderStatus
    actor: str | None = Field(description="username; null for the system and the customer")
    actor_role: str
    occurred_at: IsoTime | None
    recorded_at: IsoTime | None
    payload: dict[str, Any] = Field(
        description="the action's fields; the customer's data masked per R22"
    )


class OrderComplaintOut(Schema):
    id: int
    channel: ComplaintChannel
    finding: Finding | None = Field(description="null until the quality desk decides")


class OrderAttachmentOut(Schema):
    """An attachment as the order shows it; `url` downloads the file."""

    id: int
    kind: AttachmentKind
    content_type: str
    size: int
    down_mbps: float | None
    up_mbps: float | None
    uploaded_at: IsoTime | None
    url: str


class AttachmentStored(Schema):
    """The answer to an upload: its `id` is what `complete` takes as the `signature`."""

    id: int
    kind: AttachmentKind
    content_type: str
    size: int
    sha256: str


class OrderSummary(Schema):
    id: int
    number: str
    kind: Kind
    fault_class: FaultClass | None
    status: OrderStatus
    branch: str = Field(description="branch code")
    customer: OrderCustomerOut
    technician: str | None = Field(description="username")
    reported_at: IsoTime | None
    appointment: AppointmentOut | None
    area: str | None
    version: int = Field(description="send as If-Match to refuse a concurrent change (409)")


class OrderDetail(OrderSummary):
    symptom: str | None
    product: str | None
    channel: Channel
    received_by: str
    approved_deadline: IsoTime | None
    location: PositionOut | None = Field(description="null when unknown or masked (R22)")
    repeat_of: int | None = Field(description="the earlier order this one repeats (R13)")
    repeat_of_number: str | None
    incident: int | None = Field(description="the batch-fault incident it belongs to (R14)")
    completed_at: IsoTime | None
    closed_at: IsoTime | None
    clocks: list[ClockOut]
    history: list[HistoryEventOut]
    chases: int = Field(description="how many times it was chased (R15)")
    complaints: list[OrderComplaintOut]
    attachments: list[OrderAttachmentOut]


class OrderPage(Schema):
    count: int = Field(description="orders matching the filters, all pages")
    page: int
    page_size: int
    results: list[OrderSummary]
