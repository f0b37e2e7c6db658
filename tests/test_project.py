"""Project-level guarantees: migrations complete, deploy checks, query budgets of hot paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from doorstep.orders.actions import create_order, perform
from tests.conftest import bearer, repair_data


def test_every_model_change_has_its_migration(db: Any) -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_the_deploy_checks_pass_with_production_settings(tmp_path: Any) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "0",
        "DOORSTEP_HTTPS": "1",
        "ALLOWED_HOSTS": "doorstep.example.com",
        "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
        "DOORSTEP_HOME": str(tmp_path),
        "DOORSTEP_MANIFEST_STATIC": "1",
    }
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "doorstep.cli",
            "manage",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("count", [3, 30])
def test_the_order_list_costs_the_same_queries_for_3_or_30_orders(
    org: Any, count: int, django_assert_max_num_queries: Any
) -> None:
    for _ in range(count):
        order, _ = create_order(org.operator, repair_data())
        perform(order.pk, "assign", org.dispatcher, {"technician": "tech"})
    c = Client()
    h = bearer("dispatcher")
    with django_assert_max_num_queries(6):
        assert c.get("/api/v1/orders", {"page_size": 50}, headers=h).status_code == 200
    assert c.login(username="dispatcher", password="pw-dispatcher")
    with django_assert_max_num_queries(14):
        assert c.get("/orders/").status_code == 200


def test_intake_over_the_api_stays_within_its_query_budget(
    org: Any, django_assert_max_num_queries: Any
) -> None:
    c = Client()
    h = bearer("operator")
    body = json.dumps(repair_data())
    # The first call also stamps the token's last use and loads the policy cache.
    assert (
        c.post("/api/v1/orders", data=body, content_type="application/json", headers=h).status_code
        == 201
    )
    # token, branch, customer, earlier order (R13), number, order, event, restore clock, the
    # "受理" notice to the customer, and the savepoint pair of the action's transaction. Lookups
    # that are the same for every intake (notice templates, webhook subscriptions) belong in a
    # per-process cache, as the policies are.
    with django_assert_max_num_queries(11):
        resp = c.post("/api/v1/orders", data=body, content_type="application/json", headers=h)
    assert resp.status_code == 201
