"""R23 where it matters: text an action sends to a customer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from doorstep.core.errors import GateRefused
from doorstep.field.models import PhraseEntry
from doorstep.notifications.models import Notification, Template
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


# The admin's default "could not reach you" template, filled in for the org fixture's technician.
COULD_NOT_REACH = (
    "您好，我是中国电信服务工程师Tech，给您手机联系未接通，"
    "您看到短信与我们及时联系，联系电话13900000000，谢谢！"
)


def test_an_unanswered_call_queues_the_could_not_reach_you_sms(org: Any, repair_order: Any) -> None:
    walk_to(repair_order.pk, org, "accepted")
    perform(repair_order.pk, "contact", org.tech, {"outcome": "no_answer"})
    sms = Notification.objects.get(kind="could_not_reach", order=repair_order)
    assert (sms.to_phone, sms.body) == ("13812345678", COULD_NOT_REACH)
    assert sms.params == {
        "company": "中国电信",
        "technician_name": "Tech",
        "technician_phone": "13900000000",
    }
    # The technician's phone page shows the very text the customer was sent.
    c = Client()
    c.force_login(org.tech)
    page = c.get(f"/m/orders/{repair_order.pk}/").content.decode()
    assert f"系统已给客户发送短信：<blockquote>{COULD_NOT_REACH}</blockquote>" in page
    # A call that got through tells the customer nothing.
    perform(repair_order.pk, "contact", org.tech, {"outcome": "reached"})
    assert Notification.objects.filter(order=repair_order, kind="could_not_reach").count() == 1
    assert not Notification.objects.filter(kind="customer_sms").exists()


def test_the_could_not_reach_sms_says_what_the_admin_wrote_and_stops_when_switched_off(
    org: Any, repair_order: Any
) -> None:
    walk_to(repair_order.pk, org, "accepted")
    template = Template.objects.get(code="could_not_reach")
    template.body = "{customer_name}您好，工单{order_number}的{technician_name}未能联系上您。"
    template.save()
    perform(repair_order.pk, "contact", org.tech, {"outcome": "unreachable"})
    sms = Notification.objects.get(kind="could_not_reach", order=repair_order)
    assert sms.body == f"张三您好，工单{repair_order.number}的Tech未能联系上您。"

    template.active = False
    template.save()
    perform(repair_order.pk, "contact", org.tech, {"outcome": "no_answer"})
    assert Notification.objects.filter(order=repair_order, kind="could_not_reach").count() == 1
    c = Client()
    c.force_login(org.tech)
    page = c.get(f"/m/orders/{repair_order.pk}/").content.decode()
    assert 'id="sms-sent"' not in page and "系统会给客户发送短信" not in page
