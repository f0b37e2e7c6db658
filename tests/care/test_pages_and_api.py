"""The care pages and API as people use them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from doorstep.care.models import DamageClaim, Question, SiteReport
from doorstep.orders.actions import create_order, perform
from tests.care.helpers import to_on_site
from tests.conftest import bearer, install_data, iso, repair_data


def _login(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _api(user: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": bearer(user)["Authorization"]}


def test_a_technician_claims_damage_and_the_dispatcher_settles_it_on_the_pages(org: Any) -> None:
    order, _ = create_order(org.operator, repair_data())
    to_on_site(order, org, org.tech)
    resp = _login(org.tech).post(
        f"/care/claims/new/{order.pk}/",
        {"what": "墙面", "customer_words": "墙上打孔打裂了", "apologized": "on"},
    )
    claim = DamageClaim.objects.get(order=order)
    assert resp.status_code == 302 and resp["Location"] == f"/care/claims/{claim.pk}/"
    desk = _login(org.dispatcher)
    page = desk.get("/care/claims/").content.decode()
    assert "墙面" in page and "处理中" in page
    desk.post(f"/care/claims/{claim.pk}/", {"amount": "80", "paid_via": "cash", "apologized": "on"})
    claim.refresh_from_db()
    assert claim.amount == 80 and not claim.is_open
    assert "80" in desk.get(f"/care/claims/{claim.pk}/").content.decode()


def test_the_claims_api_lists_the_deadline(client: Any, org: Any) -> None:
    order, _ = create_order(org.operator, repair_data())
    to_on_site(order, org, org.tech)
    perform(
        order.pk,
        "claim_damage",
        org.tech,
        {"what": "门", "customer_words": "门被碰坏", "apologized": True},
    )
    body = client.get("/api/v1/damage-claims?open=true", **_api("dispatcher")).json()
    assert body["count"] == 1 and body["results"][0]["clock_status"] == "running"
    assert body["results"][0]["deadline"] is not None


def test_a_question_handed_off_stays_on_the_first_owners_page(org: Any) -> None:
    order, _ = create_order(org.operator, repair_data())
    operator = _login(org.operator)
    operator.post(
        "/care/questions/",
        {"question": "IPTV 怎么回看？", "order": order.number, "asked_via": "phone"},
    )
    q = Question.objects.get()
    assert q.owner == org.operator
    operator.post(f"/care/questions/{q.pk}/hand-off/", {"to": "dispatcher", "note": "请协助"})
    assert "IPTV 怎么回看？" in operator.get("/care/questions/").content.decode()
    assert "IPTV 怎么回看？" in _login(org.dispatcher).get("/care/questions/").content.decode()
    _login(org.dispatcher).post(f"/care/questions/{q.pk}/answer/", {"answer": "按遥控器回看键"})
    q.refresh_from_db()
    assert q.answered_by == org.dispatcher and q.owner == org.operator


def test_the_questions_api_records_the_first_owner(client: Any, org: Any) -> None:
    order, _ = create_order(org.operator, repair_data())
    resp = client.post(
        "/api/v1/questions",
        json.dumps({"question": "上门要收费吗？", "asked_via": "phone", "order": order.pk}),
        content_type="application/json",
        **_api("operator"),
    )
    assert resp.status_code == 201 and resp.json()["owner"] == "operator"
    qid = resp.json()["id"]
    resp = client.post(
        f"/api/v1/questions/{qid}/hand-off",
        json.dumps({"to": "quality"}),
        content_type="application/json",
        **_api("operator"),
    )
    assert (resp.json()["owner"], resp.json()["handled_by"]) == ("operator", "quality")
    assert resp.json()["handoffs"][0]["to_user"] == "quality"
    resp = client.post(
        "/api/v1/questions",
        json.dumps({"question": "x", "asked_via": "pigeon", "order": order.pk}),
        content_type="application/json",
        **_api("operator"),
    )
    assert resp.status_code == 422 and "asked_via" in resp.json()["error"]["fields"]


def test_dispatch_sees_the_site_not_ready_and_marks_it_handled(client: Any, org: Any) -> None:
    order, _ = create_order(org.operator, install_data())
    to_on_site(order, org, org.tech)
    perform(
        order.pk,
        "site_not_ready",
        org.tech,
        {"reason": "building_not_ready", "customer_consent": True},
    )
    desk = _login(org.dispatcher)
    page = desk.get("/care/sites/").content.decode()
    assert order.number in page and "楼宇/房屋未具备施工条件" in page and "已同意" in page
    report = SiteReport.objects.get()
    desk.post(f"/care/sites/{report.pk}/handled/", {"note": "已报资源部门"})
    report.refresh_from_db()
    assert report.handled_by == org.dispatcher
    assert _login(org.tech).get("/care/sites/").status_code == 404
    body = client.get("/api/v1/site-reports", **_api("dispatcher")).json()
    assert body["results"][0]["customer_consent"] is True


def test_the_kit_api_lists_the_items_to_tick(client: Any, org: Any) -> None:
    body = client.get("/api/v1/kit", **_api("tech")).json()
    assert body["branch"] == "GS" and "鞋套" in [i["label"] for i in body["items"]]


def test_the_intake_desk_shows_the_branch_it_would_route_to(org: Any) -> None:
    from doorstep.dispatch.models import Territory

    Territory.objects.create(branch=org.tl, name="桐君街道包片", area_codes=["TL-TJ"])
    desk = _login(org.operator)
    assert "自动（按区域编码/地址匹配）" in desk.get("/intake/").content.decode()
    hint = desk.get("/care/route/", {"area": "", "customer_address": "桐庐县桐君街道白云路5号"})
    assert "桐庐营维中心" in hint.content.decode() and "地址" in hint.content.decode()
    assert "未匹配" in desk.get("/care/route/", {"area": "X-1"}).content.decode()


def test_the_lookup_names_the_earlier_order_and_its_closer_before_saving(
    org: Any, lead: Any
) -> None:
    from tests.care.helpers import close_out

    first, _ = create_order(org.operator, repair_data())
    close_out(first, org, org.other_tech)
    page = _login(org.operator).get("/intake/lookup/", {"phone": "13812345678"}).content.decode()
    assert "repeat-hint" in page and first.number in page and "Other_Tech" in page
    assert "升级至班长" not in page


def test_the_phone_shows_the_chases_and_the_required_kit(org: Any) -> None:
    from doorstep.care.models import KitItem

    KitItem.objects.create(branch=org.gs, code="badge", label="工号牌", required=True)
    order, _ = create_order(org.operator, install_data())
    perform(order.pk, "assign", org.dispatcher, {"technician": "tech"})
    perform(order.pk, "chase", org.operator, {"by": "customer"})
    perform(order.pk, "accept", org.tech, {})
    start = timezone.now() + timedelta(hours=3)
    perform(
        order.pk,
        "schedule",
        org.tech,
        {"start": iso(start), "end": iso(start + timedelta(hours=1))},
    )
    page = _login(org.tech).get(f"/m/orders/{order.pk}/").content.decode()
    assert "已催单 1 次" in page
    assert 'value="badge"' in page and "必带" in page


def test_the_order_page_offers_the_care_actions_and_takes_a_site_report(org: Any) -> None:
    order, _ = create_order(org.operator, install_data())
    to_on_site(order, org, org.tech)
    tech = _login(org.tech)
    page = tech.get(f"/orders/{order.pk}/").content.decode()
    assert "施工条件不具备" in page and "登记损坏赔偿" in page
    resp = tech.post(
        f"/orders/{order.pk}/act/site_not_ready/",
        {"reason": "no_port", "customer_consent": "true", "note": "无端口"},
    )
    assert resp.status_code in (200, 302)
    assert SiteReport.objects.filter(order=order, reason="no_port").exists()
