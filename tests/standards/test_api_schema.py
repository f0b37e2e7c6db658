"""The OpenAPI document describes every field the standards endpoints answer."""

from __future__ import annotations

from typing import Any

from django.test import Client

STANDARDS_PATHS = (
    ("get", "/api/v1/penalties"),
    ("post", "/api/v1/penalties/{penalty_id}/appeal"),
    ("post", "/api/v1/penalties/{penalty_id}/decide"),
    ("get", "/api/v1/breaches"),
    ("get", "/api/v1/report-backs"),
    ("post", "/api/v1/report-backs/{rb_id}/decide"),
)


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def answer(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    content = spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]
    return resolve(spec, content["schema"])


def test_every_standards_answer_is_typed_down_to_the_change_history(db: Any) -> None:
    spec = Client().get("/api/v1/openapi.json").json()
    for method, path in STANDARDS_PATHS:
        assert answer(spec, method, path).get("properties"), (method, path)

    penalties = answer(spec, "get", "/api/v1/penalties")
    penalty = resolve(spec, penalties["properties"]["results"]["items"])
    fields = penalty["properties"]
    assert {"rule", "amount", "order", "technician", "status", "history"} <= set(fields)
    assert resolve(spec, fields["status"])["enum"] == [
        "open", "exempted", "appealed", "upheld", "void"
    ]  # fmt: skip
    assert "R1" in resolve(spec, fields["rule"])["enum"]
    assert fields["created_at"]["format"] == "date-time"
    change = resolve(spec, fields["history"]["items"])
    assert {"seq", "kind", "status_after", "by", "at", "note", "refers_to"} == set(
        change["properties"]
    )
    assert "appeal" in resolve(spec, change["properties"]["kind"])["enum"]

    breaches = answer(spec, "get", "/api/v1/breaches")
    breach = resolve(spec, breaches["properties"]["results"]["items"])
    assert {"rule", "order", "technician", "occurred_at", "evidence", "void"} <= set(
        breach["properties"]
    )
    report_back = answer(spec, "post", "/api/v1/report-backs/{rb_id}/decide")
    assert {"status", "contradiction", "clocks"} <= set(report_back["properties"])
    assert answer(spec, "post", "/api/v1/penalties/{penalty_id}/appeal") == penalty
