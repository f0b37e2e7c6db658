"""The worker's export duty: build one queued `Export` per call (or one a dead worker left
生成中 for longer than RUNNING_LEASE).

The job is claimed in a short transaction (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL; a
conditional UPDATE queued → running elsewhere, which only one worker wins), then the file is
built and written OUTSIDE any transaction, under MEDIA_ROOT/exports/ with a name the server
makes (a random hex, never anything the user typed)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from doorstep.core import clock
from doorstep.exports.models import Export, ExportStatus
from doorstep.exports.services import params_of, table, workbook

log = logging.getLogger(__name__)
SHANGHAI = "Asia/Shanghai"


# A job 生成中 for longer than this was left by a worker that died: it is taken again.
RUNNING_LEASE = timedelta(hours=1)


def _claim(worker_name: str, moment: datetime) -> Export | None:
    takeable = Q(status=ExportStatus.QUEUED) | Q(
        status=ExportStatus.RUNNING, started_at__lt=moment - RUNNING_LEASE
    )
    queued = Export.objects.filter(takeable).order_by("created_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            job = queued.select_for_update(skip_locked=True).first()
            if job is None:
                return None
            Export.objects.filter(pk=job.pk).update(
                status=ExportStatus.RUNNING, worker=worker_name, started_at=moment
            )
    else:
        job = queued.first()
        if job is None:
            return None
        claimed = Export.objects.filter(takeable, pk=job.pk).update(
            status=ExportStatus.RUNNING, worker=worker_name, started_at=moment
        )
        if not claimed:
            return None  # another worker took it first
    job.refresh_from_db()
    return job


def run_due(worker_name: str, now: datetime | None = None) -> int:
    """Build the oldest queued export; returns 1 when it handled one (done or failed), else 0."""
    moment = now or clock.now()
    job = _claim(worker_name, moment)
    if job is None:
        return 0
    try:
        with timezone.override(SHANGHAI):
            data, rows = workbook(table(job.kind, job.owner, params_of(job.filters)))
        name = default_storage.save(f"exports/{uuid.uuid4().hex}.xlsx", ContentFile(data))
    except Exception as exc:  # noqa: BLE001 - the job says it failed; the worker goes on
        log.exception("export #%s failed", job.pk)
        Export.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=str(exc)[:1000], finished_at=clock.now()
        )
        return 1
    Export.objects.filter(pk=job.pk).update(
        status=ExportStatus.DONE, file=name, rows=rows, finished_at=clock.now()
    )
    return 1
