"""`{% order_link order %}`: an order's number, as a link only when the viewer may open it.

Every page that names an order draws it with this tag, so a technician is never offered a link
that answers "not found" (an order since given to a colleague, the earlier order a repeat
refers to, …). The check is `doorstep.orders.access.may_open`, the rule the pages themselves
use; it needs the order's branch, technician and registrar ids, no query.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html

from doorstep.orders.access import may_open, may_open_on_phone

register = template.Library()


@register.simple_tag(takes_context=True)
def order_link(context: template.Context, order: Any, text: str = "", phone: bool = False) -> str:
    """`text` defaults to the order number; `phone=True` links the technician's phone page,
    which opens only the orders assigned to them."""
    label = text or order.number
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return format_html('<span class="order-ref">{}</span>', label)
    if phone:
        allowed = may_open_on_phone(user, order)
        url = reverse("field:order", args=[order.pk])
    else:
        allowed = may_open(user, order)
        url = reverse("web:order_detail", args=[order.pk])
    if not allowed:
        return format_html('<span class="order-ref" title="无权查看该工单">{}</span>', label)
    return format_html('<a href="{}">{}</a>', url, label)


@register.simple_tag(takes_context=True)
def can_open(context: template.Context, order: Any, phone: bool = False) -> bool:
    """`{% can_open order as ok %}` for links that need their own markup."""
    user = getattr(context.get("request"), "user", None)
    if user is None:
        return False
    return may_open_on_phone(user, order) if phone else may_open(user, order)
