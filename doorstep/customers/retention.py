"""Retention (R22): a customer's personal data is erased once every order of theirs has been
closed (or cancelled) for `DOORSTEP_RETENTION_DAYS`. The worker loop calls `run_due`.

What is erased: the customer row's name, phone, account, address and position; the words they
typed through their link (`CustomerRequest.text`, with the salt of its digest, so the digest in
the history can no longer be matched against a guess); their links are revoked. Other apps add
their own copies with `@erases_personal_data` (e.g. the outbox's recipients).

Positions and the copies inside events (`erase_orders_personal_data` below): the orders' and
their photos' lat/lng, and each event's sealed personal fields (the intake's customer block and
location, `arrive` positions, the not-home note's contact), through
`doorstep.orders.history.erase_personal_fields`: the values become null, their digests stay.

What stays, and why the history still verifies: the order rows, their events and clocks, the
ratings' stars, the area code and the customer grade: every KPI input. The hash chain hashes a
sealed field as its salted digest, so nulling the value and keeping the digest leaves every hash
as it was; the customer's own words never were in an event (only their salted digest). Events
recorded before the seal existed (seal 0) hash their payload as stored: they are left as they
are and logged (docs/history.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from doorstep.core import clock
from doorstep.customers import throttle
from doorstep.customers.conf import conf
from doorstep.customers.models import AnonymisedCustomer, CustomerLink, CustomerRequest
from doorstep.orders.choices import TERMINAL
from doorstep.orders.history import PERSONAL_FIELDS, erase_personal_fields
from doorstep.orders.models import Attachment, OrderEvent, WorkOrder
from doorstep.org.models import Customer

log = logging.getLogger(__name__)

ANONYMOUS = "已匿名"
BATCH = 200

# Functions that erase other apps' copies of a customer's data: (customer, order ids, now).
Eraser = Callable[[Customer, list[int], datetime], None]
_erasers: list[Eraser] = []


def erases_personal_data(fn: Eraser) -> Eraser:
    if fn not in _erasers:
        _erasers.append(fn)
    return fn


def due_customers(now: datetime, limit: int = BATCH) -> list[int]:
    """Customers with orders, all of them closed or cancelled before the retention cut-off."""
    cutoff = now - timedelta(days=conf("DOORSTEP_RETENTION_DAYS"))
    live = WorkOrder.objects.exclude(status__in=TERMINAL).values("customer_id")
    recent = WorkOrder.objects.filter(closed_at__gt=cutoff).values("customer_id")
    undated = WorkOrder.objects.filter(closed_at__isnull=True).values("customer_id")
    return list(
        Customer.objects.filter(orders__isnull=False, anonymised__isnull=True)
        .exclude(pk__in=live)
        .exclude(pk__in=recent)
        .exclude(pk__in=undated)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()[:limit]
    )


def anonymise(customer_id: int, worker_name: str, now: datetime) -> bool:
    """Erase one customer's personal data; False when another worker got there first."""
    try:
        with transaction.atomic():
            AnonymisedCustomer.objects.create(customer_id=customer_id, at=now, worker=worker_name)
            customer = Customer.objects.select_for_update().get(pk=customer_id)
            order_ids = list(customer.orders.values_list("pk", flat=True))
            customer.name = ANONYMOUS
            customer.phone = ""
            customer.account = ""
            customer.address = ANONYMOUS
            customer.lat = None
            customer.lng = None
            customer.save(update_fields=["name", "phone", "account", "address", "lat", "lng"])
            CustomerRequest.objects.filter(order_id__in=order_ids).update(
                text="", salt="", answer="", anonymised_at=now
            )
            CustomerLink.objects.filter(order_id__in=order_ids, revoked_at__isnull=True).update(
                revoked_at=now
            )
            for erase in list(_erasers):
                erase(customer, order_ids, now)
    except IntegrityError:
        return False
    return True


@erases_personal_data
def erase_orders_personal_data(customer: Customer, order_ids: list[int], now: datetime) -> None:
    """The customer's positions on their orders and photos, and the sealed personal fields of
    their orders' events (the hashes stay valid; see doorstep/orders/history.py)."""
    WorkOrder.objects.filter(pk__in=order_ids).update(lat=None, lng=None)
    Attachment.objects.filter(order_id__in=order_ids).update(lat=None, lng=None)
    events = OrderEvent.objects.filter(order_id__in=order_ids, action__in=list(PERSONAL_FIELDS))
    erase_personal_fields(events.filter(seal__gt=0).order_by("pk"))
    legacy = events.filter(seal=0).count()
    if legacy:
        log.warning(
            "retention: customer %s: %d events recorded before the seal keep their personal data",
            customer.pk,
            legacy,
        )


# The loop calls every duty each few seconds; retention is a matter of days, so a worker looks
# at most this often (tests and scripts that pass `now` always run).
EVERY_SECONDS = 3600.0
_next_pass = 0.0


def run_due(worker_name: str, now: datetime | None = None) -> int:
    """One pass for the worker loop: anonymise the customers that are due; how many it did."""
    global _next_pass
    if now is None:
        if time.monotonic() < _next_pass:
            return 0
        _next_pass = time.monotonic() + EVERY_SECONDS
        now = clock.now()
    # Housekeeping that needs no duty of its own: ended windows of the database rate limit.
    throttle.purge_expired(now)
    done = 0
    for customer_id in due_customers(now):
        try:
            done += anonymise(customer_id, worker_name, now)
        except Exception:
            # One bad row must not stop retention for everybody else.
            log.exception("retention: could not anonymise customer %s", customer_id)
    return done
