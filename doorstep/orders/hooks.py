"""Listeners that run inside the action's transaction after an event is appended.

The standards app (clocks, checks), notifications and quality plug in here, so that an action,
its event, its clocks and its notices commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from doorstep.orders.actions.context import ActionContext, Outcome
    from doorstep.orders.models import OrderEvent, WorkOrder

AfterEvent = Callable[["WorkOrder", "OrderEvent"], None]
_after_event: list[AfterEvent] = []


def after_event(fn: AfterEvent) -> AfterEvent:
    if fn not in _after_event:
        _after_event.append(fn)
    return fn


# Gates: run after the handler decided and before anything is written; they may refuse.
BeforeEvent = Callable[["ActionContext", "Outcome"], None]
_before_event: list[BeforeEvent] = []


def before_event(fn: BeforeEvent) -> BeforeEvent:
    if fn not in _before_event:
        _before_event.append(fn)
    return fn


def run_before_event(ctx: ActionContext, outcome: Outcome) -> None:
    for fn in list(_before_event):
        fn(ctx, outcome)


def run_after_event(order: WorkOrder, event: OrderEvent) -> None:
    for fn in list(_after_event):
        fn(order, event)


# The clocks of an order as of a time; the standards app registers the real provider.
ClockProvider = Callable[["WorkOrder", "datetime | None"], list[dict[str, object]]]
_clock_provider: list[ClockProvider] = []


def provide_clocks(fn: ClockProvider) -> ClockProvider:
    _clock_provider[:] = [fn]
    return fn


def clocks_of(order: WorkOrder, at: datetime | None = None) -> list[dict[str, object]]:
    return _clock_provider[0](order, at) if _clock_provider else []
