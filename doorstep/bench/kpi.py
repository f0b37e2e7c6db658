"""`doorstep bench kpi`: the monthly KPI report for every branch, against one hand-written SQL.

On a fresh PostgreSQL database it generates N closed orders spread over 2025 (four branches,
200 technicians) with what the KPIs read: their clocks (contact, first reply, restore or
install, arrival), their events (close-out with a rating, callbacks, crew reschedules,
complaints), repeat orders, ledger entries for the breached clocks (every tenth exempted) and
each branch's subscriber counts. Everything is set-based SQL (`INSERT … SELECT
generate_series`) derived from the row number alone, so the same N gives the same rows.

It then times `kpi_report("branch", "month", …)` for June 2025 and one hand-written SQL
statement computing the same figures over the same rows, checks that both agree, and prints
`{"report_s", "baseline_s", "ratio", "orders"}` (best of three runs of each).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from typing import Any

from doorstep.bench.intake import migrated_scratch_database

BRANCHES = ["GS", "TL", "XH", "BJ"]
PER_BRANCH = 50  # technicians
MONTH = date(2025, 6, 1)
LOADED = [
    "orders_workorder",
    "standards_clock",
    "orders_orderevent",
    "standards_penalty",
    "standards_penaltychange",
]

# Pseudo-random but reproducible numbers from the row number g (0 ≤ r < 1000).
R1 = "mod(g * 2654435761, 1000)"
R2 = "mod(g * 40503, 1000)"
R3 = "mod(g * 97 + g / 7, 1000)"

ORDERS = f"""
INSERT INTO orders_workorder (id, number, kind, fault_class, status, suspended_from, branch_id,
  customer_id, symptom, product, channel, reported_at, received_by_id, approved_deadline, area_code,
  technician_id, appointment_start, appointment_end, repeat_of_id, created_at, updated_at,
  completed_at, closed_at, version, event_count, history_head)
SELECT g, 'B' || g,
  CASE WHEN {R1} < 700 THEN 'repair' WHEN {R1} < 900 THEN 'install' ELSE 'move' END,
  CASE WHEN {R1} >= 700 THEN '' WHEN {R2} < 800 THEN 'line' ELSE 'network' END,
  'closed', '', (%(branches)s::bigint[])[1 + mod(g, 4)], %(c0)s + mod(g, 1000), '', '', 'phone',
  t.reported, %(op)s, NULL, '',
  (%(techs)s::bigint[])[1 + mod(g, 4) * {PER_BRANCH} + mod(g / 4, {PER_BRANCH})],
  t.reported + interval '4 hours', t.reported + interval '5 hours',
  CASE WHEN mod({R2}, 25) = 0 AND g > 4 AND {R1} < 700 THEN g - 4 END,
  t.reported, t.reported,
  t.reported + interval '1 hour' * (5 + mod({R1} * 7, 25)),
  t.reported + interval '1 hour' * (30 + mod({R1} * 7, 25)), 1, 4, ''
FROM generate_series(1::bigint, %(n)s::bigint) g,
  LATERAL (SELECT %(year)s::timestamptz + interval '1 second' * ((g - 1) * (31536000.0 / %(n)s))
           AS reported) t
"""

# One INSERT per clock; `g` is the order id, so the same formulas hold.
CLOCK = """
INSERT INTO standards_clock (order_id, name, status, started_at, duration_seconds, fixed_deadline,
  pauses, deadline, paused_seconds, stopped_at, technician_id, breached_at, claimed_by, failure,
  created_at)
SELECT id, '{name}', CASE WHEN x.stop > x.due THEN 'breached' ELSE 'met' END, x.start, {duration},
  {fixed}, '[]', x.due, 0, x.stop, technician_id, CASE WHEN x.stop > x.due THEN x.due END, '', '',
  x.start
FROM (SELECT id AS g, * FROM orders_workorder WHERE {where}) o,
  LATERAL (SELECT {start} AS start, {due} AS due, {stop} AS stop) x
"""
CLOCKS = {
    "contact": dict(
        where="true",
        start="reported_at + interval '5 minutes'",
        due="reported_at + interval '35 minutes'",
        stop=f"reported_at + interval '5 minutes' + interval '1 minute' * mod({R2}, 40)",
        duration="1800",
        fixed="NULL",
    ),
    "first_reply": dict(
        where="kind = 'repair'",
        start="reported_at",
        due="reported_at + interval '8 hours'",
        stop=f"reported_at + interval '5 minutes' + interval '1 minute' * mod({R2}, 40)",
        duration="28800",
        fixed="NULL",
    ),
    "restore": dict(
        where="kind = 'repair'",
        start="reported_at",
        due="reported_at + CASE WHEN fault_class = 'line' THEN interval '24 hours' "
        "ELSE interval '36 hours' END",
        stop="completed_at",
        duration="CASE WHEN fault_class = 'line' THEN 86400 ELSE 129600 END",
        fixed="NULL",
    ),
    "install": dict(
        where="kind <> 'repair'",
        start="reported_at",
        due="reported_at + interval '24 hours'",
        stop="completed_at",
        duration="86400",
        fixed="NULL",
    ),
    "arrival": dict(
        where="true",
        start="reported_at + interval '10 minutes'",
        due="appointment_start",
        stop=f"appointment_start - interval '15 minutes' + interval '1 minute' * mod({R3}, 25)",
        duration="NULL",
        fixed="appointment_start",
    ),
}

EVENTS = f"""
INSERT INTO orders_orderevent (order_id, seq, action, from_status, to_status, actor_id, actor_role,
  occurred_at, recorded_at, payload, prev_hash, hash, seal, salt, erased)
SELECT id, e.seq, e.action, '', 'completed', technician_id, 'technician', e.at, e.at, e.payload, '', '',
  0, '', '{{}}'::jsonb
FROM (SELECT id AS g, * FROM orders_workorder) o,
  LATERAL (VALUES
    (1, 'complete', completed_at,
     jsonb_build_object('rating', 5 - mod({R1}, 7) / 2, 'resolution', 'x'), true),
    (2, 'callback', completed_at + interval '20 hours',
     jsonb_build_object('score', 10 - mod({R3}, 4), 'satisfied', true), {R2} < 500),
    (3, 'reschedule', reported_at + interval '2 hours',
     jsonb_build_object('requested_by', 'crew', 'reason', 'x'), {R3} < 50),
    (4, 'complain', completed_at + interval '30 hours',
     jsonb_build_object('channel', 'hotline'), mod({R1}, 100) = 7)
  ) AS e(seq, action, at, payload, wanted)
WHERE e.wanted
"""

PENALTIES = """
INSERT INTO standards_penalty (order_id, rule, amount, technician_id, branch_id, initial_status,
  reason, created_at, hash)
SELECT c.order_id,
  CASE c.name WHEN 'contact' THEN 'R1' WHEN 'first_reply' THEN 'R2' WHEN 'restore' THEN 'R4'
    WHEN 'install' THEN 'R5' ELSE 'R6' END,
  10, c.technician_id, o.branch_id, 'open', '', c.stopped_at, ''
FROM standards_clock c JOIN orders_workorder o ON o.id = c.order_id
WHERE c.status = 'breached'
"""
EXEMPTIONS = """
INSERT INTO standards_penaltychange (penalty_id, seq, kind, status_after, at, note, prev_hash, hash)
SELECT id, 1, 'exempt', 'exempted', created_at + interval '1 day', '', '', ''
FROM standards_penalty WHERE mod(id, 10) = 0
"""

# The same figures as kpi_report("branch", "month", …), written by hand.
BASELINE = """
WITH c AS (
  SELECT o.branch_id,
    count(*) FILTER (WHERE c.name = 'install') AS install_n,
    count(*) FILTER (WHERE c.name = 'install' AND c.status = 'met') AS install_hit,
    count(*) FILTER (WHERE c.name = 'restore') AS restore_n,
    count(*) FILTER (WHERE c.name = 'restore' AND c.status = 'met') AS restore_hit,
    count(*) FILTER (WHERE c.name = 'contact') AS contact_n,
    count(*) FILTER (WHERE c.name = 'contact' AND c.status = 'met') AS contact_hit,
    count(*) FILTER (WHERE c.name = 'first_reply') AS reply_n,
    count(*) FILTER (WHERE c.name = 'first_reply' AND c.status = 'met') AS reply_hit,
    count(*) FILTER (WHERE c.name = 'arrival') AS arrival_n,
    count(*) FILTER (WHERE c.name = 'arrival' AND c.status = 'met') AS arrival_hit,
    count(*) FILTER (WHERE c.name = 'arrival' AND c.stopped_at <= c.fixed_deadline - %(lead)s)
      AS early_hit
  FROM standards_clock c JOIN orders_workorder o ON o.id = c.order_id
  WHERE c.status IN ('met', 'breached') AND c.stopped_at >= %(start)s AND c.stopped_at < %(end)s
  GROUP BY o.branch_id
), w AS (
  SELECT branch_id, count(*) AS orders,
    count(*) FILTER (WHERE kind = 'repair') AS ftf_n,
    count(*) FILTER (WHERE kind = 'repair' AND NOT r.repeated) AS ftf_hit,
    count(*) FILTER (WHERE kind IN ('install', 'move', 'repair')) AS repeat_n,
    count(*) FILTER (WHERE kind IN ('install', 'move', 'repair') AND r.repeated) AS repeat_hit
  FROM orders_workorder w,
    LATERAL (SELECT EXISTS (SELECT 1 FROM orders_workorder x WHERE x.repeat_of_id = w.id)
             AS repeated) r
  WHERE completed_at >= %(start)s AND completed_at < %(end)s
  GROUP BY branch_id
), e AS (
  SELECT o.branch_id,
    count(*) FILTER (WHERE e.action = 'reschedule' AND e.payload ->> 'requested_by' = 'crew')
      AS crew,
    avg((e.payload ->> 'rating')::int) FILTER (WHERE e.action = 'complete') AS rating,
    avg((e.payload ->> 'score')::int) FILTER (WHERE e.action = 'callback') AS score,
    count(*) FILTER (WHERE e.action = 'complain') AS complaints
  FROM orders_orderevent e JOIN orders_workorder o ON o.id = e.order_id
  WHERE e.action IN ('complete', 'callback', 'reschedule', 'complain')
    AND e.occurred_at >= %(start)s AND e.occurred_at < %(end)s
  GROUP BY o.branch_id
), p AS (
  SELECT branch_id,
    sum(amount) FILTER (WHERE status IN ('open', 'appealed', 'upheld')) AS charged,
    sum(amount) FILTER (WHERE status = 'exempted') AS exempted
  FROM (SELECT p.branch_id, p.amount,
          coalesce((SELECT ch.status_after FROM standards_penaltychange ch
                    WHERE ch.penalty_id = p.id ORDER BY ch.seq DESC LIMIT 1), p.initial_status)
            AS status
        FROM standards_penalty p
        WHERE p.created_at >= %(start)s AND p.created_at < %(end)s) p
  GROUP BY branch_id
)
SELECT b.code, w.orders,
  c.install_hit::float / nullif(c.install_n, 0), c.restore_hit::float / nullif(c.restore_n, 0),
  c.contact_hit::float / nullif(c.contact_n, 0), c.reply_hit::float / nullif(c.reply_n, 0),
  c.arrival_hit::float / nullif(c.arrival_n, 0), c.early_hit::float / nullif(c.arrival_n, 0),
  e.crew, w.ftf_hit::float / nullif(w.ftf_n, 0), w.repeat_hit::float / nullif(w.repeat_n, 0),
  e.rating::float, e.score::float, e.complaints * 10000.0 / s.count, p.charged, p.exempted
FROM org_branch b
  LEFT JOIN c ON c.branch_id = b.id LEFT JOIN w ON w.branch_id = b.id
  LEFT JOIN e ON e.branch_id = b.id LEFT JOIN p ON p.branch_id = b.id
  LEFT JOIN kpis_subscribercount s ON s.branch_id = b.id AND s.month = %(month)s
ORDER BY b.code
"""

COLUMNS = [
    "orders",
    "install_on_time_rate",
    "restore_on_time_rate",
    "contact_30min_rate",
    "first_reply_8h_rate",
    "on_time_arrival_rate",
    "early_arrival_rate",
    "crew_reschedules",
    "first_time_fix_rate",
    "repeat_fault_rate",
    "onsite_satisfaction",
    "callback_satisfaction",
    "complaints_per_10k",
    "penalty_yuan",
    "exempted_yuan",
]


def build(n: int) -> dict[str, Any]:
    """Generate the rows (run inside a process set up for the bench database)."""
    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction

    from doorstep.kpis.models import SubscriberCount
    from doorstep.org.models import Branch, Customer, Staff, Team

    timings: dict[str, float] = {}
    with transaction.atomic():
        branches = [
            Branch.objects.create(code=code, name=f"{code}营维中心", region_type="urban")
            for code in BRANCHES
        ]
        op = User.objects.create(username="bench-op", password="!")
        group = Group.objects.get(name="technician")
        # Unusable passwords: hashing 200 real ones would take minutes on a busy machine.
        users = User.objects.bulk_create(
            [
                User(username=f"{b.code.lower()}-t{i:02d}", password="!")
                for b in branches
                for i in range(PER_BRANCH)
            ]
        )
        group.user_set.add(*users)
        staff = []
        for j, b in enumerate(branches):
            teams = [Team.objects.create(branch=b, name=f"{b.code}-{i}") for i in range(5)]
            for i in range(PER_BRANCH):
                staff.append(
                    Staff(
                        user=users[j * PER_BRANCH + i],
                        employee_no=f"{b.code}{i:03d}",
                        name=f"{b.code} 装维 {i}",
                        branch=b,
                        team=teams[i % 5],
                        is_technician=True,
                    )
                )
        Staff.objects.bulk_create(staff)
        techs = [u.pk for u in users]
        Customer.objects.bulk_create(
            [
                Customer(branch=branches[i % 4], name=f"C{i}", phone="13800000000", address="杭州")
                for i in range(1000)
            ]
        )
        c0 = Customer.objects.order_by("id").values_list("id", flat=True)[0]
        for b in branches:
            for m in range(1, 13):
                SubscriberCount.objects.create(branch=b, month=date(2025, m, 1), count=250_000)
    params: dict[str, Any] = {
        "n": n,
        "branches": [b.pk for b in branches],
        "techs": techs,
        "op": op.pk,
        "c0": c0,
        "year": "2025-01-01T00:00:00+08:00",
    }
    with connection.cursor() as cur:
        # A bulk load, as one restores a dump: the rows are consistent by construction, so
        # foreign-key triggers are off for this session, and the secondary indexes are built
        # once at the end rather than maintained row by row.
        cur.execute("SET session_replication_role = replica")
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [LOADED],
        )
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        t = time.perf_counter()
        cur.execute(ORDERS, params)
        cur.execute("SELECT setval('orders_workorder_id_seq', %s)", [n])
        timings["orders_s"] = time.perf_counter() - t
        t = time.perf_counter()
        for name, parts in CLOCKS.items():
            cur.execute(CLOCK.format(name=name, **parts))
        timings["clocks_s"] = time.perf_counter() - t
        t = time.perf_counter()
        cur.execute(EVENTS)
        timings["events_s"] = time.perf_counter() - t
        t = time.perf_counter()
        cur.execute(PENALTIES)
        cur.execute(EXEMPTIONS)
        timings["ledger_s"] = time.perf_counter() - t
        t = time.perf_counter()
        for _, definition in indexes:
            cur.execute(definition)
        cur.execute("SET session_replication_role = origin")
        timings["indexes_s"] = time.perf_counter() - t
        cur.execute("ANALYZE")
    return {k: round(v, 1) for k, v in timings.items()}


def measure(rounds: int = 3) -> dict[str, Any]:
    """Time the KPI report and the hand-written baseline over the same rows; they must agree."""
    from datetime import datetime
    from datetime import time as dtime
    from zoneinfo import ZoneInfo

    from django.db import connection

    from doorstep.kpis.compute import early_arrival_lead, kpi_report, next_period

    zone = ZoneInfo("Asia/Shanghai")
    params: dict[str, Any] = {
        "start": datetime.combine(MONTH, dtime.min, tzinfo=zone),
        "end": datetime.combine(next_period("month", MONTH), dtime.min, tzinfo=zone),
        "lead": early_arrival_lead(),
        "month": MONTH,
    }
    report_s: list[float] = []
    baseline_s: list[float] = []
    report: Any = None
    baseline: list[Any] = []
    for _ in range(rounds):
        t = time.perf_counter()
        report = kpi_report("branch", "month", MONTH)
        report_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(BASELINE, params)
            baseline = cur.fetchall()
        baseline_s.append(time.perf_counter() - t)
    ours = {r.key: [r.metrics[c] for c in COLUMNS] for r in report.rows}
    totals = {"orders", "crew_reschedules", "penalty_yuan", "exempted_yuan"}
    theirs = {
        row[0]: [
            float(v) if v is not None else (0.0 if c in totals else None)
            for c, v in zip(COLUMNS, row[1:], strict=True)
        ]
        for row in baseline
    }
    agree = all(
        (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-9)
        for key in ours
        for a, b in zip(ours[key], theirs.get(key, [None] * len(COLUMNS)), strict=True)
    )
    return {
        "report_s": round(min(report_s), 3),
        "baseline_s": round(min(baseline_s), 3),
        "ratio": round(min(report_s) / min(baseline_s), 2),
        "agree": agree,
        "orders_in_month": sum(int(r.metrics["orders"] or 0) for r in report.rows),
    }


def _run(code: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    script = "import json, sys, django\ndjango.setup()\n" + code
    out = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="doorstep bench kpi")
    parser.add_argument("--orders", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    ns = parser.parse_args(argv)
    env, drop = migrated_scratch_database(f"doorstep_bench_kpi_{os.getpid()}")
    try:
        t = time.perf_counter()
        built = _run(
            "from doorstep.bench.kpi import build\nprint(json.dumps(build(int(sys.argv[1]))))",
            env,
            str(ns.orders),
        )
        build_s = time.perf_counter() - t
        result = _run(
            "from doorstep.bench.kpi import measure\nprint(json.dumps(measure(int(sys.argv[1]))))",
            env,
            str(ns.rounds),
        )
    finally:
        drop()
    if ns.json:
        out = {k: result[k] for k in ("report_s", "baseline_s", "ratio")}
        print(json.dumps({**out, "orders": ns.orders}))
        return 0 if result["agree"] else 1
    print(f"kpi: {ns.orders:,} orders over 2025, built in {build_s:.0f} s {built}")
    print(
        f"  monthly report, every branch ({MONTH:%Y-%m}, {result['orders_in_month']:,} orders "
        f"closed): {result['report_s'] * 1000:9.1f} ms"
    )
    print(f"  hand-written SQL, same figures        : {result['baseline_s'] * 1000:9.1f} ms")
    print(f"  ratio {result['ratio']}×; figures agree: {result['agree']}")
    return 0 if result["agree"] else 1
