"""Escalations to the team lead (班长) that an action carries in its own event (003 part 3 §3.2,
§3.3): a repeat of a repeat (R13) asks for a more skilled technician; a third chase or a chase
with complaint risk (R15) asks the lead to step in.

The escalation is written into the payload of the event that caused it (`escalation`:
reason, to, note), so the order's history says who was asked and why; doorstep.care queues the
notice to the lead from that event, in the same transaction.
"""

from __future__ import annotations

from typing import Any

from doorstep.orders.choices import Action, Kind
from doorstep.orders.models import WorkOrder
from doorstep.org.choices import CustomerGrade
from doorstep.org.models import Staff, Team
from doorstep.standards import policies

REPEAT_OF_REPEAT = "repeat_of_repeat"
CHASES = "chases"
COMPLAINT_RISK = "complaint_risk"

# SPEC R15 default ("2 chases"): more chases than this escalate, i.e. the third one.
DEFAULT_CHASES = 2
# Words in a chase's note that mean the customer is heading for a complaint (有投诉倾向).
DEFAULT_RISK_WORDS = ["投诉", "12315", "10000", "10086", "市长热线", "曝光", "媒体", "工信部"]
DEFAULT_CLOCK_PCT = 80


def team_lead_for(order: WorkOrder, technician_id: int | None = None) -> Any:
    """The lead of the technician's team (the order's technician unless one is named), else the
    lead of any team of the order's branch; None when the branch has no lead."""
    tech = technician_id if technician_id is not None else order.technician_id
    if tech is not None:
        staff = Staff.objects.filter(user_id=tech).select_related("team__lead").first()
        if staff is not None and staff.team is not None and staff.team.lead is not None:
            return staff.team.lead
    team = (
        Team.objects.filter(branch_id=order.branch_id, lead__isnull=False)
        .select_related("lead")
        .order_by("id")
        .first()
    )
    return team.lead if team is not None else None


def closer_of(order: WorkOrder) -> int | None:
    """Who closed the order out: the actor of its last `complete` (R13 charges them)."""
    done = order.events.filter(action=Action.COMPLETE).order_by("-seq").first()
    return done.actor_id if done is not None else order.technician_id


def repeat_escalation(earlier: WorkOrder | None) -> dict[str, Any] | None:
    """A new fault report that repeats `earlier`, itself a repeat: the second repeat goes to the
    team lead of whoever closed `earlier`, asking for a more skilled technician."""
    if earlier is None or earlier.repeat_of_id is None:
        return None
    lead = team_lead_for(earlier, closer_of(earlier))
    first = earlier.repeat_of
    return {
        "reason": REPEAT_OF_REPEAT,
        "to": lead.get_username() if lead is not None else None,
        "note": (
            f"同一线路再次报障（前单 {earlier.number}，再前单 {first.number if first else ''}），"
            "请班长安排业务技能更高的维修人员彻查"
        ),
    }


def chase_rule(order: WorkOrder) -> tuple[int, list[str], float]:
    """(chases allowed before escalation, complaint-risk words, restore-clock share) from the
    `escalation.chase` policy row; SPEC defaults when the row leaves them out. A switched-off
    row means no escalation on count (0 = never)."""
    found = policies.resolve("escalation.chase", order)
    if found is None:
        return 0, [], 0.0
    params = found.params
    return (
        int(params.get("chases", DEFAULT_CHASES)),
        list(params.get("risk_words", DEFAULT_RISK_WORDS)),
        float(params.get("clock_pct", DEFAULT_CLOCK_PCT)) / 100,
    )


def complaint_risk(order: WorkOrder, note: str | None, at: Any) -> str | None:
    """Why this chase shows complaint risk, or None: the customer mentions a complaint, the
    customer is VIP, or the order's restore (install) clock has used up `clock_pct` of its time."""
    _, words, share = chase_rule(order)
    text = note or ""
    said = [w for w in words if w in text]
    if said:
        return f"催单中提到「{'、'.join(said)}」"
    if order.customer.grade == CustomerGrade.VIP:
        return "VIP 客户催单"
    if share > 0:
        from doorstep.standards.choices import OPEN_CLOCK
        from doorstep.standards.clocks import compute_deadline
        from doorstep.standards.models import Clock

        name = "restore" if order.kind == Kind.REPAIR else "install"
        for c in Clock.objects.filter(order=order, name=name, status__in=OPEN_CLOCK):
            deadline = compute_deadline(c, order, at)
            if deadline is None:
                continue
            span = (deadline - c.started_at).total_seconds()
            used = (at - c.started_at).total_seconds()
            if span > 0 and used >= span * share:
                return f"修复时限已用去 {used / span:.0%}"
    return None


def chase_escalation(
    order: WorkOrder, number: int, note: str | None, at: Any
) -> dict[str, Any] | None:
    """The escalation the `number`-th chase of the order carries, or None."""
    allowed, _, _ = chase_rule(order)
    risk = complaint_risk(order, note, at)
    if risk is None and not (allowed and number > allowed):
        return None
    lead = team_lead_for(order)
    reason = COMPLAINT_RISK if risk is not None else CHASES
    why = risk if risk is not None else f"第 {number} 次催单"
    return {
        "reason": reason,
        "to": lead.get_username() if lead is not None else None,
        "note": f"{why}，请班长督促处理并安抚客户",
    }


def repeat_preview(customer: Any, at: Any) -> dict[str, Any] | None:
    """What the intake desk shows before the operator saves a fault report for `customer`: the
    earlier order it would repeat (the same `find_repeat_of` create_order uses), who closed it
    out (and will be charged, R13), and whether it would escalate (a repeat of a repeat)."""
    from doorstep.orders.repeats import find_repeat_of
    from doorstep.org.models import Staff

    earlier = find_repeat_of(customer, Kind.REPAIR, at)
    if earlier is None:
        return None
    closer = closer_of(earlier)
    staff = Staff.objects.filter(user_id=closer).only("name").first() if closer else None
    return {
        "order": earlier,
        "closer": staff.name if staff is not None else None,
        "escalates": earlier.repeat_of_id is not None,
    }
