"""The one rate limit: per client address, shared by every process (Redis or the database),
429 on the public pages and in the API's error shape on the token endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from doorstep.customers import throttle
from doorstep.customers.badges import badge_of
from doorstep.org.models import Staff

REDIS = os.environ.get("DOORSTEP_TEST_REDIS", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]


def redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except Exception:
        return False


def database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def hits_in_another_process(scope: str, ident: str, times: int, redis_url: str) -> int:
    """Count `times` requests from a separate Python process; return its last total."""
    code = (
        "import django; django.setup()\n"
        "from doorstep.customers.throttle import count\n"
        f"for _ in range({times}): n = count({scope!r}, {ident!r}, 86400)\n"
        "from django.db import connection; connection.close()\n"
        "print(n)\n"
    )
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="doorstep.settings",
        DATABASE_URL=database_url(),
        REDIS_URL=redis_url,
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend", ["database", "redis"])
def test_two_processes_share_one_count(backend: str, settings: Any) -> None:
    if backend == "redis" and not redis_up():
        pytest.skip("no Redis at " + REDIS)
    settings.REDIS_URL = REDIS if backend == "redis" else ""
    scope, ident = f"test-{uuid.uuid4().hex[:8]}", "198.51.100.7"
    assert hits_in_another_process(scope, ident, 3, settings.REDIS_URL) == 3
    assert throttle.count(scope, ident, 86400) == 4
    # A fresh client (a new connection pool) sees the same count.
    throttle._redis.cache_clear()
    assert throttle.count(scope, ident, 86400, add=0) == 4
    assert throttle.over_limit(scope, ident, 4, 86400)


@pytest.mark.django_db
def test_the_public_pages_answer_429_past_the_limit_and_show_nothing(
    org: Any, settings: Any
) -> None:
    settings.REDIS_URL = ""
    settings.DOORSTEP_PUBLIC_REQUESTS_PER_MINUTE = 3
    url = "/b/" + badge_of(Staff.objects.get(user=org.tech)).slug
    c = Client(REMOTE_ADDR="203.0.113.9")
    assert [c.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]
    blocked = c.get(url).content.decode()
    assert "Tech" not in blocked
    # Customer links count in the same budget; another address is not affected.
    assert c.get("/c/abcdefghijklmnop").status_code == 429
    assert Client(REMOTE_ADDR="203.0.113.10").get(url).status_code == 200


@pytest.mark.django_db
def test_the_last_four_check_has_its_own_tighter_limit(org: Any, settings: Any) -> None:
    settings.REDIS_URL = ""
    settings.DOORSTEP_BADGE_CHECKS_PER_HOUR = 2
    url = "/b/" + badge_of(Staff.objects.get(user=org.tech)).slug
    c = Client(REMOTE_ADDR="203.0.113.11")
    codes = [c.post(url, {"last_four": f"{n:04d}"}).status_code for n in range(3)]
    assert codes == [200, 200, 429]
    assert c.get(url).status_code == 200  # the card itself still shows


@pytest.mark.django_db
def test_the_token_endpoint_answers_429_in_the_api_error_shape(org: Any, settings: Any) -> None:
    settings.REDIS_URL = ""
    settings.DOORSTEP_LOGIN_ATTEMPTS_PER_MINUTE = 2
    c = Client(REMOTE_ADDR="203.0.113.12")

    def token(user: str, password: str) -> Any:
        body = json.dumps({"username": user, "password": password})
        return c.post("/api/v1/auth/token", data=body, content_type="application/json")

    # Guessing across usernames from one address is counted together.
    assert token("operator", "x").status_code == 401
    assert token("dispatcher", "x").status_code == 401
    blocked = token("operator", "pw-operator")
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "too_many_requests"
    other = Client(REMOTE_ADDR="203.0.113.13")
    body = json.dumps({"username": "operator", "password": "pw-operator"})
    ok = other.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert ok.status_code == 200
