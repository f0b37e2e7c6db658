"""A star-rating history row written directly, for tests of where stars are shown (the rows
the worker appends are tested in test_jobs.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from doorstep.core import clock


def rated(user: Any, stars: int | None, at: datetime | None = None, score: str = "85.0") -> Any:
    from doorstep.ratings.models import StarRating

    return StarRating.objects.create(
        technician=user,
        branch=user.staff.branch,
        computed_at=at or clock.now(),
        period_start=date(2026, 8, 1),
        period_end=date(2026, 10, 31),
        stars=stars,
        score=Decimal(score) if stars is not None else None,
        orders=40 if stars is not None else 3,
        params={"min_orders": 20},
    )
