"""The worker's quality duty: close the orders nobody called back when their window ends."""

from __future__ import annotations

import logging
from datetime import datetime

from doorstep.core import clock
from doorstep.core.errors import DoorstepError
from doorstep.orders.choices import Action, Status
from doorstep.quality.models import CallbackTask

log = logging.getLogger(__name__)
BATCH = 200
AUTO_CLOSE_NOTE = "回访期限届满，无回访结果，系统自动归档"


def run_due(worker_name: str, now: datetime | None = None) -> int:
    """Close, as the system, each completed order whose callback window ended before `now`;
    returns how many it closed. Each close is its own action (its own transaction); an order
    another worker or an agent changed meanwhile loses the version race and is skipped. The
    late close stops the R17 clock late, so the missed callback is recorded as the quality
    desk's breach (charged to the branch, never to the technician)."""
    from doorstep.orders.actions import perform

    moment = now or clock.now()
    due = list(
        CallbackTask.objects.filter(
            done_at__isnull=True, due_at__lte=moment, order__status=Status.COMPLETED
        )
        .order_by("due_at", "id")
        .values_list("order_id", flat=True)[:BATCH]
    )
    closed = 0
    for order_id in due:
        try:
            perform(order_id, Action.CLOSE, None, {"note": AUTO_CLOSE_NOTE})
        except DoorstepError as exc:
            log.info("%s: order %s not auto-closed: %s", worker_name, order_id, exc.message)
            continue
        closed += 1
    return closed
