from __future__ import annotations

from typing import Any

import pytest

from doorstep.orders.models import WorkOrder
from tests.dispatch.test_board import DAY, order_at
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


def test_a_plan_page_follows_the_worker_and_shows_the_preview_when_it_is_done(
    live_server: Any, crew: Any
) -> None:
    from doorstep.dispatch import jobs
    from doorstep.dispatch.models import DayPlan

    orders = [order_at(crew, 30.30 + i * 0.005, 120.13 + i * 0.004) for i in range(4)]
    with browser_page() as page:
        login(page, live_server.url, "dispatcher", "pw-dispatcher")
        page.goto(f"{live_server.url}/dispatch/?day={DAY}")
        page.fill("#seconds", "1")
        page.click("#make-plan")
        page.wait_for_selector("#plan-job")
        assert "排队等待后台计算" in page.inner_text("#plan-job")
        shot(page, "plan-queued")
        assert jobs.run_due("browser-worker") == 1
        # The polling box notices the job is over and the page reloads with the preview.
        page.wait_for_selector("#apply-plan", timeout=15_000)
        assert page.locator("#plan-job").count() == 0
        shot(page, "plan-preview")
        page.click("#apply-plan")
        page.wait_for_load_state("networkidle")
        assert "计划已应用" in page.inner_text(".messages")
    assert DayPlan.objects.get().status == "applied"
    assert WorkOrder.objects.filter(pk__in=[o.pk for o in orders], status="dispatched").count() == 4
