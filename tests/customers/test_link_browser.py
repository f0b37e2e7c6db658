"""The customer's link in a real Chromium at phone size (390×844), without login: confirm the
booked time, ask for another time, and rate the visit once it is done."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from doorstep.customers.badges import badge_of
from doorstep.customers.links import make_link
from doorstep.customers.models import CustomerRequest
from doorstep.orders.actions import create_order, perform
from doorstep.orders.models import OrderEvent
from doorstep.org.models import Staff
from tests.conftest import iso, repair_data, walk_to
from tests.web.browser import PHONE, browser_page
from tests.web.browser import TOUR as DOCS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def customer_events(order_id: int) -> list[str]:
    return list(
        OrderEvent.objects.filter(order_id=order_id, actor_role="customer")
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_the_customer_confirms_asks_for_another_time_and_rates_on_a_phone(
    live_server: Any, org: Any
) -> None:
    order, _ = create_order(org.operator, repair_data())
    walk_to(order.pk, org, "accepted")
    # Tomorrow 14:00–15:00 local time, as a customer would book it.
    start = timezone.localtime().replace(hour=14, minute=0, second=0, microsecond=0)
    start += timedelta(days=1)
    window = {"start": iso(start), "end": iso(start + timedelta(hours=1))}
    perform(order.pk, "schedule", org.tech, window)
    link = make_link(org.dispatcher, order.pk)
    with browser_page(PHONE) as page:
        page.goto(live_server.url + link.path)
        assert "已预约上门" in page.inner_text("#state")
        assert "14:00–15:00" in page.inner_text("#window")
        assert "Tech" in page.inner_text("#technician")
        assert "暂无" in page.inner_text("#tech-stars")
        body = page.inner_text("body")
        assert "张三" not in body and "5678" not in body and "501室" not in body
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS / "customer-link.png"), full_page=True)

        page.click("#confirm")
        page.wait_for_selector("#done")
        assert "已确认" in page.inner_text("#done")
        assert page.locator("#confirmed").is_visible()

        page.click("#ask-form summary")
        tomorrow = (timezone.localtime() + timedelta(days=1)).date().isoformat()
        page.fill("#ask-day", tomorrow)
        page.select_option("#ask-part", "eve")
        page.fill("#ask-text", "白天上班，晚上在家")
        page.click("#ask")
        page.wait_for_selector("#last-ask")
        assert "等待师傅答复" in page.inner_text("#last-ask")

        # The visit happens; the same link now asks for a rating.
        perform(order.pk, "depart", org.tech, {"checklist": ["鞋套"]})
        perform(order.pk, "arrive", org.tech, {})
        perform(
            order.pk,
            "complete",
            org.tech,
            {"resolution": "已开通", "rating": 5, "no_signature_reason": "客户外出"},
        )
        page.reload()
        assert "服务已完成" in page.inner_text("#state")
        page.check('#rate-form input[name="stars"][value="5"]')
        page.fill("#rate-text", "很准时")
        page.click("#rate")
        page.wait_for_selector("#rated")
        assert "5 ★" in page.inner_text("#rated")

    assert customer_events(order.pk) == ["confirm", "ask_reschedule", "rate"]
    ask = CustomerRequest.objects.get(order=order, kind="reschedule")
    assert ask.text == "白天上班，晚上在家" and ask.preferred_start is not None


def test_the_badge_page_on_a_phone(live_server: Any, org: Any) -> None:
    slug = badge_of(Staff.objects.get(user=org.tech)).slug
    with browser_page(PHONE) as page:
        page.goto(f"{live_server.url}/b/{slug}")
        page.fill("#last-four", "1234")
        page.click("#check")
        page.wait_for_selector("#answer")
        assert page.get_attribute("#answer", "data-answer") == "no"
        page.screenshot(path=str(DOCS / "badge.png"), full_page=True)
