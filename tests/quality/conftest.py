from __future__ import annotations

import io
from typing import Any

import pytest
import time_machine
from PIL import Image

from doorstep.orders.actions import create_order, perform
from doorstep.orders.attachments import store_attachment
from tests.conftest import repair_data

D = "2026-11-20"


@pytest.fixture
def at() -> Any:
    """`with at("2026-11-20 09:05"):` — Shanghai wall time, clock frozen."""

    def travel(when: str) -> Any:
        return time_machine.travel(f"{when} +0800", tick=False)

    return travel


@pytest.fixture(autouse=True)
def audit_policy(db: Any) -> None:
    from doorstep.quality.policy import ensure_default

    ensure_default()


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 120, 40)).save(buf, "PNG")
    return buf.getvalue()


def do(at: Any, when: str, order: Any, action: str, actor: Any, **payload: Any) -> Any:
    with at(when):
        return perform(order.pk, action, actor, payload)[0]


def completed(
    org: Any, at: Any, day: str = D, *, phone: str = "13812345678", assign: bool = True
) -> Any:
    """A line fault reported at 09:00, visited and closed out at 11:00 by `tech` (with a photo
    and the arrival position), as the action layer records it."""
    data = repair_data(
        customer={"name": "张三", "phone": phone, "address": f"大关小区{phone[-3:]}室"}
    )
    with at(f"{day} 09:00"):
        order, _ = create_order(org.operator, data)
    do(at, f"{day} 09:05", order, "assign", org.dispatcher, technician="tech")
    do(at, f"{day} 09:06", order, "accept", org.tech)
    do(at, f"{day} 09:10", order, "contact", org.tech, outcome="reached")
    do(
        at,
        f"{day} 09:11",
        order,
        "schedule",
        org.tech,
        start=f"{day}T10:00:00+08:00",
        end=f"{day}T11:00:00+08:00",
    )
    do(at, f"{day} 09:40", order, "depart", org.tech)
    do(at, f"{day} 09:55", order, "arrive", org.tech, lat=30.3271, lng=120.1412)
    with at(f"{day} 10:30"):
        store_attachment(order.pk, org.tech, kind="photo", data=png(), filename="a.png")
    return do(
        at,
        f"{day} 11:00",
        order,
        "complete",
        org.tech,
        resolution="更换光猫，恢复上网",
        no_signature_reason="客户不便签字",
        rating=5,
    )
