"""Database outage: the connection to PostgreSQL is cut under load and comes back.

A TCP proxy in this test stands between the processes and PostgreSQL (the shared server is never
stopped): the API server (gunicorn, two processes) and a `doorstep worker` reach the test database
only through it. While intake requests run, the proxy drops every open connection and refuses new
ones for CUT_SECONDS (5 s by default; the issue's 30 s by hand, see docs/reliability.md), then
accepts again. What a user would notice:

- during the cut every intake answers 503 in the API's error shape with Retry-After — Django
  answers, never a reset connection or a traceback; a page answers the Chinese 503 page;
- after the cut intake succeeds again within a few seconds, in the same server processes;
- nothing is half-written or lost: every acknowledged order exists with its history, retrying
  each refused request with its Idempotency-Key gives exactly one order per key, and
  `verify-history` finds nothing altered;
- the worker is still running and sends a message queued after the cut.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from doorstep.notifications.models import Notification
from doorstep.orders.history import verify_history
from doorstep.orders.models import OrderEvent, WorkOrder
from tests.conftest import repair_data

pytestmark = pytest.mark.django_db(transaction=True)

# DOORSTEP_TEST_OUTAGE_SECONDS=30 runs the full 30 s outage.
CUT_SECONDS = float(os.environ.get("DOORSTEP_TEST_OUTAGE_SECONDS", "5"))
UNAVAILABLE = {"error": {"code": "database_unavailable", "message": "数据库暂时不可用，请稍后重试"}}


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL; `cut()` drops every connection and refuses new
    ones (the listening socket is closed: connect() is refused, as with a stopped server);
    `restore()` listens on the same port again."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        self.listener = self._listen(0)
        self.port = self.listener.getsockname()[1]

    def _listen(self, port: int) -> socket.socket:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(64)
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()
        return s

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut: the listener was closed
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                self._close(s)

    def _close(self, s: socket.socket) -> None:
        with self.lock:
            self.open.discard(s)
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        s.close()

    def cut(self) -> None:
        # shutdown() first: on Linux a close() alone leaves a thread blocked in accept() on it
        # still accepting connections.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            live = list(self.open)
        for s in live:
            self._close(s)

    def restore(self) -> None:
        self.listener = self._listen(self.port)

    def close(self) -> None:
        self.cut()


@dataclass
class Answer:
    key: str
    started: float
    ended: float
    status: int  # 0: no HTTP answer at all (connection refused or reset)
    body: Any
    retry_after: str | None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def call(
    base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, dict[str, str]]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers or {})
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw, status, got = resp.read(), resp.status, dict(resp.headers)
    except urllib.error.HTTPError as err:
        raw, status, got = err.read(), err.code, dict(err.headers)
    ctype = got.get("Content-Type", "")
    return status, json.loads(raw) if ctype.startswith("application/json") else raw.decode(), got


def wait_until(check: Any, timeout: float, what: str) -> None:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def proxy() -> Any:
    if connection.vendor != "postgresql":
        pytest.skip("the outage is a lost PostgreSQL connection; SQLite is a local file")
    s = connection.settings_dict
    p = CuttableProxy((s["HOST"] or "127.0.0.1", int(s["PORT"] or 5432)))
    yield p
    p.close()


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)


def test_the_api_and_the_worker_ride_out_a_lost_database(
    org: Any, proxy: CuttableProxy, tmp_path: Path
) -> None:
    s = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{s['USER'] or 'postgres'}@127.0.0.1:{proxy.port}/{s['NAME']}",
        "DJANGO_SETTINGS_MODULE": "doorstep.settings",
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(
        [sys.executable, "-m", "gunicorn", "doorstep.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--timeout", "60"],
        env,
        tmp_path / "server.log",
    )  # fmt: skip
    worker = start(
        [sys.executable, "-m", "doorstep.cli", "worker", "--interval", "1"],
        env,
        tmp_path / "worker.log",
    )
    answers: list[Answer] = []
    stop = threading.Event()
    try:
        wait_until(lambda: _up(base), 30, "the server to answer")
        _, body, _ = call(
            base, "POST", "/api/v1/auth/token", {"username": "operator", "password": "pw-operator"}
        )
        auth = {"Authorization": f"Bearer {body['token']}"}

        def intake() -> None:
            while not stop.is_set():
                key = uuid.uuid4().hex
                began = time.monotonic()
                try:
                    status, got, headers = call(
                        base, "POST", "/api/v1/orders", repair_data(),
                        {**auth, "Idempotency-Key": key},
                    )  # fmt: skip
                except OSError as exc:  # no HTTP answer at all
                    status, got, headers = 0, repr(exc), {}
                answers.append(
                    Answer(key, began, time.monotonic(), status, got, headers.get("Retry-After"))
                )
                time.sleep(0.05)

        clients = [threading.Thread(target=intake, daemon=True) for _ in range(4)]
        for c in clients:
            c.start()
        time.sleep(3)
        cut_at = time.monotonic()
        proxy.cut()
        time.sleep(1)
        # A page (a session to look up) answers the Chinese 503 page.
        cookie = {"Cookie": "sessionid=" + "a" * 32}
        page_status, page, page_headers = call(base, "GET", "/", headers=cookie)
        time.sleep(max(0.0, CUT_SECONDS - (time.monotonic() - cut_at)))
        proxy.restore()
        back_at = time.monotonic()
        time.sleep(6)
        stop.set()
        for c in clients:
            c.join(timeout=40)

        assert page_status == 503 and "数据库暂时不可用" in page, page
        assert page_headers.get("Retry-After")
        assert {a.status for a in answers} <= {201, 503}, [
            (a.status, a.body) for a in answers if a.status not in (201, 503)
        ]
        refused = [a for a in answers if a.status == 503]
        assert all(a.body == UNAVAILABLE and a.retry_after for a in refused)
        inside = [a for a in answers if a.started > cut_at + 0.5 and a.ended < back_at]
        assert inside and all(a.status == 503 for a in inside), [
            (a.started - cut_at, a.ended - cut_at, a.status) for a in inside if a.status != 503
        ]
        assert any(a.status == 201 and a.ended < cut_at for a in answers)
        first_ok = min(a.ended for a in answers if a.status == 201 and a.started > back_at)
        assert first_ok - back_at < 5, first_ok - back_at

        # Nothing half-written: every acknowledged order exists with its history.
        created = [a.body["id"] for a in answers if a.status == 201]
        assert WorkOrder.objects.filter(pk__in=created).count() == len(created)
        assert not WorkOrder.objects.exclude(pk__in=OrderEvent.objects.values("order_id")).exists()
        # A refused request retried with its key gives its one order: none lost, none doubled.
        for a in refused:
            status, got, _ = call(
                base, "POST", "/api/v1/orders", repair_data(), {**auth, "Idempotency-Key": a.key}
            )
            assert status == 201, got
        assert WorkOrder.objects.count() == len({a.key for a in answers})
        assert list(verify_history()) == []

        # The worker rode it out and works again: a message queued now goes out.
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        note = Notification.objects.create(
            kind="test", channel="console", to_phone="13800000000", body="恢复后的通知",
            available_at=timezone.now(),
        )  # fmt: skip
        wait_until(
            lambda: Notification.objects.get(pk=note.pk).status == "sent",
            30,
            "the worker to send a message after the outage",
        )
        log = (tmp_path / "worker.log").read_text()
        assert log.count("database unavailable") == 1 and "database back after" in log, log
        assert "Traceback" not in (tmp_path / "server.log").read_text()
        print(
            f"\noutage {CUT_SECONDS:.0f} s: {len(answers)} intakes, "
            f"{len(created)} acknowledged, {len(refused)} answered 503, "
            f"first 201 {first_ok - back_at:.2f} s after the database came back; worker: "
            + next(line for line in log.splitlines() if "database back after" in line)
        )
    finally:
        stop.set()
        for p in (server, worker):
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def _up(base: str) -> bool:
    try:
        return call(base, "GET", "/api/v1/openapi.json")[0] == 200
    except OSError:
        return False
