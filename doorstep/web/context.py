from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from doorstep.orders.access import staff_of
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
        "can_intake": bool(roles & {"operator", "dispatcher"})
        or (
            "technician" in roles
            and staff is not None
            and staff.branch is not None
            and staff.branch.region_type == "township"
        ),
    }
