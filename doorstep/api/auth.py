from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from doorstep.api.models import ApiToken, hash_token

# A phone or an integration sends many calls in a row: keep who a token belongs to for a few
# seconds per process instead of reading token, user, staff and roles on every call. A revoked
# token or a changed role takes effect within this many seconds (0 turns the cache off).
_cache: dict[str, tuple[float, datetime, Any]] = {}
_lock = threading.Lock()


def clear_token_cache() -> None:
    with _lock:
        _cache.clear()


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        now = timezone.now()
        digest = hash_token(token)
        ttl = settings.DOORSTEP_TOKEN_CACHE_SECONDS
        with _lock:
            hit = _cache.get(digest)
        if hit is not None and time.monotonic() - hit[0] < ttl and hit[1] > now:
            request.user = hit[2]
            return hit[2]
        row = (
            ApiToken.objects.select_related("user", "user__staff", "user__staff__branch")
            .filter(key_hash=digest, expires_at__gt=now, user__is_active=True)
            .first()
        )
        if row is None:
            with _lock:
                _cache.pop(digest, None)
            return None
        # Touch at most once a minute: a write per request would serialise SQLite.
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        user = row.user
        # Prime the permission gate's cache: the staff row came with the token.
        user._doorstep_staff = getattr(user, "staff", None)  # type: ignore[attr-defined]
        if ttl > 0:
            with _lock:
                if len(_cache) > 10_000:
                    _cache.clear()
                _cache[digest] = (time.monotonic(), row.expires_at, user)
        request.user = user
        return user


class SessionOrBearer(BearerToken):
    """The web pages' own fetches may use the session; other systems use a token."""

    def __call__(self, request: HttpRequest) -> Any:
        if request.headers.get("Authorization"):
            return super().__call__(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # A browser sends the session cookie by itself, so writes need the CSRF token.
            if request.method not in ("GET", "HEAD", "OPTIONS") and check_csrf(request):
                return None
            return user
        return None


User = get_user_model()
