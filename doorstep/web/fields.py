"""Web forms for actions, drawn from the same pydantic payloads the API validates with."""

from __future__ import annotations

import enum
import types
import typing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime
from pydantic.fields import FieldInfo

from doorstep.orders.actions.payloads import PAYLOADS

FIELD_LABELS = {
    "technician": "装维人员",
    "note": "备注",
    "outcome": "联系结果",
    "start": "预约开始",
    "end": "预约结束",
    "reason": "原因",
    "requested_by": "提出方",
    "eta": "预计到达",
    "checklist": "出发检查项",
    "lat": "纬度",
    "lng": "经度",
    "arrived_at": "到达时间",
    "left_at": "离开时间",
    "contact_phone": "留言电话",
    "contact_person": "联系人",
    "subject": "事项",
    "granted": "客户同意",
    "resolution": "处理结果",
    "signature": "签名附件编号",
    "no_signature_reason": "无签名原因",
    "rating": "现场评价 (1–5)",
    "rating_comment": "评价意见",
    "message": "回复内容",
    "by": "催单方",
    "score": "满意度 (1–10)",
    "satisfied": "是否满意",
    "channel": "投诉渠道",
    "work": "涉及作业（需事先征得同意）",
    "previous_start": "原预约开始",
    "previous_end": "原预约结束",
    "previous_technician": "原装维人员",
    "notice_seconds": "提前告知（秒）",
    "before_appointment_seconds": "距预约（秒）",
    "attachment": "附件",
    "kind": "类型",
    "reopened": "重新派单",
    "stars": "客户评分 (1–5)",
    "preferred_start": "希望开始",
    "preferred_end": "希望结束",
    "chase_number": "第几次催单",
    "checklist_missing": "未勾选物品",
    "escalation": "升级处理",
    "contradiction": "回访发现",
    "complaint": "投诉编号",
    "finding": "核查结论",
    "what": "损坏物品",
    "customer_words": "客户原话",
    "photos": "照片附件",
    "apologized": "已向客户道歉",
    "claim": "赔偿登记编号",
    "amount": "赔偿金额（元）",
    "paid_via": "赔偿方式",
    "customer_consent": "客户同意离去",
    "team": "工程队",
    "team_phone": "工程队电话",
    "customer_reached": "已联系到客户",
    "fault_class": "障碍类别",
    "customer": "客户",
    "symptom": "故障现象",
    "product": "产品",
    "reported_at": "报障时间",
    "branch": "分公司",
    "approved_deadline": "批准修复时限",
    "location": "位置",
    "area": "片区",
    "occurred_at": "发生时间",
    "to": "转交",
}
# Kept in the record but meaningless to a reader (the salted digest of the customer's words,
# whose text is on the customer requests page).
NOT_SHOWN = {"text_digest"}

LONG_TEXT = {"note", "resolution", "message", "reason"}


@dataclass
class FormField:
    name: str
    label: str
    widget: str  # text, textarea, select, datetime, number, checkbox-list
    required: bool
    choices: list[tuple[str, str]] = field(default_factory=list)
    value: str = ""
    errors: list[str] = field(default_factory=list)
    step: str = "any"
    is_list: bool = False


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(inner type, optional) for `X | None` and Annotated[...] annotations."""
    optional = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        annotation = args[0] if len(args) == 1 else annotation
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation, optional


def _widget(name: str, info: FieldInfo) -> FormField:
    inner, optional = _unwrap(info.annotation)
    required = info.is_required()
    label = FIELD_LABELS.get(name, name)
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        choices = [(m.value, str(getattr(m, "label", m.value))) for m in inner]
        return FormField(name, label, "select", required, choices)
    if inner is bool:
        return FormField(name, label, "select", True, [("true", "是"), ("false", "否")])
    if inner in (datetime, AwareDatetime):
        return FormField(name, label, "datetime", required)
    if inner in (int, float):
        return FormField(name, label, "number", required, step="1" if inner is int else "any")
    if typing.get_origin(inner) is list:
        (item,) = typing.get_args(inner) or (str,)
        item, _ = _unwrap(item)
        if isinstance(item, type) and issubclass(item, enum.Enum):
            choices = [(m.value, str(getattr(m, "label", m.value))) for m in item]
            return FormField(name, label, "checkboxes", False, choices, is_list=True)
        return FormField(name, label, "text", required, is_list=True)
    widget = "textarea" if name in LONG_TEXT else "text"
    return FormField(name, label, widget, required and not optional)


def action_fields(action: str, exclude: tuple[str, ...] = ("occurred_at",)) -> list[FormField]:
    schema = PAYLOADS[action]
    return [_widget(n, f) for n, f in schema.model_fields.items() if n not in exclude]


def parse_form(action: str, post: Any, tz: str) -> dict[str, Any]:
    """HTML form values → the JSON the action takes (times in the branch's zone)."""
    data: dict[str, Any] = {}
    zone = ZoneInfo(tz)
    for f in action_fields(action, exclude=()):
        if f.widget == "checkboxes":
            picked = [v for v in post.getlist(f.name) if v]
            if picked:
                data[f.name] = picked
            continue
        raw = post.get(f.name, "")
        if raw is None or str(raw).strip() == "":
            continue
        raw = str(raw).strip()
        if f.widget == "datetime":
            try:
                parsed = datetime.fromisoformat(raw)
            except ValueError:
                data[f.name] = raw  # let validation name the field
                continue
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=zone)
            data[f.name] = parsed.isoformat()
        elif f.widget == "number":
            try:
                data[f.name] = int(raw) if f.step == "1" else float(raw)
            except ValueError:
                data[f.name] = raw
        elif f.is_list:
            data[f.name] = [x.strip() for x in raw.replace("，", ",").split(",") if x.strip()]
        elif f.widget == "select" and f.choices == [("true", "是"), ("false", "否")]:
            data[f.name] = raw == "true"
        else:
            data[f.name] = raw
    return data
