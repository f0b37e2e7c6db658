"""R23 where it matters: text an action sends to a customer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from doorstep.core.errors import GateRefused
from doorstep.field.models import PhraseEntry
from doorstep.notifications.models import Notification
from doorstep.orders.actions import perform
from doorstep.orders.models import OrderEvent
from tests.conftest import iso, walk_to


def test_a_reply_with_a_banned_phrase_is_refused_with_the_suggestion(
    org: Any, repair_order: Any
) -> None:
    walk_to(repair_order.pk, org, "accepted")
    before = OrderEvent.objects.filter(order=repair_order).count()
    with pytest.raises(GateRefused) as exc:
        perform(repair_order.pk, "reply", org.tech, {"message": "您的问题我无法解决，找有关部门吧"})
    assert exc.value.rule == "R23" and "message" in exc.value.fields
    assert (
        "无法解决" in exc.value.fields["message"][0]
        and "暂时还没有解决方案" in exc.value.fields["message"][0]
    )
    assert OrderEvent.objects.filter(order=repair_order).count() == before
    perform(repair_order.pk, "reply", org.tech, {"message": "您好，师傅今天下午14:00上门为您处理"})


def test_a_reworded_phrase_comes_back_with_the_positive_wording(
    org: Any, repair_order: Any
) -> None:
    walk_to(repair_order.pk, org, "accepted")
    with pytest.raises(GateRefused) as exc:
        perform(repair_order.pk, "reply", org.tech, {"message": "我没办法"})
    assert "建议" in exc.value.fields["message"][0] or "可以说" in exc.value.fields["message"][0]


def test_a_visit_note_is_checked_too(org: Any, repair_order: Any) -> None:
    walk_to(repair_order.pk, org, "on_site")
    now = timezone.now()
    with pytest.raises(GateRefused) as exc:
        perform(repair_order.pk, "absent", org.tech, {
            "arrived_at": iso(now - timedelta(minutes=12)), "left_at": iso(now),
            "note": "不知道你去哪了，我没办法",
            "contact_phone": "13900001111", "contact_person": "邻居"})  # fmt: skip
    assert "note" in exc.value.fields


def test_an_admin_can_extend_the_list(org: Any, repair_order: Any) -> None:
    walk_to(repair_order.pk, org, "accepted")
    perform(repair_order.pk, "reply", org.tech, {"message": "你自己重启一下光猫"})
    PhraseEntry.objects.create(pattern="你自己重启", suggestion="麻烦您协助重启一下光猫")
    with pytest.raises(GateRefused) as exc:
        perform(repair_order.pk, "reply", org.tech, {"message": "你自己重启一下光猫"})
    assert "麻烦您协助重启一下光猫" in exc.value.fields["message"][0]


def test_an_unanswered_call_queues_the_could_not_reach_you_sms(org: Any, repair_order: Any) -> None:
    walk_to(repair_order.pk, org, "accepted")
    perform(repair_order.pk, "contact", org.tech, {"outcome": "no_answer"})
    sms = Notification.objects.get(kind="customer_sms", order=repair_order)
    assert sms.to_phone == "13812345678" and "未接通" in sms.body and "中国电信" in sms.body
    perform(repair_order.pk, "contact", org.tech, {"outcome": "reached"})
    assert Notification.objects.filter(kind="customer_sms").count() == 1
