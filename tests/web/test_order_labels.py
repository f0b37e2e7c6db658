"""The order page names every event in Chinese: the customer's own actions as 客户, every
action by its label from the state tables, never a code name."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from doorstep.customers.requests import customer_acts
from doorstep.orders.actions import perform
from doorstep.orders.actions.handlers import HANDLERS
from doorstep.orders.states import CUSTOMER_TRANSITIONS
from doorstep.ui.events import action_label
from tests.conftest import walk_to


def test_every_action_an_event_can_record_has_a_chinese_label() -> None:
    for action in [*HANDLERS, "create"]:
        assert re.search(r"[\u4e00-\u9fff]", action_label(action)), action
    for action in CUSTOMER_TRANSITIONS:
        assert action_label(action, "customer").startswith("客户"), action


def test_the_customers_confirm_and_rating_show_as_the_customer_in_chinese(
    org: Any, repair_order: Any
) -> None:
    walk_to(repair_order.pk, org, "scheduled")
    customer_acts(repair_order, "confirm")
    walk_to_done = [("depart", {"checklist": ["鞋套"]}), ("arrive", {})]
    for action, payload in walk_to_done:
        perform(repair_order.pk, action, org.tech, payload)
    perform(
        repair_order.pk,
        "complete",
        org.tech,
        {"resolution": "更换光猫", "rating": 5, "no_signature_reason": "客户外出"},
    )
    repair_order.refresh_from_db()
    customer_acts(repair_order, "rate", stars=5, text="师傅很专业")

    c = Client()
    c.force_login(org.manager)
    page = c.get(f"/orders/{repair_order.pk}/").content.decode()
    timeline = page[page.index('id="timeline"') : page.index("</ol>", page.index('id="timeline"'))]
    items = re.findall(r'<li data-action="(\w+)"><strong>([^<]*)</strong>', timeline)
    labels = dict(items)
    assert labels["confirm"] == "客户确认预约" and labels["rate"] == "客户评价"
    assert labels["complete"] == "回单" and labels["depart"] == "出发"
    assert timeline.count("客户</div>") == 2  # who did the confirm and the rating
    assert "系统（customer）" not in timeline and "（technician）" not in timeline
    assert "tech（装维人员）" in timeline and "客户评分 (1–5)：5" in timeline
    # No code name anywhere a person reads: the text between the tags has no ASCII word that is
    # an action or a role.
    text = re.sub(r"<[^>]+>", " ", timeline)
    for code in ["confirm", "rate", "customer", "technician", "text_digest"]:
        assert code not in text, code
