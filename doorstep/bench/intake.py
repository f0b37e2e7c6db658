"""`doorstep bench intake`: order intake through the HTTP API under concurrent load, against a
minimal endpoint that only inserts one row as wide as an order, in the same run.

For each database it makes a fresh one, migrates it, starts `doorstep serve` (gunicorn, N
workers) on a free loopback port, and drives both endpoints with the same load generator:
`wrk -t2 -c32` (Debian's wrk, a C program, with a Lua script that POSTs a fresh order body per
request), so the generator is not what limits either figure. Without wrk it says so on stderr and
falls back to a Python generator (httpx threads), which on a small machine takes CPU from the
server. Each database's answer also gives `empty_rps`, what the same server and generator reach
for an answer with no database work (GET /api/v1/health): the ceiling of the stack.

The ratio is the figure to watch: these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"

# wrk's Lua side: a POST of a fresh order (new phone number) per request, Bearer token from the
# first script argument; done() prints one JSON line the bench reads back.
WRK_SCRIPT = r"""
local threads = {}
local count = 0
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(os.time() * 100 + id)
  bad = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[1] ~= nil and args[1] ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. args[1]
  end
end
function request()
  count = count + 1
  local phone = string.format("13%d%08d", math.random(0, 9), math.random(10000000, 99999999))
  local body = string.format(
    '{"kind":"repair","fault_class":"line","customer":{"name":"压测用户","phone":"%s",'
    .. '"address":"杭州市拱墅区大关小区%d幢%d单元%d01室"},'
    .. '"symptom":"光猫 LOS 灯红色闪烁，无法上网","channel":"api"}',
    phone, count % 40 + 1, count % 6 + 1, count % 18 + 1)
  return wrk.format(nil, nil, nil, body)
end
function response(status, headers, body)
  if status ~= 201 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local bad_total = 0
  for _, t in ipairs(threads) do bad_total = bad_total + t:get("bad") end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bad":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, bad_total,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass
class Phase:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(database_url: str, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DOORSTEP_HOME=str(home),
        DOORSTEP_HTTPS="0",
        DOORSTEP_BENCH_ENDPOINTS="1",
        DOORSTEP_FAST_HASHER="1",
        DJANGO_SETTINGS_MODULE="doorstep.settings",
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


SETUP = """
from django.contrib.auth.models import Group, User
from doorstep.api.models import ApiToken
from doorstep.bench.baseline import ensure_table
ensure_table()
from doorstep.org.models import Branch, Staff
b = Branch.objects.create(code="GS", name="拱墅营维中心", region_type="urban")
u = User.objects.create_user("bench-operator", password="x")
u.groups.add(Group.objects.get(name="operator"))
Staff.objects.create(user=u, employee_no="B0001", name="压测", branch=b)
print(ApiToken.issue(u)[1])
"""


def _prepare(database_url: str, home: Path) -> str:
    env = _env(database_url, home)
    py = sys.executable
    _run([py, "-m", "doorstep.cli", "migrate", "-v", "0"], env)
    return _run([py, "-c", "import django; django.setup()\n" + SETUP], env).strip().splitlines()[-1]


def _serve(database_url: str, home: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = _env(database_url, home)
    env["STATIC_ROOT"] = str(home / "static")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "doorstep.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("server did not start in 60 s")


def _order_body(rng: random.Random, i: int) -> dict[str, Any]:
    return {
        "kind": "repair",
        "fault_class": "line",
        "customer": {
            "name": "压测用户",
            "phone": f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
            "address": f"杭州市拱墅区大关小区{i % 40 + 1}幢{i % 6 + 1}单元{i % 18 + 1}01室",
        },
        "symptom": "光猫 LOS 灯红色闪烁，无法上网",
        "channel": "api",
    }


def _load(
    url: str,
    headers: dict[str, str],
    make_body: Callable[[random.Random, int], dict[str, Any]],
    connections: int,
    total: int,
    expect: int,
) -> Phase:
    counter = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0

    def worker(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        with httpx.Client(timeout=30, headers=headers) as client:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                body = make_body(rng, i)
                began = time.perf_counter()
                try:
                    ok = client.post(url, json=body).status_code == expect
                except httpx.HTTPError:
                    ok = False
                spent = time.perf_counter() - began
                with lock:
                    latencies.append(spent)
                    if not ok:
                        errors += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else latencies * 99
    return Phase(
        rps=round((len(latencies) - errors) / wall, 1),
        p50_ms=round(statistics.median(latencies) * 1000, 1),
        p99_ms=round(q[98] * 1000, 1),
        errors=errors,
        requests=len(latencies),
    )


def _wrk(
    url: str, token: str, connections: int, seconds: float, script: Path | None, threads: int = 2
) -> Phase:
    """Drive `url` with wrk for `seconds`; with `script`, POSTs of order bodies expecting 201."""
    # wrk counts an answer slower than its timeout (2 s by default) as an error and leaves it out
    # of the latencies: on a loaded machine the server's slow answers must still be measured.
    args = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
    ]
    if script is not None:
        args += ["-s", str(script), url, "--", token]
    else:
        args += ["--latency", url]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=seconds + 60)
    if script is None:
        return _parse_plain_wrk(out.stdout)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    errors = r["bad"] + r["socket_errors"]
    return Phase(
        rps=round((r["requests"] - r["bad"]) / (r["duration_us"] / 1e6), 1),
        p50_ms=round(r["p50_us"] / 1000, 1),
        p99_ms=round(r["p99_us"] / 1000, 1),
        errors=errors,
        requests=r["requests"],
    )


def _parse_plain_wrk(text: str) -> Phase:
    """wrk's own report, for the GET without a script: Requests/sec and the latency lines."""

    def ms(value: str) -> float:
        units = {"us": 0.001, "ms": 1.0, "s": 1000.0}
        for unit in ("us", "ms", "s"):
            if value.endswith(unit):
                return round(float(value[: -len(unit)]) * units[unit], 1)
        return float(value)

    fields: dict[str, str] = {}
    requests = 0
    for line in text.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            fields["rps"] = parts[1]
        elif len(parts) == 2 and parts[0] in ("50%", "99%"):
            fields[parts[0]] = parts[1]
        elif "requests in" in line:
            requests = int(parts[0])
    return Phase(
        rps=float(fields.get("rps", 0)),
        p50_ms=ms(fields.get("50%", "0ms")),
        p99_ms=ms(fields.get("99%", "0ms")),
        errors=0,
        requests=requests,
    )


def _bench_one(name: str, database_url: str, ns: argparse.Namespace) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix=f"doorstep-bench-{name}-"))
    use_wrk = shutil.which("wrk") is not None and not ns.no_wrk
    script = home / "intake.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    runs: dict[str, list[Phase]] = {"doorstep": [], "baseline": []}
    empty: Phase | None = None
    try:
        token = _prepare(database_url, home)
        proc, base = _serve(database_url, home, ns.workers)
        endpoints = {
            "doorstep": f"{base}/api/v1/orders",
            "baseline": f"{base}/bench/baseline-insert",
        }
        auth = {"Authorization": f"Bearer {token}"}
        try:
            if use_wrk:
                empty = _wrk(f"{base}/api/v1/health", "", ns.connections, ns.warmup, None)
                for url in endpoints.values():  # warm: connections, caches, plans
                    _wrk(url, token, ns.connections, ns.warmup, script)
                # Alternate the two so neither gets the quieter minute of a shared machine.
                for _ in range(ns.rounds):
                    for which, url in endpoints.items():
                        runs[which].append(_wrk(url, token, ns.connections, ns.seconds, script))
            else:
                warm = max(ns.connections, 64)
                for url in endpoints.values():
                    _load(url, auth, _order_body, ns.connections, warm, 201)
                for _ in range(ns.rounds):
                    for which, url in endpoints.items():
                        runs[which].append(
                            _load(url, auth, _order_body, ns.connections, ns.requests, 201)
                        )
        finally:
            proc.terminate()
            proc.wait(15)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    d = max(runs["doorstep"], key=lambda p: p.rps)
    b = max(runs["baseline"], key=lambda p: p.rps)
    return {
        "doorstep_rps": d.rps,
        "baseline_rps": b.rps,
        "ratio": round(d.rps / b.rps, 3) if b.rps else 0.0,
        "p50_ms": d.p50_ms,
        "p99_ms": d.p99_ms,
        "baseline_p50_ms": b.p50_ms,
        "baseline_p99_ms": b.p99_ms,
        "empty_rps": empty.rps if empty else None,
        "errors": d.errors + b.errors,
        "requests": d.requests,
        "generator": (
            f"wrk -t2 -c{ns.connections} -d{round(ns.seconds)}s"
            if use_wrk
            else f"httpx, {ns.connections} threads"
        ),
        "server_workers": ns.workers,
    }


def _pg_database(name: str) -> tuple[str, Callable[[], None]]:
    import psycopg

    admin = os.environ.get("DOORSTEP_BENCH_PG_ADMIN", PG_ADMIN_URL)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return admin.rsplit("/", 1)[0] + f"/{name}", drop


def migrated_scratch_database(name: str) -> tuple[dict[str, str], Callable[[], None]]:
    """A throw-away PostgreSQL database with every migration applied, the environment that
    points a `doorstep` subprocess at it, and the function that drops it (call it in a
    `finally`)."""
    url, drop = _pg_database(name)
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
    except BaseException:
        drop()
        raise
    return env, drop


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="doorstep bench intake")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase, with wrk")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds per endpoint, with wrk")
    parser.add_argument("--requests", type=int, default=1000, help="per phase, without wrk")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-wrk", action="store_true", help="use the Python generator")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--json", action="store_true")
    ns = parser.parse_args(argv)
    if shutil.which("wrk") is None and not ns.no_wrk:
        print(
            "wrk not found (apt-get install wrk): falling back to the Python load generator, "
            "which competes with the server for CPU; the figures are lower bounds.",
            file=sys.stderr,
        )
    results: dict[str, Any] = {}
    for db in [d.strip() for d in ns.databases.split(",") if d.strip()]:
        if db == "sqlite":
            tmp = Path(tempfile.mkdtemp(prefix="doorstep-bench-db-"))
            try:
                results["sqlite"] = _bench_one("sqlite", f"sqlite:///{tmp / 'bench.sqlite3'}", ns)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        elif db == "postgres":
            url, drop = _pg_database(f"doorstep_bench_{os.getpid()}")
            try:
                results["postgres"] = _bench_one("postgres", url, ns)
            finally:
                drop()
        else:
            parser.error(f"unknown database {db}")
    if ns.json:
        print(json.dumps(results))
        return 0
    first: dict[str, Any] = next(iter(results.values()), {})
    print(f"intake: {first.get('generator', '')}, {ns.workers} server workers, best of {ns.rounds}")
    print(
        f"{'db':<10}{'doorstep/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'baseline/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}"
    )
    for db, r in results.items():
        print(
            f"{db:<10}{r['doorstep_rps']:>12}{r['p50_ms']:>9}{r['p99_ms']:>9}{r['baseline_rps']:>12}"
            f"{r['baseline_p50_ms']:>9}{r['baseline_p99_ms']:>9}{r['ratio']:>8}"
        )
    return 0
