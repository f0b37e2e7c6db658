"""The worker's star-rating duty: recompute each branch's stars once a day (the branch's local
day), and whenever somebody asks (`ask`)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from doorstep.core import clock
from doorstep.org.models import Branch
from doorstep.ratings.models import RatingRun
from doorstep.ratings.services import recompute_branch

log = logging.getLogger(__name__)


def _local_day(branch: Branch, moment: datetime) -> Any:
    return moment.astimezone(ZoneInfo(branch.timezone or "Asia/Shanghai")).date()


def ask(branch: Branch, by: Any = None, now: datetime | None = None) -> RatingRun:
    """Ask for the branch's stars to be recomputed at the worker's next round."""
    moment = now or clock.now()
    return RatingRun.objects.create(
        branch=branch,
        day=_local_day(branch, moment),
        asked=True,
        asked_at=moment,
        asked_by_id=getattr(by, "pk", None),
    )


def _run(run: RatingRun, moment: datetime) -> None:
    result = recompute_branch(run.branch, moment)
    RatingRun.objects.filter(pk=run.pk).update(
        done_at=moment,
        technicians=result.technicians,
        appended=result.appended,
    )


def run_due(worker_name: str, now: datetime | None = None) -> int:
    """Recompute each branch that has no daily run for its local today yet, and each run
    somebody asked for; returns how many branch runs it made. A daily run is claimed by
    creating its row (one per branch and day: a second worker's insert fails and skips it); an
    asked run by setting its worker. A run that fails is removed (daily) or released (asked) so
    a later round tries again."""
    moment = now or clock.now()
    done = 0
    for branch in Branch.objects.all():
        try:
            with transaction.atomic():
                run = RatingRun.objects.create(
                    branch=branch,
                    day=_local_day(branch, moment),
                    asked_at=moment,
                    worker=worker_name,
                )
        except IntegrityError:
            continue  # today's run exists: made, or being made by another worker
        try:
            _run(run, moment)
        except Exception:
            RatingRun.objects.filter(pk=run.pk).delete()
            raise
        done += 1
    for run in RatingRun.objects.filter(asked=True, done_at__isnull=True, worker="").select_related(
        "branch"
    ):
        if not RatingRun.objects.filter(pk=run.pk, worker="").update(worker=worker_name):
            continue  # another worker claimed it
        try:
            _run(run, moment)
        except Exception:
            RatingRun.objects.filter(pk=run.pk).update(worker="")
            raise
        done += 1
    if done:
        log.info("%s: star ratings recomputed for %s branch runs", worker_name, done)
    return done
