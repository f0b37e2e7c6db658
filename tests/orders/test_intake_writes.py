"""What an intake writes, and in how many statements (the intake bench's path)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from doorstep.orders.actions import create_order
from doorstep.orders.history import verify_history
from doorstep.orders.models import OrderEvent, WorkOrder
from doorstep.org.models import Customer
from tests.conftest import repair_data


def _customer(**fields: Any) -> dict[str, Any]:
    return {"name": "张三", "phone": "13812345678", "address": "大关小区3幢501室", **fields}


def test_a_new_customer_is_registered_with_the_order_and_its_event(org: Any) -> None:
    order, event = create_order(org.operator, repair_data(customer=_customer()))
    customer = Customer.objects.get()
    assert order.customer_id == customer.pk and customer.created_at is not None
    assert WorkOrder.objects.get().customer_id == customer.pk
    stored = OrderEvent.objects.get()
    assert stored.pk == event.pk and stored.order_id == order.pk == event.order_id
    assert stored.payload["customer_id"] == customer.pk
    assert stored.hash == event.hash == WorkOrder.objects.get().history_head
    assert list(verify_history()) == []


def test_the_account_is_matched_before_the_phone_and_address(org: Any) -> None:
    at_address, _ = create_order(org.operator, repair_data(customer=_customer()))
    elsewhere, _ = create_order(
        org.operator,
        repair_data(customer=_customer(phone="13900000001", address="和睦新村1幢", account="A1")),
    )
    order, _ = create_order(org.operator, repair_data(customer=_customer(account="A1")))
    assert order.customer_id == elsewhere.customer_id != at_address.customer_id
    # No account match: the customer at this phone and address, given the account now.
    again, _ = create_order(org.operator, repair_data(customer=_customer(account="A2")))
    assert again.customer_id == at_address.customer_id
    assert Customer.objects.get(pk=at_address.customer_id).account == "A2"
    assert Customer.objects.count() == 2


def test_an_existing_customer_keeps_a_grade_the_report_did_not_send(org: Any) -> None:
    first, _ = create_order(org.operator, repair_data(customer=_customer(grade="vip")))
    second, _ = create_order(org.operator, repair_data(customer=_customer(name="张三丰")))
    assert second.customer_id == first.customer_id
    customer = Customer.objects.get()
    assert (customer.grade, customer.name) == ("vip", "张三丰")


def test_an_intake_for_a_new_customer_takes_five_statements_on_postgresql(org: Any) -> None:
    create_order(org.operator, repair_data(customer=_customer(phone="13700000000")))
    with CaptureQueriesContext(connection) as q:
        create_order(org.operator, repair_data())
    if connection.vendor == "postgresql":
        # The branch the payload names; the number with the customer lookup; customer, order
        # and event; the clocks; the notice (and BEGIN, COMMIT outside pytest's transaction).
        writes = [x["sql"][:60] for x in q.captured_queries if "SAVEPOINT" not in x["sql"]]
        assert len(writes) == 5, writes


def test_a_save_signal_on_a_model_of_the_intake_is_still_sent(org: Any) -> None:
    """The chained insert sends no signals, so a receiver makes the intake save row by row."""
    from django.db.models.signals import post_save

    saved: list[str] = []

    def receiver(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
        saved.append(type(instance).__name__)

    for model in (Customer, WorkOrder, OrderEvent):
        post_save.connect(receiver, sender=model, dispatch_uid=f"test-{model.__name__}")
    try:
        create_order(org.operator, repair_data(customer=_customer()))
    finally:
        for model in (Customer, WorkOrder, OrderEvent):
            post_save.disconnect(sender=model, dispatch_uid=f"test-{model.__name__}")
    assert {"Customer", "WorkOrder", "OrderEvent"} <= set(saved)
    assert list(verify_history()) == []
