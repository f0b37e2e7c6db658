"""My day: the technician's open orders, visits first in booked order, then what is to accept,
to book and what is suspended.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from doorstep.core import clock
from doorstep.field.views.common import (
    VISIT_STATES,
    next_step_label,
    own_orders,
    pre_call_window,
)
from doorstep.orders.access import staff_of
from doorstep.orders.choices import (
    TERMINAL,
    Action,
    Status,
)
from doorstep.orders.models import OrderEvent, WorkOrder
from doorstep.orders.privacy import customer_view, log_personal_views
from doorstep.org.choices import CustomerGrade
from doorstep.ratings import current_stars, star_text
from doorstep.standards.choices import ClockStatus
from doorstep.standards.models import Clock
from doorstep.ui.clocks import nearest_by_order

# -- my day -----------------------------------------------------------------------------------


@login_required
@require_GET
def my_day(request: HttpRequest) -> HttpResponse:
    user = request.user
    staff = staff_of(user)
    tz = ZoneInfo(staff.branch.timezone if staff and staff.branch else settings.TIME_ZONE)
    now = clock.now()
    today = timezone.localtime(now, tz).date()
    orders = list(
        own_orders(user)
        .exclude(status__in=[*TERMINAL, Status.COMPLETED, Status.RETURNED])
        .select_related("customer", "branch")
    )
    nearest = nearest_by_order([o.pk for o in orders], now)
    overdue = (
        Clock.objects.filter(order_id__in=[o.pk for o in orders], stopped_at__isnull=True)
        .filter(Q(status=ClockStatus.BREACHED) | Q(status=ClockStatus.RUNNING, deadline__lt=now))
        .values("order_id")
        .distinct()
        .count()
    )

    # Calls already made inside each booking's R3 window (one query for the whole day).
    windows = {o.pk: w for o in orders if (w := pre_call_window(o)) is not None}
    pre_called: set[int] = set()
    for order_id, when in OrderEvent.objects.filter(
        order_id__in=list(windows), action=Action.CONTACT
    ).values_list("order_id", "occurred_at"):
        opens, start, _ = windows[order_id]
        if opens <= when <= start:
            pre_called.add(order_id)

    def card(order: WorkOrder) -> dict[str, Any]:
        start = order.appointment_start
        local = timezone.localtime(start, tz) if start else None
        return {
            "order": order,
            "customer": customer_view(user, order),
            "vip": order.customer.grade == CustomerGrade.VIP,
            "next": next_step_label(order, now, order.pk in pre_called),
            "clock": nearest.get(order.pk),
            "start": local,
            "end": timezone.localtime(order.appointment_end, tz) if order.appointment_end else None,
            "past_day": local is not None and local.date() < today,
        }

    def by_start(o: WorkOrder) -> tuple[datetime, int]:
        return (o.appointment_start or now, o.pk)

    visits = sorted((o for o in orders if o.status in VISIT_STATES), key=by_start)
    ctx = {
        "today": today,
        "visits": [
            card(o)
            for o in visits
            if o.appointment_start is None
            or timezone.localtime(o.appointment_start, tz).date() <= today
        ],
        "later": [
            card(o)
            for o in visits
            if o.appointment_start is not None
            and timezone.localtime(o.appointment_start, tz).date() > today
        ],
        "to_accept": [
            card(o)
            for o in sorted(orders, key=lambda o: o.reported_at)
            if o.status == Status.DISPATCHED
        ],
        "to_book": [
            card(o)
            for o in sorted(orders, key=lambda o: o.reported_at)
            if o.status == Status.ACCEPTED
        ],
        "suspended": [card(o) for o in orders if o.status == Status.SUSPENDED],
        "overdue": overdue,
        "staff": staff,
        # The technician's own stars (doorstep.ratings), linking to why and how to improve.
        "stars": star_text(current_stars(user.pk)) if staff and staff.is_technician else None,
    }
    log_personal_views(user, orders, "my-day")
    return render(request, "field/my_day.html", ctx)
