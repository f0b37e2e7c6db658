from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from doorstep.core.errors import DoorstepError
from doorstep.orders.access import may_take_intake, staff_of
from doorstep.org.models import roles_of


def _signed_in(user: Any) -> bool:
    """The page admits everyone signed in and shows each what their reach holds."""
    return True


def _may_see_site_reports(user: Any) -> bool:
    from doorstep.care.api import site_reports_for

    try:
        site_reports_for(user)  # a lazy query: only the role check runs
    except DoorstepError:
        return False
    return True


def _pages() -> list[tuple[str, str, Callable[[Any], bool]]]:
    """The round's pages: (label, URL name, the check the page's view makes itself), so a link
    is drawn exactly for whom the page answers."""
    from doorstep.customers.views import may_print_badges
    from doorstep.notifications.views import may_read_deliveries
    from doorstep.quality.services import may_see_flags, may_work_desk

    return [
        ("回访台", "quality:callbacks", may_work_desk),
        ("投诉", "quality:complaints", may_work_desk),
        ("疑似虚假回单", "quality:flags", may_see_flags),
        ("批量障碍", "incidents:list", _signed_in),
        ("客户请求", "customers:requests", _signed_in),
        ("客户问题", "care:questions", _signed_in),
        ("损坏赔偿", "care:claims", _signed_in),
        ("施工条件", "care:sites", _may_see_site_reports),
        ("工牌", "customers:badge-list", may_print_badges),
        ("发送记录", "notifications:deliveries", may_read_deliveries),
    ]


def nav(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = roles_of(user)
    staff = staff_of(user)
    return {
        "roles": roles,
        "staff": staff,
        "can_intake": may_take_intake(user),
        "more_links": [(label, reverse(name)) for label, name, admits in _pages() if admits(user)],
    }
