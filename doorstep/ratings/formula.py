"""The star rating formula (docs/ratings.md): KPI figures of a window → score 0–100 → 1–5 stars.

Pure: it reads only the figures and the parameters it is given, so a test can work a case out
by hand. The parameters are the `ratings.stars` policy row's (doorstep.standards policies),
else `DEFAULTS`; migration 0002 holds a frozen copy of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

POLICY_KEY = "ratings.stars"

DEFAULTS: dict[str, Any] = {
    "months": 3,  # the window: this many full calendar months before today
    "min_orders": 20,  # fewer orders completed in the window: no stars (null), not 1 star
    "weights": {
        "on_time": 25,
        "arrival": 15,
        "contact": 10,
        "first_time_fix": 20,
        "onsite": 10,
        "callback": 20,
        "inspection": 10,  # supervision inspections (doorstep.inspections; docs/ratings.md)
    },
    "complaint_points": 5,  # points off per complaint per 100 orders
    "penalty_points": 2,  # points off per yuan of penalties in force per order
    "max_deduction": 30,
    "thresholds": [90, 80, 70, 60],  # a score at least these gets 5, 4, 3, 2 stars; else 1
}


@dataclass(frozen=True)
class Component:
    key: str
    label: str
    advice: str  # how to improve it, shown on the technician's page


COMPONENTS: tuple[Component, ...] = (
    Component(
        "on_time", "修障/装机及时率", "按时限完成修障和装机；需客户原因暂停时及时挂起并注明原因"
    ),
    Component(
        "arrival", "上门准时率", "按预约时间准时上门，目标提前5–10分钟到达；会迟到须提前告知"
    ),
    Component("contact", "30分钟联系率", "接单后30分钟内电话联系客户"),
    Component(
        "first_time_fix", "一次修复率", "一次修好：查清根因，完工前测试确认，避免7天内重复报修"
    ),
    Component("onsite", "现场满意度", "规范着装、鞋套、清理现场、讲解使用，请客户现场评价"),
    Component("callback", "回访满意度", "服务过程让客户满意，回访时客户评分更高"),
    Component("inspection", "稽核得分", "着装、工牌、工具、文明用语、布线、标签、登高安全逐项达标"),
)
BY_KEY = {c.key: c for c in COMPONENTS}


@dataclass
class Outcome:
    stars: int | None
    score: float | None
    orders: int
    components: list[dict[str, Any]] = field(default_factory=list)
    deductions: list[dict[str, Any]] = field(default_factory=list)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _valid(name: str, value: Any) -> bool:
    if name in ("months", "min_orders"):
        return _number(value) and int(value) == value and (name != "months" or value >= 1)
    if name == "weights":
        return isinstance(value, dict) and all(_number(v) for v in value.values())
    if name == "thresholds":
        return (
            isinstance(value, list)
            and len(value) == 4
            and all(_number(v) for v in value)
            and value == sorted(value, reverse=True)
        )
    return _number(value)


def params_with_defaults(params: dict[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """The policy row's parameters over the defaults, and the names of those it got wrong
    (each replaced by its default, so a typo on the policies page cannot stop the ratings)."""
    given = params or {}
    wrong = [k for k in DEFAULTS if k in given and not _valid(k, given[k])]
    merged = {**DEFAULTS, **{k: v for k, v in given.items() if k in DEFAULTS and k not in wrong}}
    merged["weights"] = {**DEFAULTS["weights"], **merged["weights"]}
    return merged, wrong


def _rate(figures: dict[str, Any], measured: dict[str, int], *metrics: str) -> float | None:
    """The rate of several rate metrics together: their hits summed over their rows summed."""
    hits = total = 0.0
    for m in metrics:
        n = measured.get(m, 0)
        if n and figures.get(m) is not None:
            hits += float(figures[m]) * n
            total += n
    return hits / total if total else None


def _scaled(value: Any, low: float, high: float) -> float | None:
    return (float(value) - low) / (high - low) if value is not None else None


def component_rates(figures: dict[str, Any], measured: dict[str, int]) -> dict[str, float | None]:
    """Each component as a fraction 0–1, or None when nothing was measured."""
    return {
        "on_time": _rate(figures, measured, "install_on_time_rate", "restore_on_time_rate"),
        "arrival": _rate(figures, measured, "on_time_arrival_rate"),
        "contact": _rate(figures, measured, "contact_30min_rate"),
        "first_time_fix": _rate(figures, measured, "first_time_fix_rate"),
        "onsite": _scaled(figures.get("onsite_satisfaction"), 1, 5),  # ratings 1–5
        "callback": _scaled(figures.get("callback_satisfaction"), 1, 10),  # scores 1–10
        # Supervision inspections (doorstep.inspections): their mean score 0–100 in the window,
        # which services.recompute_branch adds to the figures.
        "inspection": _scaled(figures.get("inspection_score"), 0, 100),
    }


def stars_for(score: float, thresholds: list[float]) -> int:
    for i, least in enumerate(thresholds):
        if score >= least:
            return 5 - i
    return 1


def rate(figures: dict[str, Any], measured: dict[str, int], params: dict[str, Any]) -> Outcome:
    """The stars of one technician from the KPI figures of the window (`kpi_window`)."""
    p, _ = params_with_defaults(params)
    orders = int(figures.get("orders") or 0)
    weights = p["weights"]
    components: list[dict[str, Any]] = []
    total_weight = 0.0
    weighted = 0.0
    for key, value in component_rates(figures, measured).items():
        weight = float(weights.get(key, 0))
        score = round(value * 100, 1) if value is not None else None
        components.append(
            {"key": key, "label": BY_KEY[key].label, "weight": weight, "score": score}
        )
        if score is not None and weight > 0:
            total_weight += weight
            weighted += weight * score
    complaints = int(measured.get("complaints_per_10k", 0))
    penalty = float(figures.get("penalty_yuan") or 0)
    deductions: list[dict[str, Any]] = []
    if orders:
        deductions = [
            {
                "key": "complaints",
                "label": "投诉",
                "count": complaints,
                "points": round(p["complaint_points"] * complaints * 100 / orders, 1),
            },
            {
                "key": "penalties",
                "label": "考核金额",
                "yuan": penalty,
                "points": round(p["penalty_points"] * penalty / orders, 1),
            },
        ]
    if orders < int(p["min_orders"]) or not total_weight:
        return Outcome(None, None, orders, components, deductions)
    base = weighted / total_weight
    off = min(float(p["max_deduction"]), sum(d["points"] for d in deductions))
    score = round(max(0.0, base - off), 1)
    for c in components:  # how many points each component cost against a full 100
        w = c["weight"]
        c["lost"] = (
            round(w * (100 - c["score"]) / total_weight, 1)
            if c["score"] is not None and w > 0
            else 0.0
        )
    return Outcome(stars_for(score, p["thresholds"]), score, orders, components, deductions)
