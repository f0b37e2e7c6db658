"""The application's idea of "now".

Everything that stamps a time calls `now()`. The demo loader and the simulator replay past
days through the real action layer by setting the clock for a block of code, so the history
they leave looks as if it had been recorded live (tests move time with time-machine instead).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_override: ContextVar[datetime | None] = ContextVar("doorstep_now", default=None)


def now() -> datetime:
    value = _override.get()
    return value if value is not None else timezone.now()


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    token = _override.set(moment)
    try:
        yield
    finally:
        _override.reset(token)
