"""The callback desk in a real Chromium on a phone-sized screen: take the next call, record an
unsatisfied outcome, and see the order back with the crew."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from doorstep.orders.models import PersonalDataView, WorkOrder
from doorstep.quality.models import CallbackTask
from doorstep.standards.models import Policy
from doorstep.standards.policies import clear_cache
from tests.quality.conftest import completed
from tests.web.browser import PHONE, browser_page, login, shot
from tests.web.browser import TOUR as DOCS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_take_the_next_call_record_unsatisfied_and_the_order_is_back_with_the_crew(
    live_server: Any, org: Any, at: Any
) -> None:
    # Every close-out sampled for audit, so the page (and the screenshot) shows the audit mark.
    Policy.objects.filter(key="quality.audit_share").update(params={"share": 1})
    clear_cache()
    yesterday = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%d")
    order = completed(org, at, yesterday)
    base = live_server.url
    with browser_page(PHONE) as page:
        login(page, base, "quality", "pw-quality")
        page.goto(f"{base}/quality/callbacks/")
        assert order.number in page.inner_text("#queue")
        page.click("#take-next")
        page.wait_for_selector(f'#call[data-order="{order.pk}"]')
        assert "抽检" in page.inner_text("#call h2")
        # Quality sees the customer's whole number (R22), as a link that dials it.
        assert page.inner_text("#call-phone") == "13812345678"
        assert page.get_attribute("#call-phone", "href") == "tel:13812345678"
        page.select_option("#score", "3")
        page.check('input[name="satisfied"][value="no"]')
        page.fill("#note", "客户反映晚上网速仍然很慢，要求师傅再来看看")
        shot(page, "callback-desk")
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS / "callback-desk.png"), full_page=True)
        page.click("#callback-form button[type=submit]")
        page.wait_for_selector('#returned[data-status="dispatched"]')
        assert "已退回" in page.inner_text("#returned")
        assert "暂无待回访的工单" in page.inner_text("#queue")
        shot(page, "callback-desk-returned")

        # The technician finds it among the orders to accept on their phone.
        page.context.clear_cookies()
        login(page, base, "tech", "pw-tech")
        page.goto(f"{base}/m/")
        assert order.number in page.inner_text("#to-accept")

    order.refresh_from_db()
    assert (order.status, order.technician_id) == ("dispatched", org.tech.pk)
    assert CallbackTask.objects.get(order=order).outcome == "unsatisfied"
    assert PersonalDataView.objects.filter(user=org.quality, order=order, via="callback").exists()
    assert WorkOrder.objects.get(pk=order.pk).events.order_by("-seq").first().action == "callback"
