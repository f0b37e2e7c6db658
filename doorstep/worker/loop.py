"""`doorstep worker`: the loop that runs each duty in turn — the clock sweep, the notification
sender, the dispatch jobs, the quality desk's auto-close, customer data retention — until
SIGTERM.

Each duty does its own transactions and returns how much work it found; the loop sleeps only
when a whole round found nothing. The duties are imported when the worker is: a duty module
that does not import stops `doorstep worker` at start with its traceback, instead of leaving
that duty silently switched off. At run time a duty that raises is logged and the others go on.

A lost database (OperationalError / InterfaceError with a connection that no longer answers:
refused, reset, closed) is not a duty's fault: the round stops, the broken connection is
closed, the loss is logged once, and the worker waits — 1 s, then doubling up to 10 s —
probing with a fresh connection before each new round, then says it is back and goes on.
Whatever a duty had claimed in the transaction that broke was never committed (PostgreSQL
rolls it back with the connection); claims already committed (a notification's lease) run
out and are taken again as after a crash. A deadlock or a lock timeout on a working
connection in a duty after the sweep stays that duty's failure.
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

from django.db import InterfaceError, OperationalError, close_old_connections, connection

from doorstep.customers import retention
from doorstep.dispatch import jobs as dispatch_jobs
from doorstep.exports import jobs as export_jobs
from doorstep.notifications import sender
from doorstep.quality import jobs as quality_jobs
from doorstep.ratings import jobs as ratings_jobs
from doorstep.worker.sweep import sweep_clocks

log = logging.getLogger("doorstep.worker")

# What a lost or refused database connection raises through Django.
DATABASE_LOST = (OperationalError, InterfaceError)
BACKOFF_START = 1.0
BACKOFF_MAX = 10.0

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
    export_jobs.run_due,
)


class Worker:
    def __init__(self, name: str | None = None, batch: int = 1000) -> None:
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.batch = batch
        self.stopping = False
        self.database_lost_at: float | None = None  # monotonic time of the loss, while lost
        self.backoff = BACKOFF_START

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)

    def run(self, interval: float = 5.0, once: bool = False) -> None:
        self.install_signal_handlers()
        while not self.stopping:
            found = self.round()
            if found is None:  # the database is away: wait, then probe again
                self.sleep(self.backoff)
                self.backoff = min(self.backoff * 2, BACKOFF_MAX)
                continue
            if once and not found:
                return
            if not found:
                self.sleep(interval)

    def sleep(self, seconds: float) -> None:
        """Sleep in short steps so SIGTERM is answered quickly."""
        slept = 0.0
        while slept < seconds and not self.stopping:
            time.sleep(0.2)
            slept += 0.2

    def round(self, now: datetime | None = None) -> int | None:
        """`tick`, surviving a lost database: how much work it found, or None if the database
        could not be reached (the caller backs off and calls again)."""
        try:
            if self.database_lost_at is not None:
                connection.ensure_connection()  # a cheap probe before the duties run again
            found = self.tick(now)
        except DATABASE_LOST as exc:
            # The connection is broken; a transaction open on it was rolled back by the server.
            connection.close()
            if self.database_lost_at is None:
                self.database_lost_at = time.monotonic()
                log.error("worker %s: database unavailable (%s); waiting", self.name, exc)
            return None
        if self.database_lost_at is not None:
            log.warning(
                "worker %s: database back after %.1f s; resuming",
                self.name,
                time.monotonic() - self.database_lost_at,
            )
            self.database_lost_at = None
            self.backoff = BACKOFF_START
        close_old_connections()  # drop a connection that erred or outlived CONN_MAX_AGE
        return found

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
            except DATABASE_LOST:
                if not connection.is_usable():
                    raise  # not this duty's fault: `round` waits for the database
                self._duty_failed(duty)  # a deadlock or a lock timeout: this duty's failure
            except Exception:  # noqa: BLE001 - one duty failing must not stop the others
                self._duty_failed(duty)
        return found

    def _duty_failed(self, duty: Duty) -> None:
        log.exception("worker %s: %s.%s failed", self.name, duty.__module__, duty.__name__)

    def sweep_clocks(self, now: datetime | None = None) -> int:
        return sweep_clocks(self.name, now, self.batch, lambda: self.stopping)


def run(interval: float = 5.0, once: bool = False) -> None:
    Worker().run(interval=interval, once=once)
