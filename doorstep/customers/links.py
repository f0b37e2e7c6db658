"""The customer's link (SPEC §5): made for one order, short enough for an SMS, expiring.

The token is 16 random URL-safe characters (96 bits); only its SHA-256 is stored, with the
expiry. An altered token matches no row (404); an expired or revoked one answers 410. Neither
shows anything of the order.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.urls import reverse

from doorstep.core import clock
from doorstep.core.errors import DoorstepError, Forbidden, NotFound
from doorstep.customers.conf import conf
from doorstep.customers.models import CustomerLink
from doorstep.orders.access import BRANCH_WIDE, visible_orders
from doorstep.orders.choices import TERMINAL, Status
from doorstep.orders.models import WorkOrder
from doorstep.org.choices import Role
from doorstep.org.models import roles_of


class LinkGone(DoorstepError):
    status = 410
    code = "gone"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def may_make_link(user: Any, order: WorkOrder) -> bool:
    """Office roles for the orders they can see; a technician only on their own open order."""
    roles = roles_of(user)
    if roles & BRANCH_WIDE:
        return True
    return Role.TECHNICIAN in roles and order.technician_id == user.pk and order.is_open


def link_deadline(order: WorkOrder, made_at: datetime) -> datetime:
    """When a link made at `made_at` stops working: N days, and never past the close limit."""
    until = made_at + timedelta(days=conf("DOORSTEP_CUSTOMER_LINK_DAYS"))
    if order.status in TERMINAL and order.closed_at is not None:
        grace = timedelta(days=conf("DOORSTEP_CUSTOMER_LINK_AFTER_CLOSE_DAYS"))
        until = min(until, order.closed_at + grace)
    return until


@dataclass(frozen=True)
class IssuedLink:
    path: str
    expires_at: datetime


def make_link(user: Any, order_id: int) -> IssuedLink:
    order = visible_orders(user).filter(pk=order_id).first()
    if order is None:
        raise NotFound("工单不存在或无权查看")
    if not may_make_link(user, order):
        raise Forbidden("装维人员只能为自己名下未完成的工单生成客户链接")
    return _issue(order, user)


def link_for_notice(order: WorkOrder) -> str:
    """A fresh link for a message to the customer (the outbox's "technician assigned",
    "completed, please rate" …), made by the system: the full URL, from DOORSTEP_PUBLIC_URL."""
    return conf("DOORSTEP_PUBLIC_URL").rstrip("/") + _issue(order, None).path


def _issue(order: WorkOrder, user: Any) -> IssuedLink:
    if order.status == Status.CANCELLED:
        raise Forbidden("工单已撤销")
    now = clock.now()
    expires = link_deadline(order, now)
    if expires <= now:
        raise LinkGone("工单归档已超过客户链接的有效期")
    token = secrets.token_urlsafe(12)
    CustomerLink.objects.create(
        order=order, token_hash=_digest(token), created_by=user, created_at=now, expires_at=expires
    )
    return IssuedLink(reverse("customers:link", args=[token]), expires)


def revoke_links(user: Any, order_id: int) -> int:
    order = visible_orders(user).filter(pk=order_id).first()
    if order is None:
        raise NotFound("工单不存在或无权查看")
    if not may_make_link(user, order):
        raise Forbidden("无权撤销该工单的客户链接")
    return CustomerLink.objects.filter(order=order, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )


def open_link(token: str) -> WorkOrder:
    """The order behind a token, or NotFound (no such token) / LinkGone (expired, revoked)."""
    if not (8 <= len(token) <= 64):
        raise NotFound("链接无效")
    link = (
        CustomerLink.objects.select_related("order", "order__branch", "order__technician")
        .filter(token_hash=_digest(token))
        .first()
    )
    if link is None:
        raise NotFound("链接无效")
    now = clock.now()
    order = link.order
    expired = now >= link.expires_at or now >= link_deadline(order, link.created_at)
    if link.revoked_at is not None or expired:
        raise LinkGone("链接已失效")
    if order.status == Status.CANCELLED:
        raise LinkGone("工单已撤销")
    return order


def absolute(request: Any, path: str) -> str:
    base = conf("DOORSTEP_PUBLIC_URL").rstrip("/")
    return f"{base}{path}" if base else str(request.build_absolute_uri(path))
