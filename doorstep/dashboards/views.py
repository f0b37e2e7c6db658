"""The manager's dashboard, a technician's own page and the orders behind any figure
(docs/dashboards.md). Every figure comes from doorstep.kpis.compute; the charts read their data
from JSON embedded in the page (json_script), so a page needs no further request."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from doorstep.core.errors import Forbidden, InvalidInput
from doorstep.dashboards import figures as f
from doorstep.dashboards.access import dashboard_branches, may_view_technician
from doorstep.kpis.access import kpi_scope
from doorstep.kpis.choices import DEFINITIONS, RATES, Level, Metric, Period
from doorstep.kpis.compute import (
    KpiReport,
    KpiRow,
    kpi_counts,
    kpi_report,
    kpi_series,
    orders_behind,
)
from doorstep.orders.choices import FaultClass
from doorstep.orders.models import WorkOrder
from doorstep.org.models import Branch, Staff


class BadQuery(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _period_and_day(request: HttpRequest, branch: Branch | None) -> tuple[str, date]:
    period = request.GET.get("period") or Period.WEEK
    if period not in f.PERIODS:
        raise BadQuery("period", "周期只能是 week（周）或 month（月）")
    text = request.GET.get("date")
    if not text:
        return period, f.today(branch)
    try:
        return period, date.fromisoformat(text)
    except ValueError:
        raise BadQuery("date", f"日期“{text}”不是 YYYY-MM-DD 格式") from None


def _bad(request: HttpRequest, error: BadQuery) -> HttpResponse:
    return render(
        request,
        "dashboards/bad_query.html",
        {"field": error.field, "message": str(error)},
        status=400,
    )


def _cells(row: KpiRow, metrics: list[Any], link: Any) -> list[dict[str, Any]]:
    return [
        {
            "metric": str(m),
            "text": f.show(m, row.metrics[m]),
            "sort": row.metrics[m] if row.metrics[m] is not None else "",
            "url": link(m),
        }
        for m in metrics
    ]


def _ranking(report: KpiReport, day: date, branches: list[Branch], page: Any) -> dict[str, Any]:
    """One ranking (technicians, teams or branches): the table rows and the bar chart's data.
    `page(key)` is the page a row's name links to, or ""."""
    level, period = report.level, report.period
    by_code = {b.code: b for b in branches}

    def link(m: Any, key: str) -> str:
        branch = by_code.get(key) if level == Level.BRANCH else branches[0]
        return f.behind_url(m, level, key, period, day, branch=branch)

    rows = [
        {
            "key": r.key,
            "name": r.name,
            "page": page(r.key),
            "cells": _cells(r, f.HEADLINE, lambda m, key=r.key: link(m, key)),
        }
        for r in report.rows
    ]
    chart = {
        "names": [r.name for r in report.rows],
        "series": [
            {
                "name": f.label(m),
                "data": [
                    {"value": f.chart_value(m, r.metrics[m]), "url": link(m, r.key)}
                    for r in report.rows
                ],
            }
            for m in f.MAIN_RATES
        ],
    }
    return {"rows": rows, "chart": chart}


def _breakdown(
    title: str, field: str, parts: list[tuple[str, str]], period: str, day: date, branch: Branch
) -> dict[str, Any]:
    """The branch's figures once per part (a fault class, an area: a value of the order's
    `field`): the same metrics, each counted only over the orders of that part. One count split
    by the field serves every part."""
    counts = kpi_counts(period, day, day, branches=[branch], split=field, levels=[Level.BRANCH])
    rows, names = [], []
    series: dict[str, list[dict[str, Any]]] = {str(m): [] for m in f.BREAKDOWN}
    for name, value in parts:
        (row,) = counts.report(Level.BRANCH, day, part=value).rows
        params = {p: value for p, lookup in f.FILTERS.items() if lookup == field}

        def link(m: Any, params: dict[str, str] = params) -> str:
            return f.behind_url(m, "branch", branch.code, period, day, branch=branch, where=params)

        rows.append({"name": name, "cells": _cells(row, f.BREAKDOWN, link)})
        names.append(name)
        for m in f.BREAKDOWN:
            if m in RATES:
                series[str(m)].append({"value": f.chart_value(m, row.metrics[m]), "url": link(m)})
    chart = {
        "names": names,
        "series": [{"name": f.label(m), "data": series[str(m)]} for m in f.BREAKDOWN if m in RATES],
    }
    return {"title": title, "rows": rows, "chart": chart}


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    branches = dashboard_branches(request.user)
    if not branches:
        raise Http404("还没有分公司")
    branch = branches[0]
    code = request.GET.get("branch")
    if code:
        chosen = [b for b in branches if b.code == code]
        if not chosen:
            return _bad(request, BadQuery("branch", f"分公司 {code} 不存在或无权查看"))
        branch = chosen[0]
    try:
        period, day = _period_and_day(request, branch)
    except BadQuery as e:
        return _bad(request, e)

    # One count serves the trend, the headline figures and both rankings: the trend's last
    # period is the one shown, technicians and teams are summed from the same counts.
    counts = kpi_counts(period, f.trend_start(period, day), day, branches=[branch])
    trend_rows = counts.series(Level.BRANCH)
    total = trend_rows[-1]
    trend = {
        "names": [f.period_label(period, r.period_start) for r in trend_rows],
        "series": [
            {
                "name": f.label(m),
                "data": [
                    {
                        "value": f.chart_value(m, r.metrics[m]),
                        "url": f.behind_url(
                            m, "branch", branch.code, period, r.period_start, branch=branch
                        ),
                    }
                    for r in trend_rows
                ],
            }
            for m in f.MAIN_RATES
        ],
    }
    technicians = _ranking(
        counts.report(Level.TECHNICIAN, day),
        day,
        [branch],
        lambda key: reverse("dashboards:technician", args=[key]),
    )
    teams = _ranking(counts.report(Level.TEAM, day), day, [branch], lambda key: "")
    # A central manager also compares the branches.
    compare = (
        _ranking(
            kpi_report(Level.BRANCH, period, day, branches=branches),
            day,
            branches,
            lambda key: f"?{urlencode({'branch': key, 'period': period, 'date': day})}",
        )
        if len(branches) > 1
        else None
    )
    faults = _breakdown(
        "按障碍类别（修障）",
        "fault_class",
        [(str(c.label), c.value) for c in FaultClass],
        period,
        day,
        branch,
    )
    areas = _breakdown(
        "按区域",
        "area_code",
        [(a, a) for a in f.busiest_areas(branch, period, day)],
        period,
        day,
        branch,
    )
    report_start = trend_rows[-1].period_start
    export = {
        level: "/api/v1/kpis?"
        + urlencode(
            {"level": level, "period": period, "date": day, "branch": branch.code, "format": "xlsx"}
        )
        for level in ("technician", "team", "branch")
    }
    export["all_branches"] = "/api/v1/kpis?" + urlencode(
        {"level": "branch", "period": period, "date": day, "format": "xlsx"}
    )
    headline = [
        {
            "metric": str(m),
            "label": f.label(m),
            "text": f.show(m, total.metrics[m]),
            "definition": DEFINITIONS[m],
            "url": f.behind_url(m, "branch", branch.code, period, day, branch=branch),
        }
        for m in f.HEADLINE
    ]
    step = timedelta(days=7) if period == Period.WEEK else timedelta(days=28)
    context = {
        "branch": branch,
        "branches": branches,
        "period": period,
        "periods": f.PERIODS,
        "day": day,
        "start": report_start,
        "previous": (report_start - timedelta(days=1)).isoformat(),
        "next": (report_start + step + timedelta(days=3)).isoformat(),
        "headline": headline,
        "columns": [{"metric": str(m), "label": f.label(m)} for m in f.HEADLINE],
        "breakdown_columns": [{"metric": str(m), "label": f.label(m)} for m in f.BREAKDOWN],
        "technicians": technicians,
        "teams": teams,
        "compare": compare,
        "faults": faults,
        "areas": areas,
        "export": export,
        "definitions": f.definitions(),
        "charts": {
            "trend": trend,
            "technicians": technicians["chart"],
            "teams": teams["chart"],
            "branches": compare["chart"] if compare else None,
            "faults": faults["chart"],
            "areas": areas["chart"],
        },
    }
    return render(request, "dashboards/dashboard.html", context)


def _stars(tech: Staff) -> str | None:
    """The star rating, when doorstep.ratings is installed (docs/ratings.md)."""
    if not apps.is_installed("doorstep.ratings"):
        return None
    from doorstep.ratings import current_stars, star_text

    return star_text(current_stars(tech.user_id))


@login_required
def technician(request: HttpRequest, username: str) -> HttpResponse:
    tech = (
        Staff.objects.filter(user__username=username, is_technician=True)
        .select_related("branch", "team", "user")
        .first()
    )
    if tech is None:
        raise Http404("没有这位装维人员")
    if not may_view_technician(request.user, tech):
        raise PermissionDenied("只能查看本人的指标")
    try:
        period, day = _period_and_day(request, tech.branch)
    except BadQuery as e:
        return _bad(request, e)
    branches = [tech.branch] if tech.branch is not None else None
    (mine,) = kpi_report("technician", period, day, branches=branches, keys={username}).rows
    level, key = "", ""
    if tech.team is not None:
        level, key = str(Level.TEAM), str(tech.team_id)
    elif tech.branch is not None:
        level, key = str(Level.BRANCH), tech.branch.code
    theirs = (
        kpi_report(level, period, day, branches=branches, keys={key}).rows[0].metrics
        if level
        else {}
    )
    compare_name = tech.team.name if tech.team is not None else getattr(tech.branch, "name", "")

    def link(m: Any, when: date = day) -> str:
        return f.behind_url(m, "technician", username, period, when, branch=tech.branch)

    rows, advice = [], []
    for m in Metric:
        row = {
            "metric": str(m),
            "label": f.label(m),
            "definition": DEFINITIONS[m],
            "mine": f.show(m, mine.metrics[m]),
            "theirs": f.show(m, theirs.get(m)),
            "worse": f.worse(m, mine.metrics[m], theirs.get(m)),
            "url": link(m),
        }
        rows.append(row)
        if row["worse"] and m in f.HABITS:
            advice.append({**row, "habit": f.HABITS[m]})
    series = kpi_series(
        "technician", period, f.trend_start(period, day), day, branches=branches, keys={username}
    )
    trend = {
        "names": [f.period_label(period, r.period_start) for r in series],
        "series": [
            {
                "name": f.label(m),
                "data": [
                    {"value": f.chart_value(m, r.metrics[m]), "url": link(m, r.period_start)}
                    for r in series
                ],
            }
            for m in f.MAIN_RATES
        ],
    }
    start = series[-1].period_start
    return render(
        request,
        "dashboards/technician.html",
        {
            "tech": tech,
            "stars": _stars(tech),
            "period": period,
            "periods": f.PERIODS,
            "day": day,
            "start": start,
            "previous": (start - timedelta(days=1)).isoformat(),
            "compare_name": compare_name,
            "rows": rows,
            "advice": advice,
            "charts": {"trend": trend},
        },
    )


@login_required
def behind(request: HttpRequest) -> HttpResponse:
    """The orders one figure counted (`orders_behind`), each linked only when the viewer may
    open it ({% order_link %})."""
    q = request.GET
    try:
        metric = _choice(q, "metric", Metric, "指标")
        level = _choice(q, "level", Level, "层级")
        period = _choice(q, "period", Period, "周期")
        key = q.get("key") or ""
        if not key:
            raise BadQuery("key", "缺少 key（工号、班组或分公司编码）")
        try:
            day = date.fromisoformat(q.get("date") or "")
        except ValueError:
            raise BadQuery("date", f"日期“{q.get('date', '')}”不是 YYYY-MM-DD 格式") from None
    except BadQuery as e:
        return _bad(request, e)
    branches: list[Branch] | None
    tech = None
    if level == Level.TECHNICIAN:
        tech = Staff.objects.filter(user__username=key).select_related("team", "branch").first()
        if tech is None or not may_view_technician(request.user, tech):
            raise PermissionDenied("无权查看这一行指标")
        branches = [tech.branch] if tech.branch is not None else None
    else:
        try:
            scope = kpi_scope(request.user, level, q.get("branch") or None)
        except Forbidden as e:
            raise PermissionDenied(str(e)) from None
        except InvalidInput as e:
            return _bad(request, BadQuery("branch", str(e.fields.get("branch", [""])[0])))
        if scope.keys is not None:
            raise PermissionDenied("无权查看这一行指标")
        branches = list(scope.branches) if scope.branches is not None else None
    where = f.where_of(q)
    found = orders_behind(metric, level, key, period, day, branches=branches, where=where)
    orders = WorkOrder.objects.in_bulk([b.order_id for b in found])
    is_rate = metric in RATES
    good, bad = f.OUTCOMES.get(metric, ("达标", "未达标"))
    items = []
    for b in found:
        if b.order_id not in orders:
            continue
        missed = is_rate and b.counted == (metric in f.LOWER_IS_BETTER)
        items.append(
            {
                "order": orders[b.order_id],
                "at": b.at,
                "outcome": (bad if missed else good) if is_rate else "",
                "missed": missed,
                "value": b.value,
            }
        )
    filters = [f"{name}={q[name]}" for name in f.FILTERS if q.get(name)]
    return render(
        request,
        "dashboards/behind.html",
        {
            "metric_label": f.label(metric),
            "definition": DEFINITIONS[metric],
            "level_label": Level(level).label,
            "key": key,
            "who": tech.name if tech is not None else key,
            "period_label": str(Period(period).label),
            "day": day,
            "filters": filters,
            "is_rate": is_rate,
            "items": items,
            "bad": bad,
            "missed": sum(1 for i in items if i["missed"]),
        },
    )


def _choice(q: Any, name: str, choices: Any, title: str) -> str:
    value = q.get(name) or ""
    if value not in choices.values:
        raise BadQuery(name, f"{title}“{value}”无效，可选：{'、'.join(choices.values)}")
    return str(value)
