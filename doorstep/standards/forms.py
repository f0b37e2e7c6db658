"""Forms of the service-standards pages: ledger filters, appeals and decisions, and the
policy and calendar admin. Messages are shown beside the field they are about."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date, time
from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from doorstep.orders.choices import AttachmentKind, ConsentSubject, SuspendReason
from doorstep.standards.calendar import DEFAULT_TIME_ZONE, WorkingHours
from doorstep.standards.choices import CalendarKind, PenaltyStatus, Rule
from doorstep.standards.models import Calendar, HolidayDay, Policy
from doorstep.standards.policies import DEFAULTS

ANY = "全部"
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CHECKBOX = forms.CheckboxInput(attrs={"style": "width:auto;min-height:auto"})


def _choices(pairs: Iterable[tuple[Any, Any]], blank: str = ANY) -> list[tuple[str, str]]:
    return [("", blank), *[(str(v), str(label)) for v, label in pairs]]


# -- ledger filters ---------------------------------------------------------------------------


class _LedgerFilters(forms.Form):
    """Filters shared by the breaches page and the penalty ledger. Branch and technician
    choices are only the ones the viewer may see."""

    rule = forms.ChoiceField(label="规则", required=False, choices=_choices(Rule.choices))
    branch = forms.ChoiceField(label="分公司", required=False)
    technician = forms.ChoiceField(label="装维人员", required=False)
    date_from = forms.DateField(label="日期从", required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label="到", required=False, widget=DATE_INPUT)

    def __init__(
        self,
        data: Any,
        *,
        branches: Iterable[tuple[str, str]],
        technicians: Iterable[tuple[str, str]],
    ) -> None:
        super().__init__(data)
        self.fields["branch"].choices = _choices(branches)  # type: ignore[attr-defined]
        self.fields["technician"].choices = _choices(technicians)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "结束日期不能早于开始日期")
        return data

    def active(self) -> dict[str, Any]:
        """The filters that are set and valid (an invalid one is shown and ignored)."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class BreachFilterForm(_LedgerFilters):
    void = forms.ChoiceField(
        label="有效性",
        required=False,
        choices=[("", ANY), ("no", "有效"), ("yes", "已撤销")],
    )


MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class PenaltyFilterForm(_LedgerFilters):
    status = forms.ChoiceField(
        label="状态", required=False, choices=_choices(PenaltyStatus.choices)
    )
    month = forms.CharField(
        label="月份",
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )

    field_order = ["technician", "status", "rule", "branch", "month", "date_from", "date_to"]

    def clean_month(self) -> date | None:
        raw = (self.cleaned_data.get("month") or "").strip()
        if not raw:
            return None
        found = MONTH.match(raw)
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise forms.ValidationError("月份格式应为 YYYY-MM，例如 2026-11")
        return date(int(found.group(1)), int(found.group(2)), 1)


# -- appeals and decisions --------------------------------------------------------------------


class AppealForm(forms.Form):
    reason = forms.CharField(
        label="申诉理由",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写申诉理由"},
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("uphold", "维持"), ("exempt", "免责")])
    note = forms.CharField(
        label="裁决说明", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReportBackDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "批准"), ("reject", "驳回")])
    note = forms.CharField(
        label="审批意见", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", "驳回时请写明理由，装维人员会看到")
        return data


# -- policies ---------------------------------------------------------------------------------

MATCHERS = ("kind", "fault_class", "branch", "region_type", "grade")
_NON_NEGATIVE_INT_PARAMS = ("warn_minutes", "early_target_minutes", "earliest_minutes")
_BOOL_PARAMS = ("approved_deadline", "disk_consent")
_LIST_PARAMS: dict[str, tuple[str, list[str]]] = {
    "require": ("回单凭证", list(AttachmentKind.values)),
    "subjects": ("需征得同意的作业", list(ConsentSubject.values)),
    "reasons": ("挂起原因", list(SuspendReason.values)),
}


def known_keys() -> list[tuple[str, str]]:
    """Every policy key, with the label of its general default row, for the key select."""
    labels: dict[str, str] = {}
    for key, label, matchers, *_ in DEFAULTS:
        if key not in labels or not matchers:
            labels[key] = label
    for key in Policy.objects.values_list("key", flat=True).distinct():
        labels.setdefault(key, "")
    return [(k, f"{k} {labels[k]}".strip()) for k in sorted(labels)]


def params_problems(params: dict[str, Any]) -> list[str]:
    """What is wrong with the parameters the rules read, so a typo cannot stop the clocks."""
    problems: list[str] = []
    for name, value in params.items():
        if name == "warn_pct":
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 < value <= 100
            ):
                problems.append("warn_pct（预警比例）须为 1–100 之间的数字")
        elif name in _NON_NEGATIVE_INT_PARAMS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                problems.append(f"{name} 须为不小于 0 的整数（分钟）")
        elif name in _BOOL_PARAMS:
            if not isinstance(value, bool):
                problems.append(f"{name} 须为 true 或 false")
        elif name in _LIST_PARAMS:
            label, allowed = _LIST_PARAMS[name]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(f"{name}（{label}）须为字符串列表")
            else:
                unknown = [v for v in value if v not in allowed]
                if unknown:
                    problems.append(
                        f"{name}（{label}）含未知取值：{'、'.join(unknown)}；可选：{'、'.join(allowed)}"
                    )
    return problems


def duplicate_of(policy: Policy) -> Policy | None:
    """Another enabled row of the same key with exactly the same matchers: `resolve` would
    silently pick the newer one, so the admin should edit that row instead."""
    if not policy.enabled:
        return None
    same = Policy.objects.filter(
        key=policy.key, enabled=True, **{m: getattr(policy, m) for m in MATCHERS if m != "branch"}
    )
    if policy.branch_id is None:
        same = same.filter(branch__isnull=True)
    else:
        same = same.filter(branch_id=policy.branch_id)
    if policy.pk:
        same = same.exclude(pk=policy.pk)
    return same.order_by("id").first()


class PolicyForm(forms.ModelForm):
    key = forms.ChoiceField(label="规则")
    params = forms.CharField(
        label="参数（JSON 对象）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocapitalize": "off"}),
        help_text='如 {"warn_pct": 80}；没有参数填 {}',
    )

    class Meta:
        model = Policy
        fields = [
            "key", "label", "kind", "fault_class", "branch", "region_type", "grade",
            "minutes", "amount", "calendar", "params", "source", "enabled",
        ]  # fmt: skip
        widgets = {"enabled": CHECKBOX}

    def __init__(
        self,
        *args: Any,
        branch_choices: list[tuple[Any, str]] | None = None,
        calendar_choices: list[tuple[Any, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = known_keys()  # type: ignore[attr-defined]
        if self.instance.pk:
            # A row's key is what it is for; to cover other orders, add an override row.
            self.fields["key"].disabled = True
            self.initial["key"] = self.instance.key
        if not self.is_bound or self.instance.pk:
            self.initial["params"] = json.dumps(
                self.initial.get("params") or {}, ensure_ascii=False
            )
        for name in ("kind", "fault_class", "region_type", "grade"):
            field = self.fields[name]
            field.choices = [("", "任意"), *list(field.choices)[1:]]  # type: ignore[attr-defined]
        branch = self.fields["branch"]
        branch.label = "分公司"
        branch.empty_label = "任意"  # type: ignore[attr-defined]
        if branch_choices is not None:
            branch.choices = [("", "任意"), *branch_choices]  # type: ignore[attr-defined]
        calendar = self.fields["calendar"]
        calendar.empty_label = "不设（7×24 计时）"  # type: ignore[attr-defined]
        if calendar_choices is not None:
            calendar.choices = [("", "不设（7×24 计时）"), *calendar_choices]  # type: ignore[attr-defined]
        self.fields["minutes"].help_text = "时限、窗口等分钟数；不用填空"
        self.fields["amount"].help_text = "处罚金额；不用填空"

    def clean_params(self) -> dict[str, Any]:
        raw = (self.cleaned_data.get("params") or "").strip()
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）：请检查双引号、逗号和括号"
            ) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(
                '参数必须是 JSON 对象，例如 {"warn_pct": 80}；没有参数填 {}'
            )
        problems = params_problems(value)
        if problems:
            raise forms.ValidationError(problems)
        return value

    def clean_minutes(self) -> int | None:
        value = self.cleaned_data.get("minutes")
        if value is not None and value < 0:
            raise forms.ValidationError("分钟数不能为负数")
        return value

    def clean_amount(self) -> Decimal | None:
        value = self.cleaned_data.get("amount")
        if value is not None and value < 0:
            raise forms.ValidationError("金额不能为负数")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        probe = Policy(
            pk=self.instance.pk,
            key=data.get("key") or self.instance.key,
            enabled=bool(data.get("enabled")),
            kind=data.get("kind") or "",
            fault_class=data.get("fault_class") or "",
            branch=data.get("branch"),
            region_type=data.get("region_type") or "",
            grade=data.get("grade") or "",
        )
        other = duplicate_of(probe)
        if other is not None:
            raise forms.ValidationError(
                f"已有一条匹配条件完全相同的启用规则（#{other.pk} {other.label}），请直接修改那一条"
            )
        return data


# -- calendars --------------------------------------------------------------------------------

_INTERVAL_SPLIT = re.compile(r"[,，;；、\s]+")
_RANGE_SPLIT = re.compile(r"\s*(?:-|－|–|—|~|～|至|到)\s*")
_HHMM = re.compile(r"^(\d{1,2})[:：](\d{2})$")


def _hhmm(raw: str, item: str) -> time:
    found = _HHMM.match(raw)
    if not found:
        raise forms.ValidationError(f"“{item}”中的“{raw}”不是 HH:MM 格式的时间")
    hour, minute = int(found.group(1)), int(found.group(2))
    if (hour, minute) == (24, 0):
        return time(0)  # midnight at the end of the day, as WorkingHours reads 00:00 as an end
    if hour > 23 or minute > 59:
        raise forms.ValidationError(f"“{item}”中的“{raw}”不是有效时间")
    return time(hour, minute)


def parse_intervals(text: str) -> list[tuple[time, time]]:
    """Parse "08:30-12:00, 13:30-18:00" (full-width punctuation from a phone keyboard too)."""
    result: list[tuple[time, time]] = []
    for item in (s for s in _INTERVAL_SPLIT.split(text.strip()) if s):
        parts = _RANGE_SPLIT.split(item)
        if len(parts) != 2:
            raise forms.ValidationError(f"“{item}”应写成 开始-结束，例如 08:30-12:00")
        start = _hhmm(parts[0], item)
        if start == time(0) and parts[0].startswith("24"):
            raise forms.ValidationError(f"“{item}”：24:00 只能作为结束时间")
        result.append((start, _hhmm(parts[1], item)))
    return result


def format_intervals(intervals: Iterable[Iterable[str]]) -> str:
    out = []
    for pair in intervals:
        start, end = list(pair)
        out.append(f"{start[:5]}-{'24:00' if end[:5] == '00:00' else end[:5]}")
    return ", ".join(out)


def _working_hours_message(exc: ValueError) -> str:
    text = str(exc)
    if "at least one" in text:
        return "工作时间日历至少要有一个时段"
    found = re.search(r"interval (\S+)-(\S+) must end after it starts", text)
    if found:
        return f"时段 {found.group(1)[:5]}-{found.group(2)[:5]} 的结束时间必须晚于开始时间"
    if "overlap" in text:
        return "时段须按先后顺序填写，且不能重叠"
    return text


class CalendarForm(forms.ModelForm):
    intervals = forms.CharField(
        label="工作时段",
        required=False,
        help_text="如 08:30-12:00, 13:30-18:00（24:00 表示当天结束）",
        widget=forms.TextInput(attrs={"placeholder": "08:30-12:00, 13:30-18:00"}),
    )

    class Meta:
        model = Calendar
        fields = ["name", "kind", "intervals", "workdays"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["intervals"] = format_intervals(self.initial.get("intervals") or [])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        text = data.get("intervals") or ""
        if "intervals" in self.errors:
            return data
        try:
            parsed = parse_intervals(text)
        except forms.ValidationError as exc:
            self.add_error("intervals", exc)
            return data
        if data.get("kind") == CalendarKind.WORKING_HOURS or parsed:
            try:
                # The calendar arithmetic's own checks: start < end, sorted, no overlaps.
                WorkingHours(
                    DEFAULT_TIME_ZONE, tuple(parsed), workdays=data.get("workdays") or "all"
                )
            except ValueError as exc:
                self.add_error("intervals", _working_hours_message(exc))
                return data
        data["intervals"] = [[a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in parsed]
        return data


class HolidayDayForm(forms.ModelForm):
    is_working = forms.TypedChoiceField(
        label="类型",
        choices=[("0", "休（放假）"), ("1", "班（调休上班）")],
        coerce=lambda v: v == "1",
    )

    class Meta:
        model = HolidayDay
        fields = ["date", "is_working", "name"]
        widgets = {"date": DATE_INPUT}

    def clean_date(self) -> date:
        value: date = self.cleaned_data["date"]
        existing = HolidayDay.objects.filter(date=value).first()
        if existing is not None:
            kind = "班" if existing.is_working else "休"
            raise forms.ValidationError(
                f"{value} 已录入（{kind} {existing.name}），如需修改请先删除"
            )
        return value

    def validate_unique(self) -> None:
        pass  # clean_date says it in words; the unique index still guards a race


MAX_CALENDAR_FILE = 256 * 1024


class CalendarUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV 文件",
        help_text="每行：日期,类型,名称，例如 2027-01-01,休,元旦；类型填 休/holiday 或 班/workday",
        error_messages={"required": "请选择要上传的 CSV 文件"},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> str:
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size and upload.size > MAX_CALENDAR_FILE:
            raise forms.ValidationError("文件过大（上限 256 KB），节假日文件通常只有几十行")
        raw = upload.read()
        # Excel on a Chinese Windows saves "CSV" as GBK; "CSV UTF-8" carries a BOM.
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise forms.ValidationError("无法识别文件编码，请另存为 UTF-8 编码的 CSV")


COLUMN_LABEL = {"row": "整行", "date": "日期列（第 1 列）", "type": "类型列（第 2 列）"}
_FILE_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"expected 2 or 3 columns .*, got (\d+)"),
        "应为 2 或 3 列（日期,类型,名称），实际 {0} 列",
    ),
    (
        re.compile(r"^(.*) is not a date; write it as YYYY-MM-DD$"),
        "{0} 不是有效日期，请写成 YYYY-MM-DD",
    ),
    (re.compile(r"^(\S+) is already given on line (\d+)$"), "{0} 已在第 {1} 行出现过"),
    (
        re.compile(r"^(.*) is not a day type; use .*$"),
        "{0} 不是有效类型，请填 休（holiday）或 班（workday）",
    ),
]


def describe_file_error(line: int, column: str, message: str) -> tuple[int, str, str]:
    """(line, column label, message) in Chinese, for one row of CalendarFileError.errors."""
    for pattern, template in _FILE_MESSAGES:
        found = pattern.search(message)
        if found:
            message = template.format(*found.groups())
            break
    return line, COLUMN_LABEL.get(column, column), message
