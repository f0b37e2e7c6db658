"""The bodies of the incident actions and the incident as the API shows it (SPEC §5)."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import AwareDatetime, ConfigDict, Field, ValidationError

from doorstep.core.bounds import RowId
from doorstep.core.errors import InvalidInput
from doorstep.orders.actions.payloads import OptText, errors_from_pydantic


class ActionIn(Schema):
    model_config = ConfigDict(extra="forbid")


class ConfirmOutageIn(ActionIn):
    expected_restore_at: AwareDatetime = Field(description="预计恢复时间 (ISO 8601 with offset)")
    note: OptText = None


class MemberIn(ActionIn):
    order: RowId = Field(description="工单 id")


class CloseIn(ActionIn):
    note: OptText = None
    # The members the repair fixed (order ids); omitted: all of a confirmed outage's members,
    # none of a suspected incident's (never confirmed: a false alarm). [] : none.
    fixed: list[RowId] | None = None


class OpenIn(ActionIn):
    branch: str = Field(min_length=1, max_length=16, description="分公司编码")
    area: str = Field(min_length=1, max_length=32, description="区域编码")
    orders: list[RowId] = Field(min_length=1, description="工单 id")
    note: OptText = None


BODIES: dict[str, type[ActionIn]] = {
    "confirm_outage": ConfirmOutageIn,
    "add_member": MemberIn,
    "remove_member": MemberIn,
    "close": CloseIn,
}


def validate_body(action: str, data: dict[str, Any]) -> ActionIn:
    try:
        return BODIES[action].model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(errors_from_pydantic(exc)) from None


class MemberOut(Schema):
    order: int
    number: str
    status: str
    status_label: str
    joined_at: str
    held: bool


class IncidentOut(Schema):
    id: int
    branch: str
    area: str
    status: str
    members: list[int]
    opened_at: str
    opened_by: str | None
    confirmed_at: str | None
    confirmed_by: str | None
    expected_restore_at: str | None
    closed_at: str | None
    closed_by: str | None
    note: str


class IncidentDetailOut(IncidentOut):
    member_rows: list[MemberOut]


class IncidentListOut(Schema):
    incidents: list[IncidentOut]
