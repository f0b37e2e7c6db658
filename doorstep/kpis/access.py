"""Who may see which KPI rows. Built on the project's one gate (roles and staff_of):

- admin, manager, quality, dispatcher: their branch's rows, or any branch when they have none;
- technician: only their own row, at technician level;
- anyone else (an intake operator): none.
A user with an office role and the technician role gets the office scope.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from doorstep.core.errors import Forbidden, InvalidInput
from doorstep.kpis.choices import Level
from doorstep.orders.access import staff_of
from doorstep.org.choices import Role
from doorstep.org.models import Branch, roles_of

OFFICE = {Role.ADMIN, Role.MANAGER, Role.QUALITY, Role.DISPATCHER}


@dataclass(frozen=True)
class KpiScope:
    branches: Collection[Branch] | None  # None: every branch
    keys: Collection[str] | None  # None: every row of those branches


def kpi_scope(user: Any, level: str, branch_code: str | None = None) -> KpiScope:
    requested = None
    if branch_code:
        requested = Branch.objects.filter(code=branch_code).first()
        if requested is None:
            raise InvalidInput({"branch": f"分公司 {branch_code} 不存在"})
    roles = roles_of(user)
    if roles & OFFICE:
        staff = staff_of(user)
        own = staff.branch if staff is not None else None
        if own is None:
            return KpiScope([requested] if requested else None, None)
        if requested is not None and requested.pk != own.pk:
            raise Forbidden("只能查看本分公司的指标")
        return KpiScope([own], None)
    if Role.TECHNICIAN in roles:
        if level != Level.TECHNICIAN:
            raise Forbidden("装维人员只能查看本人的指标")
        return KpiScope([requested] if requested else None, {user.get_username()})
    raise Forbidden("无权查看指标")
