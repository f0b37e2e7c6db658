"""The worker's duties: imported when the worker starts, so a broken duty module stops it
loudly; at run time one duty that raises is logged and the others still run."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from doorstep.notifications.models import Notification
from doorstep.notifications.outbox import queue
from doorstep.worker import Worker, loop

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)

BROKEN_DUTY = """
import sys
sys.modules["doorstep.quality.jobs"] = None  # the duty's module no longer imports
from doorstep.cli import main
sys.exit(main(["worker", "--once"]))
"""


def test_a_duty_module_that_does_not_import_stops_the_worker_at_start() -> None:
    done = subprocess.run(
        [sys.executable, "-c", BROKEN_DUTY], capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError") and "doorstep.quality.jobs" in last
    assert "doorstep worker" not in done.stdout  # it never started its rounds


def test_the_loop_runs_every_agreed_duty() -> None:
    from doorstep.customers import retention
    from doorstep.dispatch import jobs
    from doorstep.exports import jobs as export_jobs
    from doorstep.notifications import sender
    from doorstep.quality import jobs as quality_jobs
    from doorstep.ratings import jobs as ratings_jobs

    agreed = (
        sender.send_due,
        jobs.run_due,
        quality_jobs.run_due,
        retention.run_due,
        ratings_jobs.run_due,
        export_jobs.run_due,
    )
    assert agreed == loop.DUTIES


@pytest.mark.django_db
def test_a_duty_that_raises_is_logged_and_the_others_still_run(
    monkeypatch: Any, caplog: Any
) -> None:
    def broken(worker_name: str, now: datetime | None = None) -> int:
        raise RuntimeError("the planner's table is locked")

    monkeypatch.setattr(loop, "DUTIES", (broken, *loop.DUTIES))
    queue("customer_sms", "您好", to_phone="13812345678", dedupe_key="d1")
    Notification.objects.filter(dedupe_key="d1").update(available_at=T0)

    assert Worker("w1").tick(T0) >= 1
    assert Notification.objects.get(dedupe_key="d1").status == "sent"
    failed = [r for r in caplog.records if "broken failed" in r.getMessage()]
    assert failed and "the planner's table is locked" in (failed[0].exc_text or "")
