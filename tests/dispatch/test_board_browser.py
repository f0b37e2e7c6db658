from __future__ import annotations

from typing import Any

import pytest

from doorstep.orders.models import WorkOrder
from tests.dispatch.test_board import order_at
from tests.web.browser import browser_page, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_dispatcher_assigns_from_the_board_using_a_suggestion(
    live_server: Any, crew: Any
) -> None:
    order = order_at(crew, 30.31, 120.14)
    with browser_page() as page:
        login(page, live_server.url, "dispatcher", "pw-dispatcher")
        page.goto(f"{live_server.url}/dispatch/")
        page.click("#sign-all")
        page.wait_for_load_state("networkidle")
        assert "没有待签收的工单" in page.inner_text("#handover")
        page.click(f"#u-{order.pk} button")
        page.wait_for_selector(f"#s-{order.pk} .assign-btn")
        shot(page, "board-suggestions")
        first = page.locator(f"#s-{order.pk} .assign-btn").first
        tech = first.get_attribute("data-tech")
        first.click()
        page.wait_for_load_state("networkidle")
        assert "已派给" in page.inner_text(".messages")
        shot(page, "board-assigned")
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert fresh.status == "dispatched" and fresh.technician.username == tech
