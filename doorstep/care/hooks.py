"""doorstep.care's hooks into the order action layer (doorstep.orders.hooks).

After an event (same transaction): the records an action of care leads to (damage claims and
their `compensation` clock, site-not-ready reports, engineering hand-overs), and the notices
an event owes people inside the company — the technician on a chase (R15), the team lead on an
escalation the event carries (R13, R15), dispatch on a site that is not ready.

Before an event: the R24 kit check on `depart`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from doorstep.orders.actions import care as actions
from doorstep.orders.choices import Action

if TYPE_CHECKING:
    from doorstep.orders.actions.context import ActionContext, Outcome
    from doorstep.orders.models import OrderEvent, WorkOrder


def on_order_event(order: WorkOrder, event: OrderEvent) -> None:
    from doorstep.care import services

    payload = event.payload or {}
    if payload.get("escalation"):
        services.notify_escalation(order, event)
    action = event.action
    if action == Action.CHASE:
        services.notify_chase(order, event)
    elif action == actions.CLAIM_DAMAGE:
        services.open_claim(order, event)
    elif action == actions.SETTLE_DAMAGE:
        services.settle_claim(order, event)
    elif action == actions.SITE_NOT_READY:
        services.report_site(order, event)
    elif action == actions.ESCALATE_ENGINEERING:
        services.hand_to_engineering(order, event)


def gate(ctx: ActionContext, outcome: Outcome) -> None:
    """R24: a departure without the required kit is refused; optional items not ticked are
    written into the departure's event as `checklist_missing`."""
    from doorstep.care.kit import check_departure

    if ctx.action == Action.DEPART:
        missing = check_departure(ctx.order, list(getattr(ctx.payload, "checklist", [])))
        if missing:
            outcome.event["checklist_missing"] = missing
