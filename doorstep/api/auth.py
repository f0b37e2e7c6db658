from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from doorstep.api.models import ApiToken, hash_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        now = timezone.now()
        row = (
            ApiToken.objects.select_related("user", "user__staff", "user__staff__branch")
            .filter(key_hash=hash_token(token), expires_at__gt=now, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        # Touch at most once a minute: a write per request would serialise SQLite.
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        user = row.user
        # Prime the permission gate's cache: the staff row came with the token.
        user._doorstep_staff = getattr(user, "staff", None)  # type: ignore[attr-defined]
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
