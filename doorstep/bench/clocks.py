"""`doorstep bench clocks`: one worker pass over many open orders, against the same writes
done by hand-written SQL.

On a fresh PostgreSQL database it builds N open orders with their restore clocks (deadlines
ahead) plus a set of contact clocks that have just fallen due. Then, alternating and best of
N, it times one worker pass that claims and marks them (breach with evidence, priced and
hashed ledger entry, next check) and one hand-written statement that claims the same clocks
with FOR UPDATE SKIP LOCKED, marks them, and inserts the same breach and ledger rows. Between
runs the clocks are put back and the written rows removed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

from doorstep.bench.intake import migrated_scratch_database

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
from doorstep.bench.clocks import BASELINE, RESET, VACUUM
from doorstep.worker import Worker

now, rounds, batch = parse_datetime(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
due = int(sys.argv[4])


def reset():
    with connection.cursor() as cur:
        for statement in RESET:
            cur.execute(statement)
        for statement in VACUUM:
            cur.execute(statement)


def counts():
    with connection.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM standards_breach), (SELECT count(*) FROM standards_penalty)")
        return cur.fetchone()


sweeps, baselines, marked, written = [], [], 0, {}
for _ in range(rounds):
    reset()
    t = time.perf_counter()
    marked = Worker(name="bench", batch=batch).sweep_clocks(now)
    sweeps.append(time.perf_counter() - t)
    written["sweep"] = counts()
    reset()
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(BASELINE, {"now": now, "due": due})
    baselines.append(time.perf_counter() - t)
    written["baseline"] = counts()
sweep, baseline = min(sweeps), min(baselines)
print(json.dumps({"sweep_s": round(sweep, 4), "baseline_s": round(baseline, 4),
                  "ratio": round(sweep / baseline, 2), "marked": marked,
                  "written": written, "sweeps": sweeps, "baselines": baselines}))
"""

# Between runs: the due contact clocks back to running, the rows the run wrote gone.
RESET = [
    "TRUNCATE standards_penaltychange, standards_penalty, standards_breach",
    "UPDATE standards_clock SET status = 'running', breached_at = NULL, escalated_at = NULL, "
    "next_check_at = deadline WHERE name = 'contact'",
]
VACUUM = ["VACUUM ANALYZE standards_clock", "VACUUM ANALYZE standards_breach"]

# The same writes as the worker's pass, by hand: claim the due clocks, mark them breached,
# insert their breach rows (with evidence) and their ledger rows (priced, hashed).
BASELINE = """
WITH due AS (
    SELECT id FROM standards_clock
    WHERE next_check_at <= %(now)s AND status = 'running' AND deadline <= %(now)s
    ORDER BY next_check_at LIMIT %(due)s FOR UPDATE SKIP LOCKED
), marked AS (
    UPDATE standards_clock c SET status = 'breached', breached_at = c.deadline,
           next_check_at = %(now)s + interval '1 microsecond'
    FROM due WHERE c.id = due.id
    RETURNING c.id, c.order_id, c.technician_id, c.deadline, c.started_at, c.paused_seconds
), b AS (
    INSERT INTO standards_breach (order_id, rule, clock_id, technician_id, branch_id,
                                  occurred_at, evidence, void, created_at)
    SELECT m.order_id, 'R1', m.id, m.technician_id, o.branch_id, m.deadline,
           jsonb_build_object('clock', 'contact', 'started_at', m.started_at,
                              'deadline', m.deadline, 'stopped_at', NULL,
                              'paused_seconds', m.paused_seconds, 'marked_at', %(now)s,
                              'marked_by', 'baseline'),
           false, %(now)s
    FROM marked m JOIN orders_workorder o ON o.id = m.order_id
    RETURNING id, order_id, technician_id, branch_id
)
INSERT INTO standards_penalty (order_id, breach_id, rule, amount, technician_id, branch_id,
                               initial_status, reason, policy_id, policy_version, created_at,
                               hash)
SELECT b.order_id, b.id, 'R1', 10, b.technician_id, b.branch_id, 'open', '30分钟联系 超时',
       NULL, NULL, %(now)s,
       encode(sha256(convert_to(concat_ws(chr(31), b.order_id, b.id, '', 'R1', '10.00',
              b.technician_id, b.branch_id, '30分钟联系 超时', %(now)s, '', '', '', 'open'),
              'UTF8')), 'hex')
FROM b
"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="doorstep bench clocks")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="best of N, alternating")
    parser.add_argument("--batch", type=int, default=1000, help="the worker's batch size")
    ns = parser.parse_args(argv)
    env, drop = migrated_scratch_database(f"doorstep_bench_clocks_{os.getpid()}")
    try:
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
            [sys.executable, "-c", MEASURE, now, str(ns.rounds), str(ns.batch), str(ns.due)],
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
    breaches, entries = result["written"]["sweep"]
    print(
        f"  worker pass      : {result['sweep_s'] * 1000:9.1f} ms  marked {result['marked']:,} "
        f"({breaches:,} breaches, {entries:,} ledger entries; batches of {ns.batch:,})"
    )
    breaches, entries = result["written"]["baseline"]
    print(
        f"  hand-written SQL : {result['baseline_s'] * 1000:9.1f} ms  "
        f"({breaches:,} breaches, {entries:,} ledger entries; one statement)"
    )
    print(f"  ratio            : {result['ratio']}×  (best of {ns.rounds}, alternating)")
    return 0
