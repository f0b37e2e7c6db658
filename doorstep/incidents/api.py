"""Incidents (R14) in the API: SPEC §5. Every write goes through doorstep.incidents.services."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest

from doorstep.api.errors import Router
from doorstep.core.errors import InvalidInput, NotFound
from doorstep.incidents import services
from doorstep.incidents.choices import IncidentStatus
from doorstep.incidents.models import Incident, Member
from doorstep.incidents.schemas import (
    CloseIn,
    ConfirmOutageIn,
    IncidentDetailOut,
    IncidentListOut,
    MemberIn,
    OpenIn,
)
from doorstep.orders.choices import Status

router = Router(tags=["incidents"])


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _who(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def _queryset(user: Any) -> Any:
    current = (
        Member.objects.filter(left_at__isnull=True)
        .select_related("order")
        .order_by("joined_at", "id")
    )
    return (
        services.visible_incidents(user)
        .select_related("branch", "opened_by", "confirmed_by", "closed_by")
        .prefetch_related(Prefetch("members", queryset=current, to_attr="current"))
    )


def incident_dict(incident: Incident, rows: bool = False) -> dict[str, Any]:
    members: list[Member] = getattr(incident, "current", None) or list(
        services.members_of(incident).select_related("order")
    )
    body: dict[str, Any] = {
        "id": incident.pk,
        "branch": incident.branch.code,
        "area": incident.area,
        "status": incident.status,
        "members": [m.order_id for m in members],
        "opened_at": _iso(incident.opened_at),
        "opened_by": _who(incident.opened_by),
        "confirmed_at": _iso(incident.confirmed_at),
        "confirmed_by": _who(incident.confirmed_by),
        "expected_restore_at": _iso(incident.expected_restore_at),
        "closed_at": _iso(incident.closed_at),
        "closed_by": _who(incident.closed_by),
        "note": incident.note,
    }
    if rows:
        body["member_rows"] = [
            {
                "order": m.order_id,
                "number": m.order.number,
                "status": m.order.status,
                "status_label": str(Status(m.order.status).label),
                "joined_at": m.joined_at.isoformat(),
                "held": m.held_at is not None,
            }
            for m in members
        ]
    return body


@router.get("/incidents", response=IncidentListOut, summary="Batch-fault incidents (R14)")
def list_incidents(
    request: HttpRequest, status: str | None = None, area: str | None = None
) -> dict[str, Any]:
    qs = _queryset(request.user)
    if status:
        if status not in IncidentStatus.values:
            raise InvalidInput({"status": f"可选值：{', '.join(IncidentStatus.values)}"})
        qs = qs.filter(status=status)
    if area:
        qs = qs.filter(area=area)
    return {"incidents": [incident_dict(i) for i in qs[:200]]}


@router.post("/incidents", response={201: IncidentDetailOut}, summary="Open an incident by hand")
def open_incident(request: HttpRequest, payload: OpenIn) -> tuple[int, dict[str, Any]]:
    incident = services.open_by_hand(
        request.user, payload.branch, payload.area, payload.orders, payload.note or ""
    )
    return 201, _detail(request.user, incident.pk)


def _detail(user: Any, incident_id: int) -> dict[str, Any]:
    incident = _queryset(user).filter(pk=incident_id).first()
    if incident is None:
        raise NotFound("批量障碍不存在或无权查看")
    return incident_dict(incident, rows=True)


@router.get("/incidents/{incident_id}", response=IncidentDetailOut, summary="One incident")
def get_incident(request: HttpRequest, incident_id: int) -> dict[str, Any]:
    return _detail(request.user, incident_id)


def _action(name: str, schema: type) -> None:
    def endpoint(request: HttpRequest, incident_id: int, payload: Any) -> dict[str, Any]:
        services.act(incident_id, name, request.user, payload)
        return _detail(request.user, incident_id)

    endpoint.__name__ = f"incident_{name}"
    endpoint.__annotations__ = {
        "request": HttpRequest,
        "incident_id": int,
        "payload": schema,
        "return": dict[str, Any],
    }
    router.post(
        f"/incidents/{{incident_id}}/actions/{name}",
        response=IncidentDetailOut,
        summary=f"Incident action: {name}",
        operation_id=f"incident_action_{name}",
    )(endpoint)


_action("confirm_outage", ConfirmOutageIn)
_action("add_member", MemberIn)
_action("remove_member", MemberIn)
_action("close", CloseIn)


@router.post(
    "/incidents/{incident_id}/actions/{action}", response=IncidentDetailOut, include_in_schema=False
)
def unknown_action(request: HttpRequest, incident_id: int, action: str) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise InvalidInput({"__all__": "请求体不是有效的 JSON"}) from None
    services.act(incident_id, action, request.user, data if isinstance(data, dict) else {})
    return _detail(request.user, incident_id)
