"""schemathesis against the orders API, in process, as an operator and as the technician of the
order (issue 12): whatever it sends, no answer is a 5xx, every status is one the document
declares, and every answer matches its documented schema (the SPEC error shape for a refusal).

The same against a live server: `schemathesis run http://HOST/api/v1/openapi.json
-H "Authorization: Bearer TOKEN" --include-tag orders`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from doorstep.api.api import api
from tests.conftest import bearer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def callers(org: Any, repair_order: Any) -> Iterator[tuple[int, list[dict[str, str]]]]:
    """The order the fuzzed paths point at (assigned to `tech`), and the two callers' tokens.

    While the fuzzed requests run, the WSGI handler must not close the test's database
    connection after each request (Django's own test client keeps it open the same way)."""
    from doorstep.orders.actions import perform

    perform(repair_order.pk, "assign", org.dispatcher, {"technician": "tech"})
    tokens = [bearer("operator"), bearer("tech")]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield repair_order.pk, tokens
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# The document the server serves (built in process), its requests sent to the WSGI app.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema()).include(tag="orders")
schema.app = get_wsgi_application()


@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_orders_api_answers_what_it_documents(case: Any, callers: Any) -> None:
    order_id, headers = callers
    if case.path_parameters and "order_id" in case.path_parameters:
        case.path_parameters["order_id"] = order_id
    for auth in headers:
        case.call_and_validate(headers=auth, checks=CHECKS)
