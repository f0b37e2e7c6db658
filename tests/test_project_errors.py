"""Error answers: styled Chinese pages for people, the API's error shape for every /api/ path."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from doorstep.orders.actions import create_order
from tests.conftest import bearer, repair_data


def logged_in(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_an_unknown_page_is_the_chinese_404_page_with_a_way_home(db: Any) -> None:
    resp = Client().get("/no-such-page/")
    assert resp.status_code == 404
    html = resp.content.decode()
    assert "页面不存在" in html and 'href="/"' in html and "返回首页" in html
    assert "Not Found" not in html


def test_a_technician_opening_an_order_not_his_gets_the_chinese_404_page(org: Any) -> None:
    order, _ = create_order(org.operator, repair_data())
    resp = logged_in(org.other_tech).get(f"/orders/{order.pk}/")
    assert resp.status_code == 404
    assert "页面不存在" in resp.content.decode()


def test_a_page_the_role_may_not_open_is_the_chinese_403_page(org: Any) -> None:
    resp = logged_in(org.tech).get("/intake/lookup/?phone=13812345678")
    assert resp.status_code == 403
    html = resp.content.decode()
    assert "无权访问" in html and "返回首页" in html


def test_the_500_page_renders_without_a_database_or_a_user() -> None:
    # No `db` fixture: any query here would fail the test.
    resp = server_error(RequestFactory().get("/orders/"))
    assert resp.status_code == 500
    html = resp.content.decode()
    assert "服务器出错了" in html and "返回首页" in html


def test_a_page_that_crashes_answers_the_500_page(org: Any, monkeypatch: Any) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("doorstep.web.views.visible_orders", broken)
    client = Client(raise_request_exception=False)
    client.force_login(org.dispatcher)
    answer = client.get("/orders/1/")
    assert answer.status_code == 500
    assert "服务器出错了" in answer.content.decode()


def assert_error_shape(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status
    assert resp["Content-Type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize(
    "path", ["/api/v1/no-such-thing", "/api/v2/orders", "/api/", "/api/v1/orders/1/nothing"]
)
def test_an_unknown_api_path_answers_the_json_error_shape(db: Any, path: str) -> None:
    error = assert_error_shape(Client().get(path), 404, "not_found")
    assert path in error["message"]


def test_a_method_the_api_path_does_not_take_is_a_json_405_with_allow(db: Any) -> None:
    resp = Client().delete("/api/v1/health")
    assert_error_shape(resp, 405, "method_not_allowed")
    assert "GET" in resp["Allow"]


def test_an_unknown_order_is_a_json_404_in_the_error_shape(org: Any) -> None:
    resp = Client().get("/api/v1/orders/999999", headers=bearer("dispatcher"))
    assert_error_shape(resp, 404, "not_found")


def test_a_body_that_is_not_json_is_a_chinese_400_and_registers_nothing(org: Any) -> None:
    from doorstep.orders.models import WorkOrder

    resp = Client().post(
        "/api/v1/orders",
        data="{not json",
        content_type="application/json",
        headers=bearer("operator"),
    )
    error = assert_error_shape(resp, 400, "bad_request")
    assert error["message"] == "请求体不是有效的 JSON"
    assert not WorkOrder.objects.exists()


def test_a_crash_under_the_api_is_a_json_500(org: Any, monkeypatch: Any) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    headers = bearer("dispatcher")
    monkeypatch.setattr("doorstep.orders.api.visible_orders", broken)
    resp = Client(raise_request_exception=False).get("/api/v1/orders", headers=headers)
    error = assert_error_shape(resp, 500, "server_error")
    assert "boom" not in error["message"]


def test_pages_name_the_favicon_and_it_is_served(db: Any) -> None:
    html = Client().get("/login/").content.decode()
    assert 'rel="icon"' in html and "favicon.svg" in html
    c = Client()
    assert c.get("/static/favicon.svg").status_code == 200
    redirect = c.get("/favicon.ico")
    assert redirect.status_code == 301
    assert c.get(redirect["Location"]).status_code == 200
