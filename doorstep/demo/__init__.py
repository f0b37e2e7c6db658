"""The demo: an organisation and weeks of its work, replayed through the action layer.

`load_demo` builds the two branches and their people (`org`), then replays every report from
the first day of the span up to the real "now" in time order (`replay`), each order worked the
way a well-run crew works it (`crew`), with the worker's duties running every quarter of an
hour of replayed time. Histories, hash chains, clocks, breaches, the penalty ledger and the
outbox are what live use would have left; `doorstep verify-history` passes on them.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from faker import Faker

from doorstep.core.errors import DoorstepError
from doorstep.demo.crew import Crew
from doorstep.demo.org import OFFICE_USERS, PASSWORD, build_customers, build_org
from doorstep.demo.replay import Replay
from doorstep.orders.choices import Status
from doorstep.orders.models import WorkOrder

__all__ = ["PASSWORD", "DemoResult", "load_demo", "breach_shares"]

# Subscribers per branch at full scale: enough that orders rarely hit the same line twice.
CUSTOMERS = {"GS": 2400, "TL": 900}


@dataclass
class DemoResult:
    orders: int = 0
    weeks: int = 0
    seconds: float = 0.0
    states: dict[str, int] = field(default_factory=dict)
    breach_shares: dict[str, tuple[int, int]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    message: str = ""

    def __str__(self) -> str:
        if self.message:
            return self.message
        states = ", ".join(f"{s}={n}" for s, n in self.states.items() if n)
        shares = ", ".join(
            f"{name} {breached}/{total} ({breached / total:.1%})"
            for name, (breached, total) in self.breach_shares.items()
            if total
        )
        lines = [
            f"Demo loaded in {self.seconds:.0f} s: {self.orders} orders over {self.weeks} weeks "
            f"and today ({states}).",
            f"Deadlines missed, per clock: {shares}.",
        ]
        if self.failures:
            lines.append(f"{len(self.failures)} demo steps were refused, first: {self.failures[0]}")
        return "\n".join(lines)


def breach_shares() -> dict[str, tuple[int, int]]:
    """Per clock name: (breached, met + breached) over every clock that has an outcome."""
    from doorstep.standards.choices import ClockStatus
    from doorstep.standards.models import Clock

    out: dict[str, list[int]] = {}
    rows = Clock.objects.filter(status__in=[ClockStatus.MET, ClockStatus.BREACHED]).values_list(
        "name", "status"
    )
    for name, status in rows:
        pair = out.setdefault(name, [0, 0])
        pair[1] += 1
        pair[0] += status == ClockStatus.BREACHED
    return {name: (b, t) for name, (b, t) in sorted(out.items())}


def _duties(branches: dict[str, Any], dispatcher: Any) -> Any:
    """What runs every quarter hour of replayed time: the worker's round (clock sweep,
    outbox, planning jobs) and, at the branches' hand-over times, the dispatcher signing for
    what the desk handed over (R21)."""
    from doorstep.dispatch.services import sign_for
    from doorstep.notifications.models import CLAIMABLE, Notification
    from doorstep.standards.models import Clock
    from doorstep.worker import Worker

    worker = Worker(name="demo")

    def run(now: datetime) -> None:
        # A round with nothing due does nothing; most night hours are such rounds.
        due = (
            Clock.objects.filter(next_check_at__lte=now).exists()
            or Notification.objects.filter(status__in=CLAIMABLE, available_at__lte=now).exists()
        )
        if due:
            worker.tick(now)
        for branch in branches.values():
            local = timezone.localtime(now, timezone.get_default_timezone())
            if f"{local:%H:%M}" in (branch.handover_times or []):
                sign_for(branch, dispatcher)

    return run


def load_demo(
    seed: int = 7,
    weeks: int = 8,
    reset: bool = False,
    scale: float = 1.0,
    now: datetime | None = None,
) -> DemoResult:
    """Load the organisation and `weeks` full weeks of history plus this week up to `now`.
    `scale` multiplies the daily volume and the customer base (tests load a small demo)."""
    existing = WorkOrder.objects.count()
    if existing and not reset:
        return DemoResult(
            message=f"Demo data already loaded ({existing} orders); use --reset to rebuild."
        )
    if reset and existing:
        raise DoorstepError(
            "--reset needs an empty database: delete doorstep.sqlite3 and run again"
        )
    started = time.monotonic()
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    now = now or timezone.now()
    tz = timezone.get_default_timezone()
    today = timezone.localtime(now, tz).date()
    monday = today - timedelta(days=today.weekday() + 7 * weeks)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=tz)
    with transaction.atomic():
        org = build_org(rng, fake)
        counts = {code: max(60, round(n * scale)) for code, n in CUSTOMERS.items()}
        customers = build_customers(rng, fake, org["branches"], counts)
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=[u[0] for u in OFFICE_USERS])}
    replay = Replay(now, _duties(org["branches"], users["dispatcher"]))
    crew = Crew(rng, fake, replay, users, org["techs"], customers, start, now)
    crew.plan(org["branches"], scale)
    # The console gateway would print every message of the past weeks; they were "sent" then.
    quiet = logging.getLogger("doorstep.notifications")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        replay.run()
    finally:
        quiet.setLevel(level)
    states = Counter(WorkOrder.objects.values_list("status", flat=True))
    return DemoResult(
        orders=crew.orders,
        weeks=weeks,
        seconds=time.monotonic() - started,
        states={s: states.get(s, 0) for s in Status.values},
        breach_shares=breach_shares(),
        failures=replay.failures,
    )
