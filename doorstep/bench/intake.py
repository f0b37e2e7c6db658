"""`doorstep bench intake`: order intake through the HTTP API under concurrent load, against a
minimal endpoint that only inserts one row as wide as an order, in the same run.

For each database it makes a fresh one, migrates it, starts `doorstep serve` (gunicorn, N
workers) on a free loopback port, and drives both endpoints with the same number of concurrent
connections. The ratio is the figure to watch: these machines are shared and noisy.
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


def _bench_one(name: str, database_url: str, ns: argparse.Namespace) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix=f"doorstep-bench-{name}-"))
    try:
        token = _prepare(database_url, home)
        proc, base = _serve(database_url, home, ns.workers)
        try:
            auth = {"Authorization": f"Bearer {token}"}
            warm = max(ns.connections, 64)
            _load(f"{base}/api/v1/orders", auth, _order_body, ns.connections, warm, 201)
            _load(f"{base}/bench/baseline-insert", {}, _order_body, ns.connections, warm, 201)
            # Alternate the two so neither gets the quieter minute of a shared machine.
            runs: dict[str, list[Phase]] = {"doorstep": [], "baseline": []}
            for _ in range(ns.rounds):
                runs["doorstep"].append(
                    _load(
                        f"{base}/api/v1/orders", auth, _order_body, ns.connections, ns.requests, 201
                    )
                )
                runs["baseline"].append(
                    _load(
                        f"{base}/bench/baseline-insert",
                        {},
                        _order_body,
                        ns.connections,
                        ns.requests,
                        201,
                    )
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
        "errors": d.errors + b.errors,
        "requests": d.requests,
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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="doorstep bench intake")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=1000, help="per phase")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--json", action="store_true")
    ns = parser.parse_args(argv)
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
    print(
        f"intake: {ns.connections} connections, {ns.workers} server workers, "
        f"{ns.requests} requests per phase, best of {ns.rounds}"
    )
    print(
        f"{'db':<10}{'doorstep/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'baseline/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}"
    )
    for db, r in results.items():
        print(
            f"{db:<10}{r['doorstep_rps']:>12}{r['p50_ms']:>9}{r['p99_ms']:>9}{r['baseline_rps']:>12}"
            f"{r['baseline_p50_ms']:>9}{r['baseline_p99_ms']:>9}{r['ratio']:>8}"
        )
    return 0
