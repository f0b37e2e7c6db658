from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

SHANGHAI = "+08:00"


@dataclass
class Org:
    gs: Any
    tl: Any
    operator: Any
    dispatcher: Any
    quality: Any
    manager: Any
    admin: Any
    tech: Any  # urban technician, the one orders get assigned to
    other_tech: Any  # urban technician of the same branch
    township_tech: Any

    def user(self, name: str) -> Any:
        return getattr(self, name)


def make_user(
    username: str,
    roles: list[str],
    branch: Any = None,
    technician: bool = False,
    skills: list[str] | None = None,
) -> Any:
    from django.contrib.auth.models import Group, User

    from doorstep.org.models import Staff

    user = User.objects.create_user(username=username, password="pw-" + username)
    user.groups.set([Group.objects.get(name=r) for r in roles])
    Staff.objects.create(
        user=user,
        employee_no=f"E{user.pk:04d}",
        name=username.title(),
        phone="13900000000",
        branch=branch,
        is_technician=technician,
        skills=skills or ["broadband"],
    )
    return user


# Rows the migrations load (policies, calendars, notice templates, their history): captured once
# after the test database is built, so tests that follow a transactional test (which flushes
# every table) find them again — every app's data migration, not only the standards defaults.
_SEED: list[list[dict[str, Any]]] = []
_SEED_APPS = ("doorstep.",)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    from django.apps import apps
    from django.core import serializers

    with django_db_blocker.unblock():
        for model in apps.get_models():
            if model.__module__.startswith(_SEED_APPS) and model.objects.exists():
                # "python", not "json": JSON keeps milliseconds only, and the policy history's
                # hash chain covers the exact times.
                _SEED.append(serializers.serialize("python", model._base_manager.order_by("pk")))


def ensure_policies() -> None:
    """Put back the migrations' rows when a transactional test has flushed them."""
    from django.core import serializers
    from django.core.management.color import no_style
    from django.db import connection

    from doorstep.standards import policies
    from doorstep.standards.models import Policy

    policies.clear_cache()
    if Policy.objects.exists():
        return
    if not _SEED:  # a test run that did not build the database (--reuse-db)
        policies.load_defaults()
        policies.clear_cache()
        return
    models = set()
    for dump in _SEED:
        for obj in serializers.deserialize("python", dump):
            obj.save()
            models.add(type(obj.object))
    with connection.cursor() as cur:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cur.execute(sql)
    policies.clear_cache()
    from doorstep.notifications import cache as notice_cache

    notice_cache.clear()


@pytest.fixture
def org(db: Any) -> Org:
    from doorstep.org.models import Branch

    ensure_policies()
    gs = Branch.objects.create(code="GS", name="拱墅营维中心", region_type="urban")
    tl = Branch.objects.create(code="TL", name="桐庐营维中心", region_type="township")
    return Org(
        gs=gs,
        tl=tl,
        operator=make_user("operator", ["operator"]),
        dispatcher=make_user("dispatcher", ["dispatcher"], gs),
        quality=make_user("quality", ["quality"]),
        manager=make_user("manager", ["manager"]),
        admin=make_user("admin", ["admin"]),
        tech=make_user("tech", ["technician"], gs, technician=True),
        other_tech=make_user("other_tech", ["technician"], gs, technician=True),
        township_tech=make_user("township_tech", ["technician"], tl, technician=True),
    )


def repair_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "repair",
        "fault_class": "line",
        "customer": {
            "name": "张三",
            "phone": "13812345678",
            "address": "杭州市拱墅区大关小区3幢2单元501室",
        },
        "symptom": "光猫 LOS 灯红色闪烁，无法上网",
        "branch": "GS",
    }
    data.update(overrides)
    return data


def install_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "install",
        "customer": {
            "name": "李四",
            "phone": "0571-87654321",
            "address": "杭州市拱墅区和睦新村12幢1单元302室",
            "grade": "vip",
        },
        "product": "500M 宽带 + IPTV",
        "branch": "GS",
    }
    data.update(overrides)
    return data


def iso(dt: datetime) -> str:
    return dt.isoformat()


@pytest.fixture
def repair_order(org: Org) -> Any:
    from doorstep.orders.actions import create_order

    order, _ = create_order(org.operator, repair_data())
    return order


def walk_to(order_id: int, org: Org, target: str, now: datetime | None = None) -> None:
    """Drive an order through the normal path up to `target` via the action layer."""
    from django.utils import timezone

    from doorstep.orders.actions import perform

    now = now or timezone.now()
    start = now + timedelta(hours=1)
    steps = [
        ("dispatched", "assign", org.dispatcher, {"technician": "tech"}),
        ("accepted", "accept", org.tech, {}),
        (
            "scheduled",
            "schedule",
            org.tech,
            {"start": iso(start), "end": iso(start + timedelta(hours=1))},
        ),
        ("en_route", "depart", org.tech, {"checklist": ["鞋套"]}),
        ("on_site", "arrive", org.tech, {}),
    ]
    for state, action, actor, payload in steps:
        perform(order_id, action, actor, payload)
        if state == target:
            return
    raise AssertionError(f"walk_to cannot reach {target}")


def bearer(username: str) -> dict[str, str]:
    """Authorization header for a persona (password "pw-<username>")."""
    import json

    from django.test import Client

    resp = Client().post(
        "/api/v1/auth/token",
        data=json.dumps({"username": username, "password": "pw-" + username}),
        content_type="application/json",
    )
    return {"Authorization": f"Bearer {resp.json()['token']}"}
