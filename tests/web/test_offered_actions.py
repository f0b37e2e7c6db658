"""The order page offers 赔偿处理完毕 only with an open damage claim and 核查投诉 only with an
undecided complaint: a button that can only be refused is not shown."""

from __future__ import annotations

from typing import Any

from django.test import Client

from doorstep.orders.actions import perform
from tests.conftest import walk_to


def _offered(org: Any, order: Any) -> str:
    c = Client()
    c.force_login(org.manager)
    return c.get(f"/orders/{order.pk}/").content.decode()


def test_settle_and_verify_are_offered_only_when_there_is_something_to_settle_or_verify(
    org: Any, repair_order: Any
) -> None:
    walk_to(repair_order.pk, org, "on_site")
    perform(
        repair_order.pk,
        "complete",
        org.tech,
        {"resolution": "更换光猫", "rating": 5, "no_signature_reason": "客户外出"},
    )
    page = _offered(org, repair_order)
    assert 'id="action-claim_damage"' in page  # the state table's other actions stay
    assert 'id="action-settle_damage"' not in page
    assert 'id="action-verify_complaint"' not in page

    perform(
        repair_order.pk,
        "claim_damage",
        org.manager,
        {"what": "木地板", "customer_words": "地板划了一道", "apologized": True},
    )
    perform(repair_order.pk, "complain", org.quality, {"channel": "hotline", "note": "态度差"})
    page = _offered(org, repair_order)
    assert 'id="action-settle_damage"' in page
    assert 'id="action-verify_complaint"' in page
