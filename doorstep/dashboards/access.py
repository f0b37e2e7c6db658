"""Who sees which dashboard. Built on the KPI scope (doorstep.kpis.access) and the one gate
(roles_of, staff_of):

- the branch dashboard: managers and admins; a manager with a branch sees that branch, one
  without a branch (central) any branch;
- a technician's page: the technician, their team lead, and the office roles the KPI scope lets
  see the technician's branch.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from doorstep.kpis.access import OFFICE
from doorstep.orders.access import staff_of
from doorstep.org.choices import Role
from doorstep.org.models import Branch, Staff, roles_of

MANAGERS = {Role.MANAGER, Role.ADMIN}


def is_manager(user: Any) -> bool:
    return bool(roles_of(user) & MANAGERS)


def dashboard_branches(user: Any) -> list[Branch]:
    """The branches whose dashboard `user` may open: their own, or all for a central manager."""
    if not is_manager(user):
        raise PermissionDenied("只有管理人员可以查看看板")
    staff = staff_of(user)
    if staff is not None and staff.branch is not None:
        return [staff.branch]
    return list(Branch.objects.all())


def may_view_technician(user: Any, tech: Staff) -> bool:
    if tech.user_id == user.pk:
        return True
    if tech.team is not None and tech.team.lead_id == user.pk:
        return True
    if roles_of(user) & OFFICE:
        staff = staff_of(user)
        own = staff.branch_id if staff is not None else None
        return own is None or own == tech.branch_id
    return False
