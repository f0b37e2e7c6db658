"""`doorstep worker`: the loop that runs each duty in turn — the clock sweep, the notification
sender, the dispatch jobs, the quality desk's auto-close, customer data retention — until
SIGTERM.

Each duty does its own transactions and returns how much work it found; the loop sleeps only
when a whole round found nothing. The duties are imported when the worker is: a duty module
that does not import stops `doorstep worker` at start with its traceback, instead of leaving
that duty silently switched off. At run time a duty that raises is logged and the others go on.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from doorstep.customers import retention
from doorstep.dispatch import jobs as dispatch_jobs
from doorstep.notifications import sender
from doorstep.quality import jobs as quality_jobs
from doorstep.ratings import jobs as ratings_jobs
from doorstep.worker.sweep import sweep_clocks

log = logging.getLogger("doorstep.worker")

# A duty is called as duty(worker_name, now) and returns how many items it handled. `now` is
# None when the worker runs for real (each duty reads the clock when it needs it, and may pace
# itself: retention looks once an hour) and a fixed time in tests. To add one, import its
# module above and list its function here.
Duty = Callable[[str, datetime | None], int]
DUTIES: tuple[Duty, ...] = (
    sender.send_due,
    dispatch_jobs.run_due,
    quality_jobs.run_due,
    retention.run_due,
    ratings_jobs.run_due,
)


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
        for duty in DUTIES:
            if self.stopping:
                break
            try:
                found += duty(self.name, now)
            except Exception:  # noqa: BLE001 - one duty failing must not stop the others
                log.exception("worker %s: %s.%s failed", self.name, duty.__module__, duty.__name__)
        return found

    def sweep_clocks(self, now: datetime | None = None) -> int:
        return sweep_clocks(self.name, now, self.batch, lambda: self.stopping)


def run(interval: float = 5.0, once: bool = False) -> None:
    Worker().run(interval=interval, once=once)
