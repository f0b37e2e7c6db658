"""GET /api/v1/orders/{id}/notifications and the delivery log page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from doorstep.notifications.models import Notification, WebhookSubscription
from doorstep.notifications.sender import send_due
from doorstep.orders.actions import create_order
from tests.conftest import bearer, repair_data, walk_to

pytestmark = pytest.mark.django_db


def notifications(order_id: int, username: str) -> Any:
    return Client().get(f"/api/v1/orders/{order_id}/notifications", headers=bearer(username))


def test_the_orders_notices_are_listed_with_the_phone_masked(org: Any, repair_order: Any) -> None:
    walk_to(repair_order.pk, org, "dispatched")
    send_due("w1", now=datetime(2099, 1, 1, tzinfo=UTC), limit=1)  # the oldest goes out
    resp = notifications(repair_order.pk, "dispatcher")
    assert resp.status_code == 200
    body = resp.json()
    assert body["count"] == 2
    assigned, received = body["results"]
    assert received["template"] == "order_received" and received["status"] == "sent"
    assert received["sent_at"] is not None and received["channel"] == "sms"
    assert assigned["template"] == "technician_assigned" and assigned["status"] == "queued"
    assert assigned["sent_at"] is None
    assert {r["to"] for r in body["results"]} == {"138****5678"}
    assert "13812345678" not in resp.content.decode()


def test_a_notice_being_sent_shows_as_queued(org: Any, repair_order: Any) -> None:
    Notification.objects.filter(order=repair_order).update(status="sending")
    (row,) = notifications(repair_order.pk, "dispatcher").json()["results"]
    assert row["status"] == "queued"


def test_someone_who_may_not_see_the_order_gets_404(org: Any, repair_order: Any) -> None:
    walk_to(repair_order.pk, org, "dispatched")  # assigned to `tech`, not `other_tech`
    assert notifications(repair_order.pk, "tech").status_code == 200
    resp = notifications(repair_order.pk, "other_tech")
    assert resp.status_code == 404 and resp.json()["error"]["code"]
    assert notifications(999999, "dispatcher").status_code == 404


def test_without_a_token_it_is_401(repair_order: Any) -> None:
    assert Client().get(f"/api/v1/orders/{repair_order.pk}/notifications").status_code == 401


def test_the_delivery_log_shows_each_try_to_managers_only(org: Any) -> None:
    WebhookSubscription.objects.create(
        name="计费系统", url="http://127.0.0.1:9/hook", secret="s" * 32, events=["create"]
    )
    order, _ = create_order(org.operator, repair_data())
    send_due("w1", now=datetime(2099, 1, 1, tzinfo=UTC))  # webhook: connection refused
    client = Client()
    client.force_login(org.manager)
    page = client.get("/notifications/deliveries/?channel=webhook").content.decode()
    assert "计费系统" in page and order.number in page and "无法连接" in page
    assert "第 1 次" in page and "稍后重试" in page
    assert "受理通知" not in page  # filtered to webhooks: the SMS is not listed
    everything = client.get("/notifications/deliveries/").content.decode()
    assert (
        "受理通知" in everything and "138****5678" in everything and "13812345678" not in everything
    )
    client.force_login(org.tech)
    assert client.get("/notifications/deliveries/").status_code == 403


def test_the_admin_site_shows_the_outbox_read_only_with_phones_masked(repair_order: Any) -> None:
    from django.contrib.auth.models import User

    client = Client()
    client.force_login(User.objects.create_superuser("root", password="pw-root"))
    note = Notification.objects.get(order=repair_order)
    listing = client.get("/admin/notifications/notification/").content.decode()
    detail = client.get(f"/admin/notifications/notification/{note.pk}/change/")
    assert detail.status_code == 200
    for page in (listing, detail.content.decode()):
        assert "138****5678" in page and "13812345678" not in page
    assert client.get("/admin/notifications/notification/add/").status_code == 403
