"""`doorstep bench intake`'s load generator: wrk's report is read right, and its Lua script sends
valid order bodies with the token and counts answers that are not 201."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from doorstep.bench.intake import WRK_SCRIPT, _parse_plain_wrk, _wrk

WRK_REPORT = """Running 1s test @ http://127.0.0.1:18765/
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.55ms    4.26ms  31.52ms   81.61%
    Req/Sec   390.55     67.48   490.00     70.00%
  Latency Distribution
     50%    4.13ms
     75%    7.41ms
     90%   10.98ms
     99%    1.19s
  799 requests in 1.03s, 2.92MB read
Requests/sec:    775.67
Transfer/sec:      2.83MB
"""


def test_wrks_own_report_gives_rate_and_percentiles() -> None:
    phase = _parse_plain_wrk(WRK_REPORT)
    assert (phase.rps, phase.p50_ms, phase.p99_ms, phase.requests) == (775.67, 4.1, 1190.0, 799)


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_the_wrk_script_posts_orders_with_the_token_and_counts_refusals(tmp_path: Path) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((self.headers.get("Authorization", ""), body))
            # Every third answer refuses: the script must count those as errors.
            self.send_response(201 if len(seen) % 3 else 409)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    script = tmp_path / "intake.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/orders"
        phase = _wrk(url, "tok-123", connections=2, seconds=1, script=script)
    finally:
        server.shutdown()
    # wrk stops with up to one request per connection sent and not yet answered.
    assert phase.requests >= 10 and len(seen) - 2 <= phase.requests <= len(seen)
    assert abs(phase.errors - len(seen) // 3) <= 2
    auth, body = seen[0]
    assert auth == "Bearer tok-123"
    assert body["kind"] == "repair" and body["customer"]["name"] == "压测用户"
    phones = {b["customer"]["phone"] for _, b in seen}
    assert len(phones) > len(seen) * 0.9 and all(len(p) == 11 for p in phones)
