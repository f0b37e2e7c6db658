"""The hand-over at close-out in a real Chromium at phone size (390×844): the technician opens
the form from the order page, the customer answers it, a low rating tells the technician to
put it right before leaving."""

from __future__ import annotations

from typing import Any

import pytest

from doorstep.evaluation.models import Evaluation
from doorstep.orders.actions import create_order, perform
from tests.conftest import repair_data, walk_to
from tests.web.browser import PHONE, browser_page, login
from tests.web.browser import TOUR as DOCS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_customer_answers_on_the_technicians_phone(live_server: Any, org: Any) -> None:
    from doorstep.quality.policy import ensure_default

    ensure_default()
    order, _ = create_order(org.operator, repair_data())
    walk_to(order.pk, org, "on_site")
    perform(
        order.pk,
        "complete",
        org.tech,
        {"resolution": "更换光猫", "rating": 5, "no_signature_reason": "客户外出"},
    )
    base = live_server.url
    with browser_page(PHONE) as page:
        login(page, base, "tech", "pw-tech")
        page.goto(f"{base}/m/orders/{order.pk}/")
        page.click("#handover-link")
        page.wait_for_selector("#evaluation-form")
        assert "由客户本人填写" in page.inner_text("#handover-note")
        assert page.locator("#evaluation-form input:checked").count() == 0
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS / "evaluation.png"), full_page=True)

        for q in page.locator("#evaluation-form .yn").all():
            q.locator("input[value=yes]").check()
        page.check('#evaluation-form input[name="overall"][value="2"]')
        page.click("#submit-evaluation")
        page.wait_for_selector("#evaluated")
        assert "请当场为客户解决问题，直至满意" in page.inner_text("#put-it-right")
    form = Evaluation.objects.get(order=order)
    assert (form.via, form.overall, form.flagged) == ("phone_handover", 2, True)
