"""Clocks as the pages show them: time left, and a colour by how much of it is left."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from doorstep.core import clock as app_clock
from doorstep.standards.choices import ClockName, ClockStatus
from doorstep.standards.models import Clock


def level(started: datetime, deadline: datetime | None, now: datetime, status: str) -> str:
    """ok (more than half left), warn (under half), danger (under a fifth), late, done, paused."""
    if status == ClockStatus.MET:
        return "done"
    if status == ClockStatus.PAUSED:
        return "paused"
    if status == ClockStatus.BREACHED or (deadline is not None and now > deadline):
        return "late"
    if deadline is None:
        return "ok"
    total = (deadline - started).total_seconds()
    left = (deadline - now).total_seconds()
    if total <= 0 or left / total < 0.2:
        return "danger"
    return "warn" if left / total < 0.5 else "ok"


def for_display(rows: list[dict[str, Any]], now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or app_clock.now()
    out = []
    for r in rows:
        started = parse_datetime(r["started_at"])
        deadline = parse_datetime(r["deadline"]) if r["deadline"] else None
        assert started is not None
        out.append(
            {
                **r,
                "label": ClockName(r["name"]).label,
                "deadline_dt": deadline,
                "stopped_dt": parse_datetime(r["stopped_at"]) if r["stopped_at"] else None,
                "level": level(started, deadline, now, r["status"]),
                "open": r["status"] in (ClockStatus.RUNNING, ClockStatus.PAUSED)
                or (r["status"] == ClockStatus.BREACHED and not r["stopped_at"]),
            }
        )
    return out


def nearest_by_order(
    order_ids: list[int], now: datetime | None = None
) -> dict[int, dict[str, Any]]:
    """For a page of orders, the open clock whose deadline comes first (one query)."""
    now = now or app_clock.now()
    best: dict[int, dict[str, Any]] = {}
    rows = Clock.objects.filter(
        order_id__in=order_ids,
        stopped_at__isnull=True,
        status__in=[ClockStatus.RUNNING, ClockStatus.BREACHED, ClockStatus.PAUSED],
    ).values("order_id", "name", "status", "started_at", "deadline")
    for r in rows:
        if r["deadline"] is None and r["status"] != ClockStatus.PAUSED:
            continue
        current = best.get(r["order_id"])
        key = r["deadline"] or datetime.max.replace(tzinfo=now.tzinfo)
        if current is None or key < current["sort"]:
            best[r["order_id"]] = {
                "label": ClockName(r["name"]).label,
                "deadline": r["deadline"],
                "status": r["status"],
                "level": level(r["started_at"], r["deadline"], now, r["status"]),
                "sort": key,
            }
    return best
