"""The order page, the order list and its CSV name the technician (汪玉梅), not the login (tech),
without a query per row."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from doorstep.orders.actions import create_order, perform
from doorstep.org.models import Staff
from tests.conftest import repair_data


def _assigned(org: Any) -> Any:
    order, _ = create_order(org.operator, repair_data())
    perform(order.pk, "assign", org.dispatcher, {"technician": "tech"})
    return order


def test_order_page_and_list_show_the_technicians_name(org: Any) -> None:
    Staff.objects.filter(user=org.tech).update(name="汪玉梅")
    order = _assigned(org)
    c = Client()
    c.force_login(org.manager)
    detail = c.get(f"/orders/{order.pk}/").content.decode()
    assert "<label>装维人员</label>汪玉梅" in detail
    rows = c.get("/orders/", headers={"HX-Request": "true"}).content.decode()
    assert "<td>汪玉梅</td>" in rows and "<td>tech</td>" not in rows
    csv = b"".join(c.get("/orders/", {"export": "csv"}).streaming_content).decode()
    assert ",汪玉梅," in csv


def test_the_list_costs_no_extra_query_per_order(org: Any) -> None:
    _assigned(org)
    c = Client()
    c.force_login(org.manager)
    c.get("/orders/", headers={"HX-Request": "true"})
    with CaptureQueriesContext(connection) as one:
        c.get("/orders/", headers={"HX-Request": "true"})
    _assigned(org)
    _assigned(org)
    with CaptureQueriesContext(connection) as three:
        c.get("/orders/", headers={"HX-Request": "true"})
    assert len(three) == len(one)
