"""The one gate for who may see which orders (STYLE.md: one function, tested by a matrix).

- admin, manager, quality, operator: every order of their branch, or of all branches when
  they have none (a central desk);
- dispatcher: the orders of their branch (all, when they have none);
- technician: orders assigned to them, and orders they registered themselves (township crews
  take reports in person).
A user with several roles sees the union.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from doorstep.orders.models import WorkOrder
from doorstep.org.choices import RegionType, Role
from doorstep.org.models import Staff, roles_of

BRANCH_WIDE = {Role.ADMIN, Role.MANAGER, Role.QUALITY, Role.OPERATOR, Role.DISPATCHER}


def staff_of(user: Any) -> Staff | None:
    cached = getattr(user, "_doorstep_staff", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return,return-value]
    staff = Staff.objects.filter(user_id=user.pk).select_related("branch", "team").first()
    user._doorstep_staff = staff
    return staff


@dataclass(frozen=True)
class Reach:
    """Which orders a user may open, as data, so that the filter for lists (`order_scope`) and
    the check for one order in hand (`may_open`, used before a link is drawn) are one rule."""

    everywhere: bool = False
    branch_id: int | None = None  # the branch of an office role
    own_user_id: int | None = None  # a technician: assigned to them or registered by them


def reach_of(user: Any) -> Reach | None:
    """None: nothing at all."""
    if not getattr(user, "is_authenticated", False):
        return None
    roles = roles_of(user)
    staff = staff_of(user)
    reach: Reach | None = None
    if roles & BRANCH_WIDE:
        if staff is None or staff.branch_id is None:
            reach = Reach(everywhere=True)
        else:
            reach = Reach(branch_id=staff.branch_id)
    if Role.TECHNICIAN in roles and not (reach and reach.everywhere):
        reach = Reach(branch_id=reach.branch_id if reach else None, own_user_id=user.pk)
    return reach


def order_scope(user: Any) -> Q | None:
    """A filter for the orders `user` may see; None means nothing at all."""
    reach = reach_of(user)
    if reach is None:
        return None
    if reach.everywhere:
        return Q()
    scope: Q | None = None
    if reach.branch_id is not None:
        scope = Q(branch_id=reach.branch_id)
    if reach.own_user_id is not None:
        own = Q(technician_id=reach.own_user_id) | Q(received_by_id=reach.own_user_id)
        scope = own if scope is None else scope | own
    return scope


def may_open(user: Any, order: WorkOrder) -> bool:
    """May `user` open this order's page? The same rule as `order_scope`, for an order in hand:
    pages ask it before they draw a link, so nobody is linked to a page that answers 404."""
    reach = reach_of(user)
    if reach is None:
        return False
    if reach.everywhere:
        return True
    if reach.branch_id is not None and order.branch_id == reach.branch_id:
        return True
    return reach.own_user_id is not None and reach.own_user_id in (
        order.technician_id,
        order.received_by_id,
    )


def may_open_on_phone(user: Any, order: WorkOrder) -> bool:
    """The phone pages walk a technician through their own visits: orders assigned to them."""
    return order.technician_id == getattr(user, "pk", None) and may_open(user, order)


def visible_orders(user: Any) -> QuerySet[WorkOrder]:
    scope = order_scope(user)
    if scope is None:
        return WorkOrder.objects.none()
    return WorkOrder.objects.filter(scope)


def can_see_personal_data(user: Any, order: WorkOrder) -> bool:
    """R22 lives in `doorstep.orders.privacy.may_see_personal_data`; this name is kept for
    callers written before the gate moved there."""
    from doorstep.orders.privacy import may_see_personal_data

    return may_see_personal_data(user, order)


def may_take_intake(user: Any) -> bool:
    """Who may register orders (the intake desk, the phone lookup): the roles the state table
    allows to `create`, technicians only in a township branch (SPEC §2)."""
    roles = roles_of(user)
    if roles & {Role.OPERATOR, Role.DISPATCHER}:
        return True
    staff = staff_of(user) if Role.TECHNICIAN in roles else None
    return bool(staff and staff.branch and staff.branch.region_type == RegionType.TOWNSHIP)
