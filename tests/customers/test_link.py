"""The customer's link: made by the crew, opened on a phone without login; an altered or
expired link shows nothing; every customer action lands in the order's history."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from doorstep.customers.models import CustomerRequest
from doorstep.orders.actions import perform
from doorstep.orders.history import verify_history
from doorstep.orders.models import OrderEvent, WorkOrder
from tests.conftest import bearer, iso, walk_to

pytestmark = pytest.mark.django_db


def make_link(order_id: int, username: str = "dispatcher") -> Any:
    return Client().post(f"/api/v1/orders/{order_id}/customer-link", headers=bearer(username))


def link_path(order_id: int) -> str:
    resp = make_link(order_id)
    assert resp.status_code == 200, resp.content
    url = resp.json()["url"]
    return "/" + url.split("/", 3)[3]


def history(order_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (e.action, e.actor_role, e.payload)
        for e in OrderEvent.objects.filter(order_id=order_id).order_by("seq")
    ]


def test_the_link_shows_the_appointment_and_technician_but_no_phone_or_address(
    org: Any, repair_order: Any
) -> None:
    walk_to(repair_order.pk, org, "scheduled")
    resp = make_link(repair_order.pk)
    body = resp.json()
    assert set(body) == {"url", "expires_at"}
    assert body["url"].startswith("http://testserver/c/") and len(body["url"]) < 60
    path = "/" + body["url"].split("/", 3)[3]
    page = Client().get(path)
    text = page.content.decode()
    assert page.status_code == 200
    assert "已预约上门" in text and "Tech" in text and "E" in text and "暂无" in text
    assert "13812345678" not in text and "5678" not in text
    assert "大关小区3幢2单元501室" not in text and "张三" not in text
    assert 'id="confirm"' in text


def test_an_altered_or_unknown_token_answers_404_and_shows_nothing(
    org: Any, repair_order: Any
) -> None:
    walk_to(repair_order.pk, org, "scheduled")
    path = link_path(repair_order.pk)
    altered = path[:-1] + ("A" if path[-1] != "A" else "B")
    resp = Client().get(altered)
    assert resp.status_code == 404
    text = resp.content.decode()
    assert repair_order.number not in text and "Tech" not in text and "预约" not in text


def test_an_expired_link_answers_410_and_shows_nothing(
    org: Any, repair_order: Any, settings: Any
) -> None:
    settings.DOORSTEP_CUSTOMER_LINK_DAYS = 7
    walk_to(repair_order.pk, org, "scheduled")
    path = link_path(repair_order.pk)
    assert Client().get(path).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        resp = Client().get(path)
        assert resp.status_code == 410
        assert repair_order.number not in resp.content.decode()
        post = Client().post(path, {"action": "chase"})
        assert post.status_code == 410
    assert not OrderEvent.objects.filter(order=repair_order, actor_role="customer").exists()


def test_a_link_stops_working_days_after_the_order_closed(
    org: Any, repair_order: Any, settings: Any
) -> None:
    settings.DOORSTEP_CUSTOMER_LINK_AFTER_CLOSE_DAYS = 3
    walk_to(repair_order.pk, org, "on_site")
    path = link_path(repair_order.pk)
    perform(
        repair_order.pk,
        "complete",
        org.tech,
        {"resolution": "更换光猫", "rating": 5, "no_signature_reason": "客户外出"},
    )
    # A satisfied callback closes the order.
    perform(repair_order.pk, "callback", org.quality, {"score": 9, "satisfied": True})
    assert WorkOrder.objects.get(pk=repair_order.pk).status == "closed"
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert Client().get(path).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        assert Client().get(path).status_code == 410


def test_a_revoked_link_answers_410(org: Any, repair_order: Any) -> None:
    walk_to(repair_order.pk, org, "scheduled")
    path = link_path(repair_order.pk)
    resp = Client().delete(
        f"/api/v1/orders/{repair_order.pk}/customer-link", headers=bearer("dispatcher")
    )
    assert resp.json() == {"revoked": 1}
    assert Client().get(path).status_code == 410


def test_who_may_make_a_link(org: Any, repair_order: Any) -> None:
    walk_to(repair_order.pk, org, "scheduled")
    assert make_link(repair_order.pk, "tech").status_code == 200
    assert make_link(repair_order.pk, "other_tech").status_code == 404
    assert make_link(repair_order.pk, "operator").status_code == 200
    assert Client().post(f"/api/v1/orders/{repair_order.pk}/customer-link").status_code == 401
    perform(repair_order.pk, "arrive", org.tech, {})
    perform(
        repair_order.pk,
        "complete",
        org.tech,
        {"resolution": "更换光猫", "rating": 5, "no_signature_reason": "客户外出"},
    )
    # Once the work is done the technician's part is over; the desk can still send one.
    closed = make_link(repair_order.pk, "tech")
    assert closed.status_code == 403 and closed.json()["error"]["code"] == "forbidden"
    assert make_link(repair_order.pk, "quality").status_code == 200


def test_confirm_ask_for_another_time_chase_and_rate_land_in_the_history(
    org: Any, repair_order: Any
) -> None:
    walk_to(repair_order.pk, org, "scheduled")
    path = link_path(repair_order.pk)
    c = Client()
    assert c.post(path, {"action": "confirm"}).status_code == 302
    assert "您已确认" in c.get(path).content.decode()
    tomorrow = (timezone.localtime() + timedelta(days=1)).date().isoformat()
    resp = c.post(
        path, {"action": "ask_reschedule", "day": tomorrow, "part": "pm", "text": "白天上班"}
    )
    assert resp.status_code == 302
    assert c.post(path, {"action": "chase"}).status_code == 302

    acts = history(repair_order.pk)[-3:]
    assert [(a, r) for a, r, _ in acts] == [
        ("confirm", "customer"),
        ("ask_reschedule", "customer"),
        ("chase", "customer"),
    ]
    assert acts[2][2]["by"] == "customer"
    ask = CustomerRequest.objects.get(order=repair_order)
    assert ask.text == "白天上班" and ask.answered_at is None
    # The words stay out of the hash-chained history: only their salted digest is there.
    assert "白天上班" not in json.dumps(acts[1][2], ensure_ascii=False)
    assert acts[1][2]["text_digest"] and acts[1][2]["preferred_start"]

    # The dispatcher sees the request, and moving the visit at the customer's request answers it.
    listing = Client()
    listing.force_login(org.dispatcher)
    assert "白天上班" in listing.get("/customers/requests/").content.decode()
    # The API shows the customer's events like any other.
    api = Client().get(f"/api/v1/orders/{repair_order.pk}", headers=bearer("dispatcher"))
    assert api.status_code == 200 and "ask_reschedule" in api.content.decode()
    start = timezone.now() + timedelta(days=1, hours=2)
    perform(
        repair_order.pk,
        "reschedule",
        org.dispatcher,
        {
            "start": iso(start),
            "end": iso(start + timedelta(hours=1)),
            "reason": "客户白天上班",
            "requested_by": "customer",
        },
    )
    ask.refresh_from_db()
    assert ask.answered_at is not None and ask.answered_by == org.dispatcher
    assert "已为您改约至" in c.get(path).content.decode()
    assert list(verify_history()) == []


def test_the_customer_rates_once_after_completion(org: Any, repair_order: Any) -> None:
    walk_to(repair_order.pk, org, "on_site")
    path = link_path(repair_order.pk)
    c = Client()
    assert 'id="rate"' not in c.get(path).content.decode()
    refused = c.post(path, {"action": "rate", "stars": "5"})
    assert refused.status_code == 422
    perform(
        repair_order.pk,
        "complete",
        org.tech,
        {"resolution": "更换光猫", "rating": 5, "no_signature_reason": "客户外出"},
    )
    assert c.post(path, {"action": "rate", "stars": "4", "text": "师傅很准时"}).status_code == 302
    again = c.post(path, {"action": "rate", "stars": "1"})
    assert again.status_code == 422
    rates = [p for a, r, p in history(repair_order.pk) if a == "rate"]
    assert len(rates) == 1 and rates[0]["stars"] == 4
    assert "4 ★" in c.get(path).content.decode()


def test_a_complaint_is_a_request_the_quality_desk_sees(org: Any, repair_order: Any) -> None:
    walk_to(repair_order.pk, org, "scheduled")
    path = link_path(repair_order.pk)
    c = Client()
    assert c.post(path, {"action": "lodge_complaint", "text": ""}).status_code == 422
    assert c.post(path, {"action": "lodge_complaint", "text": "师傅迟到一小时"}).status_code == 302
    assert history(repair_order.pk)[-1][:2] == ("lodge_complaint", "customer")
    desk = Client()
    desk.force_login(org.quality)
    assert "师傅迟到一小时" in desk.get("/customers/requests/").content.decode()
    crew = Client()
    crew.force_login(org.tech)
    assert "师傅迟到一小时" not in crew.get("/customers/requests/").content.decode()
    row = CustomerRequest.objects.get(order=repair_order)
    # The answer reaches the customer, so the banned phrases (R23) are refused.
    rude = desk.post("/customers/requests/", {"request": row.pk, "answer": "我没办法"})
    assert "建议" in rude.content.decode() or "可以说" in rude.content.decode()
    resp = desk.post("/customers/requests/", {"request": row.pk, "answer": "已联系客户致歉"})
    assert resp.status_code == 302
    row.refresh_from_db()
    assert row.answered_by == org.quality


def test_staff_cannot_take_the_customers_actions(org: Any, repair_order: Any) -> None:
    walk_to(repair_order.pk, org, "scheduled")
    resp = Client().post(
        f"/api/v1/orders/{repair_order.pk}/actions/confirm",
        data="{}",
        content_type="application/json",
        headers=bearer("dispatcher"),
    )
    assert resp.status_code == 404
    assert WorkOrder.objects.get(pk=repair_order.pk).version == repair_order.version + 3


def test_the_outbox_can_put_a_fresh_link_in_a_message(
    org: Any, repair_order: Any, settings: Any
) -> None:
    from doorstep.customers.links import link_for_notice

    settings.DOORSTEP_PUBLIC_URL = "https://dx.example.cn"
    walk_to(repair_order.pk, org, "dispatched")
    url = link_for_notice(WorkOrder.objects.get(pk=repair_order.pk))
    assert url.startswith("https://dx.example.cn/c/") and len(url) < 45
    path = url.removeprefix("https://dx.example.cn")
    assert "已派给装维人员" in Client().get(path).content.decode()


def test_the_crews_order_page_shows_the_customers_events(org: Any, repair_order: Any) -> None:
    walk_to(repair_order.pk, org, "scheduled")
    assert Client().post(link_path(repair_order.pk), {"action": "confirm"}).status_code == 302
    crew = Client()
    crew.force_login(org.dispatcher)
    page = crew.get(f"/orders/{repair_order.pk}/")
    assert page.status_code == 200 and "customer" in page.content.decode()
