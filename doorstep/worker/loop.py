"""`doorstep worker`: the loop that runs each duty in turn — the clock sweep, the notification
sender, the dispatch jobs — until SIGTERM.

Each duty does its own transactions and returns how much work it found; the loop sleeps only
when a whole round found nothing. The sender and the jobs belong to other apps and are
imported lazily, so the worker runs (without them) while they are not installed.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from doorstep.core import clock as app_clock
from doorstep.worker.sweep import sweep_clocks

log = logging.getLogger("doorstep.worker")

# (module, function): each called as fn(worker_name, now) -> int.
DUTIES: tuple[tuple[str, str], ...] = (
    ("doorstep.notifications.sender", "send_due"),
    ("doorstep.dispatch.jobs", "run_due"),
    ("doorstep.quality.jobs", "run_due"),
)


def _duty(module: str, name: str) -> Callable[..., int] | None:
    try:
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        return None


class Worker:
    def __init__(self, name: str | None = None, batch: int = 1000) -> None:
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.batch = batch
        self.stopping = False

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)

    def run(self, interval: float = 5.0, once: bool = False) -> None:
        self.install_signal_handlers()
        while not self.stopping:
            found = self.tick()
            if once and not found:
                return
            if not found:
                # Sleep in short steps so SIGTERM is answered quickly.
                slept = 0.0
                while slept < interval and not self.stopping:
                    time.sleep(0.2)
                    slept += 0.2

    def _stop(self, signum: int, frame: Any) -> None:
        log.warning("worker %s: signal %s, finishing the current batch", self.name, signum)
        self.stopping = True

    def tick(self, now: datetime | None = None) -> int:
        """One round of every duty; returns how much work it found."""
        found = self.sweep_clocks(now)
        for module, name in DUTIES:
            if self.stopping:
                break
            duty = _duty(module, name)
            if duty is None:
                continue
            try:
                found += duty(self.name, now or app_clock.now())
            except Exception:  # noqa: BLE001 - one duty failing must not stop the others
                log.exception("worker %s: %s.%s failed", self.name, module, name)
        return found

    def sweep_clocks(self, now: datetime | None = None) -> int:
        return sweep_clocks(self.name, now, self.batch, lambda: self.stopping)


def run(interval: float = 5.0, once: bool = False) -> None:
    Worker().run(interval=interval, once=once)
