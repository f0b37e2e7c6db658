"""The incidents app's hooks into the order action layer (doorstep.orders.hooks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from doorstep.core.errors import Conflict
from doorstep.incidents.choices import IncidentStatus
from doorstep.incidents.membership import KNOWN
from doorstep.orders.choices import Action, SuspendReason

if TYPE_CHECKING:
    from doorstep.orders.actions.context import ActionContext, Outcome
    from doorstep.orders.models import OrderEvent, WorkOrder


def on_order_event(order: WorkOrder, event: OrderEvent) -> None:
    """After an event: a new repair report may open or join an incident (R14); a suspension
    for `outage` of a member of a confirmed outage pauses its restore clock."""
    from doorstep.incidents import services
    from doorstep.incidents.clocks import pause_restore

    if event.action == Action.CREATE:
        incident = services.group_report(order, event.occurred_at)
        order.__dict__[KNOWN] = incident.pk if incident is not None else None
    elif (
        event.action == Action.SUSPEND
        and (event.payload or {}).get("reason") == SuspendReason.OUTAGE
    ):
        incident = services.active_incident_of(order.pk)
        if incident is not None and incident.status == IncidentStatus.OUTAGE:
            pause_restore(order, event.occurred_at)


def gate(ctx: ActionContext, outcome: Outcome) -> None:
    """Members of an open incident are not dispatched one by one: the incident decides."""
    from doorstep.incidents import services

    if ctx.action != Action.ASSIGN:
        return
    incident = services.active_incident_of(ctx.order.pk)
    if incident is not None:
        raise Conflict(
            f"工单属于批量障碍 #{incident.pk}（区域 {incident.area}），"
            "请在批量障碍页处理，或先将其移出",
            state=ctx.order.status,
            allowed=[],
            code="in_incident",
        )
