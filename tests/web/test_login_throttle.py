"""The web sign-in form counts failed logins per client address in the one rate limit the API's
token endpoint uses: past the limit it answers 429 with a Chinese message beside the form,
without checking the password, until the minute is over."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone

from doorstep.customers.models import RateCounter

IP = "203.0.113.40"


def sign_in(c: Client, username: str, password: str) -> Any:
    return c.post("/login/", {"username": username, "password": password})


def test_failed_logins_are_limited_per_address_with_a_message_beside_the_form(
    org: Any, settings: Any
) -> None:
    settings.REDIS_URL = ""
    settings.DOORSTEP_LOGIN_ATTEMPTS_PER_MINUTE = 2
    start = timezone.now().replace(second=5, microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(start, tick=False):
        c = Client(REMOTE_ADDR=IP)
        for _ in range(2):
            wrong = sign_in(c, "operator", "guess")
            assert wrong.status_code == 200 and "用户名或密码错误" in wrong.content.decode()
        # The right password is refused too while the address is over the limit.
        blocked = sign_in(c, "operator", "pw-operator")
        page = blocked.content.decode()
        assert blocked.status_code == 429
        assert "登录失败次数过多，请一分钟后再试" in page and 'value="operator"' in page
        assert "_auth_user_id" not in c.session
        # The count is kept in the shared store (here the database), not in this process.
        assert RateCounter.objects.filter(bucket__startswith=f"login:{IP}:").get().count == 2
        # Another address is not held back.
        assert (
            sign_in(Client(REMOTE_ADDR="203.0.113.41"), "operator", "pw-operator").status_code
            == 302
        )
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        ok = sign_in(c, "operator", "pw-operator")
        assert ok.status_code == 302 and "_auth_user_id" in c.session


def test_the_web_form_and_the_api_share_one_count(org: Any, settings: Any) -> None:
    settings.REDIS_URL = ""
    settings.DOORSTEP_LOGIN_ATTEMPTS_PER_MINUTE = 2
    start = timezone.now().replace(second=5, microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(start, tick=False):
        c = Client(REMOTE_ADDR=IP)
        body = json.dumps({"username": "operator", "password": "guess"})
        assert (
            c.post("/api/v1/auth/token", body, content_type="application/json").status_code == 401
        )
        assert sign_in(c, "dispatcher", "guess").status_code == 200
        assert sign_in(c, "dispatcher", "pw-dispatcher").status_code == 429
        good = json.dumps({"username": "operator", "password": "pw-operator"})
        assert (
            c.post("/api/v1/auth/token", good, content_type="application/json").status_code == 429
        )
