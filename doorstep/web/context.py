from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from doorstep.orders.access import may_take_intake, staff_of
from doorstep.org.models import roles_of


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
    }
