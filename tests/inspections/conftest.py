from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from doorstep.orders.actions import create_order
from doorstep.orders.models import WorkOrder
from tests.conftest import repair_data

SH = ZoneInfo("Asia/Shanghai")


def visit(org: Any, n: int, completed: datetime, tech: Any = None, branch: str = "GS") -> Any:
    """The n-th visit, completed at `completed` by `tech`. The path through the lifecycle is
    other tests' business: only the two fields the plan reads are set here."""
    phone = f"1381234{n:04d}"
    data = repair_data(
        branch=branch,
        customer={"name": f"客户{n}", "phone": phone, "address": f"杭州市拱墅区{n}幢"},
    )
    order, _ = create_order(org.operator, data)
    WorkOrder.objects.filter(pk=order.pk).update(
        technician=tech or org.tech, completed_at=completed
    )
    order.refresh_from_db()
    return order


@pytest.fixture
def items() -> dict[str, Any]:
    """The default checklist (migration 0002) by code."""
    from doorstep.inspections.models import ChecklistItem

    return {i.code: i for i in ChecklistItem.objects.all()}
