"""The outbox's copies of a customer's phone number and of the texts sent to them, erased with
the rest of the customer's data when the retention period ends (doorstep.customers.retention
calls every registered eraser). Staff notices (those with a recipient) are not the customer's
data and stay; the delivery log keeps only times, outcomes and provider ids."""

from __future__ import annotations

from datetime import datetime

from doorstep.customers.retention import erases_personal_data
from doorstep.notifications.models import Notification
from doorstep.org.models import Customer

ERASED = "（已匿名）"


@erases_personal_data
def erase_customer_notices(customer: Customer, order_ids: list[int], now: datetime) -> None:
    Notification.objects.filter(order_id__in=order_ids, recipient__isnull=True).update(
        to_phone="", body=ERASED, params={}
    )
