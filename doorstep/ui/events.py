"""An order event as the pages name it: the action's Chinese label and who did it.

Labels come from the state tables (`doorstep.orders.states`): the staff table names every staff
action (the care and quality actions too), the customer table the customer's own (客户确认预约,
客户评价, …). A customer's `chase` is the staff action recorded with the customer role, so the
customer table is asked first for the customer's events.
"""

from __future__ import annotations

from typing import Any

from doorstep.orders.states import CUSTOMER, CUSTOMER_TRANSITIONS, TRANSITIONS
from doorstep.org.choices import Role


def action_label(action: str, actor_role: str = "") -> str:
    if actor_role == CUSTOMER and action in CUSTOMER_TRANSITIONS:
        return CUSTOMER_TRANSITIONS[action].label
    if action in TRANSITIONS:
        return TRANSITIONS[action].label
    if action in CUSTOMER_TRANSITIONS:
        return CUSTOMER_TRANSITIONS[action].label
    return action


def actor_label(event: Any) -> str:
    """Who acted: 客户 (through their link), 系统 (the worker), else the person and the role
    they acted in, 王师傅（装维人员）."""
    if event.actor_role == CUSTOMER:
        return "客户"
    actor = event.actor
    if actor is None:
        return "系统"
    name = actor.first_name or actor.username
    role = Role(event.actor_role).label if event.actor_role in Role.values else event.actor_role
    return f"{name}（{role}）"
