"""Policies as data: the SPEC §3 defaults, and resolving the row that applies to an order."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import time as dtime
from decimal import Decimal
from typing import Any

from doorstep.orders.models import WorkOrder
from doorstep.standards.calendar import AlwaysOpen, DayOverride, WorkingHours
from doorstep.standards.calendar import Calendar as CalendarLike

# (key, label, matchers, minutes, amount, params, source): the SPEC defaults as they stand
# now. Migration 0002 holds its own frozen copy; tests that flush the tables load these.
# The last three rows are doorstep.care's (its migration 0002 holds their frozen copy).
DEFAULTS: list[tuple[str, str, dict[str, str], int | None, str | None, dict[str, Any], str]] = [
    ("clock.contact", "派单后30分钟内联系客户", {}, 30, None, {"warn_pct": 80}, "000 ch.2 §1"),
    (
        "clock.first_reply",
        "障碍8小时内首次回复客户",
        {"kind": "repair"},
        480,
        None,
        {"warn_pct": 80},
        "003 part 3 §2",
    ),
    (
        "clock.restore",
        "用户线路故障24小时内修复",
        {"kind": "repair", "fault_class": "line"},
        1440,
        None,
        {"warn_pct": 80},
        "004 §1.2",
    ),
    (
        "clock.restore",
        "一般网络故障36小时内修复",
        {"kind": "repair", "fault_class": "network"},
        2160,
        None,
        {"warn_pct": 80},
        "004 §1.2",
    ),
    (
        "clock.restore",
        "严重网络故障按领导批准时间修复",
        {"kind": "repair", "fault_class": "severe"},
        None,
        None,
        {"warn_pct": 80, "approved_deadline": True},
        "004 §1.2",
    ),
    (
        "clock.install",
        "装机24小时内完成",
        {"kind": "install"},
        1440,
        None,
        {"warn_pct": 80},
        "operators' promise",
    ),
    (
        "clock.install",
        "移机24小时内完成",
        {"kind": "move"},
        1440,
        None,
        {"warn_pct": 80},
        "operators' promise",
    ),
    (
        "clock.arrival",
        "按预约时间准时上门（目标提前5–10分钟）",
        {},
        0,
        None,
        {"warn_minutes": 15, "early_target_minutes": 5},
        "000 ch.2 §3.2, 001 ch.2, 002, 003 part 2",
    ),
    (
        "clock.close_out",
        "完工后2小时内回单",
        {},
        120,
        None,
        {"warn_pct": 80},
        "000 ch.1 §23, 000 ch.4 §6.21",
    ),
    ("clock.callback", "回单后48小时内回访", {}, 2880, None, {"warn_pct": 80}, "000 ch.1 §21, 003"),
    (
        "check.R3",
        "装机/移机上门前10–15分钟电话确认",
        {},
        15,
        None,
        {"earliest_minutes": 60},
        "003 part 2 §1.1",
    ),
    ("check.R7", "装维改约须提前2小时告知客户", {}, 120, None, {}, "000 ch.2 §3.2, 001 ch.2, 002"),
    ("check.R8", "迟到须在预约时间前30分钟告知", {}, 30, None, {}, "002 要点一.4 (000: 15)"),
    (
        "check.R9",
        "客户不在家：至少等候10分钟并先电话联系",
        {},
        10,
        None,
        {},
        "001 ch.2, 000 ch.4 §6.3",
    ),
    (
        "check.R12",
        "打孔/搬物/进房间/动数据前征得同意",
        {},
        None,
        None,
        {"subjects": ["drill_wall", "move_items", "enter_room", "disk_data"]},
        "000 ch.2 §3.4",
    ),
    (
        "gate.R10",
        "回单凭证：签名或原因、现场评价",
        {},
        None,
        None,
        {"require": [], "disk_consent": True},
        "000 ch.2 §4, 002 要点四.6",
    ),
    (
        "gate.R10",
        "装机回单须测速和照片",
        {"kind": "install"},
        None,
        None,
        {"require": ["speed_test", "photo"], "disk_consent": True},
        "000 ch.3 §6",
    ),
    (
        "gate.R10",
        "移机回单须测速和照片",
        {"kind": "move"},
        None,
        None,
        {"require": ["speed_test", "photo"], "disk_consent": True},
        "000 ch.3 §6",
    ),
    (
        "pause.reasons",
        "可暂停计时的挂起原因（客户方及外部原因）",
        {},
        None,
        None,
        {"reasons": ["customer_request", "customer_unreachable", "third_party", "force_majeure"]},
        "SPEC §2 suspend",
    ),
    ("escalation", "超时后升级至管理人员", {}, 0, None, {}, "003 part 3 §3.3"),
    ("penalty.overdue", "超时每次处罚", {}, None, "10", {}, "004 §3.1"),
    ("penalty.check", "服务规范违规每次处罚", {}, None, "10", {}, "004 §3.1 (Doorstep default)"),
    ("penalty.repeat", "造成连续报修每次处罚", {}, None, "20", {}, "004 §3.2"),
    ("penalty.complaint.hotline", "投诉至10000/10086", {}, None, "100", {}, "004 §3.3"),
    ("penalty.complaint.mayor_hotline", "投诉至市长热线", {}, None, "30", {}, "004 §3.3"),
    ("penalty.complaint.bureau_leadership", "投诉至局领导", {}, None, "30", {}, "004 §3.3"),
    ("penalty.complaint.company_leadership", "投诉至公司领导", {}, None, "20", {}, "004 §3.3"),
    (
        "penalty.false_report_back",
        "虚假回告每次处罚",
        {},
        None,
        "20",
        {},
        "003 part 3 §3.4 (amount: Doorstep default)",
    ),
    (
        "repeat.window",
        "修障后7天内再次报修为重复障碍",
        {"kind": "repair"},
        7 * 1440,
        None,
        {},
        "003 part 3 §3.2",
    ),
    (
        "repeat.window",
        "装机后15天内报修为重复障碍",
        {"kind": "install"},
        15 * 1440,
        None,
        {},
        "003 part 3 §3.2",
    ),
    (
        "repeat.window",
        "移机后15天内报修为重复障碍",
        {"kind": "move"},
        15 * 1440,
        None,
        {},
        "003 part 3 §3.2",
    ),
    (
        "clock.compensation",
        "损坏客户物品：立即道歉，48小时内赔偿",
        {},
        2880,
        None,
        {"warn_pct": 80},
        "000 ch.4 §8.2",
    ),
    (
        "escalation.chase",
        "第3次催单或有投诉倾向时升级至班长",
        {},
        None,
        None,
        {
            "chases": 2,
            "clock_pct": 80,
            "risk_words": ["投诉", "12315", "10000", "10086", "市长热线", "曝光", "媒体", "工信部"],
        },
        "003 part 3 §3.3",
    ),
    (
        "care.engineering",
        "割接/电缆障碍接单后4小时内转派工程队并告知用户",
        {"kind": "repair"},
        240,
        None,
        {},
        "003 part 3 §2",
    ),
]


def load_defaults(policy_model: Any = None, calendar_model: Any = None) -> None:
    """Create the SPEC defaults (used by the data migration, with its historical models)."""
    if policy_model is None or calendar_model is None:
        from doorstep.standards.models import Calendar, Policy

        policy_model, calendar_model = Policy, Calendar
    calendar_model.objects.get_or_create(name="7×24", defaults={"kind": "always", "intervals": []})
    calendar_model.objects.get_or_create(
        name="工作时间（含法定节假日调休）",
        defaults={
            "kind": "working_hours",
            "intervals": [["08:30", "12:00"], ["13:30", "18:00"]],
            "workdays": "chinese",
        },
    )
    for key, label, matchers, minutes, amount, params, source in DEFAULTS:
        policy_model.objects.create(
            key=key,
            label=label,
            minutes=minutes,
            amount=Decimal(amount) if amount is not None else None,
            params=params,
            source=source,
            **matchers,
        )


@dataclass(frozen=True)
class Resolved:
    key: str
    policy_id: int | None
    minutes: int | None
    amount: Decimal | None
    params: dict[str, Any]
    calendar_id: int | None
    version: int | None = None


_lock = threading.Lock()
_cache: dict[str, Any] = {"at": 0.0, "rows": None, "calendars": {}}
# Other processes see an admin's edit within this many seconds; this one at once (signal).
CACHE_SECONDS = 30.0


def clear_cache(*args: Any, **kwargs: Any) -> None:
    with _lock:
        _cache.update(at=0.0, rows=None, calendars={})


def _rows() -> dict[str, list[Any]]:
    from doorstep.standards.models import Policy

    with _lock:
        if _cache["rows"] is not None and time.monotonic() - _cache["at"] < CACHE_SECONDS:
            return _cache["rows"]  # type: ignore[no-any-return]
    grouped: dict[str, list[Any]] = {}
    for row in Policy.objects.filter(enabled=True).order_by("id"):
        grouped.setdefault(row.key, []).append(row)
    with _lock:
        _cache.update(at=time.monotonic(), rows=grouped)
    return grouped


def rows_for(key: str) -> list[Any]:
    """Every enabled row of a policy key."""
    return list(_rows().get(key, []))


def _matches(row: Any, order: WorkOrder, region_type: str, grade: str) -> bool:
    return (
        (not row.kind or row.kind == order.kind)
        and (not row.fault_class or row.fault_class == order.fault_class)
        and (not row.branch_id or row.branch_id == order.branch_id)
        and (not row.region_type or row.region_type == region_type)
        and (not row.grade or row.grade == grade)
    )


def resolve(key: str, order: WorkOrder | None = None) -> Resolved | None:
    """The most specific enabled policy row for `key` that matches the order, or None."""
    rows = _rows().get(key, [])
    if order is not None:
        region_type = order.branch.region_type
        grade = order.customer.grade
        rows = [r for r in rows if _matches(r, order, region_type, grade)]
    else:
        rows = [r for r in rows if r.specificity() == 0]
    if not rows:
        return None
    # Most specific wins; among equals the newest row (an admin's later edit).
    best = max(rows, key=lambda r: (r.specificity(), r.id))
    return Resolved(
        key, best.id, best.minutes, best.amount, dict(best.params), best.calendar_id, best.version
    )


def amount_for(key: str, order: WorkOrder) -> Decimal:
    found = resolve(key, order)
    return found.amount if found and found.amount is not None else Decimal("0")


def calendar_for(calendar_id: int | None, tz: str) -> CalendarLike:
    """The working-time calendar of a policy, in the branch's time zone."""
    if calendar_id is None:
        return AlwaysOpen()
    cache_key = (calendar_id, tz)
    with _lock:
        cached = _cache["calendars"].get(cache_key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    from doorstep.standards.choices import CalendarKind
    from doorstep.standards.models import Calendar, HolidayDay

    row = Calendar.objects.filter(pk=calendar_id).first()
    cal: CalendarLike
    if row is None or row.kind == CalendarKind.ALWAYS:
        cal = AlwaysOpen()
    else:
        intervals = tuple(
            (dtime.fromisoformat(a), dtime.fromisoformat(b)) for a, b in (row.intervals or [])
        ) or ((dtime(8, 30), dtime(18, 0)),)
        overrides = {
            d.date: DayOverride(d.date, d.is_working, d.name) for d in HolidayDay.objects.all()
        }
        cal = WorkingHours(tz, intervals, workdays=row.workdays, overrides=overrides)  # type: ignore[arg-type]
    with _lock:
        _cache["calendars"][cache_key] = cal
    return cal


def save_policy(policy: Any, by: Any, via: str) -> Any:
    """Save a policy row (new or edited) and record who changed it, when, before and after.

    Every path that edits policies (the policies page, the admin site) calls this; the row's
    version goes up by one and ledger entries priced from then on name the new version."""
    from django.db import transaction

    from doorstep.core import clock as app_clock
    from doorstep.standards.integrity import policy_change_hash, policy_snapshot
    from doorstep.standards.models import Policy, PolicyChange

    with transaction.atomic():
        before = None
        if policy.pk is not None:
            old = Policy.objects.select_for_update().filter(pk=policy.pk).first()
            if old is not None:
                before = policy_snapshot(old)
                policy.version = old.version + 1
        policy.save()
        # One chain over all policy changes: lock its end so two edits take turns.
        last = PolicyChange.objects.select_for_update().order_by("-id").first()
        change = PolicyChange(
            policy=policy,
            version=policy.version,
            by_id=getattr(by, "pk", None),
            at=app_clock.now(),
            via=via,
            before=before,
            after=policy_snapshot(policy),
            prev_hash=last.hash if last else "",
        )
        change.hash = policy_change_hash(change)
        change.save()
        transaction.on_commit(clear_cache)
    return policy
