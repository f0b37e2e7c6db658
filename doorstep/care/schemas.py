from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema

from doorstep.core.bounds import RowId


class ClaimOut(Schema):
    id: int
    order: int
    order_number: str
    what: str
    customer_words: str
    photos: list[int]
    apologized_at: datetime | None
    opened_by: str | None
    opened_at: datetime
    deadline: datetime | None = Field(description="The compensation clock's deadline (R18)")
    clock_status: str | None
    amount: Decimal | None
    paid_via: str
    settled_by: str | None
    settled_at: datetime | None


class ClaimListOut(Schema):
    count: int
    results: list[ClaimOut]


class QuestionIn(Schema):
    question: str = Field(min_length=1, max_length=2000)
    asked_via: str = Field(description="phone, on_site, counter, app, sms, other")
    order: RowId | None = None
    customer: RowId | None = None
    asked_at: datetime | None = None


class HandOffIn(Schema):
    to: str = Field(description="username of the person who takes it on")
    note: str = Field(default="", max_length=500)


class AnswerIn(Schema):
    answer: str = Field(min_length=1, max_length=2000)


class HandOffOut(Schema):
    from_user: str
    to_user: str
    at: datetime
    note: str


class QuestionOut(Schema):
    id: int
    order: int | None
    customer: int | None
    asked_via: str
    asked_at: datetime
    question: str
    owner: str = Field(description="Whoever first received it (R19); never changes")
    handled_by: str
    answer: str
    answered_by: str | None
    answered_at: datetime | None
    age_seconds: int = Field(description="Seconds since it was asked, until it was answered")
    handoffs: list[HandOffOut]


class QuestionListOut(Schema):
    count: int
    results: list[QuestionOut]


class SiteReportOut(Schema):
    id: int
    order: int
    order_number: str
    reason: str
    reason_label: str
    customer_consent: bool
    note: str
    reported_by: str | None
    reported_at: datetime
    handled_by: str | None
    handled_at: datetime | None


class SiteReportListOut(Schema):
    count: int
    results: list[SiteReportOut]


class HandledIn(Schema):
    note: str = Field(default="", max_length=500)


class KitItemOut(Schema):
    code: str
    label: str
    required: bool


class KitOut(Schema):
    branch: str
    items: list[KitItemOut]
