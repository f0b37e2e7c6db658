"""GET /api/v1/kpis, its Excel export, the drill-down, and who sees which rows."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from tests.conftest import bearer, make_user

URL = "/api/v1/kpis?level={level}&period=week&date=2026-11-18"


def get(user: str, url: str) -> Any:
    return Client().get(url, headers=bearer(user))


def test_the_manager_gets_every_technician_with_every_metric(month: Any) -> None:
    resp = get("manager", URL.format(level="technician"))
    assert resp.status_code == 200
    body = resp.json()
    assert (body["level"], body["period"], body["start"], body["end"]) == (
        "technician",
        "week",
        "2026-11-16",
        "2026-11-22",
    )
    by_key = {r["key"]: r for r in body["rows"]}
    assert set(by_key) == {"tech", "other_tech", "township_tech"}
    tech = by_key["tech"]["metrics"]
    assert len(tech) == 15
    # Hand-worked in test_figures: R1 met, R2 breached; (9 + 6) / 2; 70 charged − 10 exempted.
    assert tech["restore_on_time_rate"] == 0.5
    assert tech["callback_satisfaction"] == 7.5
    assert (tech["penalty_yuan"], tech["exempted_yuan"]) == (60.0, 10.0)
    assert by_key["township_tech"]["metrics"]["restore_on_time_rate"] is None


def test_a_technician_sees_only_their_own_row(month: Any) -> None:
    body = get("tech", URL.format(level="technician")).json()
    assert [r["key"] for r in body["rows"]] == ["tech"]
    refused = get("tech", URL.format(level="branch"))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    other = get("tech", "/api/v1/kpis/orders?metric=orders&level=technician&key=other_tech"
                "&period=week&date=2026-11-18")  # fmt: skip
    assert other.status_code == 404


def test_a_branch_dispatcher_sees_their_branch_only(month: Any) -> None:
    body = get("dispatcher", URL.format(level="branch")).json()
    assert [r["key"] for r in body["rows"]] == ["GS"]
    other = get("dispatcher", URL.format(level="branch") + "&branch=TL")
    assert other.status_code == 403


def test_an_operator_sees_no_kpis_and_an_unknown_branch_is_named(month: Any) -> None:
    assert get("operator", URL.format(level="branch")).status_code == 403
    bad = get("manager", URL.format(level="branch") + "&branch=XX")
    assert bad.status_code == 422 and "branch" in bad.json()["error"]["fields"]
    wrong = get("manager", "/api/v1/kpis?level=crew&period=week&date=2026-11-18")
    assert wrong.status_code == 422 and "query.level" in wrong.json()["error"]["fields"]


def test_the_excel_export_has_the_same_table(month: Any) -> None:
    url = URL.format(level="team")
    json_rows = {r["key"]: r["metrics"] for r in get("manager", url).json()["rows"]}
    resp = get("manager", url + "&format=xlsx")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(resp.content))["KPI"]
    table = list(ws.iter_rows(values_only=True))
    codes = table[2]
    assert codes[:2] == ("key", "name") and len(codes) == 17
    xlsx_rows = {row[0]: dict(zip(codes[2:], row[2:], strict=True)) for row in table[3:]}
    assert xlsx_rows == {k: pytest.approx(v) for k, v in json_rows.items()}
    team = xlsx_rows[str(month.team.pk)]
    assert team["contact_30min_rate"] == pytest.approx(0.8)  # (2 + 2) of (3 + 2)
    assert team["install_on_time_rate"] == 0  # a measured zero stays a zero
    assert xlsx_rows[str(month.team.pk)]["complaints_per_10k"] == 0


def test_the_drill_down_lists_the_orders_behind_a_figure(month: Any) -> None:
    resp = get(
        "manager",
        "/api/v1/kpis/orders?metric=on_time_arrival_rate&level=technician&key=tech"
        "&period=week&date=2026-11-18",
    )
    body = resp.json()
    # R1 (13:50) and I1 (22:29) on time, R2 (14:07) late: the 2 of 3 of the figure.
    assert [(r["number"], r["counted"]) for r in body["results"]] == [
        (month.orders["R1"].number, True),
        (month.orders["R2"].number, False),
        (month.orders["I1"].number, True),
    ]
    assert body["count"] == 3


def test_without_a_branch_a_null_figure_stays_empty_in_excel(month: Any) -> None:
    make_user("tl_manager", ["manager"], month.org.tl)
    resp = get("tl_manager", URL.format(level="branch") + "&format=xlsx")
    ws = load_workbook(BytesIO(resp.content))["KPI"]
    table = list(ws.iter_rows(values_only=True))
    row = dict(zip(table[2], table[3], strict=True))
    assert row["key"] == "TL" and row["restore_on_time_rate"] is None
    assert row["contact_30min_rate"] == 1.0


def test_the_openapi_document_types_every_metric(org: Any) -> None:
    doc = Client().get("/api/v1/openapi.json", headers=bearer("manager")).json()
    assert {"/api/v1/kpis", "/api/v1/kpis/orders"} <= set(doc["paths"])
    metrics = doc["components"]["schemas"]["Metrics"]
    assert len(metrics["properties"]) == 15 and len(metrics["required"]) == 15


def test_the_openapi_document_declares_the_excel_answer_of_format_xlsx(org: Any) -> None:
    """format=xlsx answers a workbook; the document declared only JSON for the 200."""
    resp = get("manager", URL.format(level="branch") + "&format=xlsx")
    assert resp.status_code == 200
    doc = Client().get("/api/v1/openapi.json").json()
    declared = doc["paths"]["/api/v1/kpis"]["get"]["responses"]["200"]["content"]
    assert resp["Content-Type"] in declared and "application/json" in declared
