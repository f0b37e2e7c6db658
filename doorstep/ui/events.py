"""An order event as the pages name it: the action's Chinese label and who did it.

Labels come from the state tables (`doorstep.orders.states`): the staff table names every staff
action (the care and quality actions too), the customer table the customer's own (客户确认预约,
客户评价, …). A customer's `chase` is the staff action recorded with the customer role, so the
customer table is asked first for the customer's events.
"""

from __future__ import annotations

from typing import Any

from doorstep.orders.choices import AttachmentKind
from doorstep.orders.states import CUSTOMER, CUSTOMER_TRANSITIONS, TRANSITIONS
from doorstep.org.choices import Role


def action_label(action: str, actor_role: str = "") -> str:
    if actor_role == CUSTOMER and action in CUSTOMER_TRANSITIONS:
        return CUSTOMER_TRANSITIONS[action].label
    if action in TRANSITIONS:
        return TRANSITIONS[action].label
    if action in CUSTOMER_TRANSITIONS:
        return CUSTOMER_TRANSITIONS[action].label
    return action


def actor_label(event: Any) -> str:
    """Who acted: 客户 (through their link), 系统 (the worker), else the person and the role
    they acted in, 王师傅（装维人员）."""
    if event.actor_role == CUSTOMER:
        return "客户"
    actor = event.actor
    if actor is None:
        return "系统"
    name = actor.first_name or actor.username
    role = Role(event.actor_role).label if event.actor_role in Role.values else event.actor_role
    return f"{name}（{role}）"


# Values recorded as codes that no enum in the action's form names (pydantic `Literal`s, the
# attachment kind, the kit item codes): their Chinese labels, by (action, key).
CODE_LABELS: dict[tuple[str, str], dict[str, str]] = {
    ("attach", "kind"): {k.value: str(k.label) for k in AttachmentKind},
    ("callback", "contradiction"): {
        "nobody_came": "客户反映无人上门",
        "still_broken": "客户反映故障未修好",
    },
    ("verify_complaint", "finding"): {"upheld": "投诉属实", "rejected": "投诉不属实"},
    ("settle_damage", "paid_via"): {
        "cash": "现金",
        "transfer": "转账",
        "bill_credit": "话费抵扣",
        "replacement": "更换",
        "repair": "修复",
        "other": "其他",
    },
    ("site_not_ready", "reason"): {
        "no_port": "无端口",
        "no_cable": "无线缆",
        "building_not_ready": "楼宇未具备条件",
        "other": "其他",
    },
    ("escalate_engineering", "kind"): {"cutover": "割接", "cable": "电缆"},
}
KIT_KEYS = ("checklist", "checklist_missing")


def kit_labels(branch_id: int | None) -> dict[str, str]:
    """Kit item code → name: every seed checklist's items, then the branch's own rows (R24)."""
    from doorstep.care.kit import items_for
    from doorstep.field.scripts import kit_checklists

    labels = {i.code: i.label for c in kit_checklists() for i in c.items}
    labels.update({i.code: i.label for i in items_for(branch_id)})
    return labels


def field_label(key: str) -> str:
    """The one Chinese label of a payload key, in forms and in the history."""
    from doorstep.web.fields import FIELD_LABELS

    return FIELD_LABELS.get(key, key)


def _value_text(value: Any) -> str:
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_value_text(v) for v in value)
    if isinstance(value, dict):
        if value.get("note"):
            return str(value["note"])
        return "；".join(f"{field_label(k)}：{_value_text(v)}" for k, v in value.items() if v)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
        parsed = parse_datetime(value)
        if parsed is not None:
            return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M")
    return str(value)


def payload_lines(
    payload: Any,
    action: str = "",
    kit: dict[str, str] | None = None,
    erased: Any = (),
) -> list[tuple[str, str]]:
    """An event's payload (already through the R22 gate) as (label, value) lines: keys by their
    Chinese label, choices and codes by theirs (the action's form, `CODE_LABELS`, the kit list
    `kit`), times in the local zone. A value retention erased (its key in the event's `erased`)
    reads 已删除 rather than vanishing."""
    from doorstep.orders.actions.payloads import PAYLOADS
    from doorstep.web.fields import NOT_SHOWN, action_fields

    named = {f.name: dict(f.choices) for f in action_fields(action)} if action in PAYLOADS else {}
    lines = []
    for key, value in (payload or {}).items():
        if value is None and key in erased:
            lines.append((field_label(key), "已删除"))
            continue
        if value is None or value == "" or value == [] or key in NOT_SHOWN:
            continue
        codes = CODE_LABELS.get((action, key)) or named.get(key) or {}
        if key in KIT_KEYS:
            codes = kit or {}
        if isinstance(value, str):
            value = codes.get(value, value)
        elif isinstance(value, list):
            value = [codes.get(v, v) if isinstance(v, str) else v for v in value]
        lines.append((field_label(key), _value_text(value)))
    return lines


def technician_name(user: Any) -> str:
    """A staff member's name as pages show it (the username when they have no staff record);
    select_related("technician__staff") keeps it to the one query."""
    if user is None:
        return ""
    staff = getattr(user, "staff", None)  # RelatedObjectDoesNotExist is an AttributeError
    return (staff.name if staff is not None else "") or user.get_username()
