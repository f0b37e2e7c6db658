from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from PIL import Image

from doorstep.api.models import ApiToken, hash_token
from doorstep.orders.models import WorkOrder
from tests.conftest import install_data, iso, repair_data


class Api:
    def __init__(self, client: Client, token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.client.post(
            f"/api/v1{path}",
            data=json.dumps(body or {}),
            content_type="application/json",
            headers={**self.headers, **headers},
        )

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def act(self, order_id: int, action: str, body: Any = None, **headers: str) -> Any:
        return self.post(f"/orders/{order_id}/actions/{action}", body, **headers)


def login(client: Client, username: str) -> Api:
    resp = client.post(
        "/api/v1/auth/token",
        data=json.dumps({"username": username, "password": "pw-" + username}),
        content_type="application/json",
    )
    assert resp.status_code == 200, resp.content
    return Api(client, resp.json()["token"])


@pytest.fixture
def as_(org: Any) -> Any:
    return lambda username: login(Client(), username)


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "white").save(buf, format="PNG")
    return buf.getvalue()


def upload(api: Api, order_id: int, kind: str, data: bytes, **fields: Any) -> Any:
    return api.client.post(
        f"/api/v1/orders/{order_id}/attachments",
        {"kind": kind, "file": _named(data), **fields},
        headers=api.headers,
    )


def _named(data: bytes, name: str = "evidence.png") -> io.BytesIO:
    f = io.BytesIO(data)
    f.name = name
    return f


def test_a_token_is_issued_for_a_password_and_stored_only_as_a_hash(org: Any) -> None:
    api = login(Client(), "operator")
    raw = api.headers["Authorization"].split()[1]
    row = ApiToken.objects.get(user=org.operator)
    assert row.key_hash == hash_token(raw) and raw not in row.key_hash


def test_a_wrong_password_a_missing_token_and_a_bad_token_get_401(org: Any) -> None:
    c = Client()
    bad = c.post(
        "/api/v1/auth/token",
        data=json.dumps({"username": "operator", "password": "nope"}),
        content_type="application/json",
    )
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "unauthorized"
    assert Api(c, None).get("/orders").status_code == 401
    resp = Api(c, "ds_forged").get("/orders")
    assert resp.status_code == 401 and "error" in resp.json()


def test_an_expired_token_is_refused(as_: Any) -> None:
    api = as_("operator")
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api.get("/orders").status_code == 401


def test_the_wrong_role_gets_403_with_the_error_shape(as_: Any) -> None:
    order = as_("operator").post("/orders", repair_data()).json()
    resp = as_("operator").act(order["id"], "assign", {"technician": "tech"})
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "forbidden"


def test_bad_input_names_the_field(as_: Any) -> None:
    api = as_("operator")
    resp = api.post(
        "/orders",
        repair_data(customer={"name": "张三", "phone": "12", "address": "杭州市拱墅区某处"}),
    )
    assert resp.status_code == 422
    err = resp.json()["error"]
    assert err["code"] == "invalid" and "customer.phone" in err["fields"]
    resp = api.post("/orders", repair_data(kind="teleport"))
    assert resp.status_code == 422 and "kind" in resp.json()["error"]["fields"]
    resp = api.post("/orders", repair_data(symptom=None))
    assert resp.status_code == 422 and list(resp.json()["error"]["fields"]) == ["symptom"]
    resp = api.post("/orders", repair_data(reported_at="2026-11-20 09:00"))
    assert resp.status_code == 422 and "reported_at" in resp.json()["error"]["fields"]
    assert WorkOrder.objects.count() == 0


def test_the_same_idempotency_key_never_makes_a_second_order(as_: Any) -> None:
    api = as_("operator")
    first = api.post("/orders", repair_data(), **{"Idempotency-Key": "k-123"})
    again = api.post("/orders", repair_data(), **{"Idempotency-Key": "k-123"})
    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and WorkOrder.objects.count() == 1
    other = api.post("/orders", repair_data(symptom="另一个故障"), **{"Idempotency-Key": "k-123"})
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["error"]["fields"]
    assert api.post("/orders", repair_data()).json()["id"] != first.json()["id"]


def test_an_illegal_transition_is_409_with_state_and_allowed_actions(as_: Any) -> None:
    order = as_("operator").post("/orders", repair_data()).json()
    start = timezone.now() + timedelta(hours=1)
    resp = as_("dispatcher").act(
        order["id"], "schedule", {"start": iso(start), "end": iso(start + timedelta(hours=1))}
    )
    assert resp.status_code == 409
    err = resp.json()["error"]
    assert err["state"] == "received" and "assign" in err["allowed_actions"]


def test_a_stale_if_match_version_is_409(as_: Any) -> None:
    order = as_("operator").post("/orders", repair_data()).json()
    disp = as_("dispatcher")
    assert (
        disp.act(
            order["id"], "assign", {"technician": "tech"}, **{"If-Match": str(order["version"])}
        ).status_code
        == 200
    )
    resp = disp.act(
        order["id"], "assign", {"technician": "other_tech"}, **{"If-Match": str(order["version"])}
    )
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "concurrent_change"


def test_an_unknown_action_is_404_and_unknown_order_is_404(as_: Any) -> None:
    api = as_("dispatcher")
    order = as_("operator").post("/orders", repair_data()).json()
    assert api.act(order["id"], "teleport").status_code == 404
    assert api.get("/orders/999999").status_code == 404


def test_a_technician_cannot_see_someone_elses_order(as_: Any) -> None:
    order = as_("operator").post("/orders", repair_data()).json()
    as_("dispatcher").act(order["id"], "assign", {"technician": "tech"})
    assert as_("other_tech").get(f"/orders/{order['id']}").status_code == 404
    mine = as_("tech").get(f"/orders/{order['id']}").json()
    assert mine["customer"]["phone"] == "13812345678" and mine["customer"]["masked"] is False


def walk_install(as_: Any) -> dict[str, Any]:
    op, disp, tech, qa = as_("operator"), as_("dispatcher"), as_("tech"), as_("quality")
    created = op.post("/orders", install_data(), **{"Idempotency-Key": "install-1"})
    assert created.status_code == 201, created.content
    oid = created.json()["id"]
    start = timezone.now() + timedelta(hours=2)
    steps = [
        (disp, "assign", {"technician": "tech"}, "dispatched"),
        (tech, "accept", {}, "accepted"),
        (tech, "contact", {"outcome": "no_answer"}, "accepted"),
        (tech, "contact", {"outcome": "reached", "note": "约好下午"}, "accepted"),
        (
            tech,
            "schedule",
            {"start": iso(start), "end": iso(start + timedelta(hours=1))},
            "scheduled",
        ),
        (tech, "depart", {"checklist": ["鞋套", "垫布", "抹布", "垃圾袋", "服务卡"]}, "en_route"),
        (tech, "arrive", {"lat": 30.31, "lng": 120.13}, "on_site"),
        (tech, "consent", {"subject": "drill_wall", "granted": True}, "on_site"),
    ]
    for api, action, body, expect in steps:
        resp = api.act(oid, action, body)
        assert resp.status_code == 200, (action, resp.content)
        assert resp.json()["status"] == expect
    photo = upload(tech, oid, "photo", png())
    assert photo.status_code == 201, photo.content
    speed = upload(tech, oid, "speed_test", png(), down_mbps="512.3", up_mbps="55.1")
    assert speed.status_code == 201
    sig = upload(tech, oid, "signature", png((300, 100)))
    done = tech.act(
        oid,
        "complete",
        {
            "resolution": "已开通 500M，测速 512M",
            "signature": sig.json()["id"],
            "rating": 5,
            "rating_comment": "师傅很专业",
        },
    )
    assert done.status_code == 200 and done.json()["status"] == "completed"
    closed = qa.act(oid, "callback", {"score": 10, "satisfied": True})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    return closed.json()


def test_an_install_walks_from_intake_to_closed_over_the_api(as_: Any) -> None:
    body = walk_install(as_)
    actions = [e["action"] for e in body["history"]]
    assert actions == [
        "create",
        "assign",
        "accept",
        "contact",
        "contact",
        "schedule",
        "depart",
        "arrive",
        "consent",
        "attach",
        "attach",
        "attach",
        "complete",
        "callback",
    ]
    assert (
        body["history"][0]["actor"] == "operator" and body["history"][-1]["actor_role"] == "quality"
    )
    assert {a["kind"] for a in body["attachments"]} == {"photo", "speed_test", "signature"}
    assert (
        body["repeat_of"] is None and body["incident"] is None and isinstance(body["clocks"], list)
    )


def test_a_repair_walks_from_intake_to_closed_with_a_suspension_and_a_not_home_visit(
    as_: Any,
) -> None:
    op, disp, tech, qa = as_("operator"), as_("dispatcher"), as_("tech"), as_("quality")
    oid = op.post("/orders", repair_data()).json()["id"]
    now = timezone.now()
    start = now + timedelta(hours=1)
    window = {"start": iso(start), "end": iso(start + timedelta(hours=1))}
    for api, action, body in [
        (disp, "assign", {"technician": "tech"}),
        (tech, "accept", {}),
        (tech, "reply", {"message": "您好，我是装维人员，今天下午上门处理"}),
        (tech, "contact", {"outcome": "reached"}),
        (tech, "suspend", {"reason": "customer_request", "note": "客户下午才在家"}),
        (disp, "resume", {}),
        (tech, "schedule", window),
        (op, "chase", {"by": "customer", "note": "客户来电催修"}),
        (tech, "arrive", {}),
        (
            tech,
            "absent",
            {
                "arrived_at": iso(now - timedelta(minutes=15)),
                "left_at": iso(now),
                "note": "敲门无人",
                "contact_phone": "13900001111",
                "contact_person": "物业王师傅",
            },
        ),
        (tech, "schedule", window),
        (tech, "notify_delay", {"eta": iso(start + timedelta(minutes=20)), "reason": "前一单超时"}),
        (tech, "arrive", {}),
        (
            tech,
            "complete",
            {"resolution": "更换尾纤", "no_signature_reason": "客户手受伤", "rating": 4},
        ),
    ]:
        resp = api.act(oid, action, body)
        assert resp.status_code == 200, (action, resp.content)
    # Nobody reached the customer: quality closes once the 48 h callback window is over (R17).
    with time_machine.travel(timezone.now() + timedelta(hours=49), tick=False):
        resp = qa.act(oid, "close", {"note": "回访期满"})
        assert resp.status_code == 200, resp.content
        final = tech.get(f"/orders/{oid}")
    assert final.status_code == 200  # the technician still sees their closed order…
    body = final.json()
    assert body["status"] == "closed"
    assert body["customer"]["masked"] is True  # …but no longer the customer's full number (R22)
    assert [e["to_status"] for e in body["history"]][-1] == "closed"


def test_the_list_filters_by_state_branch_technician_kind_date_and_text(as_: Any) -> None:
    op, disp = as_("operator"), as_("dispatcher")
    a = op.post("/orders", repair_data()).json()
    op.post("/orders", install_data()).json()
    op.post(
        "/orders",
        repair_data(
            branch="TL",
            customer={"name": "赵六", "phone": "13700001111", "address": "桐庐县分水镇新街8号"},
        ),
    ).json()
    disp.act(a["id"], "assign", {"technician": "tech"})
    assert op.get("/orders").json()["count"] == 3
    assert [o["id"] for o in op.get("/orders", status="dispatched").json()["results"]] == [a["id"]]
    assert op.get("/orders", branch="TL").json()["count"] == 1
    assert op.get("/orders", technician="tech").json()["count"] == 1
    assert op.get("/orders", kind="install").json()["count"] == 1
    assert op.get("/orders", q="赵六").json()["count"] == 1
    assert op.get("/orders", q="LOS").json()["count"] == 2
    today = timezone.localdate().isoformat()
    assert op.get("/orders", reported_from=today, reported_to=today).json()["count"] == 3
    assert op.get("/orders", reported_to="2020-01-01").json()["count"] == 0
    page = op.get("/orders", page_size=2, page=2).json()
    assert page["count"] == 3 and len(page["results"]) == 1
    assert op.get("/orders", status="flying").status_code == 422
    # The dispatcher of GS sees only GS orders.
    assert disp.get("/orders").json()["count"] == 2


def test_an_attachment_must_be_a_real_image_and_is_served_only_to_who_may_see_the_order(
    as_: Any,
) -> None:
    oid = as_("operator").post("/orders", repair_data()).json()["id"]
    as_("dispatcher").act(oid, "assign", {"technician": "tech"})
    tech = as_("tech")
    fake = upload(tech, oid, "photo", b"MZ\x90\x00 not an image")
    assert fake.status_code == 422 and "file" in fake.json()["error"]["fields"]
    speed = upload(tech, oid, "speed_test", png())
    assert speed.status_code == 422 and "down_mbps" in speed.json()["error"]["fields"]
    ok = upload(tech, oid, "photo", png())
    assert ok.status_code == 201
    url = f"/orders/{oid}/attachments/{ok.json()['id']}"
    got = tech.get(url)
    assert got.status_code == 200 and got["Content-Type"] == "image/png"
    assert as_("other_tech").get(url).status_code == 404
    assert (
        as_("other_tech")
        .client.post(
            f"/api/v1/orders/{oid}/attachments",
            {"kind": "photo", "file": _named(png())},
            headers=as_("other_tech").headers,
        )
        .status_code
        == 404
    )


def test_the_openapi_document_lists_the_contract(client: Client) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    for p in [
        "/api/v1/auth/token",
        "/api/v1/orders",
        "/api/v1/orders/{order_id}",
        "/api/v1/orders/{order_id}/clocks",
        "/api/v1/orders/{order_id}/actions/assign",
        "/api/v1/orders/{order_id}/actions/complete",
        "/api/v1/orders/{order_id}/attachments",
    ]:
        assert p in paths, p


def test_session_writes_to_the_api_need_the_csrf_token(org: Any) -> None:
    c = Client(enforce_csrf_checks=True)
    assert c.login(username="operator", password="pw-operator")
    resp = c.post("/api/v1/orders", data=json.dumps(repair_data()), content_type="application/json")
    assert resp.status_code == 401 and WorkOrder.objects.count() == 0
    assert c.get("/api/v1/orders").status_code == 200


def test_a_photo_is_shrunk_and_keeps_its_capture_time_and_position(as_: Any) -> None:
    from PIL import ExifTags

    oid = as_("operator").post("/orders", repair_data()).json()["id"]
    as_("dispatcher").act(oid, "assign", {"technician": "tech"})
    img = Image.new("RGB", (4000, 3000), "gray")
    exif = img.getexif()
    exif[ExifTags.Base.DateTime] = "2026:11:20 14:05:09"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026:11:20 14:05:09"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "N", 2: (30.0, 18.0, 36.0), 3: "E", 4: (120.0, 8.0, 24.0)})
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    resp = upload(as_("tech"), oid, "photo", buf.getvalue())
    assert resp.status_code == 201, resp.content
    from doorstep.orders.models import Attachment

    att = Attachment.objects.get(pk=resp.json()["id"])
    assert att.content_type == "image/jpeg"
    with Image.open(att.file.path) as stored:
        assert max(stored.size) == 2048 and not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert att.captured_at.isoformat() == "2026-11-20T06:05:09+00:00"
    assert round(att.lat, 2) == 30.31 and round(att.lng, 2) == 120.14


def test_an_action_replayed_with_its_idempotency_key_is_done_once(as_: Any) -> None:
    oid = as_("operator").post("/orders", repair_data()).json()["id"]
    as_("dispatcher").act(oid, "assign", {"technician": "tech"})
    tech = as_("tech")
    tech.act(oid, "accept")
    first = tech.act(oid, "contact", {"outcome": "no_answer"}, **{"Idempotency-Key": "q-17"})
    again = tech.act(oid, "contact", {"outcome": "no_answer"}, **{"Idempotency-Key": "q-17"})
    assert first.status_code == again.status_code == 200
    assert again.json()["version"] == first.json()["version"]
    actions = [e["action"] for e in tech.get(f"/orders/{oid}").json()["history"]]
    assert actions.count("contact") == 1
    photo = png()
    one = tech.client.post(
        f"/api/v1/orders/{oid}/attachments",
        {"kind": "photo", "file": _named(photo)},
        headers={**tech.headers, "Idempotency-Key": "p-1"},
    )
    two = tech.client.post(
        f"/api/v1/orders/{oid}/attachments",
        {"kind": "photo", "file": _named(photo)},
        headers={**tech.headers, "Idempotency-Key": "p-1"},
    )
    assert one.status_code == two.status_code == 201 and one.json()["id"] == two.json()["id"]


def test_a_token_is_remembered_for_a_few_seconds_and_then_read_again(
    as_: Any, settings: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from doorstep.api.auth import clear_token_cache

    settings.DOORSTEP_TOKEN_CACHE_SECONDS = 10
    clear_token_cache()
    api = as_("operator")
    assert api.get("/orders").status_code == 200
    with CaptureQueriesContext(connection) as q:
        assert api.get("/orders").status_code == 200
    assert not any("api_apitoken" in x["sql"] for x in q.captured_queries)
    settings.DOORSTEP_TOKEN_CACHE_SECONDS = 0
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api.get("/orders").status_code == 401
    clear_token_cache()


def test_guessing_passwords_is_slowed_down_with_429(org: Any, settings: Any) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.DOORSTEP_LOGIN_ATTEMPTS_PER_MINUTE = 3
    c = Client()
    body = json.dumps({"username": "operator", "password": "wrong"})
    codes = [
        c.post("/api/v1/auth/token", data=body, content_type="application/json").status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    right = json.dumps({"username": "operator", "password": "pw-operator"})
    resp = c.post("/api/v1/auth/token", data=right, content_type="application/json")
    assert resp.status_code == 429 and resp.json()["error"]["code"] == "too_many_requests"
    cache.clear()
