"""Two `doorstep worker` processes at once: every warning, breach and escalation happens once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from doorstep.core import clock as app_clock
from doorstep.notifications.models import Notification
from doorstep.orders.actions import create_order, perform
from doorstep.standards.models import Breach, Clock, Penalty
from tests.conftest import repair_data

pytestmark = pytest.mark.django_db(transaction=True)


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        user, host, port = s["USER"] or "postgres", s["HOST"] or "127.0.0.1", s["PORT"] or 5432
        return f"postgres://{user}@{host}:{port}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


def test_two_worker_processes_do_each_warning_breach_and_escalation_once(
    org: Any, tmp_path: Any
) -> None:
    now = timezone.now()
    late, warn = [], []
    for i in range(120):
        overdue = i % 3 != 0
        assigned_at = now - (timedelta(minutes=50) if overdue else timedelta(minutes=26))
        with app_clock.frozen_at(assigned_at - timedelta(minutes=5)):
            order, _ = create_order(org.operator, repair_data())
        with app_clock.frozen_at(assigned_at):
            perform(order.pk, "assign", org.dispatcher, {"technician": "tech"})
        (late if overdue else warn).append(order.pk)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "doorstep.settings",
    }
    cmd = [
        sys.executable,
        "-m",
        "doorstep.cli",
        "worker",
        "--once",
        "--batch",
        "7",
        # Both processes are up before either claims anything, so SKIP LOCKED shares the work.
        "--start-barrier",
        f"{tmp_path}:2",
    ]
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()[-2000:]

    contact = Clock.objects.filter(name="contact")
    assert contact.filter(order_id__in=late, status="breached").count() == len(late)
    assert contact.filter(
        order_id__in=warn, status="running", warned_at__isnull=False
    ).count() == len(warn)
    breaches = Counter(Breach.objects.filter(rule="R1").values_list("order_id", flat=True))
    assert set(breaches) == set(late) and set(breaches.values()) == {1}
    assert Penalty.objects.filter(rule="R1").count() == len(late)
    warnings = Counter(
        Notification.objects.filter(kind="warning").values_list("order_id", flat=True)
    )
    assert set(warnings) == set(warn) and set(warnings.values()) == {
        1
    }  # tech has no team lead here
    escalations = Counter(
        Notification.objects.filter(kind="escalation").values_list("order_id", flat=True)
    )
    assert set(escalations) == set(late) and set(escalations.values()) == {1}  # one manager
    assert not Notification.objects.filter(status__in=["queued", "sending"]).exists()
    workers = {b.evidence["marked_by"] for b in Breach.objects.filter(rule="R1")}
    if connection.vendor == "postgresql":
        # SKIP LOCKED shared the work: both processes marked some of the breaches.
        assert len(workers) == 2, workers


def test_sigterm_stops_the_worker_cleanly(org: Any) -> None:
    import signal

    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "doorstep.settings",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "doorstep.cli", "worker", "--interval", "30"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    line = proc.stdout.readline().decode() if proc.stdout else ""
    assert "doorstep worker" in line  # it is up and idle, sleeping between passes
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)
    assert proc.returncode == 0 and time.monotonic() - began < 5
