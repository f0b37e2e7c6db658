"""This app's settings: environment variables, overridable in settings.py (and by tests)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from doorstep.core.env import env, envint

DEFAULTS: dict[str, Any] = {
    # A customer's link works this many days after it was made…
    "DOORSTEP_CUSTOMER_LINK_DAYS": envint("DOORSTEP_CUSTOMER_LINK_DAYS", 7),
    # …and never longer than this many days after the order closed (time to rate the visit).
    "DOORSTEP_CUSTOMER_LINK_AFTER_CLOSE_DAYS": envint("DOORSTEP_CUSTOMER_LINK_AFTER_CLOSE_DAYS", 3),
    # Where the links in SMS point (scheme and host); default: the host of the request.
    "DOORSTEP_PUBLIC_URL": env("DOORSTEP_PUBLIC_URL", ""),
    # Requests per client address per minute to the public pages (links, badges).
    "DOORSTEP_PUBLIC_REQUESTS_PER_MINUTE": envint("DOORSTEP_PUBLIC_REQUESTS_PER_MINUTE", 30),
    # Phone-number checks on a badge page per client address per hour (4 digits: 10,000 tries).
    "DOORSTEP_BADGE_CHECKS_PER_HOUR": envint("DOORSTEP_BADGE_CHECKS_PER_HOUR", 10),
    # Days after an order closed before the worker anonymises its customer's personal data.
    "DOORSTEP_RETENTION_DAYS": envint("DOORSTEP_RETENTION_DAYS", 365),
    # The rate limit's shared store: Redis when set, else the database.
    "REDIS_URL": env("REDIS_URL", ""),
}


def conf(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
