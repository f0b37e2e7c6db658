"""The one rate limit: the public pages (customer links, badges, the last-four check) and the
failed logins (`POST /api/v1/auth/token` and the web `/login/` form) all count here, per client
address, across every process.

The count is shared: Redis through Django's cache framework (`RedisCache`, an atomic INCR)
when `REDIS_URL` is set, else one row per key in the database, incremented by a single upsert
(`INSERT … ON CONFLICT DO UPDATE … RETURNING`), so gunicorn workers of a SQLite demo share it too.
Windows are fixed (a minute, an hour): simple, and a burst at a window's edge gets at most
twice the limit, which is enough to stop guessing.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

from django.core.cache.backends.base import BaseCache
from django.db import connection
from django.http import HttpRequest

from doorstep.core import clock
from doorstep.core.errors import DoorstepError
from doorstep.customers.conf import conf


class TooManyRequests(DoorstepError):
    status = 429
    code = "too_many_requests"


def client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a forwarded-for header is the client's to invent. Behind a reverse
    # proxy, have the proxy set REMOTE_ADDR (gunicorn's --forwarded-allow-ips).
    return str(request.META.get("REMOTE_ADDR") or "unknown")


@functools.cache
def _redis(url: str) -> BaseCache:
    from django.core.cache.backends.redis import RedisCache

    return RedisCache(url, {"KEY_PREFIX": "doorstep-throttle"})


def _window(seconds: int, now: datetime) -> tuple[int, datetime]:
    index = int(now.timestamp()) // seconds
    return index, datetime.fromtimestamp((index + 1) * seconds, tz=now.tzinfo)


def _db_count(key: str, ends: datetime, add: int) -> int:
    from doorstep.customers.models import RateCounter

    table = RateCounter._meta.db_table
    ends_db: Any = connection.ops.adapt_datetimefield_value(ends)
    with connection.cursor() as cur:
        if add:
            cur.execute(
                f"INSERT INTO {table} (bucket, count, window_ends) VALUES (%s, %s, %s) "
                f"ON CONFLICT (bucket) DO UPDATE SET count = {table}.count + %s RETURNING count",
                [key, add, ends_db, add],
            )
        else:
            cur.execute(f"SELECT count FROM {table} WHERE bucket = %s", [key])
        row = cur.fetchone()
    return int(row[0]) if row else 0


def count(scope: str, ident: str, window_seconds: int, add: int = 1) -> int:
    """Add `add` to the requests of `ident` in `scope` this window; return the window's total."""
    now = clock.now()
    index, ends = _window(window_seconds, now)
    key = f"{scope}:{ident}:{window_seconds}:{index}"
    url = conf("REDIS_URL")
    if url:
        cache = _redis(url)
        if not add:
            return int(cache.get(key, 0))
        cache.add(key, 0, timeout=window_seconds + 1)
        return int(cache.incr(key, add))
    return _db_count(key, ends, add)


def over_limit(scope: str, ident: str, limit: int, window_seconds: int = 60) -> bool:
    """Count one request; True when it is more than `limit` in the window (0 = no limit)."""
    return bool(limit) and count(scope, ident, window_seconds) > limit


def at_limit(scope: str, ident: str, limit: int, window_seconds: int = 60) -> bool:
    """True when `limit` requests were already counted this window (counts nothing)."""
    return bool(limit) and count(scope, ident, window_seconds, add=0) >= limit


def throttle(request: HttpRequest, scope: str, limit: int, window_seconds: int = 60) -> None:
    """Count this request against the caller's address; TooManyRequests past the limit."""
    if over_limit(scope, client_address(request), limit, window_seconds):
        raise TooManyRequests("请求过于频繁，请稍后再试")


# Failed logins through the API and the web form share one count: a guesser gains nothing by
# switching between them.
LOGIN_SCOPE = "login"


def login_refused(request: HttpRequest) -> bool:
    """True when this address already failed DOORSTEP_LOGIN_ATTEMPTS_PER_MINUTE logins this
    minute: the caller answers 429 without checking the password."""
    from django.conf import settings

    limit = settings.DOORSTEP_LOGIN_ATTEMPTS_PER_MINUTE
    return at_limit(LOGIN_SCOPE, client_address(request), limit)


def login_failed(request: HttpRequest) -> None:
    count(LOGIN_SCOPE, client_address(request), 60)


def purge_expired(now: datetime | None = None) -> int:
    """Delete the database counters of windows that have ended (the worker may call it)."""
    from doorstep.customers.models import RateCounter

    cutoff = (now or clock.now()) - timedelta(seconds=1)
    deleted, _ = RateCounter.objects.filter(window_ends__lt=cutoff).delete()
    return deleted
