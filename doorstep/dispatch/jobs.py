"""Day plans are jobs `doorstep worker` runs, so no web request waits for the solver.

`run_due` claims one queued plan (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, a
conditional `UPDATE … WHERE status = 'queued'` on SQLite), commits the claim, runs the solver
outside any transaction (writing its progress about once a second), then stores the preview
with an UPDATE that only the claim's holder can win. Of two workers only one claims a job. A
job whose worker died (still running long after its time budget) is queued again for another
worker, once; after that it fails with the reason, so no plan stays "running" for ever.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.db import DatabaseError, connection, transaction
from django.db.models import F

from doorstep.core import clock as app_clock
from doorstep.dispatch import planning
from doorstep.dispatch.models import DayPlan

log = logging.getLogger("doorstep.dispatch.jobs")

# A job running this long past its time budget has lost its worker (building the problem and
# storing the result take seconds even on a large day).
MARGIN = timedelta(minutes=2)
MAX_ATTEMPTS = 2
PROGRESS_EVERY = 1.0  # seconds between progress writes


def run_due(worker_name: str, now: datetime | None = None) -> int:
    """One step of the worker: give up or re-queue plans whose worker died, then claim and run
    at most one queued plan. Returns how many plans it ran, re-queued or failed."""
    now = now or app_clock.now()
    handled = recover(now)
    if run_job(None, worker_name, now):
        handled += 1
    return handled


def run_job(pk: int | None, worker_name: str, now: datetime | None = None) -> bool:
    """Claim the oldest queued plan (or plan `pk`), run and store it; False if none was free."""
    now = now or app_clock.now()
    job = _claim(worker_name, now, pk)
    if job is None:
        return False
    _run(job, worker_name, now)
    return True


def _claim(worker_name: str, now: datetime, pk: int | None) -> DayPlan | None:
    queued = DayPlan.objects.filter(status=DayPlan.Status.QUEUED).order_by("created_at", "pk")
    if pk is not None:
        queued = queued.filter(pk=pk)
    running = {
        "status": DayPlan.Status.RUNNING,
        "worker": worker_name,
        "started_at": now,
        "attempts": F("attempts") + 1,
        "progress": 0.0,
    }
    claimed: int | None = None
    if connection.vendor == "postgresql":
        with transaction.atomic():
            first = queued.select_for_update(skip_locked=True).values_list("pk", flat=True)[:1]
            for candidate in first:
                DayPlan.objects.filter(pk=candidate).update(**running)
                claimed = candidate
    else:
        # SQLite has no row locks: the UPDATE's WHERE re-checks the status under the write
        # lock, so of two workers racing for one job exactly one changes a row.
        for candidate in queued.values_list("pk", flat=True)[:5]:
            if DayPlan.objects.filter(pk=candidate, status=DayPlan.Status.QUEUED).update(**running):
                claimed = candidate
                break
    if claimed is None:
        return None
    return DayPlan.objects.select_related("branch").get(pk=claimed)


def _run(job: DayPlan, worker_name: str, now: datetime) -> None:
    # Every write after the claim names the claim, so a worker that was presumed dead and
    # comes back cannot overwrite the job another worker took over.
    mine = DayPlan.objects.filter(
        pk=job.pk, status=DayPlan.Status.RUNNING, worker=worker_name, attempts=job.attempts
    )
    last_write = [0.0]

    def progress(share: float) -> None:
        moment = time.monotonic()
        if moment - last_write[0] >= PROGRESS_EVERY:
            last_write[0] = moment
            try:
                mine.update(progress=round(share, 3))
            except DatabaseError:  # e.g. SQLite busy: the figure is for show, the plan matters
                log.warning("day plan %s: progress not written", job.pk, exc_info=True)

    began = time.monotonic()
    try:
        computed = planning.compute(job, now, progress)
    except Exception as exc:  # the worker must outlive any one bad plan
        log.exception("day plan %s (%s %s) failed", job.pk, job.branch.code, job.day)
        mine.update(
            status=DayPlan.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=now + timedelta(seconds=time.monotonic() - began),
        )
        return
    with transaction.atomic():
        stored = mine.update(
            status=DayPlan.Status.PREVIEW,
            progress=1.0,
            finished_at=now + timedelta(seconds=time.monotonic() - began),
            **computed.fields,
        )
        if stored and computed.replaces is not None:
            DayPlan.objects.filter(pk=computed.replaces).update(status=DayPlan.Status.SUPERSEDED)
    if not stored:
        log.warning("day plan %s: taken over by another worker, result dropped", job.pk)


def recover(now: datetime) -> int:
    """Plans still running long after their time budget: their worker died. Queue each again
    (once), else mark it failed with the reason."""
    handled = 0
    stuck = DayPlan.objects.filter(status=DayPlan.Status.RUNNING, started_at__lt=now - MARGIN)
    for job in stuck.only("pk", "seconds", "started_at", "worker", "attempts"):
        assert job.started_at is not None
        if job.started_at + timedelta(seconds=job.seconds) + MARGIN > now:
            continue
        same = DayPlan.objects.filter(
            pk=job.pk, status=DayPlan.Status.RUNNING, worker=job.worker, attempts=job.attempts
        )
        if job.attempts < MAX_ATTEMPTS:
            handled += same.update(
                status=DayPlan.Status.QUEUED,
                worker="",
                progress=0.0,
                error=f"后台进程 {job.worker} 未在时限内完成，已重新排队",
            )
        else:
            handled += same.update(
                status=DayPlan.Status.FAILED,
                finished_at=now,
                error=f"后台进程 {job.worker} 未在时限内完成，已尝试 {job.attempts} 次",
            )
        log.warning("day plan %s: worker %s died, handled", job.pk, job.worker)
    return handled
