from __future__ import annotations

from typing import Any

import pytest

from doorstep.orders.models import WorkOrder
from tests.web.browser import browser_page, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_registers_a_report_at_the_intake_desk_and_finds_it_in_the_list(
    live_server: Any, org: Any
) -> None:
    base = live_server.url
    with browser_page() as page:
        login(page, base, "operator", "pw-operator")
        page.goto(f"{base}/intake/")
        page.fill("#f-customer_phone", "13812345678")
        page.fill("#f-customer_name", "张三")
        page.fill("#f-customer_address", "杭州市拱墅区大关小区3幢2单元501室")
        page.select_option("#f-kind", "repair")
        page.select_option("#f-branch", "GS")
        # Forgetting the fault class is caught beside the field, and nothing is saved.
        page.fill("#f-symptom", "光猫 LOS 灯红色闪烁，无法上网")
        page.click("#intake-form button[type=submit]")
        assert page.locator("#err-fault_class").is_visible()
        assert WorkOrder.objects.count() == 0
        assert page.input_value("#f-customer_name") == "张三"  # what was typed is kept
        shot(page, "intake-error")
        page.select_option("#f-fault_class", "line")
        page.click("#intake-form button[type=submit]")
        page.wait_for_url("**/orders/*/")
        order = WorkOrder.objects.get()
        assert order.number in page.inner_text("h1")
        assert page.locator("#timeline li[data-action=create]").count() == 1
        shot(page, "order-page")
        page.goto(f"{base}/orders/")
        page.fill("#q", "13812345678")
        page.press("#q", "Enter")
        page.wait_for_load_state("networkidle")
        table = page.locator("#order-table")
        assert order.number in table.inner_text()
        assert "张三" in table.inner_text()
        shot(page, "order-list")
