"""Computing and reading technicians' stars. The one place that knows where stars live: every
page, API and notice calls `current_stars` / `stars_of` (re-exported by doorstep.ratings)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import OuterRef, Subquery

from doorstep.inspections.services import average_scores
from doorstep.kpis.compute import kpi_window
from doorstep.org.models import Branch, Staff
from doorstep.ratings import formula
from doorstep.ratings.models import StarRating
from doorstep.standards import policies

log = logging.getLogger(__name__)


def _user_id(user_or_id: Any) -> int:
    return int(getattr(user_or_id, "pk", user_or_id))


def latest(user_or_id: Any) -> StarRating | None:
    return StarRating.objects.filter(technician_id=_user_id(user_or_id)).first()


def current_stars(user_or_id: Any) -> int | None:
    """A technician's stars now: their latest computed row's, or None (never rated, or too
    few orders in the latest window)."""
    row = latest(user_or_id)
    return row.stars if row is not None else None


def stars_of(users_or_ids: Iterable[Any]) -> dict[int, int | None]:
    """`current_stars` of many technicians in one query: user id → stars (None when unrated)."""
    ids = {_user_id(u) for u in users_or_ids}
    out: dict[int, int | None] = dict.fromkeys(ids)
    newest = StarRating.objects.filter(technician_id=OuterRef("technician_id")).order_by(
        "-computed_at", "-id"
    )
    rows = StarRating.objects.filter(
        technician_id__in=ids, pk=Subquery(newest.values("pk")[:1])
    ).values_list("technician_id", "stars")
    out.update(rows)
    return out


# --- computing ------------------------------------------------------------------------------


def params() -> tuple[dict[str, Any], int | None]:
    """The formula's parameters: the `ratings.stars` policy row's (without matchers), over the
    defaults; and the row's version."""
    found = policies.resolve(formula.POLICY_KEY)
    merged, wrong = formula.params_with_defaults(found.params if found else None)
    if wrong:
        log.warning("policy %s: bad %s, using the defaults", formula.POLICY_KEY, ", ".join(wrong))
    return merged, found.version if found else None


def window(today: date, months: int) -> tuple[date, date]:
    """The last `months` full calendar months before the month holding `today`."""
    last = today.replace(day=1) - timedelta(days=1)
    first = last.replace(day=1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, last


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value))


@dataclass
class BranchResult:
    technicians: int
    appended: int


def recompute_branch(branch: Branch, now: datetime) -> BranchResult:
    """Rate every technician of the branch on its window; append a row for each whose outcome
    differs from their latest (or who has none). The KPI queries run outside any transaction;
    each append is its own short one."""
    p, version = params()
    today = now.astimezone(ZoneInfo(branch.timezone or "Asia/Shanghai")).date()
    first, last = window(today, int(p["months"]))
    technicians = dict(
        Staff.objects.filter(branch=branch, is_technician=True, user__is_active=True).values_list(
            "user__username", "user_id"
        )
    )
    rows = kpi_window("technician", first, last, branches=[branch], keys=set(technicians))
    inspected = average_scores(technicians.values(), first, last, branch.timezone)
    appended = 0
    for row in rows:
        # The inspections' mean score joins the KPI figures (null, and unmeasured, when none).
        mean, count = inspected.get(technicians[row.key], (None, 0))
        figures = {**row.metrics, "inspection_score": mean}
        measured = {**row.measured, "inspection_score": count}
        outcome = formula.rate(figures, measured, p)
        new = StarRating(
            technician_id=technicians[row.key],
            branch=branch,
            computed_at=now,
            period_start=first,
            period_end=last,
            stars=outcome.stars,
            score=Decimal(str(outcome.score)) if outcome.score is not None else None,
            orders=outcome.orders,
            components=_jsonable(outcome.components),
            deductions=_jsonable(outcome.deductions),
            figures=_jsonable(figures),
            measured=_jsonable(measured),
            params=_jsonable(p),
            policy_version=version,
        )
        with transaction.atomic():
            before = (
                StarRating.objects.select_for_update()
                .filter(technician_id=new.technician_id)
                .first()
            )
            if before is not None and _same(before, new):
                continue
            new.save()
            appended += 1
    return BranchResult(len(rows), appended)


def _same(a: StarRating, b: StarRating) -> bool:
    return (
        a.branch_id == b.branch_id
        and (a.period_start, a.period_end, a.stars, a.orders)
        == (b.period_start, b.period_end, b.stars, b.orders)
        and a.score == b.score
        and a.figures == b.figures
        and a.measured == b.measured
        and a.params == b.params
    )
