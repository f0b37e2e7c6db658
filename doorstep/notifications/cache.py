"""The active templates and webhook subscriptions, remembered per process for a few seconds.

Every order action asks for them (intake too), and they change rarely, by an admin: saving or
deleting one clears this process's copy at once; other processes see the change within
DOORSTEP_NOTICE_CACHE_SECONDS (10). Subscriptions are switched off, never deleted, while
deliveries refer to them (the admin site offers no delete), so a stale copy never names a
subscription that is gone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from doorstep.core.env import envint
from doorstep.notifications.models import Template, WebhookSubscription

T = TypeVar("T")
_lock = threading.Lock()
_loaded: dict[str, tuple[float, Any]] = {}


def clear(*args: Any, **kwargs: Any) -> None:
    with _lock:
        _loaded.clear()


def _get(name: str, load: Callable[[], T]) -> T:
    now = time.monotonic()
    with _lock:
        found = _loaded.get(name)
        if found is not None and now - found[0] < envint("DOORSTEP_NOTICE_CACHE_SECONDS", 10):
            return cast(T, found[1])
    value = load()
    with _lock:
        _loaded[name] = (now, value)
    return value


def templates() -> dict[str, Template]:
    """Active templates by code."""
    return _get("templates", lambda: {t.code: t for t in Template.objects.filter(active=True)})


def subscriptions() -> list[WebhookSubscription]:
    return _get("subscriptions", lambda: list(WebhookSubscription.objects.filter(active=True)))


def connect() -> None:
    from django.db.models.signals import post_delete, post_migrate, post_save

    for model in (Template, WebhookSubscription):
        post_save.connect(clear, sender=model, dispatch_uid=f"notice-cache-save-{model.__name__}")
        post_delete.connect(clear, sender=model, dispatch_uid=f"notice-cache-del-{model.__name__}")
    # A migrate or a flush (test databases) replaces the rows wholesale.
    post_migrate.connect(clear, dispatch_uid="notice-cache-migrate")
