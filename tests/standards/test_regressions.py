"""Bugs found in review, each pinned by the behaviour a user would notice."""

from __future__ import annotations

import io
import json
from typing import Any

from django.contrib.auth.models import Group
from django.test import Client
from PIL import Image

from doorstep.orders.actions import create_order, perform
from doorstep.org.models import Customer, roles_of
from doorstep.standards.models import Breach, Penalty
from doorstep.worker import Worker
from tests.conftest import bearer, install_data, repair_data
from tests.standards.conftest import clock, do, fault_at

D = "2026-11-20"


def test_an_urban_technician_cannot_look_customers_up_by_phone(org: Any, repair_order: Any) -> None:
    c = Client()
    c.login(username="tech", password="pw-tech")
    assert c.get("/intake/lookup/", {"phone": "13812345678"}).status_code == 403


def test_a_township_technician_sees_who_the_customer_is_but_not_the_full_address(org: Any) -> None:
    create_order(
        org.township_tech,
        repair_data(
            branch=None,
            customer={
                "name": "赵六",
                "phone": "13700001111",
                "address": "桐庐县分水镇新街8号3单元",
            },
        ),
    )
    c = Client()
    c.login(username="township_tech", password="pw-township_tech")
    html = c.get("/intake/lookup/", {"phone": "13700001111"}).content.decode()
    assert "赵六" in html and "新街8号3单元" not in html


def test_a_repair_report_without_a_grade_keeps_a_vip_a_vip(org: Any) -> None:
    create_order(org.operator, install_data())  # 李四, VIP
    create_order(
        org.operator,
        repair_data(
            customer={
                "name": "李四",
                "phone": "0571-87654321",
                "address": "杭州市拱墅区和睦新村12幢1单元302室",
            }
        ),
    )
    assert Customer.objects.get(phone="0571-87654321").grade == "vip"


def test_a_suspension_uploaded_late_undoes_a_breach_the_worker_marked(org: Any, at: Any) -> None:
    order = fault_at(org, at, f"{D} 09:00")
    do(at, f"{D} 09:05", order, "assign", org.dispatcher, {"technician": "tech"})
    with at(f"{D} 09:36"):
        Worker().tick()
    assert clock(order.pk, "contact").status == "breached"
    do(
        at,
        f"{D} 09:40",
        order,
        "suspend",
        org.tech,
        {"reason": "customer_request", "occurred_at": f"{D}T09:20:00+08:00"},
    )
    do(at, f"{D} 09:55", order, "resume", org.tech)
    do(at, f"{D} 10:00", order, "contact", org.tech, {"outcome": "reached"})
    assert clock(order.pk, "contact").status == "met"
    assert Penalty.objects.get(order=order, rule="R1").status == "void"


def test_a_booking_moved_before_it_was_missed_and_uploaded_late_leaves_arrival_unbreached(
    org: Any, at: Any
) -> None:
    order = fault_at(org, at, f"{D} 09:00")
    do(at, f"{D} 09:05", order, "assign", org.dispatcher, {"technician": "tech"})
    do(at, f"{D} 09:10", order, "accept", org.tech)
    do(at, f"{D} 09:11", order, "contact", org.tech, {"outcome": "reached"})
    do(
        at,
        f"{D} 09:12",
        order,
        "schedule",
        org.tech,
        {"start": f"{D}T14:00:00+08:00", "end": f"{D}T15:00:00+08:00"},
    )
    with at(f"{D} 14:01"):
        Worker().tick()
    do(
        at,
        f"{D} 14:10",
        order,
        "reschedule",
        org.tech,
        {
            "start": f"{D}T16:00:00+08:00",
            "end": f"{D}T17:00:00+08:00",
            "reason": "客户改时间",
            "requested_by": "customer",
            "occurred_at": f"{D}T11:00:00+08:00",
        },
    )
    do(at, f"{D} 15:55", order, "arrive", org.tech)
    assert clock(order.pk, "arrival").status == "met"
    assert not Penalty.objects.filter(order=order, rule="R6", status="open").exists()


def test_a_cancelled_order_still_shows_the_breach_it_had(org: Any, at: Any) -> None:
    order = fault_at(org, at, f"{D} 09:00")
    do(at, f"{D} 09:05", order, "assign", org.dispatcher, {"technician": "tech"})
    with at(f"{D} 09:36"):
        Worker().tick()
    do(at, f"{D} 09:40", order, "cancel", org.dispatcher, {"reason": "客户撤销"})
    with at(f"{D} 09:41"):
        rows = (
            Client().get(f"/api/v1/orders/{order.pk}/clocks", headers=bearer("dispatcher")).json()
        )
    assert {"name": "contact", "status": "breached"}.items() <= next(
        r for r in rows if r["name"] == "contact"
    ).items()
    assert Breach.objects.filter(order=order, rule="R1", void=False).exists()


def test_a_multi_picture_jpeg_from_a_phone_camera_is_accepted(org: Any, repair_order: Any) -> None:
    from doorstep.orders.attachments import _sniff

    buf = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(buf, format="MPO")
    assert _sniff("photo", buf.getvalue()) == "image/jpeg"


def test_clearing_a_group_takes_its_role_away(org: Any) -> None:
    Group.objects.get(name="dispatcher").user_set.clear()
    fresh = type(org.dispatcher).objects.get(pk=org.dispatcher.pk)
    assert "dispatcher" not in roles_of(fresh)


def test_a_masked_order_does_not_give_away_the_customers_position(org: Any) -> None:
    order, _ = create_order(
        org.township_tech, repair_data(branch=None, location={"lat": 29.8, "lng": 119.7})
    )
    perform(order.pk, "cancel", org.operator, {"reason": "重复报修"})
    body = Client().get(f"/api/v1/orders/{order.pk}", headers=bearer("township_tech")).json()
    assert body["customer"]["masked"] is True and body["location"] is None
    assert body["history"][0]["payload"]["location"] is None


def test_malformed_json_to_an_action_is_a_422_not_a_crash(org: Any, repair_order: Any) -> None:
    resp = Client().post(
        f"/api/v1/orders/{repair_order.pk}/actions/cancel",
        data="{",
        content_type="application/json",
        headers=bearer("dispatcher"),
    )
    assert resp.status_code in (400, 422) and "error" in json.loads(resp.content)


def test_the_intake_desk_is_for_those_who_may_register_orders(org: Any) -> None:
    c = Client()
    c.login(username="tech", password="pw-tech")
    assert c.get("/intake/").status_code == 403
    c.login(username="township_tech", password="pw-township_tech")
    assert c.get("/intake/").status_code == 200


def test_an_id_or_a_page_past_what_the_database_holds_is_a_422_not_a_crash(org: Any) -> None:
    """The ledger's filters passed a 30-digit order id or page straight to the database: SQLite
    overflowed and PostgreSQL refused the number, a 500 either way."""
    headers = bearer("manager")
    for url, field in [
        ("/api/v1/penalties?order=27101580338226257920", "query.order"),
        ("/api/v1/penalties?page=4995713893824871926857728", "query.page"),
        ("/api/v1/breaches?order=27101580338226257920", "query.order"),
    ]:
        resp = Client().get(url, headers=headers)
        assert resp.status_code == 422, (url, resp.content)
        assert field in resp.json()["error"]["fields"], url
    assert Client().get("/api/v1/penalties?page=1000000", headers=headers).json()["results"] == []
