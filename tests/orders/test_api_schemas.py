"""The orders API answers through typed schemas (doorstep/orders/schemas.py) and its JSON is
still exactly what doorstep/orders/serializers.py builds: a field the serializers have and the
schemas lack would silently vanish from the API, so every answer of a whole walk is compared
with the serializers' own output, field for field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client

from doorstep.orders.hooks import clocks_of
from doorstep.orders.models import Attachment, WorkOrder
from doorstep.orders.serializers import order_detail, order_summary
from tests.api.test_api import Api, login, png, upload
from tests.conftest import install_data, iso

START = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)  # 09:30 in Hangzhou, a Tuesday

ORDER_FIELDS = {
    "id",
    "number",
    "kind",
    "fault_class",
    "status",
    "branch",
    "customer",
    "technician",
    "reported_at",
    "appointment",
    "area",
    "version",
}
DETAIL_FIELDS = ORDER_FIELDS | {
    "symptom",
    "product",
    "channel",
    "received_by",
    "approved_deadline",
    "location",
    "repeat_of",
    "repeat_of_number",
    "incident",
    "completed_at",
    "closed_at",
    "clocks",
    "history",
    "chases",
    "complaints",
    "attachments",
}
CLOCK_FIELDS = {"name", "status", "started_at", "deadline", "paused_seconds", "stopped_at"}


def plain(value: Any) -> Any:
    """What the serializers' dicts look like once they are JSON."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def as_built(order_id: int, username: str) -> dict[str, Any]:
    from django.contrib.auth.models import User

    order = WorkOrder.objects.select_related(
        "branch", "customer", "technician", "received_by", "repeat_of"
    ).get(pk=order_id)
    return plain(order_detail(order, User.objects.get(username=username)))


def same_as_built(resp: Any, username: str, status: int = 200) -> dict[str, Any]:
    assert resp.status_code == status, resp.content
    body = resp.json()
    assert set(body) == DETAIL_FIELDS
    assert body == as_built(body["id"], username)
    return body


@pytest.fixture
def walk(org: Any) -> Any:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_every_answer_of_a_walk_is_what_the_serializers_build(walk: Any) -> None:
    op, disp, tech, qa = (login(Client(), u) for u in ("operator", "dispatcher", "tech", "quality"))
    created = same_as_built(op.post("/orders", install_data(area="DG-01")), "operator", 201)
    oid = created["id"]
    assert created["customer"]["phone"] == "0571-87654321"  # the office sees it in full

    appointment = START + timedelta(hours=3)
    steps: list[tuple[Api, str, str, dict[str, Any]]] = [
        (disp, "dispatcher", "assign", {"technician": "tech"}),
        (tech, "tech", "accept", {}),
        (tech, "tech", "contact", {"outcome": "reached", "note": "约好下午"}),
        (
            tech,
            "tech",
            "schedule",
            {"start": iso(appointment), "end": iso(appointment + timedelta(hours=1))},
        ),
        (op, "operator", "chase", {"by": "customer", "note": "客户催单"}),
        (tech, "tech", "depart", {"checklist": ["鞋套", "垫布", "抹布", "垃圾袋", "服务卡"]}),
        (tech, "tech", "arrive", {"lat": 30.31, "lng": 120.13}),
        (tech, "tech", "consent", {"subject": "drill_wall", "granted": True}),
    ]
    for api, username, action, body in steps:
        walk.shift(timedelta(minutes=20))
        same_as_built(api.act(oid, action, body), username)

    walk.shift(timedelta(minutes=20))
    photo = upload(tech, oid, "photo", png())
    speed = upload(tech, oid, "speed_test", png(), down_mbps="512.3", up_mbps="55.1")
    sig = upload(tech, oid, "signature", png((300, 100)))
    for answer in (photo, speed, sig):
        assert answer.status_code == 201, answer.content
        att = Attachment.objects.get(pk=answer.json()["id"])
        assert answer.json() == {
            "id": att.pk,
            "kind": att.kind,
            "content_type": att.content_type,
            "size": att.size,
            "sha256": att.sha256,
        }
    done = same_as_built(
        tech.act(
            oid,
            "complete",
            {"resolution": "已开通 500M", "signature": sig.json()["id"], "rating": 5},
        ),
        "tech",
    )
    assert done["status"] == "completed" and len(done["attachments"]) == 3
    assert done["location"] is None  # completed: no longer the technician's to see (R22)
    assert done["customer"]["masked"] is True

    walk.shift(timedelta(hours=1))
    complained = same_as_built(
        op.act(oid, "complain", {"channel": "hotline", "note": "装机后网速慢"}), "operator"
    )
    assert complained["chases"] == 1
    assert [(c["channel"], c["finding"]) for c in complained["complaints"]] == [("hotline", None)]

    # A fault on the same line soon after: a repeat (R13), then grouped into an incident (R14).
    walk.shift(timedelta(hours=2))
    repeat = same_as_built(
        op.post(
            "/orders",
            {
                "kind": "repair",
                "fault_class": "line",
                "customer": install_data()["customer"],
                "symptom": "无法上网",
                "branch": "GS",
                "area": "DG-01",
            },
        ),
        "operator",
        201,
    )
    assert repeat["repeat_of"] == oid and repeat["repeat_of_number"] == created["number"]
    opened = disp.post("/incidents", {"branch": "GS", "area": "DG-01", "orders": [repeat["id"]]})
    assert opened.status_code == 201, opened.content
    grouped = same_as_built(op.get(f"/orders/{repeat['id']}"), "operator")
    assert grouped["incident"] == opened.json()["id"]

    # The technician's view of the first order, now closed out: masked, still the same JSON.
    seen = same_as_built(tech.get(f"/orders/{oid}"), "tech")
    assert seen["customer"]["phone"] != "0571-87654321"
    in_full = same_as_built(op.get(f"/orders/{oid}"), "operator")
    assert seen["history"][0]["payload"]["customer"]["phone"] == "0571-****4321"
    assert in_full["history"][0]["payload"]["customer"]["phone"] == "0571-87654321"


def test_the_list_and_the_clocks_answer_what_the_serializers_build(walk: Any) -> None:
    from django.contrib.auth.models import User

    op = login(Client(), "operator")
    oid = same_as_built(op.post("/orders", install_data()), "operator", 201)["id"]
    walk.shift(timedelta(minutes=45))
    user = User.objects.get(username="operator")
    order = WorkOrder.objects.select_related("branch", "customer", "technician").get(pk=oid)

    listed = op.get("/orders", page_size=10)
    assert listed.status_code == 200, listed.content
    assert listed.json() == {
        "count": 1,
        "page": 1,
        "page_size": 10,
        "results": [plain(order_summary(order, user))],
    }
    assert set(listed.json()["results"][0]) == ORDER_FIELDS

    for at in (None, START + timedelta(minutes=10), START - timedelta(days=1)):
        params = {"at": iso(at)} if at else {}
        clocks = op.get(f"/orders/{oid}/clocks", **params)
        assert clocks.status_code == 200, clocks.content
        assert clocks.json() == plain(clocks_of(order, at))
    running = op.get(f"/orders/{oid}/clocks").json()
    assert running and all(set(c) == CLOCK_FIELDS for c in running)
    # Times keep the offset the serializer wrote (not re-encoded as "Z" or cut to milliseconds).
    assert running[0]["started_at"] == order.reported_at.isoformat()


def test_a_replayed_answer_and_the_refusals_keep_their_shapes(walk: Any) -> None:
    op, disp = login(Client(), "operator"), login(Client(), "dispatcher")
    key = {"Idempotency-Key": "m-replay-1"}
    first = same_as_built(op.post("/orders", install_data(), **key), "operator", 201)
    again = same_as_built(op.post("/orders", install_data(), **key), "operator", 201)
    assert again == first

    later = START + timedelta(hours=2)
    refusals = [
        (Client().get(f"/api/v1/orders/{first['id']}"), 401),
        (op.act(first["id"], "assign", {"technician": "tech"}), 403),
        (op.get("/orders/999999"), 404),
        (
            disp.act(
                first["id"],
                "schedule",
                {"start": iso(later), "end": iso(later + timedelta(hours=1))},
            ),
            409,
        ),
        (op.act(first["id"], "contact", {"outcome": "maybe"}), 422),
        # A page past any offset the database takes is bad input, not a server error.
        (op.get("/orders", page=10**27), 422),
    ]
    for resp, status in refusals:
        assert resp.status_code == status, (status, resp.content)
        error = resp.json()["error"]
        assert {"code", "message"} <= set(error) and isinstance(error["message"], str)


def test_the_openapi_document_describes_every_order_answer_and_refusal(org: Any) -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert set(schemas["ClockOut"]["properties"]) >= CLOCK_FIELDS
    assert set(schemas["OrderDetail"]["properties"]) == DETAIL_FIELDS
    assert set(schemas["OrderSummary"]["properties"]) == ORDER_FIELDS
    assert set(schemas["OrderCustomerOut"]["properties"]) >= {"name", "phone", "address", "masked"}
    assert schemas["ErrorOut"]["properties"]["error"] == {
        "$ref": "#/components/schemas/ErrorDetail"
    }
    order_ops = [
        (path, method, op)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if op.get("tags") == ["orders"]
    ]
    assert len(order_ops) >= 20
    for path, method, op in order_ops:
        for status in ("400", "401", "403", "404", "409", "422", "429"):
            refusal = op["responses"].get(status, {}).get("content", {})
            assert refusal.get("application/json", {}).get("schema") == {
                "$ref": "#/components/schemas/ErrorOut"
            }, (method, path, status)
