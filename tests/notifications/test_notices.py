"""Customer notices: admin-edited Chinese templates, R23-checked, queued by the order actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from doorstep.notifications.models import Notification, Template
from doorstep.notifications.notices import ACTION_TEMPLATE, CUSTOMER_TEMPLATES, LEGACY_KIND
from doorstep.orders.actions import perform
from doorstep.org.models import Staff
from tests.conftest import iso, walk_to
from tests.ratings.helpers import rated

pytestmark = pytest.mark.django_db


def customer_notes(order: Any) -> list[Notification]:
    return list(
        Notification.objects.filter(
            order=order, kind__in=CUSTOMER_TEMPLATES + (LEGACY_KIND,)
        ).order_by("id")
    )


def test_every_default_template_is_free_of_banned_phrases() -> None:
    defaults = Template.objects.all()
    assert {t.code for t in defaults} == set(CUSTOMER_TEMPLATES) >= set(ACTION_TEMPLATE.values())
    for template in defaults:
        template.full_clean()


def test_a_template_with_a_banned_phrase_is_refused_with_the_rewording() -> None:
    template = Template.objects.get(code="running_late")
    template.body = "{customer_name}，不知道，我没办法，晚点到。"
    with pytest.raises(ValidationError) as exc:
        template.full_clean()
    assert "服务禁语" in exc.value.message_dict["body"][0]


def test_a_template_naming_an_unknown_parameter_is_refused() -> None:
    template = Template.objects.get(code="completed")
    template.body = "您好 {customr_name}"
    template.params = ["nobody"]
    with pytest.raises(ValidationError) as exc:
        template.full_clean()
    assert "{customr_name}" in exc.value.message_dict["body"][0]
    assert "nobody" in exc.value.message_dict["params"][0]


def test_intake_tells_the_customer_the_order_was_received(repair_order: Any) -> None:
    (note,) = customer_notes(repair_order)
    assert note.template == "order_received" and note.to_phone == "13812345678"
    assert note.status == "queued" and repair_order.number in note.body
    assert note.body.startswith("张三您好") and "修障" in note.body
    assert note.params["order_number"] == repair_order.number


def test_assignment_names_the_technician_and_marks_what_does_not_exist_yet(
    org: Any, repair_order: Any
) -> None:
    Staff.objects.filter(user=org.tech).update(name="李强", employee_no="1024")
    walk_to(repair_order.pk, org, "dispatched")
    note = customer_notes(repair_order)[-1]
    assert note.template == "technician_assigned"
    assert "李强" in note.body and "工号1024" in note.body and "星级暂无" in note.body
    assert note.params["customer_link"] == "（客户链接暂未开通）"
    rated(org.tech, 4)  # the latest computed stars (doorstep.ratings)
    perform(repair_order.pk, "assign", org.dispatcher, {"technician": "other_tech"})
    perform(repair_order.pk, "assign", org.dispatcher, {"technician": "tech"})
    assert "星级4 星" in customer_notes(repair_order)[-1].body


def test_booking_and_moving_the_visit_tell_the_customer_the_local_time(
    org: Any, repair_order: Any
) -> None:
    walk_to(repair_order.pk, org, "scheduled")
    booked = customer_notes(repair_order)[-1]
    start = timezone.localtime(
        repair_order.__class__.objects.get(pk=repair_order.pk).appointment_start
    )
    assert booked.template == "appointment_booked"
    assert start.strftime("%m月%d日 %H:%M") in booked.body  # Asia/Shanghai, the branch's zone
    later = timezone.now() + timedelta(days=1)
    perform(
        repair_order.pk,
        "reschedule",
        org.tech,
        {
            "start": iso(later),
            "end": iso(later + timedelta(hours=1)),
            "reason": "客户要求改到明天",
            "requested_by": "customer",
        },
    )
    moved = customer_notes(repair_order)[-1]
    assert moved.template == "visit_moved" and "客户要求改到明天" in moved.body


def test_an_unanswered_call_queues_one_could_not_reach_you_sms(org: Any, repair_order: Any) -> None:
    walk_to(repair_order.pk, org, "accepted")
    perform(repair_order.pk, "contact", org.tech, {"outcome": "no_answer"})
    perform(repair_order.pk, "contact", org.tech, {"outcome": "reached"})
    sent = [n for n in customer_notes(repair_order) if "未接通" in n.body]
    assert len(sent) == 1 and "13900000000" in sent[0].body


def test_a_template_switched_off_sends_nothing(org: Any, repair_order: Any) -> None:
    template = Template.objects.get(code="technician_assigned")
    template.active = False
    template.save()  # as the admin site does: every process forgets its copy within seconds
    walk_to(repair_order.pk, org, "dispatched")
    assert [n.template for n in customer_notes(repair_order)] == ["order_received"]


def test_an_admins_edit_is_what_the_customer_gets(org: Any, repair_order: Any) -> None:
    template = Template.objects.get(code="technician_assigned")
    template.body = "{customer_name}您好，{technician_name}师傅为您服务。"
    template.provider_template_id = "SMS_1"
    template.save()
    walk_to(repair_order.pk, org, "dispatched")
    note = customer_notes(repair_order)[-1]
    assert note.body == "张三您好，Tech师傅为您服务。" and note.provider_template_id == "SMS_1"


def test_cancelling_the_order_withdraws_notices_not_yet_sent(org: Any, repair_order: Any) -> None:
    perform(repair_order.pk, "cancel", org.dispatcher, {"reason": "客户撤单"})
    assert [n.status for n in customer_notes(repair_order)] == ["cancelled"]


def test_with_a_public_address_the_assignment_sms_carries_a_working_customer_link(
    org: Any, repair_order: Any, settings: Any
) -> None:
    from doorstep.customers.links import open_link

    settings.DOORSTEP_PUBLIC_URL = "https://door.example.cn/"
    walk_to(repair_order.pk, org, "dispatched")
    note = customer_notes(repair_order)[-1]
    link = note.params["customer_link"]
    assert link.startswith("https://door.example.cn/") and link in note.body
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert open_link(token).pk == repair_order.pk


def test_an_admin_edits_a_template_in_the_admin_site_and_is_named(db: Any) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    boss = User.objects.create_superuser("root", password="pw-root")
    client = Client()
    client.force_login(boss)
    template = Template.objects.get(code="running_late")
    url = f"/admin/notifications/template/{template.pk}/change/"
    form = {
        "code": template.code,
        "name": template.name,
        "body": "{customer_name}您好，不知道，我没办法，晚点到。",
        "provider_template_id": "SMS_77",
        "params": '["customer_name"]',
        "active": "on",
    }
    refused = client.post(url, form)
    assert refused.status_code == 200 and "服务禁语" in refused.content.decode()
    assert Template.objects.get(pk=template.pk).provider_template_id == ""
    form["body"] = "{customer_name}您好，师傅大约晚到二十分钟，非常抱歉。"
    assert client.post(url, form).status_code == 302
    saved = Template.objects.get(pk=template.pk)
    assert saved.provider_template_id == "SMS_77" and saved.updated_by == boss


def test_retries_cover_about_five_hours() -> None:
    from doorstep.notifications.sender import backoff, max_attempts

    waits = [backoff(n) for n in range(1, max_attempts())]
    assert waits[:3] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2)]
    assert max(waits) == timedelta(hours=1)
    assert timedelta(hours=5) <= sum(waits, timedelta()) < timedelta(hours=5, minutes=10)
