"""The organisation and open work that `doorstep bench load` puts under load, and the checks it
runs afterwards. Both run inside Django, in a subprocess of the bench (`python -m
doorstep.bench.load_setup prepare|check …`), against the bench's scratch database.

`prepare` loads the demo (one week of history, so the KPI pages have figures), grows the urban
branch 拱墅 to a large branch's crew (extra technicians in more teams, each with a territory),
gives it a backlog of open orders — some waiting for dispatch, most already with a technician,
their restore clocks falling due while the load runs, so the workers mark breaches as the
technicians race them — and writes every login the generator needs: an API token and a web
session per person.

`check` reads what the generator says was acknowledged (a 2xx answer reached it) and answers
whether the record holds all of it: every order and action, one order per intake key, the
history chains, at most one live breach and one ledger entry per clock, every message sent and
none twice.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

BRANCH = "GS"


def _session(user: Any) -> str:
    """A logged-in web session for `user`, made the way `django.contrib.auth.login` makes one
    (the bench does not go through the throttled login form 75 times)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return str(store.session_key)


def _grow_branch(technicians: int, rng: random.Random) -> list[Any]:
    """拱墅 gets `technicians` in all, in teams of ten, each with a territory of demo areas."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from doorstep.core.city import REGIONS
    from doorstep.demo.org import PASSWORD
    from doorstep.dispatch.models import Territory
    from doorstep.org.choices import Role, Skill
    from doorstep.org.models import Branch, Staff, Team

    User = get_user_model()
    branch = Branch.objects.get(code=BRANCH)
    region = next(r for r in REGIONS if r.branch_code == BRANCH)
    group = Group.objects.get(name=Role.TECHNICIAN)
    password = User.objects.get(username="tech01").password
    have = list(Staff.objects.filter(branch=branch, is_technician=True))
    skills = [str(Skill.BROADBAND), str(Skill.IPTV), str(Skill.FIXED_LINE)]
    for n in range(len(have) + 1, technicians + 1):
        team, _ = Team.objects.get_or_create(branch=branch, name=f"拱墅{(n - 1) // 10 + 1}组")
        user = User.objects.create(username=f"load{n:03d}", first_name=f"装维{n:03d}")
        user.password = password or PASSWORD
        user.save(update_fields=["password"])
        user.groups.add(group)
        area = region.areas[n % len(region.areas)]
        staff = Staff.objects.create(
            user=user,
            employee_no=f"ZJL{n:04d}",
            name=f"装维{n:03d}",
            phone=f"139{rng.randrange(10**7, 10**8)}",
            branch=branch,
            team=team,
            skills=skills,
            home_lat=area.lat,
            home_lng=area.lng,
            is_technician=True,
        )
        if team.lead_id is None:
            team.lead = user
            team.save(update_fields=["lead"])
        Territory.objects.create(
            branch=branch, technician=user, name=f"{staff.name}包片", area_codes=[area.code]
        )
        have.append(staff)
    return have


def _backlog(orders: int, techs: list[Any], run_seconds: float, rng: random.Random) -> int:
    """Open repairs of the branch: a tenth waiting for dispatch, the rest assigned (some
    accepted). Reported 24 h before a moment inside the coming run, so their restore clocks
    fall due while the load runs."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from doorstep.orders.actions import create_order, perform

    User = get_user_model()
    operator = User.objects.get(username="operator")
    dispatcher = User.objects.get(username="dispatcher")
    now = timezone.now()
    for i in range(orders):
        due_in = timedelta(seconds=30 + run_seconds * i / max(1, orders))
        order, _ = create_order(
            operator,
            {
                "kind": "repair",
                "fault_class": "line",
                "branch": BRANCH,
                "channel": "phone",
                "reported_at": (now - timedelta(hours=24) + due_in).isoformat(),
                "customer": {
                    "name": f"积压用户{i}",
                    "phone": f"138{i:08d}",
                    "address": f"杭州市拱墅区积压小区{i % 40 + 1}幢{i % 6 + 1}单元{i % 18 + 1}01室",
                },
                "symptom": "宽带无法上网，光猫 LOS 灯红色闪烁",
            },
        )
        if i % 10 == 0:
            continue
        tech = techs[i % len(techs)].user
        perform(order.pk, "assign", dispatcher, {"technician": tech.username})
        if i % 3 == 0:
            perform(order.pk, "accept", tech)
    return orders


def prepare(
    out: Path, technicians: int, orders: int, run_seconds: float, seed: int, scale: float
) -> None:
    from django.contrib.auth import get_user_model

    from doorstep.api.models import ApiToken
    from doorstep.demo import load_demo
    from doorstep.org.choices import Role

    rng = random.Random(seed)
    demo = load_demo(seed=seed, weeks=1, scale=scale)
    techs = _grow_branch(technicians, rng)
    _backlog(orders, techs, run_seconds, rng)
    User = get_user_model()

    def login(username: str) -> dict[str, str]:
        user = User.objects.get(username=username)
        return {"username": username, "token": ApiToken.issue(user)[1], "session": _session(user)}

    people: dict[str, list[dict[str, str]]] = {
        "technician": [login(s.user.username) for s in techs],
        "dispatcher": [login("dispatcher")],
        "operator": [login("operator")],
        "quality": [login("quality")],
        "manager": [login("manager")],
    }
    # The demo has one of each office role; a large branch on a bad day has several.
    for role, count in ((Role.DISPATCHER, 4), (Role.OPERATOR, 6), (Role.QUALITY, 3)):
        model = User.objects.get(username=str(role))
        for n in range(2, count + 1):
            user = User.objects.create(username=f"{role}{n}", password=model.password)
            user.groups.set(model.groups.all())
            staff = model.staff
            staff.pk = None
            staff.user = user
            staff.employee_no = f"{staff.employee_no}-{n}"
            staff.save()
            people[str(role)].append(login(user.username))
    out.write_text(
        json.dumps(
            {"people": people, "branch": BRANCH, "demo_orders": demo.orders, "backlog": orders}
        )
    )


def check(acks_path: Path, sink_path: Path) -> dict[str, Any]:
    """What the record holds of what was acknowledged; each list of problems should be empty."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from doorstep.notifications.models import DeliveryAttempt, Notification, Status
    from doorstep.orders.history import verify_history
    from doorstep.orders.idempotency import IdempotencyRecord
    from doorstep.orders.models import OrderEvent, WorkOrder
    from doorstep.standards.integrity import verify_ledger, verify_policy_history
    from doorstep.standards.models import Breach, Clock, Penalty

    run = json.loads(acks_path.read_text())
    acks, since = run["acks"], run["since"]
    sink = json.loads(sink_path.read_text())
    problems: dict[str, list[str]] = {}

    def problem(kind: str, text: str) -> None:
        problems.setdefault(kind, []).append(text)

    orders = {a["id"]: a for a in acks if a["what"] == "order"}
    found = dict(WorkOrder.objects.filter(pk__in=orders).values_list("pk", "number"))
    for pk, a in orders.items():
        if found.get(pk) != a["number"]:
            problem("acknowledged order missing", f"order {pk} ({a['number']})")
    # A retried intake (same key) never makes a second order: one order per customer phone.
    phones = [a["phone"] for a in orders.values()]
    twice = (
        WorkOrder.objects.filter(customer__phone__in=phones, created_at__gte=since)
        .values("customer__phone")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    for row in twice:
        problem("intake made twice", f"phone {row['customer__phone']}: {row['n']} orders")
    actions = [a for a in acks if a["what"] == "action"]
    have = set(
        OrderEvent.objects.filter(order_id__in={a["order"] for a in actions}).values_list(
            "order_id", "seq", "action"
        )
    )
    for a in actions:
        if (a["order"], a["seq"], a["action"]) not in have:
            problem("acknowledged action missing", f"order {a['order']} #{a['seq']} {a['action']}")
    keyed = [a for a in acks if a.get("key")]
    known = set(
        IdempotencyRecord.objects.filter(key__in=[a["key"] for a in keyed]).values_list(
            "key", flat=True
        )
    )
    for a in keyed:
        if a["key"] not in known:
            problem("idempotency record missing", a["key"])
    for altered in verify_history():
        problem("history", str(altered))
    for found_ in (*verify_ledger(), *verify_policy_history()):
        problem("ledger", str(found_))
    # No clock marked twice: one live breach per clock and one ledger entry per breach (the
    # database's constraints guard both; checked here all the same), and every breached clock
    # has its live breach.
    for row in (
        Breach.objects.filter(clock__isnull=False, void=False)
        .values("clock")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    ):
        problem("clock marked twice", f"clock {row['clock']}: {row['n']} live breaches")
    for row in (
        Penalty.raw.values("breach").annotate(n=Count("id")).filter(n__gt=1, breach__isnull=False)
    ):
        problem("breach charged twice", f"breach {row['breach']}: {row['n']} entries")
    unmarked = Clock.objects.filter(status="breached", stopped_at__isnull=True).exclude(
        breaches__void=False
    )
    for c in unmarked[:20]:
        problem("breached clock without its breach", f"clock {c.pk} of order {c.order_id}")
    # Messages: none lost (every notice owed is sent and reached the gateway), none twice.
    received: dict[str, int] = sink["received"]
    # After the drain nothing may still be claimed (sending), due and queued, or failed: the
    # bench's gateway never refuses, so a failed notice is one Doorstep could not send.
    owed = Q(status=Status.SENDING) | Q(status=Status.QUEUED, available_at__lte=timezone.now())
    for n in Notification.objects.filter(owed | Q(status=Status.FAILED)).select_related(
        "recipient"
    ):
        who = n.recipient.username if n.recipient else n.masked_to
        problem(
            "message not sent",
            f"notification {n.pk} ({n.kind} to {who}): {n.status} {n.error[:80]}",
        )
    sent = set(
        Notification.objects.filter(channel="sms", status=Status.SENT).values_list("pk", flat=True)
    )
    for pk in sent:
        if received.get(f"doorstep-notification-{pk}", 0) == 0:
            problem("message lost", f"notification {pk} marked sent, never reached the gateway")
    # Doorstep sending one notice twice would show as two successful tries recorded. A worker
    # killed after the gateway took a notice and before it recorded that leaves no record: the
    # notice is sent again when its lease ends, with the same Idempotency-Key, so a gateway
    # that honours keys delivers it once. Those repeats are counted apart (at most one per
    # worker killed: a worker sends one notice at a time).
    repeats = {k: n for k, n in received.items() if n > 1}
    sent_twice = (
        DeliveryAttempt.objects.filter(outcome="sent")
        .values("notification")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    for row in sent_twice:
        problem("message sent twice", f"notification {row['notification']}: {row['n']} sends")
    twice_sent = len(sent_twice)
    counts = {
        "orders_acknowledged": len(orders),
        "actions_acknowledged": len(actions),
        "notifications": Notification.objects.count(),
        "sms_sent": len(sent),
        "gateway_posts": sum(received.values()),
        "gateway_repeats": sum(n - 1 for n in repeats.values()),
        "notices_recorded_sent_twice": twice_sent,
        "breaches": Breach.objects.filter(void=False).count(),
        "breached_clocks": Clock.objects.filter(Q(status="breached")).count(),
        "ledger_entries": Penalty.raw.count(),
    }
    # A long list says the same thing many times: its count and the first ten.
    shown = {k: {"count": len(v), "first": v[:10]} for k, v in problems.items()}
    return {"counts": counts, "repeated_keys": repeats, "problems": shown}


def main(argv: list[str]) -> int:
    import django

    django.setup()
    if argv[0] == "prepare":
        prepare(
            Path(argv[1]), int(argv[2]), int(argv[3]), float(argv[4]), int(argv[5]), float(argv[6])
        )
        return 0
    if argv[0] == "check":
        print(json.dumps(check(Path(argv[1]), Path(argv[2])), ensure_ascii=False))
        return 0
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
