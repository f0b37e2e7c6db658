"""What the dashboards show, built only from the KPI engine (doorstep.kpis.compute): no metric
is defined here. This module picks periods, formats figures, writes the drill-down links and the
habit from the standards that moves each figure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db.models import Count
from django.urls import get_script_prefix, get_urlconf, reverse

from doorstep.core import clock as app_clock
from doorstep.kpis.choices import DEFINITIONS, RATES, Metric, Period
from doorstep.kpis.compute import Number, next_period, period_start
from doorstep.orders.models import WorkOrder
from doorstep.org.models import Branch

PERIODS = {Period.WEEK: "周", Period.MONTH: "月"}
TREND_LENGTH = {Period.WEEK: 12, Period.MONTH: 6}

# The rates on the trend and ranking charts, in the order of a visit.
MAIN_RATES = [
    Metric.CONTACT_30MIN_RATE,
    Metric.ON_TIME_ARRIVAL_RATE,
    Metric.RESTORE_ON_TIME_RATE,
    Metric.INSTALL_ON_TIME_RATE,
    Metric.FIRST_TIME_FIX_RATE,
]
# The headline cards at the top of the dashboard.
HEADLINE = [
    Metric.ORDERS,
    *MAIN_RATES,
    Metric.REPEAT_FAULT_RATE,
    Metric.ONSITE_SATISFACTION,
    Metric.PENALTY_YUAN,
]
BREAKDOWN = [
    Metric.ORDERS,
    Metric.RESTORE_ON_TIME_RATE,
    Metric.ON_TIME_ARRIVAL_RATE,
    Metric.FIRST_TIME_FIX_RATE,
    Metric.REPEAT_FAULT_RATE,
]
# Figures where less is better; `orders` and `exempted_yuan` are neither better nor worse.
LOWER_IS_BETTER = {
    Metric.REPEAT_FAULT_RATE,
    Metric.CREW_RESCHEDULES,
    Metric.COMPLAINTS_PER_10K,
    Metric.PENALTY_YUAN,
}
NEUTRAL = {Metric.ORDERS, Metric.EXEMPTED_YUAN}
# How the drill-down names a measured order that is (first) or is not in a rate's numerator
# turned into good and bad news; "达标 / 未达标" for the clock rates.
OUTCOMES: dict[str, tuple[str, str]] = {
    Metric.EARLY_ARRIVAL_RATE: ("提前到达", "未提前"),
    Metric.FIRST_TIME_FIX_RATE: ("一次修复", "重复报障"),
    Metric.REPEAT_FAULT_RATE: ("未重复", "重复报障"),
}

# The habit from the service standards (seeds 000–003; SPEC R1–R13) that moves each figure.
HABITS: dict[str, str] = {
    Metric.CONTACT_30MIN_RATE: (
        "接单后马上给客户打电话，30分钟内联系上；没接通就隔几分钟再拨，并发短信说明来意。"
    ),
    Metric.FIRST_REPLY_8H_RATE: "报障后8小时内一定回复客户：打通电话，或告知处理进度。",
    Metric.ON_TIME_ARRIVAL_RATE: (
        "按路程提前出发；预计会迟到时，在预约开始前发延误通知并和客户商定新的时间。"
    ),
    Metric.EARLY_ARRIVAL_RATE: "比预约开始时间提前5分钟以上到门口，进门前整理好工具和着装。",
    Metric.RESTORE_ON_TIME_RATE: (
        "修障时限从报障时起算：接单后约最早能到的时段；客户原因无法上门时当场按规定挂起。"
    ),
    Metric.INSTALL_ON_TIME_RATE: "出发前按工单备齐设备和材料，争取一次上门装通；按时限倒排预约。",
    Metric.FIRST_TIME_FIX_RATE: (
        "查到根因再修；完工前测速，请客户确认业务恢复正常，避免7天内再次报障。"
    ),
    Metric.REPEAT_FAULT_RATE: (
        "完工前检查线路、接头和设备，测速留档并讲清使用方法；装机后15天、修障后7天内不再报障。"
    ),
    Metric.CREW_RESCHEDULES: (
        "每天先排好路线和工单再和客户约时间，尽量不由我方改约；必须改约时至少提前2小时通知客户。"
    ),
    Metric.ONSITE_SATISFACTION: (
        "入户规范做到位：出示工牌、穿鞋套、工具放垫上、完工清理现场、讲解使用方法。"
    ),
    Metric.CALLBACK_SATISFACTION: (
        "离开前确认客户满意，告诉客户会有回访；不使用客户物品，不收礼品。"
    ),
    Metric.COMPLAINTS_PER_10K: "客户不满时当场解决或及时上报，不和客户争执；承诺的事当天落实。",
    Metric.PENALTY_YUAN: (
        "逐条查看考核台账，按上面的习惯避免再次发生；确有正当理由时及时回告或申诉。"
    ),
}


def label(metric: str) -> str:
    return str(Metric(metric).label)


def show(metric: str, value: Number) -> str:
    """A figure as the pages print it: 75.0%, 4.00, ¥60, 3; — when nothing was measured."""
    if value is None:
        return "—"
    if metric in RATES:
        return f"{value * 100:.1f}%"
    if metric in (Metric.ONSITE_SATISFACTION, Metric.CALLBACK_SATISFACTION):
        return f"{value:.2f}"
    if metric == Metric.COMPLAINTS_PER_10K:
        return f"{value:.2f}"
    if metric in (Metric.PENALTY_YUAN, Metric.EXEMPTED_YUAN):
        return f"¥{value:,.0f}"
    return str(int(value))


def chart_value(metric: str, value: Number) -> float | None:
    """Rates as percentages for the charts; other figures as they are."""
    if value is None:
        return None
    return round(value * 100, 1) if metric in RATES else round(float(value), 2)


def worse(metric: str, mine: Number, theirs: Number) -> bool:
    if metric in NEUTRAL or mine is None or theirs is None:
        return False
    return mine > theirs if metric in LOWER_IS_BETTER else mine < theirs


def definitions(metrics: list[Any] | None = None) -> list[dict[str, str]]:
    chosen = metrics if metrics is not None else list(Metric)
    return [{"metric": str(m), "label": label(m), "text": DEFINITIONS[m]} for m in chosen]


def today(branch: Branch | None) -> date:
    zone = ZoneInfo(branch.timezone if branch is not None else "Asia/Shanghai")
    return app_clock.now().astimezone(zone).date()


def trend_start(period: str, day: date) -> date:
    """The first day of the trend: 12 weeks or 6 months back, counting the current one."""
    start = period_start(period, day)
    for _ in range(TREND_LENGTH[Period(period)] - 1):
        start = period_start(period, start - timedelta(days=1))
    return start


def period_label(period: str, start: date) -> str:
    if period == Period.MONTH:
        return f"{start.year}年{start.month}月"
    return f"{start.month}/{start.day}"


def behind_url(
    metric: str,
    level: str,
    key: str,
    period: str,
    day: date,
    *,
    branch: Branch | None = None,
    where: Mapping[str, str] | None = None,
) -> str:
    """The page that lists the orders behind one figure."""
    query = {"metric": metric, "level": level, "key": key, "period": period, "date": day}
    if branch is not None:
        query["branch"] = branch.code
    query.update(where or {})
    return f"{_behind_path(get_script_prefix(), get_urlconf())}?{urlencode(query)}"


@lru_cache(maxsize=16)
def _behind_path(script_prefix: str, urlconf: str | None) -> str:
    """The drill-down's path, reversed once per prefix and URLconf: a dashboard draws a link per
    figure (about a thousand for a large branch) and `reverse` is most of a link's cost."""
    return reverse("dashboards:behind")


# The breakdown filters a drill-down link may carry: query parameter → lookup on the order.
FILTERS = {"fault_class": "fault_class", "area": "area_code"}


def where_of(params: Mapping[str, str]) -> dict[str, str]:
    return {lookup: params[name] for name, lookup in FILTERS.items() if params.get(name)}


def busiest_areas(branch: Branch, period: str, day: date, limit: int = 8) -> list[str]:
    """The branch's areas with the most orders completed in the period, busiest first."""
    zone = ZoneInfo(branch.timezone or "Asia/Shanghai")
    start = period_start(period, day)
    end = next_period(period, start)
    rows = (
        WorkOrder.objects.filter(
            branch=branch,
            completed_at__gte=datetime.combine(start, time.min, tzinfo=zone),
            completed_at__lt=datetime.combine(end, time.min, tzinfo=zone),
        )
        .exclude(area_code="")
        .values("area_code")
        .annotate(n=Count("pk"))
        .order_by("-n", "area_code")[:limit]
    )
    return [r["area_code"] for r in rows]
