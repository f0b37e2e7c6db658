"""A real HTTP server on 127.0.0.1 standing in for the SMS provider or a webhook subscriber."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    port: int = 0  # the sender's side of the connection: one port, one kept-open connection

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    # "up" answers 200, "down" 503, "reject" 400; `check` may override with its own code.
    mode: str = "up"
    check: Callable[[Received], int] | None = None
    received: list[Received] = field(default_factory=list)
    accepted: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture(autouse=True)
def fresh_notice_cache() -> Iterator[None]:
    """Each test's database has its own templates and subscriptions."""
    from doorstep.notifications import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keeps the connection open, as providers do

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            got = Received(
                dict(self.headers.items()), self.rfile.read(length), self.client_address[1]
            )
            with state.lock:
                state.received.append(got)
                code = {"up": 200, "down": 503, "reject": 400}[state.mode]
                if code == 200 and state.check is not None:
                    code = state.check(got)
                if code == 200:
                    state.accepted[got.headers.get("Idempotency-Key", "")] += 1
            answer = json.dumps({"message_id": f"m-{len(state.received)}"}).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sms_provider(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Receiver:
    monkeypatch.setenv("DOORSTEP_SMS_URL", receiver.url)
    monkeypatch.setenv("DOORSTEP_SMS_KEY", "test-key")
    return receiver
