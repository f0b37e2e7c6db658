"""GET /api/v1/kpis (SPEC §5 KPI contract), its Excel export and the drill-down."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Schema
from pydantic import Field

from doorstep.api.errors import Router
from doorstep.core.errors import NotFound
from doorstep.kpis.access import kpi_scope
from doorstep.kpis.choices import Level, Metric, Period
from doorstep.kpis.compute import kpi_report, orders_behind
from doorstep.kpis.export import filename, report_xlsx

router = Router(tags=["kpis"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Metrics(Schema):
    """Rates are fractions 0–1 and null when nothing was measured (docs/kpis.md)."""

    orders: int
    install_on_time_rate: float | None
    restore_on_time_rate: float | None
    contact_30min_rate: float | None
    first_reply_8h_rate: float | None
    on_time_arrival_rate: float | None
    early_arrival_rate: float | None
    crew_reschedules: int
    first_time_fix_rate: float | None
    repeat_fault_rate: float | None
    onsite_satisfaction: float | None = Field(description="mean on-site rating, 1–5")
    callback_satisfaction: float | None = Field(description="mean callback score, 1–10")
    complaints_per_10k: float | None
    penalty_yuan: float
    exempted_yuan: float


class KpiRowOut(Schema):
    key: str = Field(description="username, team id or branch code")
    name: str
    metrics: Metrics


class KpiTableOut(Schema):
    level: Level
    period: Period
    start: date
    end: date = Field(description="the period's last day, inclusive")
    rows: list[KpiRowOut]


class KpiQuery(Schema):
    level: Level
    period: Period
    date: date
    branch: str | None = Field(default=None, max_length=16)
    format: Literal["json", "xlsx"] = "json"


@router.get(
    "/kpis",
    response=KpiTableOut,
    summary="KPIs per technician, team or branch for a day, week or month",
    # format=xlsx answers the same table as an Excel workbook.
    openapi_extra={
        "responses": {200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}}
    },
)
def kpis(request: HttpRequest, q: Query[KpiQuery]) -> Any:
    scope = kpi_scope(request.user, q.level, q.branch)
    report = kpi_report(q.level, q.period, q.date, branches=scope.branches, keys=scope.keys)
    if q.format == "xlsx":
        shown = next((b.name for b in scope.branches or () if b.code == q.branch), q.branch)
        response = HttpResponse(report_xlsx(report, shown), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{filename(report)}"'
        return response
    return {
        "level": report.level,
        "period": report.period,
        "start": report.start,
        "end": report.end,
        "rows": [{"key": r.key, "name": r.name, "metrics": r.metrics} for r in report.rows],
    }


class BehindQuery(Schema):
    metric: Metric
    level: Level
    key: str = Field(min_length=1, max_length=150)
    period: Period
    date: date
    branch: str | None = Field(default=None, max_length=16)


class BehindOut(Schema):
    id: int
    number: str
    at: datetime = Field(description="when the row fell in the period")
    counted: bool = Field(description="in the rate's numerator; always true otherwise")
    value: float | None = Field(description="the rating, score or amount, when it has one")


class BehindList(Schema):
    count: int
    results: list[BehindOut]


@router.get(
    "/kpis/orders", response=BehindList, summary="The orders behind one figure of the KPI table"
)
def kpi_orders(request: HttpRequest, q: Query[BehindQuery]) -> dict[str, Any]:
    scope = kpi_scope(request.user, q.level, q.branch)
    if scope.keys is not None and q.key not in scope.keys:
        raise NotFound("没有这一行指标或无权查看")
    rows = orders_behind(q.metric, q.level, q.key, q.period, q.date, branches=scope.branches)
    results = [
        {"id": b.order_id, "number": b.number, "at": b.at, "counted": b.counted, "value": b.value}
        for b in rows
    ]
    return {"count": len(results), "results": results}
