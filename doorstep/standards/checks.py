"""Checks and gates of the service standards.

A gate refuses the action until its condition holds (R10); a check lets the action through
and records a breach with the evidence that proves it (R3, R7, R8, R9, R12), plus the R13
repeat-fault ledger entries and R16 report-backs. A complaint is a case and charges nothing
until it is upheld: doorstep.quality opens its R20 entry through `record_check_breach`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from doorstep.core import clock as app_clock
from doorstep.core.errors import GateRefused
from doorstep.orders.actions.context import ActionContext, Outcome
from doorstep.orders.choices import Action, AttachmentKind, Kind, RequestedBy
from doorstep.orders.models import Attachment, OrderEvent, WorkOrder
from doorstep.standards import policies
from doorstep.standards.breaches import record_check_breach
from doorstep.standards.choices import OPEN_CLOCK, ReportBackStatus, Rule
from doorstep.standards.models import Clock, ReportBack
from doorstep.standards.windows import notice_window, pre_call_window

EVIDENCE_LABEL = {AttachmentKind.SPEED_TEST: "测速截图", AttachmentKind.PHOTO: "现场照片"}


def _events(order: WorkOrder, *actions: str) -> list[OrderEvent]:
    return list(order.events.filter(action__in=actions).order_by("seq"))


def _granted(order: WorkOrder, subject: str, before: datetime) -> bool:
    return any(
        e.payload.get("subject") == subject and e.payload.get("granted") and e.occurred_at <= before
        for e in _events(order, Action.CONSENT)
    )


# -- gates ------------------------------------------------------------------------------------


def gate(ctx: ActionContext, outcome: Outcome) -> None:
    if ctx.action == Action.COMPLETE:
        _gate_r10(ctx)


def _gate_r10(ctx: ActionContext) -> None:
    """R10: the close-out carries its evidence."""
    order = ctx.order
    found = policies.resolve("gate.R10", order)
    if found is None:
        return
    have = set(Attachment.objects.filter(order=order).values_list("kind", flat=True))
    missing = [k for k in found.params.get("require", []) if k not in have]
    fields: dict[str, str] = {}
    for kind in missing:
        fields[kind] = f"{Kind(order.kind).label}回单须先上传{EVIDENCE_LABEL.get(kind, kind)}"
    work = list(getattr(ctx.payload, "work", []) or [])
    if (
        found.params.get("disk_consent")
        and "disk_data" in work
        and not _granted(order, "disk_data", ctx.occurred_at)
    ):
        fields["work"] = "涉及硬盘数据的作业，须先取得客户的数据备份同意（consent: disk_data）"
    if fields:
        raise GateRefused("R10", fields, "回单凭证不全：" + "；".join(fields.values()))


# -- checks -----------------------------------------------------------------------------------


def check(order: WorkOrder, event: OrderEvent) -> None:
    action = event.action
    if action == Action.CREATE and order.repeat_of_id:
        _repeat(order, event)
    elif action == Action.RESCHEDULE:
        _r7(order, event)
    elif action == Action.ARRIVE:
        _r8(order, event)
        _r3(order, event)
    elif action == Action.ABSENT:
        _r9(order, event)
    elif action == Action.COMPLETE:
        _r12(order, event)
    elif action == Action.REPORT_BACK:
        _report_back(order, event)


def _minutes(key: str, order: WorkOrder, default: int) -> tuple[int, dict[str, Any]] | None:
    found = policies.resolve(key, order)
    if found is None:
        return None
    return (found.minutes if found.minutes is not None else default), found.params


def _r7(order: WorkOrder, event: OrderEvent) -> None:
    """A crew moving an appointment tells the customer at least 2 h before it."""
    p = event.payload
    if p.get("requested_by") != RequestedBy.CREW or p.get("notice_seconds") is None:
        return
    window = notice_window(order, "R7")
    if window is None:
        return
    need = window.minutes
    if not window.enough_notice(p["notice_seconds"]):
        record_check_breach(
            order,
            event,
            Rule.R7,
            {
                "previous_start": p.get("previous_start"),
                "moved_at": event.occurred_at.isoformat(),
                "notice_minutes": round(p["notice_seconds"] / 60),
                "required_minutes": need,
                "reason": p.get("reason"),
            },
            reason=f"改约仅提前 {round(p['notice_seconds'] / 60)} 分钟告知",
        )


def _booking_events(order: WorkOrder) -> tuple[datetime | None, list[OrderEvent]]:
    """The current booking's start and the events since it was made."""
    events = list(order.events.order_by("seq"))
    since = 0
    for i, e in enumerate(events):
        if e.action in (Action.SCHEDULE, Action.RESCHEDULE):
            since = i
    return order.appointment_start, events[since:]


def _r8(order: WorkOrder, event: OrderEvent) -> None:
    """Late: the customer must have been told at least 30 min before the booked time."""
    start, recent = _booking_events(order)
    if start is None or event.occurred_at <= start:
        return
    window = notice_window(order, "R8", start)
    if window is None:
        return
    need = window.minutes
    notices = [e for e in recent if e.action == Action.NOTIFY_DELAY]
    in_time = [e for e in notices if not window.late(e.occurred_at)]
    if in_time:
        return
    record_check_breach(
        order,
        event,
        Rule.R8,
        {
            "appointment_start": start.isoformat(),
            "arrived_at": event.occurred_at.isoformat(),
            "late_minutes": round((event.occurred_at - start).total_seconds() / 60),
            "delay_notices": [e.occurred_at.isoformat() for e in notices],
            "required_notice_minutes": need,
        },
        reason="迟到且未提前告知客户" if not notices else "迟到告知不及时",
    )


def _r3(order: WorkOrder, event: OrderEvent) -> None:
    """Install / move: call the customer shortly before the booked time (R3 window, the same
    one the phone shows). A call after the booked time is not a pre-visit call."""
    start, _ = _booking_events(order)
    if start is None:
        return
    window = pre_call_window(order, start)
    if window is None:
        return
    closes = min(window.closes, event.occurred_at)
    calls = [e for e in _events(order, Action.CONTACT) if window.opens <= e.occurred_at <= closes]
    if calls:
        return
    record_check_breach(
        order,
        event,
        Rule.R3,
        {
            "appointment_start": start.isoformat(),
            "arrived_at": event.occurred_at.isoformat(),
            "window_from": window.opens.isoformat(),
            "window_to": closes.isoformat(),
            "calls_in_window": 0,
        },
        reason="上门前未电话确认",
    )


def _r9(order: WorkOrder, event: OrderEvent) -> None:
    """Not home: wait at least 10 min and call before leaving."""
    window = notice_window(order, "R9")
    if window is None:
        return
    need = window.minutes
    arrived = parse_datetime(event.payload["arrived_at"])
    left = parse_datetime(event.payload["left_at"])
    assert arrived is not None and left is not None
    waited = (left - arrived).total_seconds() / 60
    calls = [
        e
        for e in _events(order, Action.CONTACT)
        if arrived <= e.occurred_at <= max(left, event.occurred_at)
    ]
    problems = []
    if waited < need:
        problems.append(f"仅等候 {waited:.0f} 分钟（须 {need} 分钟）")
    if not calls:
        problems.append("离开前未电话联系客户")
    if problems:
        record_check_breach(
            order,
            event,
            Rule.R9,
            {
                "arrived_at": arrived.isoformat(),
                "left_at": left.isoformat(),
                "waited_minutes": round(waited, 1),
                "required_minutes": need,
                "calls_while_there": [e.occurred_at.isoformat() for e in calls],
            },
            reason="；".join(problems),
        )


def _r12(order: WorkOrder, event: OrderEvent) -> None:
    """Work that needs consent, recorded at close-out without a prior consent."""
    found = policies.resolve("check.R12", order)
    if found is None:
        return
    subjects = set(found.params.get("subjects", []))
    missing = [
        s
        for s in event.payload.get("work", [])
        if s in subjects and not _granted(order, s, event.occurred_at)
    ]
    if missing:
        record_check_breach(
            order,
            event,
            Rule.R12,
            {"work_without_consent": missing},
            reason="作业前未征得客户同意：" + "、".join(missing),
        )


def _repeat(order: WorkOrder, event: OrderEvent) -> None:
    """R13: the technician who closed the earlier order is charged for the repeat."""
    earlier = order.repeat_of
    assert earlier is not None
    done = earlier.events.filter(action=Action.COMPLETE).order_by("-seq").first()
    tech = done.actor_id if done else earlier.technician_id
    record_check_breach(
        order,
        event,
        Rule.R13,
        {
            "repeat_of": earlier.number,
            "earlier_completed_at": earlier.completed_at.isoformat()
            if earlier.completed_at
            else None,
        },
        technician_id=tech,
        amount_key="penalty.repeat",
        reason=f"重复障碍（前单 {earlier.number}）",
    )


UNREACHABLE_WORDS = (
    "unreachable",
    "no_answer",
    "联系不上",
    "无法联系",
    "无人接听",
    "打不通",
    "联系不到",
)
POSTPONE_WORDS = ("customer_request", "postpone", "客户要求", "改期", "推迟", "延期", "客户不在")


def contradiction(order: WorkOrder, event: OrderEvent) -> str:
    """What in the record contradicts the report-back's reason, or ''."""
    text = f"{event.payload.get('reason', '')} {event.payload.get('note', '')}".lower()
    contacts = [e for e in _events(order, Action.CONTACT) if e.occurred_at <= event.occurred_at]
    if any(w in text for w in UNREACHABLE_WORDS):
        failed = [e for e in contacts if e.payload.get("outcome") in ("no_answer", "unreachable")]
        if not failed:
            return "称联系不上客户，但工单没有一次未接通的通话记录"
    if any(w in text for w in POSTPONE_WORDS):
        reached = [e for e in contacts if e.payload.get("outcome") == "reached"]
        asked = [
            e
            for e in _events(order, Action.RESCHEDULE, Action.SUSPEND)
            if e.payload.get("requested_by") == "customer"
            or e.payload.get("reason") == "customer_request"
        ]
        if not reached and not asked:
            return "称客户要求推迟，但工单没有联系上客户或客户改约的记录"
    return ""


def _report_back(order: WorkOrder, event: OrderEvent) -> None:
    """R16: recorded for a manager to decide; one the record contradicts is false at once."""
    found = contradiction(order, event)
    rb = ReportBack.objects.create(
        order=order,
        event=event,
        technician_id=event.actor_id,
        reason=str(event.payload.get("reason", ""))[:500],
        note=str(event.payload.get("note", "")),
        status=ReportBackStatus.FALSE if found else ReportBackStatus.PENDING,
        contradiction=found,
        created_at=app_clock.now(),
    )
    # Only deadlines still ahead can be reported back on; a breach already done is done.
    at_risk = Clock.objects.filter(order=order, status__in=OPEN_CLOCK).exclude(
        deadline__lt=event.occurred_at
    )
    rb.clocks.set(list(at_risk))
    if found:
        record_check_breach(
            order,
            event,
            Rule.R16,
            {"reason": rb.reason, "contradiction": found},
            technician_id=event.actor_id,
            amount_key="penalty.false_report_back",
            reason="虚假回告：" + found,
        )


def decide_report_back(rb: ReportBack, manager: Any, approve: bool, note: str = "") -> ReportBack:
    """A manager approves (exempts the penalties of the clocks it covered) or rejects."""
    from django.db import transaction

    from doorstep.core.errors import Conflict

    with transaction.atomic():
        # Two managers deciding at once: the second sees it decided and gets a conflict.
        locked = ReportBack.objects.select_for_update().get(pk=rb.pk)
        if locked.status != ReportBackStatus.PENDING:
            raise Conflict("该回告已处理", state=locked.status, allowed=[])
        return _decide_locked(locked, manager, approve, note)


def _decide_locked(rb: ReportBack, manager: Any, approve: bool, note: str) -> ReportBack:
    from doorstep.standards.breaches import append_change
    from doorstep.standards.choices import PenaltyStatus
    from doorstep.standards.models import ChangeKind, Penalty

    rb.status = ReportBackStatus.APPROVED if approve else ReportBackStatus.REJECTED
    rb.decided_by = manager
    rb.decided_at = app_clock.now()
    rb.decision_note = note
    rb.save()
    if approve:
        covered = Penalty.raw.select_for_update().filter(
            pk__in=Penalty.objects.filter(
                breach__clock__in=rb.clocks.all(),
                status__in=[PenaltyStatus.OPEN, PenaltyStatus.APPEALED],
            ).values("pk")
        )
        for entry in covered.order_by("id"):
            append_change(
                entry,
                ChangeKind.REPORT_BACK_EXEMPT,
                PenaltyStatus.EXEMPTED,
                by=manager,
                at=rb.decided_at,
                note=f"回告免责：{rb.reason}",
            )
    return rb
