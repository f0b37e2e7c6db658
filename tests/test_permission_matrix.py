"""The permission matrix of docs/permissions.md, checked cell by cell against the running code.

The test reads the two Markdown tables (actions, pages) straight from the document, so the
written table is the only copy: a cell changed in the code without the document, or in the
document without the code, fails here and names the row, the role and the order's relation.

An action is "permitted" when the gate lets it through: 200, or a refusal that only comes after
the gate (409 for the order's state, 422 from a handler — every payload sent here is valid, which
`test_every_payload_sent_is_valid` holds). 403 and 404 are refusals. A page is permitted when it
answers 200; 403, 404 and a redirect to the login page are refusals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from tests.conftest import iso, make_user, repair_data

DOC = Path(__file__).resolve().parents[1] / "docs" / "permissions.md"
ROLES = (
    "operator",
    "dispatcher",
    "technician",
    "township technician",
    "quality",
    "manager",
    "admin",
)
RELATIONS = ("own", "same team", "other team", "other branch")
YES, NO = "✓", "✗"


def read_table(first_header: str) -> dict[str, dict[str, tuple[str, ...]]]:
    """{row: {role: (mark per relation)}} of the table whose first column is `first_header`.
    A cell of one mark holds for every relation; four marks are own, same team, other team,
    other branch."""
    rows: dict[str, dict[str, tuple[str, ...]]] = {}
    header: list[str] | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if header[0] != first_header or set(cells[0]) <= {"-", ":"}:
            continue
        key = cells[0].strip("`")
        marks: dict[str, tuple[str, ...]] = {}
        for role in ROLES:
            cell = tuple(cells[header.index(role)].split())
            assert len(cell) in (1, 4) and set(cell) <= {YES, NO}, f"{key} / {role}: {cell}"
            marks[role] = cell * 4 if len(cell) == 1 else cell
        rows[key] = marks
    assert rows, f"no table headed {first_header!r} in {DOC}"
    return rows


ACTIONS = read_table("action")
PAGES = read_table("page")
PERSONAL = read_table("personal data")
PHONE = repair_data()["customer"]["phone"]


@dataclass
class World:
    actors: dict[str, Any]  # role → the user acting in it
    orders: dict[str, dict[str, Any]]  # role → relation → the order


def _valid_payloads(world: World | None = None) -> dict[str, dict[str, Any]]:
    start = timezone.now() + timedelta(hours=2)
    window = {"start": iso(start), "end": iso(start + timedelta(hours=1))}
    return {
        "assign": {"technician": "tech"},
        "accept": {},
        "contact": {"outcome": "reached"},
        "schedule": window,
        "reschedule": {**window, "reason": "客户改时间", "requested_by": "customer"},
        "notify_delay": {"eta": iso(start), "reason": "堵车"},
        "depart": {"checklist": ["鞋套"]},
        "arrive": {},
        "absent": {
            "arrived_at": iso(timezone.now() - timedelta(minutes=20)),
            "left_at": iso(timezone.now() - timedelta(minutes=5)),
            "note": "客户不在家",
            "contact_phone": "13812345678",
            "contact_person": "邻居王阿姨",
        },
        "consent": {"subject": "drill_wall", "granted": True},
        "complete": {
            "resolution": "更换光猫，测速正常",
            "rating": 5,
            "no_signature_reason": "客户不便签字",
        },
        "suspend": {"reason": "customer_request"},
        "resume": {},
        "return": {"reason": "无端口资源"},
        "reply": {"message": "您好，师傅今天下午上门"},
        "chase": {"by": "customer"},
        "report_back": {"reason": "客户失联", "note": "三次电话未接"},
        "callback": {"score": 9, "satisfied": True},
        "complain": {"channel": "hotline"},
        "cancel": {"reason": "客户撤单"},
        "close": {},
        "verify_complaint": {"complaint": 1, "finding": "rejected", "note": "核查无误"},
        "claim_damage": {"what": "木地板", "customer_words": "地板划了", "apologized": True},
        "settle_damage": {"claim": 1, "amount": "10.00", "paid_via": "cash", "apologized": True},
        "site_not_ready": {"reason": "no_port", "customer_consent": True},
        "escalate_engineering": {
            "kind": "cable",
            "team": "电缆班",
            "team_phone": "13800000001",
            "customer_reached": True,
        },
    }


@pytest.fixture
def world(org: Any) -> World:
    from doorstep.orders.actions import create_order, perform
    from doorstep.org.models import Staff, Team

    gs1 = Team.objects.create(branch=org.gs, name="拱墅一班")
    gs2 = Team.objects.create(branch=org.gs, name="拱墅二班")
    tl1 = Team.objects.create(branch=org.tl, name="桐庐一班")
    tl2 = Team.objects.create(branch=org.tl, name="桐庐二班")
    gs_tech2 = make_user("gs_tech2", ["technician"], org.gs, technician=True)
    tl_tech2 = make_user("tl_tech2", ["technician"], org.tl, technician=True)
    tl_tech3 = make_user("tl_tech3", ["technician"], org.tl, technician=True)
    for user, team in [
        (org.tech, gs1),
        (org.other_tech, gs1),
        (gs_tech2, gs2),
        (org.township_tech, tl1),
        (tl_tech2, tl1),
        (tl_tech3, tl2),
    ]:
        Staff.objects.filter(user=user).update(team=team)

    def order(branch: str, technician: Any) -> Any:
        created, _ = create_order(org.operator, repair_data(branch=branch))
        perform(created.pk, "assign", None, {"technician": technician.username})
        created.refresh_from_db()
        return created

    gs_own, gs_team, gs_other = (order("GS", t) for t in (org.tech, org.other_tech, gs_tech2))
    tl_own, tl_team, tl_other = (order("TL", t) for t in (org.township_tech, tl_tech2, tl_tech3))
    office = dict(zip(RELATIONS, (gs_own, gs_team, gs_other, tl_own), strict=True))
    # The office roles of the matrix work for one branch (GS); a user without a branch is a
    # central desk and reaches every branch (docs/permissions.md).
    actors = {
        "operator": make_user("gs_operator", ["operator"], org.gs),
        "dispatcher": org.dispatcher,
        "technician": org.tech,
        "township technician": org.township_tech,
        "quality": make_user("gs_quality", ["quality"], org.gs),
        "manager": make_user("gs_manager", ["manager"], org.gs),
        "admin": make_user("gs_admin", ["admin"], org.gs),
    }
    orders = {role: office for role in actors}
    orders["township technician"] = dict(
        zip(RELATIONS, (tl_own, tl_team, tl_other, gs_own), strict=True)
    )
    return World(actors, orders)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rolled_back(call: Any) -> Any:
    """Run one request and undo what it wrote, so every cell meets the same orders."""
    with transaction.atomic():
        resp = call()
        transaction.set_rollback(True)
    return resp


def _action_permitted(client: Client, action: str, order: Any) -> bool:
    if action == "create":
        data = repair_data(branch=order.branch.code)
        resp = _rolled_back(
            lambda: client.post("/api/v1/orders", json.dumps(data), content_type="application/json")
        )
        assert resp.status_code in (201, 403, 422), (resp.status_code, resp.content[:300])
        return bool(resp.status_code == 201)
    action = action.removeprefix("customer ")
    from doorstep.orders.models import OrderEvent

    body = json.dumps(_valid_payloads().get(action, {}))
    url = f"/api/v1/orders/{order.pk}/actions/{action}"
    events = OrderEvent.objects.filter(order=order)
    before = events.count()
    appended = False

    def call() -> Any:
        nonlocal appended
        resp = client.post(url, body, content_type="application/json")
        appended = events.count() > before
        return resp

    resp = _rolled_back(call)
    assert resp.status_code in (200, 403, 404, 409, 422), (resp.status_code, resp.content[:300])
    return appended or resp.status_code not in (403, 404)


def _page_permitted(client: Client, url: str) -> bool:
    resp = client.get(url)
    if resp.status_code == 302:  # to the login page: refused; elsewhere: sent on (home → desk)
        return not resp["Location"].startswith(("/login/", "/admin/login/"))
    assert resp.status_code in (200, 403, 404), (url, resp.status_code)
    return bool(resp.status_code == 200)


def _check(
    world: World, role: str, table: dict[str, dict[str, tuple[str, ...]]], permitted: Any
) -> None:
    """Every cell of `role`'s column; the failure lists each wrong cell by row and relation."""
    client = client_for(world.actors[role])
    wrong = []
    for row, marks in table.items():
        relations = RELATIONS if "{order}" in row or row in ACTIONS else RELATIONS[:1]
        for relation, mark in zip(relations, marks[role], strict=False):
            got = YES if permitted(client, row, world.orders[role][relation]) else NO
            if got != mark:
                wrong.append(f"{row} / {role} / {relation}: the table says {mark}, the code {got}")
    assert not wrong, "\n".join(wrong)


# One test per role and table (building the orders once per test keeps the run short); a
# failure names every wrong cell.
@pytest.mark.parametrize("role", ROLES)
def test_actions(world: World, role: str) -> None:
    _check(world, role, ACTIONS, _action_permitted)


@pytest.mark.parametrize("role", ROLES)
def test_pages(world: World, role: str) -> None:
    _check(world, role, PAGES, lambda c, row, o: _page_permitted(c, row.format(order=o.pk)))


def _full_phone_shown(client: Client, row: str, order: Any) -> bool:
    resp = client.get(row.format(order=order.pk))
    return resp.status_code == 200 and PHONE in resp.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_personal_data(world: World, role: str) -> None:
    _check(world, role, PERSONAL, _full_phone_shown)


def test_every_action_of_the_state_tables_has_a_row() -> None:
    from doorstep.orders.states import CUSTOMER_TRANSITIONS, TRANSITIONS

    staff_rows = {a for a in ACTIONS if not a.startswith("customer ")}
    customer_rows = {a.removeprefix("customer ") for a in ACTIONS if a.startswith("customer ")}
    assert staff_rows == set(TRANSITIONS) - {"attach"}
    # The customer's chase is the staff's chase recorded with by=customer: the `chase` row.
    assert customer_rows == set(CUSTOMER_TRANSITIONS) - {"chase"}


def test_every_payload_sent_is_valid() -> None:
    """So a 422 in `test_action` comes from after the gate, never from the payload's schema."""
    from doorstep.orders.actions.core import _validated

    for action, payload in _valid_payloads().items():
        _validated(action, payload)


def test_a_technician_who_returns_an_order_is_told_it_worked(world: World) -> None:
    from doorstep.orders.models import WorkOrder

    order = world.orders["technician"]["own"]
    resp = client_for(world.actors["technician"]).post(
        f"/api/v1/orders/{order.pk}/actions/return",
        json.dumps(_valid_payloads()["return"]),
        content_type="application/json",
    )
    assert WorkOrder.objects.get(pk=order.pk).status == "returned"
    assert resp.status_code == 200
    # The order is no longer theirs: the answer shows it as R22 lets them see it now.
    assert resp.json()["status"] == "returned"
    assert order.customer.phone not in resp.content.decode()


def test_a_technician_sees_the_phone_masked_once_their_order_is_completed(
    world: World, org: Any
) -> None:
    """R22's "while the order is theirs and open": the cells above are open orders."""
    from doorstep.orders.actions import perform

    order = world.orders["technician"]["own"]
    payloads = _valid_payloads()
    for action in ("accept", "schedule", "depart", "arrive", "complete"):
        perform(order.pk, action, org.tech, payloads[action])
    tech = client_for(world.actors["technician"])
    assert tech.get(f"/api/v1/orders/{order.pk}").status_code == 200
    assert not _full_phone_shown(tech, "/api/v1/orders/{order}", order)
    desk = client_for(world.actors["dispatcher"])
    assert _full_phone_shown(desk, "/api/v1/orders/{order}", order)
