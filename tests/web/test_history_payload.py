"""The order history names what an event recorded in Chinese: every payload key by its label,
codes (kit items, attachment kinds, findings) by their names."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

import doorstep.orders.actions  # noqa: F401  (registers the care payloads)
from doorstep.care.models import KitItem
from doorstep.orders.actions import perform
from doorstep.orders.actions.customer import CUSTOMER_PAYLOADS
from doorstep.orders.actions.payloads import PAYLOADS
from doorstep.ui.events import field_label, payload_lines
from tests.conftest import walk_to

# Keys the handlers and hooks add to an event beside the payload's own fields.
ADDED_BY_HANDLERS = [
    "before_appointment_seconds",
    "previous_start",
    "previous_end",
    "previous_technician",
    "notice_seconds",
    "chase_number",
    "escalation",
    "contradiction",
    "reopened",
    "checklist_missing",
    "rating_comment",
    "work",
]

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def test_every_key_an_event_payload_can_carry_has_a_chinese_label() -> None:
    keys = {k for d in (PAYLOADS, CUSTOMER_PAYLOADS) for s in d.values() for k in s.model_fields}
    keys |= set(ADDED_BY_HANDLERS)
    keys -= {"text_digest"}  # never shown (NOT_SHOWN)
    missing = sorted(k for k in keys if not CHINESE.search(field_label(k)))
    assert missing == []


def test_attachment_and_finding_codes_show_by_their_chinese_names() -> None:
    assert payload_lines({"attachment": 7, "kind": "speed_test"}, "attach") == [
        ("附件", "7"),
        ("类型", "测速"),
    ]
    assert payload_lines({"kind": "signature"}, "attach") == [("类型", "签名")]
    lines = dict(payload_lines({"finding": "upheld", "note": "属实"}, "verify_complaint"))
    assert lines == {"核查结论": "投诉属实", "备注": "属实"}


def test_the_departure_shows_the_items_not_ticked_by_name(org: Any, repair_order: Any) -> None:
    KitItem.objects.create(branch=org.gs, code="shoe_covers", label="鞋套", required=True)
    KitItem.objects.create(branch=org.gs, code="service_card", label="服务卡片")
    KitItem.objects.create(branch=org.gs, code="ask_opinion", label="征询一下意见")
    walk_to(repair_order.pk, org, "scheduled")
    perform(repair_order.pk, "depart", org.tech, {"checklist": ["shoe_covers"]})

    c = Client()
    c.force_login(org.manager)
    page = c.get(f"/orders/{repair_order.pk}/").content.decode()
    timeline = page[page.index('id="timeline"') : page.index("</ol>", page.index('id="timeline"'))]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", timeline))
    assert "未勾选物品：服务卡片、征询一下意见" in text.replace(" ：", "：").replace("： ", "：")
    assert "出发检查项：鞋套" in text.replace(" ：", "：").replace("： ", "：")
    for code in ["checklist_missing", "service_card", "ask_opinion", "shoe_covers"]:
        assert code not in text, code


def test_a_position_erased_by_retention_reads_deleted_rather_than_vanishing(
    org: Any, repair_order: Any
) -> None:
    from doorstep.orders.history import erase_personal_fields
    from doorstep.orders.models import OrderEvent

    walk_to(repair_order.pk, org, "en_route")
    perform(repair_order.pk, "arrive", org.tech, {"lat": 30.3, "lng": 120.1})
    c = Client()
    c.force_login(org.manager)
    assert "纬度：30.3" in c.get(f"/orders/{repair_order.pk}/").content.decode()
    assert erase_personal_fields(OrderEvent.objects.filter(order=repair_order)) >= 1
    page = c.get(f"/orders/{repair_order.pk}/").content.decode()
    assert "纬度：已删除" in page and "经度：已删除" in page and "30.3" not in page
