"""`doorstep bench load [--crash] [--json]`: a large branch on a bad day, against the real
server on PostgreSQL with two workers running, and (with `--crash`) with the server and each
worker killed by SIGKILL at random moments and started again.

1. A scratch PostgreSQL database is migrated and filled by `load_setup prepare`: the demo's
   week of history, the urban branch grown to a large branch's crew, a backlog of open orders
   whose restore clocks fall due during the run, and a login per person; then ANALYZE.
2. `doorstep serve` (gunicorn) starts against it, and the generator's ceiling is measured: the
   same locust generator and wrk against an answer with no database work (GET
   /api/v1/health), so the mixed load's figures are known to be the server's, not the
   generator's. Then two `doorstep worker` processes start; SMS go to a gateway in this
   process that answers like a provider and counts every post by its Idempotency-Key.
3. The mixed load (`loadgen.py`) runs for `--seconds`. With `--crash`, a chaos thread kills, at
   random moments, the whole server (gunicorn and its processes), one server process, or one of
   the workers, and starts what it killed again.
4. The server stops first (it finishes the requests it holds); the workers get the lease and a
   minute more to send what they owe (a notice claimed by a killed worker is sent again when
   its lease runs out), then stop, and `load_setup check` compares the record with what the
   generator was acknowledged; `doorstep verify-history` runs as the CLI.

Prints, per endpoint class, throughput and p50/p95/p99, errors (a 5xx, or a failure that was not
a dead server), requests that met a dead server (`unavail`: API calls are retried, an action
or intake with its key; page loads are abandoned), refusals (4xx, with the first message of each in the JSON), then the
CPU each process used, the database's growth and the checks.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from doorstep.bench.intake import _free_port, _parse_plain_wrk, migrated_scratch_database

GROWTH_TABLES = [
    "orders_workorder",
    "orders_orderevent",
    "standards_clock",
    "standards_breach",
    "standards_penalty",
    "notifications_notification",
    "notifications_deliveryattempt",
    "orders_idempotencyrecord",
    "orders_personaldataview",
    "orders_attachment",
]


class Sink:
    """An SMS provider on loopback: 200 with a message id for every post, each counted by its
    Idempotency-Key (what a provider that honours keys would deliver once)."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the standard library's name
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                key = self.headers.get("Idempotency-Key", "")
                with sink.lock:
                    sink.received[key] += 1
                body = json.dumps({"message_id": key}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def dump(self, path: Path) -> None:
        with self.lock:
            path.write_text(json.dumps({"received": dict(self.received)}))


class Processes:
    """The server and the workers, each in its own process group, so a kill takes all of a
    server's processes at once, as a crash of the machine's service would."""

    def __init__(
        self, env: dict[str, str], home: Path, port: int, server_workers: int, threads: int
    ) -> None:
        self.env = env
        self.threads = threads
        self.home = home
        self.port = port
        self.server_workers = server_workers
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.kills: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()  # set before the bench stops: no more kills

    def _log(self, name: str) -> Any:
        return open(self.home / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it

    def start(self, name: str) -> None:
        py = [sys.executable, "-m", "doorstep.cli"]
        if name == "server":
            args = [*py, "serve", "--port", str(self.port), "--workers", str(self.server_workers)]
            args += ["--threads", str(self.threads)]
        else:
            args = [*py, "worker", "--interval", "1"]
        log = self._log(name)
        self.procs[name] = subprocess.Popen(
            args, env=self.env, stdout=log, stderr=log, start_new_session=True
        )
        if name == "server":
            self.wait_for_server()

    def wait_for_server(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the server did not start in {timeout} s; see {self.home}/server.log")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self, name: str, rng: random.Random) -> None:
        """SIGKILL `name` (for the server: all its processes, or one of its workers) and start
        it again."""
        with self.lock:
            if self.stopping.is_set():
                return
            proc = self.procs[name]
            started = time.monotonic()
            what = name
            if name == "server" and rng.random() < 0.3:
                children = _children(proc.pid)
                if children:
                    os.kill(rng.choice(children), signal.SIGKILL)
                    self.kills.append({"what": "one server process", "at": time.time()})
                    return  # gunicorn starts another in its place
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            self.start(name)
            self.kills.append(
                {"what": what, "at": time.time(), "back_s": round(time.monotonic() - started, 2)}
            )

    def stop(self, *names: str) -> None:
        """SIGTERM `names` (default: all) and wait: gunicorn finishes the requests it holds, a
        worker its batch."""
        self.stopping.set()
        with self.lock:
            procs = [p for n, p in self.procs.items() if not names or n in names]
            for proc in procs:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


def cpu_seconds(pid: int) -> float:
    """CPU time of a process, its reaped children and its live descendants, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime, stime, cutime, cstime: fields 14–17 of proc(5), 11–14 after the name
    own = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(child) for child in _children(pid))


def _machine_busy() -> float:
    """Busy CPU seconds of the whole machine so far (all cores), from /proc/stat."""
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = parts[3] + parts[4]
    return (sum(parts[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _chaos(procs: Processes, seconds: float, every: float, rng: random.Random) -> None:
    """Kill something at random moments (exponential gaps, mean `every` s) until `seconds`."""
    ends = time.monotonic() + seconds
    targets: list[str] = []
    while True:
        gap = rng.expovariate(1 / every)
        if time.monotonic() + gap >= ends - 2 or procs.stopping.wait(gap):
            return
        if not targets:  # each round of four kills takes every process at least once
            targets = ["server", "server", "worker-1", "worker-2"]
            rng.shuffle(targets)
        procs.kill(targets.pop(), rng)


def _sql(database_url: str, query: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        cur = conn.execute(query)
        return list(cur.fetchall()) if cur.description else []


def _size(database_url: str) -> dict[str, Any]:
    union = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in GROWTH_TABLES)
    rows = dict(_sql(database_url, union))
    total = _sql(database_url, "SELECT pg_database_size(current_database())")[0][0]
    return {"bytes": int(total), "rows": {k: int(v) for k, v in rows.items()}}


def _unsent_messages(database_url: str) -> int:
    """Notices a worker still owes: queued and due, or claimed and not finished (a killed
    worker's claim counts until its lease runs out and another worker sends it)."""
    return int(
        _sql(
            database_url,
            "SELECT count(*) FROM notifications_notification "
            "WHERE (status = 'queued' AND available_at <= now()) OR status = 'sending'",
        )[0][0]
    )


def _generator(config: dict[str, Any], home: Path, name: str) -> dict[str, Any]:
    cfg, out = home / f"{name}.json", home / f"{name}.out.json"
    cfg.write_text(json.dumps(config, ensure_ascii=False))
    log = open(home / f"{name}.log", "wb")  # noqa: SIM115
    with log:
        subprocess.run(
            [sys.executable, "-m", "doorstep.bench.loadgen", str(cfg), str(out)],
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=float(config["seconds"]) + 300,
        )
    return dict(json.loads(out.read_text()))


def _wrk_ceiling(base: str, seconds: float) -> float | None:
    if shutil.which("wrk") is None:
        return None
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c32",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            f"{base}/api/v1/health",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return _parse_plain_wrk(out.stdout).rps


def _areas() -> list[str]:
    from doorstep.core.city import REGIONS

    return [a.code for r in REGIONS if r.branch_code == "GS" for a in r.areas]


def bench(ns: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(ns.seed)
    home = Path(tempfile.mkdtemp(prefix="doorstep-load-"))
    env, drop = migrated_scratch_database(f"doorstep_load_{os.getpid()}")
    sink = Sink()
    env.update(
        DOORSTEP_HOME=str(home),
        STATIC_ROOT=str(home / "static"),
        MEDIA_ROOT=str(home / "media"),
        DOORSTEP_FAST_HASHER="1",
        DOORSTEP_SMS_URL=sink.url,
        DOORSTEP_SMS_KEY="bench",
        # A notice claimed by a killed worker is taken again after this lease.
        DOORSTEP_OUTBOX_LEASE_SECONDS=str(ns.lease),
        # The lease must stay well above the gateway's timeout (sender.py).
        DOORSTEP_SMS_TIMEOUT_SECONDS="3",
        DOORSTEP_OUTBOX_BACKOFF_SECONDS="2",
    )
    procs = Processes(env, home, _free_port(), ns.server_workers, ns.server_threads)
    chaos: threading.Thread | None = None
    try:
        t0 = time.monotonic()
        people = home / "people.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "doorstep.bench.load_setup",
                "prepare",
                str(people),
                str(ns.technicians),
                str(ns.backlog),
                str(ns.seconds),
                str(ns.seed),
                str(ns.demo_scale),
            ],
            env=env,
            check=True,
        )
        # As autovacuum would have by now in production (it is off on some test machines):
        # without statistics the planner picks nested loops for the KPI queries.
        _sql(env["DATABASE_URL"], "ANALYZE")
        prepared_s = round(time.monotonic() - t0, 1)
        setup = json.loads(people.read_text())
        before = _size(env["DATABASE_URL"])
        procs.start("server")
        # The generator's own ceiling, before the workers start taking CPU.
        ceiling = _generator({"mode": "ceiling", "base": procs.base, "seconds": 5}, home, "ceiling")
        wrk_rps = _wrk_ceiling(procs.base, 5)
        procs.start("worker-1")
        procs.start("worker-2")
        cpu_before = {n: cpu_seconds(p.pid) for n, p in procs.procs.items()}
        busy_before = _machine_busy()
        config = {
            "base": procs.base,
            "seconds": ns.seconds,
            "seed": ns.seed,
            "people": setup["people"],
            "branch": setup["branch"],
            "areas": _areas(),
        }
        since = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        if ns.crash:
            chaos = threading.Thread(
                target=_chaos, args=(procs, ns.seconds, ns.kill_every, rng), daemon=True
            )
            chaos.start()
        load = _generator(config, home, "load")
        busy = _machine_busy() - busy_before
        cpu = {
            n: round(cpu_seconds(p.pid) - cpu_before.get(n, 0.0), 1) for n, p in procs.procs.items()
        }
        cpu["generator"] = load["cpu_s"]
        cpu["machine"] = round(busy, 1)
        if chaos is not None:
            chaos.join()
        # The server first: it finishes the requests it holds (their notices are queued by
        # then); then the workers get a lease and a minute to send what they owe.
        procs.stop("server")
        drain_started = time.monotonic()
        while (
            _unsent_messages(env["DATABASE_URL"])
            and time.monotonic() - drain_started < ns.lease + 60
        ):
            time.sleep(1)
        drained_s = round(time.monotonic() - drain_started, 1)
        procs.stop()
        sink_path = home / "sink.json"
        sink.dump(sink_path)
        acks_path = home / "acks.json"
        acks_path.write_text(json.dumps({"acks": load.pop("acks"), "since": since}))
        checked = subprocess.run(
            [
                sys.executable,
                "-m",
                "doorstep.bench.load_setup",
                "check",
                str(acks_path),
                str(sink_path),
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        checks = json.loads(checked.stdout.strip().splitlines()[-1])
        verify = subprocess.run(
            [sys.executable, "-m", "doorstep.cli", "verify-history"],
            env=env,
            capture_output=True,
            text=True,
        )
        after = _size(env["DATABASE_URL"])
        tracebacks = sum(
            (home / f"{n}.log").read_text(errors="replace").count("Traceback")
            for n in ("server", "worker-1", "worker-2")
        )
        return {
            "database": "postgresql",
            "mode": "crash" if ns.crash else "load",
            "seconds": load["seconds"],
            "users": load["users"],
            "server_workers": ns.server_workers,
            "server_threads": ns.server_threads,
            "workers": 2,
            "prepared_s": prepared_s,
            "backlog_orders": setup["backlog"],
            "generator_ceiling": {
                "locust_rps": ceiling["rps"],
                "wrk_rps": wrk_rps,
                "endpoint": "GET /api/v1/health",
            },
            "total": load["total"],
            "classes": load["classes"],
            "double_actions": load["double_actions"],
            "refusals": load["refusals"],
            # CPU seconds used during the load (a killed process's count is lost: crash mode
            # under-counts it); "machine" is every process on it, PostgreSQL included.
            "cpu_s": cpu,
            "kills": procs.kills,
            "drained_s": drained_s,
            "database_growth": {
                "bytes_before": before["bytes"],
                "bytes_after": after["bytes"],
                "rows": {
                    t: {"before": before["rows"][t], "after": after["rows"][t]}
                    for t in GROWTH_TABLES
                },
            },
            "checks": checks,
            "verify_history": {
                "exit": verify.returncode,
                "said": (verify.stdout + verify.stderr).strip()[-400:],
            },
            "tracebacks_in_logs": tracebacks,
            "logs": str(home),
        }
    finally:
        procs.stop()  # also stops the chaos thread's kills
        if chaos is not None:
            chaos.join()
        sink.server.shutdown()
        drop()
        if not ns.keep:
            shutil.rmtree(home, ignore_errors=True)


def report(r: dict[str, Any]) -> str:
    lines = [
        f"bench load ({r['mode']}): {r['seconds']} s on PostgreSQL, {sum(r['users'].values())} "
        f"people {r['users']}, {r['server_workers']} server processes × {r['server_threads']} threads, "
        f"{r['workers']} workers",
        f"generator ceiling on {r['generator_ceiling']['endpoint']}: locust "
        f"{r['generator_ceiling']['locust_rps']} req/s, wrk {r['generator_ceiling']['wrk_rps']} req/s",
        f"{'class':<26}{'req':>7}{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>7}{'err':>5}{'unavail':>8}  4xx",
    ]
    for name, c in sorted(r["classes"].items()):
        lines.append(
            f"{name:<26}{c['requests']:>7}{c['rps']:>8}{c['p50_ms']:>7.0f}{c['p95_ms']:>7.0f}"
            f"{c['p99_ms']:>7.0f}{c['errors']:>5}{c['retried']:>8}  {c['refused'] or ''}"
        )
    t = r["total"]
    lines.append(
        f"{'all':<26}{t['requests']:>7}{t['rps']:>8}{t['p50_ms']:>7.0f}{t['p95_ms']:>7.0f}"
        f"{t['p99_ms']:>7.0f}{t['errors']:>5}"
    )
    g = r["database_growth"]
    lines.append(
        f"database: {g['bytes_before'] / 1e6:.1f} MB → {g['bytes_after'] / 1e6:.1f} MB; rows "
        + ", ".join(
            f"{k.split('_', 1)[1]} +{v['after'] - v['before']}" for k, v in g["rows"].items()
        )
    )
    if r["mode"] == "load":  # in crash mode a killed process's count is lost
        lines.append(
            "CPU seconds during the load: "
            + ", ".join(f"{k} {v}" for k, v in r["cpu_s"].items())
            + f" (of {r['seconds'] * (os.cpu_count() or 1):.0f} on {os.cpu_count()} cores)"
        )
    if r["kills"]:
        lines.append(f"kills: {len(r['kills'])} " + str(Counter(k["what"] for k in r["kills"])))
    lines.append(f"checks: {r['checks']['counts']}")
    problems = r["checks"]["problems"]
    lines.append("problems: " + (json.dumps(problems, ensure_ascii=False) if problems else "none"))
    lines.append(
        f"verify-history: exit {r['verify_history']['exit']}: {r['verify_history']['said']}"
    )
    lines.append(f"tracebacks in the server and worker logs: {r['tracebacks_in_logs']}")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="doorstep bench load")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--technicians", type=int, default=60)
    parser.add_argument("--backlog", type=int, default=1200, help="open orders before the run")
    parser.add_argument("--demo-scale", type=float, default=1.0, help="the history's volume")
    parser.add_argument("--server-workers", type=int, default=3)
    parser.add_argument("--server-threads", type=int, default=1, help="as `serve --threads`")
    parser.add_argument("--crash", action="store_true", help="SIGKILL the server and workers")
    parser.add_argument("--kill-every", type=float, default=10.0, help="mean seconds between kills")
    parser.add_argument("--lease", type=int, default=15, help="outbox lease, seconds")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--keep", action="store_true", help="keep the logs folder")
    parser.add_argument("--json", action="store_true")
    return parser


def failed(result: dict[str, Any]) -> bool:
    """A problem in the checks, an altered history, or a replayed action done twice."""
    return bool(
        result["checks"]["problems"] or result["verify_history"]["exit"] or result["double_actions"]
    )


def main(argv: list[str]) -> int:
    ns = parser().parse_args(argv)
    result = bench(ns)
    print(json.dumps(result, ensure_ascii=False) if ns.json else report(result))
    return 1 if failed(result) else 0
