"""The delivery log: every notice and webhook delivery with its tries (managers and admins)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from doorstep.notifications.models import Channel, Notification, Status, WebhookSubscription
from doorstep.org.choices import Role
from doorstep.org.models import roles_of

MAY_READ_LOG = {Role.MANAGER, Role.ADMIN}
PAGE_SIZE = 50


def may_read_deliveries(user: Any) -> bool:
    return bool(roles_of(user) & MAY_READ_LOG)


@login_required
def deliveries(request: HttpRequest) -> HttpResponse:
    if not may_read_deliveries(request.user):
        raise PermissionDenied("只有管理人员可以查看发送记录")
    notes = Notification.objects.select_related("subscription", "order").prefetch_related("tries")
    channel = request.GET.get("channel", "")
    channel = channel if channel in Channel.values else ""
    status = request.GET.get("status", "")
    status = status if status in Status.values else ""
    sub = request.GET.get("subscription", "")
    sub = sub if sub.isdigit() else ""
    if channel:
        notes = notes.filter(channel=channel)
    if status:
        notes = notes.filter(status=status)
    if sub:
        notes = notes.filter(subscription_id=int(sub))
    page = Paginator(notes.order_by("-created_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = urlencode(
        {k: v for k, v in (("channel", channel), ("status", status), ("subscription", sub)) if v}
    )
    with timezone.override("Asia/Shanghai"):
        return render(
            request,
            "notifications/deliveries.html",
            {
                "page": page,
                "query": query,
                "channels": Channel.choices,
                "statuses": Status.choices,
                "subscriptions": WebhookSubscription.objects.all(),
                "channel": channel,
                "status": status,
                "subscription": sub,
            },
        )
