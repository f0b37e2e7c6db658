from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from doorstep.orders.actions import create_order, perform
from doorstep.orders.models import WorkOrder
from tests.conftest import repair_data


def client_for(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password="pw-" + username)
    return c


def test_pages_need_a_login(org: Any) -> None:
    resp = Client().get("/orders/")
    assert resp.status_code == 302 and resp["Location"].startswith("/login/")


def test_the_intake_form_shows_the_error_beside_the_field_and_keeps_what_was_typed(
    org: Any,
) -> None:
    resp = client_for("operator").post(
        "/intake/",
        {
            "customer_phone": "123",
            "customer_name": "张三",
            "customer_address": "杭州市拱墅区大关小区3幢",
            "kind": "repair",
            "fault_class": "line",
            "symptom": "断网",
            "branch": "GS",
        },
    )
    assert resp.status_code == 422
    html = resp.content.decode()
    assert 'id="err-customer_phone"' in html and "张三" in html
    assert WorkOrder.objects.count() == 0


def test_the_intake_lookup_shows_open_orders_and_a_repeat_hint(org: Any, repair_order: Any) -> None:
    perform(repair_order.pk, "assign", org.dispatcher, {"technician": "tech"})
    done, _ = create_order(org.operator, repair_data(symptom="IPTV 花屏"))
    WorkOrder.objects.filter(pk=done.pk).update(
        status="closed", completed_at=timezone.now() - timedelta(days=2)
    )
    resp = client_for("operator").get("/intake/lookup/", {"customer_phone": "138 1234 5678"})
    html = resp.content.decode()
    assert repair_order.number in html and 'id="repeat-hint"' in html and done.number in html


def test_a_dispatcher_assigns_from_the_order_page(org: Any, repair_order: Any) -> None:
    c = client_for("dispatcher")
    page = c.get(f"/orders/{repair_order.pk}/").content.decode()
    assert 'id="action-assign"' in page and 'value="tech"' in page
    resp = c.post(
        f"/orders/{repair_order.pk}/act/assign/",
        {"technician": "tech", "version": repair_order.version},
    )
    assert resp.status_code == 302
    assert WorkOrder.objects.get(pk=repair_order.pk).status == "dispatched"


def test_an_action_form_error_is_shown_beside_its_field(org: Any, repair_order: Any) -> None:
    perform(repair_order.pk, "assign", org.dispatcher, {"technician": "tech"})
    perform(repair_order.pk, "accept", org.tech, {})
    c = client_for("tech")
    start = timezone.localtime() + timedelta(hours=2)
    resp = c.post(
        f"/orders/{repair_order.pk}/act/schedule/",
        {
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "end": (start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert resp.status_code == 422
    assert "预约结束时间必须晚于开始时间" in resp.content.decode()
    assert WorkOrder.objects.get(pk=repair_order.pk).status == "accepted"


def test_a_page_left_open_too_long_cannot_overwrite_a_newer_change(
    org: Any, repair_order: Any
) -> None:
    c = client_for("dispatcher")
    stale = repair_order.version
    assert (
        c.post(
            f"/orders/{repair_order.pk}/act/assign/", {"technician": "tech", "version": stale}
        ).status_code
        == 302
    )
    resp = c.post(
        f"/orders/{repair_order.pk}/act/assign/", {"technician": "other_tech", "version": stale}
    )
    assert resp.status_code == 409 and "已被其他人更新" in resp.content.decode()
    assert WorkOrder.objects.get(pk=repair_order.pk).technician == org.tech


def test_a_technician_lists_only_their_own_orders_with_masked_data_elsewhere(
    org: Any, repair_order: Any
) -> None:
    other, _ = create_order(org.operator, repair_data())
    perform(repair_order.pk, "assign", org.dispatcher, {"technician": "tech"})
    html = client_for("tech").get("/orders/").content.decode()
    assert repair_order.number in html and other.number not in html
    assert client_for("other_tech").get(f"/orders/{repair_order.pk}/").status_code == 404


def test_the_order_page_and_list_show_clocks_coloured_by_time_left(org: Any) -> None:
    import time_machine

    with time_machine.travel("2026-11-20 09:00 +0800", tick=False):
        order, _ = create_order(org.operator, repair_data())
        perform(order.pk, "assign", org.dispatcher, {"technician": "tech"})
    c = client_for("dispatcher")
    with time_machine.travel("2026-11-20 09:10 +0800", tick=False):
        page = c.get(f"/orders/{order.pk}/").content.decode()
        assert 'data-name="contact"' in page and "lv-ok" in page
    with time_machine.travel("2026-11-20 09:27 +0800", tick=False):
        page = c.get(f"/orders/{order.pk}/").content.decode()
        assert 'class="clock lv-danger" data-name="contact"' in page
        listing = c.get("/orders/").content.decode()
        assert "30分钟联系" in listing and "lv-danger" in listing
    with time_machine.travel("2026-11-20 09:40 +0800", tick=False):
        assert (
            'class="clock lv-late" data-name="contact"'
            in c.get(f"/orders/{order.pk}/").content.decode()
        )
