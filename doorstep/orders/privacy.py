"""R22, the one gate for what a viewer may see of a customer (SPEC R22; 000 ch.4 §8.5).

Every page, API answer, board, list and export that shows a customer's phone number, address,
account, position — or an event payload carrying one of them — asks this module, so the rule
is written once:

- office roles (operator, dispatcher, quality, manager, admin) see them in full on the orders
  of their own branch, or of every branch when they have none (a central desk);
- a technician sees them in full only while the order is assigned to them and still open;
  a closed order, another technician's order, or one they only registered (township crews take
  reports in person) shows masked data;
- everybody else who can open the order sees the name and the masked phone and address:
  `138****5678`, `杭州市拱墅区大关****` — enough to recognise the customer, not to find them;
- positions (the order's location, the `arrive` coordinates, the intake `location`) are shown
  only to a viewer who may see the full address: a position is an address;
- exports carry full data only for the roles in `EXPORT_ROLES`, and only where the viewer may
  see the order's data in full at all.

Every time full data is shown, `log_personal_views` writes one `PersonalDataView` row per
order shown, naming the viewer, the time and the page (`via`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from doorstep.core import clock
from doorstep.core.phones import mask_phone
from doorstep.orders.access import BRANCH_WIDE, reach_of
from doorstep.orders.models import OrderEvent, PersonalDataView, WorkOrder
from doorstep.org.choices import Role
from doorstep.org.models import Customer, roles_of

__all__ = [
    "EXPORT_ROLES",
    "customer_lookup_view",
    "customer_view",
    "event_payload_view",
    "log_customer_views",
    "log_personal_views",
    "mask_address",
    "mask_phone",
    "may_export_personal_data",
    "may_see_customer",
    "may_see_personal_data",
    "payload_view",
    "position_view",
]

OFFICE_ROLES = BRANCH_WIDE
# Who may take customers' full phone numbers and addresses out of Doorstep in a file.
EXPORT_ROLES = {Role.MANAGER, Role.ADMIN}


def mask_address(address: str) -> str:
    """The first third (at least 4 characters: the district), then ****."""
    keep = max(4, len(address) // 3)
    return address[:keep] + "****"


def _office_branch_ok(user: Any, branch_id: int | None) -> bool:
    """The branch an office role works for (the access gate's reach) holds this one."""
    reach = reach_of(user)
    return reach is not None and (reach.everywhere or reach.branch_id == branch_id)


def may_see_personal_data(user: Any, order: WorkOrder) -> bool:
    """May `user` see this order's customer phone, address and positions in full (R22)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    roles = roles_of(user)
    if roles & OFFICE_ROLES and _office_branch_ok(user, order.branch_id):
        return True
    if Role.TECHNICIAN in roles:
        return order.technician_id == user.pk and order.is_open
    return False


def may_see_customer(user: Any, customer: Customer) -> bool:
    """The same rule for a customer looked up without an order (the intake phone lookup):
    office roles of the customer's branch; never a technician, whose full view comes with an
    open order assigned to them."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(roles_of(user) & OFFICE_ROLES) and _office_branch_ok(user, customer.branch_id)


def may_export_personal_data(user: Any, order: WorkOrder) -> bool:
    """Exports are masked unless the role allows (R22)."""
    return bool(roles_of(user) & EXPORT_ROLES) and may_see_personal_data(user, order)


def _customer_dict(customer: Customer, full: bool) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "name": customer.name,
        "phone": customer.phone if full else mask_phone(customer.phone),
        "address": customer.address if full else mask_address(customer.address),
        "account": (customer.account if full else "") or None,
        "grade": customer.grade,
        "masked": not full,
    }


def customer_view(user: Any, order: WorkOrder, *, export: bool = False) -> dict[str, Any]:
    """The order's customer as `user` may see them: id, name, phone, address, account, grade,
    and `masked` (True when phone and address are masked)."""
    full = may_export_personal_data(user, order) if export else may_see_personal_data(user, order)
    return _customer_dict(order.customer, full)


def customer_lookup_view(user: Any, customer: Customer) -> dict[str, Any]:
    """A customer found by phone number at the intake desk, as `user` may see them."""
    return _customer_dict(customer, may_see_customer(user, customer))


def position_view(user: Any, order: WorkOrder) -> dict[str, float] | None:
    """The order's location ({lat, lng}) or None when unknown or not for this viewer."""
    if order.lat is None or order.lng is None or not may_see_personal_data(user, order):
        return None
    return {"lat": order.lat, "lng": order.lng}


def payload_view(payload: Any, full: bool) -> Any:
    """An event payload with the customer's data masked unless `full`: the intake `customer`
    and `location`, the `arrive` position (lat/lng) and the visit note's `contact_phone`."""
    if full or not isinstance(payload, dict):
        return payload
    shown = dict(payload)
    customer = shown.get("customer")
    if isinstance(customer, dict):
        customer = dict(customer)
        if customer.get("phone"):
            customer["phone"] = mask_phone(str(customer["phone"]))
        if customer.get("address"):
            customer["address"] = mask_address(str(customer["address"]))
        if customer.get("account"):
            customer["account"] = None
        shown["customer"] = customer
    if "location" in shown:
        shown["location"] = None
    if "lat" in shown or "lng" in shown:
        shown["lat"] = shown["lng"] = None
    if shown.get("contact_phone"):
        shown["contact_phone"] = mask_phone(str(shown["contact_phone"]))
    return shown


def event_payload_view(user: Any, order: WorkOrder, event: OrderEvent) -> Any:
    """One event's payload as `user` may see it (see `payload_view`)."""
    return payload_view(event.payload, may_see_personal_data(user, order))


def log_personal_views(user: Any, orders: Iterable[WorkOrder], via: str) -> None:
    """R22: record that `user` was shown the full data of these orders' customers.

    One row per order whose data was shown in full (orders shown masked are not logged), in one
    insert: a list page of 30 orders costs one query. `via` names the page: api, api-list, web,
    web-list, phone, my-day, board, export.
    """
    at = clock.now()
    rows = [
        PersonalDataView(user=user, order=o, customer_id=o.customer_id, at=at, via=via)
        for o in orders
        if may_see_personal_data(user, o)
    ]
    if rows:
        PersonalDataView.objects.bulk_create(rows)


def log_customer_views(user: Any, customers: Iterable[Customer], via: str) -> None:
    """The same for customers shown without an order (the intake lookup)."""
    at = clock.now()
    rows = [
        PersonalDataView(user=user, customer=c, at=at, via=via)
        for c in customers
        if may_see_customer(user, c)
    ]
    if rows:
        PersonalDataView.objects.bulk_create(rows)
