"""`doorstep bench clocks`: one worker pass over many open orders, against a plain count.

On a fresh PostgreSQL database it builds N open orders with their restore clocks (deadlines
ahead) plus a set of contact clocks that have just fallen due, then times one worker pass that
finds and marks them (breach, penalty, next escalation) and, in the same run, a plain SQL
COUNT of those rows through the same partial index.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

from doorstep.bench.intake import _pg_database

BUILD = """
import json, sys, time
from datetime import timedelta
import django
django.setup()
from django.contrib.auth.models import Group, User
from django.db import connection
from django.utils import timezone
from doorstep.org.models import Branch, Customer, Staff
from doorstep.standards.models import Policy

n, due = int(sys.argv[1]), int(sys.argv[2])
b = Branch.objects.create(code="GS", name="拱墅营维中心", region_type="urban")
op = User.objects.create_user("bench-op", password="x")
tech = User.objects.create_user("bench-tech", password="x")
tech.groups.add(Group.objects.get(name="technician"))
Staff.objects.create(user=tech, employee_no="T1", name="T", branch=b, is_technician=True)
Customer.objects.bulk_create([Customer(branch=b, name=f"C{i}", phone="13800000000", address="杭州市拱墅区")
                              for i in range(1000)])
c0 = Customer.objects.order_by("id").first().pk
restore = Policy.objects.filter(key="clock.restore", fault_class="line").first().pk
contact = Policy.objects.filter(key="clock.contact").first().pk
now = timezone.now()
with connection.cursor() as cur:
    cur.execute('''
      INSERT INTO orders_workorder (number, kind, fault_class, status, suspended_from, branch_id, customer_id,
        symptom, product, channel, reported_at, received_by_id, area_code, technician_id, created_at, updated_at,
        version, event_count, history_head)
      SELECT 'GS-B-' || g, 'repair', 'line', 'dispatched', '', %s, %s + (g %% 1000), 'x', '', 'api',
        %s - make_interval(secs => g %% 3600), %s, '', %s, %s, %s, 1, 1, ''
      FROM generate_series(1, %s) g''', [b.pk, c0, now, op.pk, tech.pk, now, now, n])
    cur.execute('''
      INSERT INTO standards_clock (order_id, name, status, policy_id, started_at, duration_seconds, pauses,
        deadline, paused_seconds, technician_id, warn_at, next_check_at, claimed_by, created_at)
      SELECT id, 'restore', 'running', %s, reported_at, 86400, '[]', reported_at + interval '24 hours', 0, %s,
        reported_at + interval '19 hours', reported_at + interval '19 hours', '', %s
      FROM orders_workorder''', [restore, tech.pk, now])
    # The ones that just fell due: contact clocks that ended a minute or so ago.
    cur.execute('''
      INSERT INTO standards_clock (order_id, name, status, policy_id, started_at, duration_seconds, pauses,
        deadline, paused_seconds, technician_id, warn_at, warned_at, next_check_at, claimed_by, created_at)
      SELECT id, 'contact', 'running', %s, %s - interval '31 minutes', 1800, '[]', %s - interval '1 minute', 0, %s,
        %s - interval '7 minutes', %s - interval '7 minutes', %s - interval '1 minute', '', %s
      FROM orders_workorder ORDER BY id LIMIT %s''', [contact, now, now, tech.pk, now, now, now, now, due])
    cur.execute("ANALYZE")
print(json.dumps({"now": now.isoformat()}))
"""

MEASURE = """
import json, sys, time
import django
django.setup()
from django.db import connection
from django.utils.dateparse import parse_datetime
from doorstep.worker import Worker

now = parse_datetime(sys.argv[1])
with connection.cursor() as cur:
    cur.execute("EXPLAIN SELECT count(*) FROM standards_clock WHERE next_check_at <= %s", [now])
    plan = " ".join(r[0] for r in cur.fetchall())
    best = None
    for _ in range(5):
        t = time.perf_counter()
        cur.execute("SELECT count(*) FROM standards_clock WHERE next_check_at <= %s", [now])
        count = cur.fetchone()[0]
        spent = time.perf_counter() - t
        best = spent if best is None else min(best, spent)
from django.db import transaction
find = None
for _ in range(3):
    with transaction.atomic():
        t = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("SELECT id FROM standards_clock WHERE next_check_at <= %s AND status = 'running' "
                        "AND deadline <= %s ORDER BY next_check_at LIMIT 10000 FOR UPDATE SKIP LOCKED", [now, now])
            cur.fetchall()
        spent = time.perf_counter() - t
        transaction.set_rollback(True)
    find = spent if find is None else min(find, spent)
worker = Worker(name="bench")
t = time.perf_counter()
marked = worker.sweep_clocks(now)
sweep = time.perf_counter() - t
with connection.cursor() as cur:
    cur.execute("SELECT count(*) FROM standards_breach")
    breaches = cur.fetchone()[0]
print(json.dumps({"sweep_s": round(sweep, 4), "baseline_s": round(best, 4), "ratio": round(sweep / best, 1),
                  "find_s": round(find, 4),
                  "marked": marked, "counted": count, "breaches": breaches, "index_used": "clock_due" in plan}))
"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="doorstep bench clocks")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--json", action="store_true")
    ns = parser.parse_args(argv)
    url, drop = _pg_database(f"doorstep_bench_clocks_{os.getpid()}")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "doorstep.settings",
        "DOORSTEP_HTTPS": "0",
    }
    try:
        subprocess.run(
            [sys.executable, "-m", "doorstep.cli", "migrate", "-v", "0"], env=env, check=True
        )
        t = time.perf_counter()
        built = subprocess.run(
            [sys.executable, "-c", BUILD, str(ns.orders), str(ns.due)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        build_s = time.perf_counter() - t
        now = json.loads(built.stdout.strip().splitlines()[-1])["now"]
        out = subprocess.run(
            [sys.executable, "-c", MEASURE, now],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        drop()
    if ns.json:
        print(json.dumps({k: result[k] for k in ("sweep_s", "baseline_s", "ratio", "marked")}))
        return 0
    print(
        f"clocks: {ns.orders:,} open orders, {ns.due:,} clocks newly due (built in {build_s:.0f} s)"
    )
    print(
        f"  worker pass  : {result['sweep_s'] * 1000:9.1f} ms  marked {result['marked']:,} "
        f"({result['breaches']:,} breaches + penalties)"
    )
    print(
        f"  plain COUNT  : {result['baseline_s'] * 1000:9.1f} ms  counted {result['counted']:,} "
        f"(partial index clock_due used: {result['index_used']})"
    )
    print(f"  ratio        : {result['ratio']}×")
    print(
        f"  of which the claim (SELECT … FOR UPDATE SKIP LOCKED, same index): "
        f"{result['find_s'] * 1000:.1f} ms = {result['find_s'] / result['baseline_s']:.1f}× the count; "
        "the rest is writing the breaches and ledger entries"
    )
    return 0
