from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from doorstep.orders.actions.payloads import Payload
from doorstep.orders.models import WorkOrder


@dataclass
class ActionContext:
    order: WorkOrder
    action: str
    payload: Payload
    actor: Any  # a User, or None for the system
    role: str
    occurred_at: datetime
    now: datetime


@dataclass
class Outcome:
    """What a handler decided: the new state (None = unchanged), order fields, event payload."""

    to_status: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    event: dict[str, Any] = field(default_factory=dict)
