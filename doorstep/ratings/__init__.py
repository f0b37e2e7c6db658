"""Star ratings (星级): each technician's 1–5 stars derived from their KPIs (docs/ratings.md).

`current_stars(user_or_id)` and `stars_of(users_or_ids)` are what every page, API and notice
reads; they import lazily so this package can be imported before the apps are ready."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def current_stars(user_or_id: Any) -> int | None:
    from doorstep.ratings.services import current_stars as current

    return current(user_or_id)


def stars_of(users_or_ids: Iterable[Any]) -> dict[int, int | None]:
    from doorstep.ratings.services import stars_of as many

    return many(users_or_ids)


def star_text(stars: int | None) -> str:
    """ "4 星", or 暂无 when there are none."""
    return f"{stars} 星" if stars is not None else "暂无"
