"""The demo as a newcomer meets it: a crew that keeps most of its deadlines, weeks of history,
today's work in today's states, and a worker beside the server."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.conftest import ensure_policies

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday afternoon: the morning's orders are done, the afternoon's are on the way.
WEDNESDAY_AFTERNOON = datetime(2026, 11, 18, 15, 40, tzinfo=SHANGHAI)
# A Monday before the crews are out: yesterday's work must all be finished or waiting.
MONDAY_MORNING = datetime(2026, 11, 16, 7, 50, tzinfo=SHANGHAI)


def _load(now: datetime, weeks: int, scale: float, settings: Any, tmp_path: Path) -> Any:
    from doorstep.demo import load_demo

    settings.MEDIA_ROOT = tmp_path
    ensure_policies()
    return load_demo(seed=7, weeks=weeks, scale=scale, now=now)


def _stale_visits(today: Any) -> list[str]:
    """Orders left en route or on site whose last step was before today."""
    from doorstep.orders.choices import Status
    from doorstep.orders.models import WorkOrder

    stale = []
    for order in WorkOrder.objects.filter(status__in=[Status.EN_ROUTE, Status.ON_SITE]):
        last = order.events.order_by("-seq").first()
        if last is None or last.occurred_at.astimezone(SHANGHAI).date() < today:
            stale.append(order.number)
    return stale


def test_a_small_demo_reads_like_a_well_run_crew(db: Any, settings: Any, tmp_path: Path) -> None:
    """One load (the expensive part), everything a newcomer would notice about it."""
    from doorstep.cli import main
    from doorstep.notifications.models import CLAIMABLE, Notification
    from doorstep.orders.choices import Status
    from doorstep.orders.models import WorkOrder

    with time_machine.travel(WEDNESDAY_AFTERNOON, tick=True):
        demo = _load(WEDNESDAY_AFTERNOON, 2, 0.3, settings, tmp_path)
    assert demo.failures == []

    # A few percent of each deadline missed, not half.
    shares = demo.breach_shares
    for name in ("contact", "arrival", "restore", "install", "close_out", "callback"):
        breached, total = shares[name]
        assert total >= 20, f"too few {name} clocks to judge: {shares}"
        assert breached / total < 0.10, f"{name}: {breached} of {total} breached"
    assert sum(b for b, _ in shares.values()) > 0, "a real crew misses a deadline now and then"
    assert main(["verify-history"]) == 0

    # Two full weeks and this one, both branches, the urban one busier, Mondays heaviest.
    reported = [
        (code, at.astimezone(SHANGHAI))
        for code, at in WorkOrder.objects.values_list("branch__code", "reported_at")
    ]
    by_branch = Counter(code for code, _ in reported)
    assert by_branch["GS"] > by_branch["TL"] > 0, by_branch
    monday = WEDNESDAY_AFTERNOON.date() - timedelta(days=WEDNESDAY_AFTERNOON.weekday() + 14)
    weeks = Counter((at.date() - monday).days // 7 for _, at in reported)
    assert sorted(weeks) == [0, 1, 2], weeks
    days = Counter(at.weekday() for _, at in reported if (at.date() - monday).days < 14)
    assert days[0] > days[6], f"Mondays carry the weekend's faults: {days}"

    # Last week's work is archived, mostly after a callback.
    old = WorkOrder.objects.filter(reported_at__lt=WEDNESDAY_AFTERNOON - timedelta(days=5))
    still_open = old.exclude(status__in=[Status.CLOSED, Status.CANCELLED]).count()
    assert still_open <= old.count() * 0.02, f"{still_open} of {old.count()} still open"
    called = old.filter(events__action="callback").distinct().count()
    assert called > old.count() * 0.7

    # Today: nothing left on the road from an earlier day, the open work in several states.
    assert _stale_visits(WEDNESDAY_AFTERNOON.date()) == []
    states = Counter(
        WorkOrder.objects.exclude(status__in=[Status.CLOSED, Status.CANCELLED]).values_list(
            "status", flat=True
        )
    )
    # Mid-afternoon: visits booked for later, visits done and waiting for their callback.
    assert {Status.SCHEDULED, Status.COMPLETED} <= set(states), states
    # The replayed worker sent the past weeks' messages when they were due.
    backlog = Notification.objects.filter(
        status__in=CLAIMABLE, available_at__lt=WEDNESDAY_AFTERNOON - timedelta(hours=1)
    )
    assert backlog.count() == 0


def test_loaded_before_the_crews_are_out_nothing_is_left_en_route(
    db: Any, settings: Any, tmp_path: Path
) -> None:
    with time_machine.travel(MONDAY_MORNING, tick=True):
        result = _load(MONDAY_MORNING, 1, 0.15, settings, tmp_path)
    assert result.failures == []
    assert _stale_visits(MONDAY_MORNING.date()) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


@pytest.mark.slow
def test_demo_serves_with_a_worker_beside_it_and_stops_both(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DOORSTEP_HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "PYTHONUNBUFFERED": "1",
    }
    port = _free_port()
    cmd = [sys.executable, "-m", "doorstep.cli", "demo", "--weeks", "0", "--scale", "0.05"]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port), "--workers", "1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    seen: list[str] = []
    worker_pid = None
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            found = re.search(r"worker is running beside it \(pid (\d+)\)", line)
            if found:
                worker_pid = int(found.group(1))
            if "Press Ctrl+C" in line:
                break
        output = "".join(seen)
        assert worker_pid is not None, output
        assert f"http://127.0.0.1:{port}/" in output and "tech01" in output, output
        assert _alive(worker_pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    for _ in range(50):
        if worker_pid is None or not _alive(worker_pid):
            break
        time.sleep(0.2)
    assert worker_pid is not None and not _alive(worker_pid), "the worker stops with the server"
