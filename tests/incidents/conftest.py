from __future__ import annotations

from typing import Any

import pytest
import time_machine

from doorstep.orders.actions import create_order
from tests.conftest import make_user, repair_data

AREA = "GS-DG-01"


@pytest.fixture
def at() -> Any:
    """`with at("2026-12-01 09:05"):` — Shanghai wall time, clock frozen."""

    def travel(when: str) -> Any:
        return time_machine.travel(f"{when} +0800", tick=False)

    return travel


@pytest.fixture
def lead(org: Any) -> Any:
    """The GS team lead (班长), told first when an incident opens."""
    from doorstep.incidents.policy import ensure_default
    from doorstep.org.models import Team

    ensure_default()
    ensure_notice_templates()
    user = make_user("lead", ["technician"], org.gs, technician=True)
    Team.objects.create(branch=org.gs, name="大关班", lead=user)
    return user


def ensure_notice_templates() -> None:
    """Transactional tests flush every table, the default notice templates too."""
    import importlib

    from django.apps import apps

    from doorstep.notifications import cache
    from doorstep.notifications.models import Template

    if not Template.objects.filter(code="batch_fault").exists():
        migration = importlib.import_module(
            "doorstep.notifications.migrations.0003_default_templates"
        )
        migration.add_defaults(apps, None)
    cache.clear()


def report(org: Any, n: int, *, phone: str | None = None, area: str = AREA, **extra: Any) -> Any:
    """The n-th customer of the area reports a fault (same phone and address: same customer)."""
    phone = phone or f"1381234{n:04d}"
    data = repair_data(
        customer={
            "name": f"客户{n}",
            "phone": phone,
            "address": f"杭州市拱墅区大关小区{phone[-2:]}幢",
        },
        area=area,
        location={"lat": 30.31 + n * 0.001, "lng": 120.14 + (n % 3) * 0.001},
        **extra,
    )
    order, _ = create_order(org.operator, data)
    return order
