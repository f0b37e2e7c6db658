"""Retention: a year after a customer's last order closed, the worker erases their personal data;
the history still verifies and nothing a KPI reads changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from doorstep.customers import retention
from doorstep.customers.links import make_link
from doorstep.customers.models import CustomerRequest
from doorstep.customers.requests import customer_acts
from doorstep.orders.actions import create_order, perform
from doorstep.orders.history import verify_history
from doorstep.orders.hooks import clocks_of
from doorstep.orders.models import OrderEvent, WorkOrder
from doorstep.org.models import Customer
from tests.conftest import install_data, repair_data, walk_to

pytestmark = pytest.mark.django_db


def closed_order(org: Any) -> WorkOrder:
    order, _ = create_order(org.operator, repair_data())
    walk_to(order.pk, org, "on_site")
    perform(
        order.pk,
        "complete",
        org.tech,
        {"resolution": "更换光猫", "rating": 4, "no_signature_reason": "客户外出"},
    )
    fresh = WorkOrder.objects.get(pk=order.pk)
    customer_acts(fresh, "rate", stars=5, text="师傅很好，我家电话13812345678")
    perform(order.pk, "callback", org.quality, {"score": 9, "satisfied": True})
    return WorkOrder.objects.get(pk=order.pk)


def kpi_inputs(order: WorkOrder) -> tuple[Any, ...]:
    o = WorkOrder.objects.get(pk=order.pk)
    events = list(OrderEvent.objects.filter(order=o).values_list("seq", "action", "hash"))
    stars = [e.payload.get("stars") for e in OrderEvent.objects.filter(order=o, action="rate")]
    return (
        o.status,
        o.kind,
        o.technician_id,
        o.reported_at,
        o.completed_at,
        o.closed_at,
        o.customer.grade,
        o.area_code,
        events,
        stars,
        clocks_of(o),
    )


def test_a_year_after_closing_the_customer_is_anonymised_and_history_verifies(
    org: Any, settings: Any
) -> None:
    settings.DOORSTEP_RETENTION_DAYS = 365
    order = closed_order(org)
    link = make_link(org.dispatcher, order.pk)
    before = kpi_inputs(order)
    assert retention.run_due("w1", now=timezone.now() + timedelta(days=364)) == 0

    assert retention.run_due("w1", now=timezone.now() + timedelta(days=366)) == 1
    customer = Customer.objects.get(pk=order.customer_id)
    assert (customer.name, customer.phone, customer.address, customer.account) == (
        "已匿名",
        "",
        "已匿名",
        "",
    )
    note = CustomerRequest.objects.get(order=order)
    assert note.text == "" and note.salt == "" and note.anonymised_at is not None
    assert kpi_inputs(order) == before
    assert list(verify_history()) == []
    # The link is revoked; a second pass finds nothing more to do.
    assert Client().get(link.path).status_code == 410
    assert retention.run_due("w1", now=timezone.now() + timedelta(days=400)) == 0


def test_a_customer_with_a_recent_or_open_order_keeps_their_data(org: Any, settings: Any) -> None:
    settings.DOORSTEP_RETENTION_DAYS = 365
    closed_order(org)
    # The same customer (same phone and address) reports again: their data is in use.
    create_order(org.operator, repair_data())
    other, _ = create_order(org.operator, install_data())  # open, never closed
    assert retention.run_due("w1", now=timezone.now() + timedelta(days=800)) == 0
    assert Customer.objects.filter(name="张三").exists()
    assert Customer.objects.get(pk=other.customer_id).name == "李四"


def test_two_workers_never_anonymise_the_same_customer_twice(org: Any, settings: Any) -> None:
    settings.DOORSTEP_RETENTION_DAYS = 1
    order = closed_order(org)
    later = timezone.now() + timedelta(days=2)
    assert retention.anonymise(order.customer_id, "w1", later) is True
    assert retention.anonymise(order.customer_id, "w2", later) is False
    assert retention.run_due("w2", now=later) == 0


def test_the_worker_loop_looks_at_most_once_an_hour(org: Any, settings: Any) -> None:
    settings.DOORSTEP_RETENTION_DAYS = 0
    retention._next_pass = 0.0
    first = closed_order(org)
    assert retention.run_due("w1") == 1  # closed "0 days ago" is due at once
    second, _ = create_order(org.operator, install_data())
    perform(second.pk, "cancel", org.operator, {"reason": "客户取消"})
    assert retention.run_due("w1") == 0  # the next look is an hour away
    retention._next_pass = 0.0
    assert retention.run_due("w1") == 1
    assert Customer.objects.get(pk=first.customer_id).name == "已匿名"


def test_retention_erases_the_outboxs_copies_of_the_customers_phone_and_texts(
    org: Any, settings: Any
) -> None:
    from doorstep.notifications.models import Notification

    settings.DOORSTEP_RETENTION_DAYS = 365
    order = closed_order(org)
    customer = Customer.objects.get(pk=order.customer_id)
    to_customer = Notification.objects.filter(order=order, recipient__isnull=True)
    assert to_customer.filter(to_phone=customer.phone).exists()  # the "受理" notice at least
    staff = set(
        Notification.objects.filter(order=order, recipient__isnull=False).values_list("pk", "body")
    )

    assert retention.run_due("w1", now=timezone.now() + timedelta(days=366)) == 1
    assert not to_customer.exclude(to_phone="").exists()
    assert set(to_customer.values_list("body", flat=True)) == {"（已匿名）"}
    assert not to_customer.exclude(params={}).exists()
    # Notices to staff are not the customer's data.
    assert (
        set(
            Notification.objects.filter(order=order, recipient__isnull=False).values_list(
                "pk", "body"
            )
        )
        == staff
    )
