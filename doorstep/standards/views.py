"""Pages for breaches, the penalty ledger, report-backs, policies and calendars.

Reads go through the ledger's visibility functions; writes go through ledger.appeal /
ledger.decide / checks.decide_report_back, or (policy and calendar admin) model saves inside
one transaction, so nothing is ever half-saved. Times are shown in Asia/Shanghai.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from functools import wraps
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods

from doorstep.core import clock as app_clock
from doorstep.core.errors import Conflict, DoorstepError, Forbidden, InvalidInput, NotFound
from doorstep.orders.access import staff_of
from doorstep.orders.choices import ComplaintChannel, ConsentSubject
from doorstep.org.choices import Role
from doorstep.org.models import Branch, Staff, roles_of
from doorstep.standards import ledger, policies
from doorstep.standards.calendar import (
    CalendarFileError,
    DayOverride,
    WorkingHours,
    parse_overrides_file,
)
from doorstep.standards.checks import decide_report_back
from doorstep.standards.choices import (
    CalendarKind,
    ClockName,
    PenaltyStatus,
    ReportBackStatus,
)
from doorstep.standards.forms import (
    AppealForm,
    BreachFilterForm,
    CalendarForm,
    CalendarUploadForm,
    DecideForm,
    HolidayDayForm,
    PenaltyFilterForm,
    PolicyForm,
    ReportBackDecisionForm,
    describe_file_error,
    duplicate_of,
    format_intervals,
)
from doorstep.standards.models import (
    Calendar,
    Clock,
    HolidayDay,
    Penalty,
    Policy,
    PolicyChange,
    ReportBack,
)
from doorstep.standards.policies import save_policy

SHANGHAI = "Asia/Shanghai"
PAGE_SIZE = 50
MANAGERS = {Role.MANAGER, Role.ADMIN}
View = Callable[..., HttpResponseBase]


def _in_shanghai(view: View) -> View:
    """Dates typed into filters and times shown on the page are Shanghai wall time."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with timezone.override(SHANGHAI):
            return view(request, *args, **kwargs)

    return wrapper


def _today() -> date:
    return app_clock.now().astimezone(ZoneInfo(SHANGHAI)).date()


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=ZoneInfo(SHANGHAI))


def _next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def _render(
    request: HttpRequest, template: str, ctx: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, template, ctx, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _post_id(request: HttpRequest, name: str) -> int:
    raw = request.POST.get(name, "")
    if not raw.isdigit():
        raise Http404("记录不存在")
    return int(raw)


def _back(request: HttpRequest, anchor: str = "") -> HttpResponse:
    """Post/redirect/get back to the same filtered page."""
    return redirect(request.get_full_path() + (f"#{anchor}" if anchor else ""))


def _field_errors(exc: InvalidInput, form: Any) -> None:
    for name, errs in exc.fields.items():
        for err in errs:
            form.add_error(name if name in form.fields else None, err)


def _scope_choices(user: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Branch and technician filter choices limited to what the viewer may see."""
    roles = roles_of(user)
    staff = staff_of(user)
    if not roles & ledger.OFFICE:
        me = [(user.get_username(), staff.name if staff else user.get_username())]
        return [], me
    branches = Branch.objects.all()
    techs = Staff.objects.filter(is_technician=True).select_related("user").order_by("name")
    if staff is not None and staff.branch_id is not None:
        branches = branches.filter(pk=staff.branch_id)
        techs = techs.filter(branch_id=staff.branch_id)
    return (
        [(b.code, b.name) for b in branches],
        [(t.user.get_username(), f"{t.name}（{t.employee_no}）") for t in techs],
    )


def _ledger_filters(qs: QuerySet[Any], f: dict[str, Any], time_field: str) -> QuerySet[Any]:
    if f.get("rule"):
        qs = qs.filter(rule=f["rule"])
    if f.get("branch"):
        qs = qs.filter(branch__code=f["branch"])
    if f.get("technician"):
        qs = qs.filter(technician__username=f["technician"])
    # Ranges of instants, not __date lookups, so the (…, time) indexes are used.
    if f.get("date_from"):
        qs = qs.filter(**{f"{time_field}__gte": _day_start(f["date_from"])})
    if f.get("date_to"):
        qs = qs.filter(**{f"{time_field}__lt": _day_start(f["date_to"] + timedelta(days=1))})
    return qs


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return query.urlencode()


# -- evidence ---------------------------------------------------------------------------------

EVIDENCE_LABELS = {
    "clock": "计时项目",
    "started_at": "开始计时",
    "deadline": "时限",
    "stopped_at": "停止计时",
    "paused_seconds": "暂停时长",
    "marked_at": "判定时间",
    "marked_by": "判定进程",
    "previous_start": "原预约时间",
    "moved_at": "改约操作时间",
    "notice_minutes": "提前告知（分钟）",
    "required_minutes": "要求（分钟）",
    "reason": "原因",
    "appointment_start": "预约时间",
    "arrived_at": "到达时间",
    "late_minutes": "迟到（分钟）",
    "delay_notices": "迟到告知记录",
    "required_notice_minutes": "须提前告知（分钟）",
    "window_from": "确认电话最早时间",
    "calls_in_window": "时段内通话次数",
    "left_at": "离开时间",
    "waited_minutes": "等候（分钟）",
    "calls_while_there": "现场通话记录",
    "work_without_consent": "未经同意的作业",
    "repeat_of": "前单",
    "earlier_completed_at": "前单完工时间",
    "channel": "投诉渠道",
    "note": "备注",
    "contradiction": "与记录矛盾之处",
}
_VALUE_LABELS: dict[str, dict[str, str]] = {
    "clock": {str(v): str(label) for v, label in ClockName.choices},
    "channel": {str(v): str(label) for v, label in ComplaintChannel.choices},
    "work_without_consent": {str(v): str(label) for v, label in ConsentSubject.choices},
}


def _readable(key: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_readable(key, v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if key == "paused_seconds" and isinstance(value, int | float):
        if not value:
            return "无"
        minutes = round(value / 60)
        return f"{minutes} 分钟" if minutes else f"{value} 秒"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    if isinstance(value, str):
        if key in _VALUE_LABELS:
            return _VALUE_LABELS[key].get(value, value)
        if len(value) >= 16 and value[4:5] == "-" and "T" in value:
            try:
                parsed = parse_datetime(value)
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is not None:
                return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M")
    return str(value)


def evidence_items(evidence: Any) -> list[tuple[str, str]]:
    if not isinstance(evidence, dict):
        return [("证据", _readable("", evidence))]
    return [
        (EVIDENCE_LABELS.get(str(k), str(k)), _readable(str(k), v)) for k, v in evidence.items()
    ]


# -- 违规记录 breaches -------------------------------------------------------------------------


def _failed_clocks(user: Any) -> list[Clock]:
    """Clocks the worker could not process and set aside (office staff only)."""
    if not roles_of(user) & ledger.OFFICE:
        return []
    staff = staff_of(user)
    qs = Clock.objects.filter(failed_at__isnull=False).select_related("order")
    if staff is not None and staff.branch_id is not None:
        qs = qs.filter(order__branch_id=staff.branch_id)
    return list(qs.order_by("-failed_at")[:50])


@login_required
@require_GET
@_in_shanghai
def breaches(request: HttpRequest) -> HttpResponse:
    branch_choices, tech_choices = _scope_choices(request.user)
    form = BreachFilterForm(request.GET, branches=branch_choices, technicians=tech_choices)
    f = form.active()
    qs = ledger.visible_breaches(request.user).select_related(
        "order", "technician__staff", "branch"
    )
    qs = _ledger_filters(qs, f, "occurred_at")
    if f.get("void") == "yes":
        qs = qs.filter(void=True)
    elif f.get("void") == "no":
        qs = qs.filter(void=False)
    page = Paginator(qs.order_by("-occurred_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(b, evidence_items(b.evidence)) for b in page.object_list]
    ctx = {
        "form": form,
        "page": page,
        "rows": rows,
        "query": _query_without_page(request),
        "show_branch": bool(branch_choices),
        "failed_clocks": _failed_clocks(request.user),
    }
    partial = bool(request.headers.get("HX-Request"))
    return _render(
        request, "standards/_breach_rows.html" if partial else "standards/breaches.html", ctx
    )


# -- 考核台账 penalty ledger -------------------------------------------------------------------


def _filtered_penalties(request: HttpRequest) -> tuple[PenaltyFilterForm, QuerySet[Penalty]]:
    branch_choices, tech_choices = _scope_choices(request.user)
    form = PenaltyFilterForm(request.GET, branches=branch_choices, technicians=tech_choices)
    f = form.active()
    qs = ledger.visible_penalties(request.user)
    qs = _ledger_filters(qs, f, "created_at")
    if f.get("status"):
        qs = ledger.in_status(qs, f["status"])
    if f.get("month"):
        month: date = f["month"]
        qs = qs.filter(
            created_at__gte=_day_start(month), created_at__lt=_day_start(_next_month(month))
        )
    return form, qs


def _totals(qs: QuerySet[Penalty]) -> dict[str, Any]:
    plain: Any = qs.order_by()  # `status` is an annotation the type checker cannot see
    agg = plain.aggregate(
        amount=Sum("amount", filter=Q(status__in=[PenaltyStatus.OPEN, PenaltyStatus.UPHELD])),
        count=Count("id"),
    )
    counts = dict(plain.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {
        "amount": agg["amount"] or 0,
        "count": agg["count"],
        "by_status": [(v, label, counts.get(v, 0)) for v, label in PenaltyStatus.choices],
    }


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> Any:
    # Free text a technician typed must not run as a spreadsheet formula when opened.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _penalty_csv(qs: QuerySet[Penalty]) -> StreamingHttpResponse:
    header = [
        "编号", "工单号", "规则", "规则说明", "金额（元）", "装维人员工号", "装维人员",
        "账号", "分公司", "状态", "原因", "记录时间", "申诉理由", "申诉时间", "裁决人",
        "裁决时间", "裁决说明", "计价规则（版本）",
    ]  # fmt: skip

    def when(value: datetime | None) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""

    def rows() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield "\ufeff" + writer.writerow(header)  # BOM: Excel then reads it as UTF-8
        with timezone.override(SHANGHAI):
            for p in (
                qs.select_related("order", "technician__staff", "branch")
                .prefetch_related("changes__by")
                .iterator(chunk_size=2000)
            ):
                tech = p.technician
                staff = getattr(tech, "staff", None) if tech else None
                appeal, decision = ledger.appeal_and_decision(p)
                yield writer.writerow([_cell(v) for v in [
                    p.pk, p.order.number, p.rule, p.get_rule_display(), f"{p.amount:.2f}",
                    staff.employee_no if staff else "", staff.name if staff else "",
                    tech.get_username() if tech else "", p.branch.name, p.get_status_display(),
                    p.reason, when(p.created_at), appeal.note if appeal else "",
                    when(appeal.at if appeal else None),
                    decision.by.get_username() if decision and decision.by else "",
                    when(decision.at if decision else None), decision.note if decision else "",
                    f"#{p.policy_id} v{p.policy_version}" if p.policy_id else "",
                ]])  # fmt: skip

    stamp = timezone.localtime(app_clock.now()).strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="penalties-{stamp}.csv"'
    return response


def _penalty_page(
    request: HttpRequest, bound: dict[int, Any] | None = None, status: int = 200
) -> HttpResponseBase:
    form, qs = _filtered_penalties(request)
    if request.GET.get("export") == "csv":
        return _penalty_csv(qs.order_by("-created_at", "-id"))
    user = request.user
    can_decide = bool(roles_of(user) & MANAGERS)
    bound = bound or {}
    qs = qs.select_related("order", "technician__staff", "branch", "policy").prefetch_related(
        "changes__by__staff"
    )
    page = Paginator(qs.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for p in page.object_list:
        appeal_form = decide_form = None
        if p.status == PenaltyStatus.OPEN and p.technician_id == user.pk:
            given = bound.get(p.pk)
            appeal_form = given if isinstance(given, AppealForm) else AppealForm(prefix=f"a{p.pk}")
        if p.status == PenaltyStatus.APPEALED and can_decide:
            given = bound.get(p.pk)
            decide_form = given if isinstance(given, DecideForm) else DecideForm(prefix=f"d{p.pk}")
        rows.append(
            {
                "p": p,
                "history": sorted(p.changes.all(), key=lambda c: c.seq),
                "appeal_form": appeal_form,
                "decide_form": decide_form,
            }
        )
    query = _query_without_page(request)
    ctx = {
        "form": form,
        "page": page,
        "rows": rows,
        "totals": _totals(qs),
        "query": query,
        "action_url": request.get_full_path(),
        "show_branch": bool(roles_of(user) & ledger.OFFICE),
        "can_decide": can_decide,
        "post_errors": [e for f in bound.values() for e in f.non_field_errors()],
        "appealed_waiting": (
            ledger.in_status(ledger.visible_penalties(user), PenaltyStatus.APPEALED).count()
            if can_decide
            else 0
        ),
    }
    partial = bool(request.headers.get("HX-Request")) and request.method == "GET"
    template = "standards/_penalty_rows.html" if partial else "standards/penalties.html"
    return _render(request, template, ctx, status=status)


def _penalty_post(request: HttpRequest) -> HttpResponseBase:
    action = request.POST.get("action")
    pk = _post_id(request, "penalty")
    user = request.user
    if not ledger.visible_penalties(user).filter(pk=pk).exists():
        raise Http404("处罚记录不存在")
    form: AppealForm | DecideForm
    if action == "appeal":
        form = AppealForm(request.POST, prefix=f"a{pk}")
    elif action == "decide":
        if not roles_of(user) & MANAGERS:
            raise PermissionDenied("只有管理人员可以裁决申诉")
        form = DecideForm(request.POST, prefix=f"d{pk}")
    else:
        return HttpResponseBadRequest("未知操作")
    if not form.is_valid():
        return _penalty_page(request, {pk: form}, status=422)
    try:
        if isinstance(form, AppealForm):
            penalty = ledger.appeal(pk, user, form.cleaned_data["reason"])
            done = "已提交申诉，等待管理人员裁决"
        else:
            uphold = form.cleaned_data["decision"] == "uphold"
            penalty = ledger.decide(pk, user, uphold, form.cleaned_data["note"])
            done = "已维持处罚" if uphold else "已免责"
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    except InvalidInput as exc:
        _field_errors(exc, form)
        return _penalty_page(request, {pk: form}, status=422)
    except DoorstepError as exc:  # Conflict: someone else decided first
        form.add_error(None, exc.message)
        return _penalty_page(request, {pk: form}, status=exc.status)
    messages.success(request, f"{penalty.get_rule_display()} ¥{penalty.amount}：{done}")
    return _back(request, f"penalty-{pk}")


@login_required
@require_http_methods(["GET", "POST"])
@_in_shanghai
def penalties(request: HttpRequest) -> HttpResponseBase:
    if request.method == "POST":
        return _penalty_post(request)
    return _penalty_page(request)


# -- 回告审批 report-backs ---------------------------------------------------------------------

RECENT_DECIDED = 50


def _report_back_rows(rbs: list[ReportBack], can_decide: bool, bound: dict[int, Any]) -> list[Any]:
    clock_ids = [c.pk for rb in rbs for c in rb.clocks.all()]
    by_clock: dict[int, list[Penalty]] = {}
    for p in Penalty.objects.filter(breach__clock_id__in=clock_ids).select_related("breach"):
        assert p.breach is not None
        by_clock.setdefault(p.breach.clock_id or 0, []).append(p)
    rows = []
    for rb in rbs:
        clocks = [
            {"clock": c, "penalties": by_clock.get(c.pk, [])}
            for c in sorted(rb.clocks.all(), key=lambda c: (c.deadline is None, c.deadline))
        ]
        form = None
        if can_decide and rb.status == ReportBackStatus.PENDING:
            form = bound[rb.pk] if rb.pk in bound else ReportBackDecisionForm(prefix=f"rb{rb.pk}")
        rows.append({"rb": rb, "clocks": clocks, "form": form})
    return rows


def _report_back_page(
    request: HttpRequest, bound: dict[int, Any] | None = None, status: int = 200
) -> HttpResponse:
    can_decide = bool(roles_of(request.user) & MANAGERS)
    visible = (
        ledger.visible_report_backs(request.user)
        .select_related("order", "technician__staff", "decided_by__staff")
        .prefetch_related("clocks")
    )
    pending = list(visible.filter(status=ReportBackStatus.PENDING).order_by("created_at", "id"))
    recent = list(
        visible.exclude(status=ReportBackStatus.PENDING).order_by("-created_at", "-id")[
            :RECENT_DECIDED
        ]
    )
    ctx = {
        "pending": _report_back_rows(pending, can_decide, bound or {}),
        "recent": _report_back_rows(recent, False, {}),
        "can_decide": can_decide,
        "post_errors": [e for f in (bound or {}).values() for e in f.non_field_errors()],
        "recent_limit": RECENT_DECIDED,
    }
    return _render(request, "standards/report_backs.html", ctx, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@_in_shanghai
def report_backs(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _report_back_page(request)
    if not roles_of(request.user) & MANAGERS:
        raise PermissionDenied("只有管理人员可以审批回告")
    pk = _post_id(request, "report_back")
    if not ledger.visible_report_backs(request.user).filter(pk=pk).exists():
        raise Http404("回告不存在")
    form = ReportBackDecisionForm(request.POST, prefix=f"rb{pk}")
    if not form.is_valid():
        return _report_back_page(request, {pk: form}, status=422)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        with transaction.atomic():
            rb = ReportBack.objects.select_for_update().get(pk=pk)
            decide_report_back(rb, request.user, approve, form.cleaned_data["note"])
    except Conflict as exc:
        form.add_error(None, exc.message)
        return _report_back_page(request, {pk: form}, status=exc.status)
    messages.success(request, f"回告已{'批准，相关超时处罚已免责' if approve else '驳回'}")
    return _back(request)


# -- holiday data coverage --------------------------------------------------------------------


def _entered_overrides() -> dict[date, DayOverride]:
    return {d.date: DayOverride(d.date, d.is_working, d.name) for d in HolidayDay.objects.all()}


def _coverage(years: list[int]) -> list[dict[str, Any]]:
    overrides = _entered_overrides()
    probe = WorkingHours(SHANGHAI, ((time(8, 30), time(18, 0)),), "chinese", overrides)
    panel = []
    for year in years:
        days = [d for d in overrides.values() if d.date.year == year]
        panel.append(
            {
                "year": year,
                "coverage": probe.coverage(year),
                "holidays": sum(1 for d in days if not d.is_working),
                "workdays": sum(1 for d in days if d.is_working),
            }
        )
    return panel


def _years_in_use_without_data(years: list[int]) -> list[int]:
    """Years whose clocks would fall back to plain weekends on a working-hours calendar that
    an enabled policy actually uses."""
    calendar_ids = (
        Policy.objects.filter(enabled=True, calendar__kind=CalendarKind.WORKING_HOURS)
        .values_list("calendar_id", flat=True)
        .distinct()
    )
    missing: set[int] = set()
    for calendar_id in calendar_ids:
        cal = policies.calendar_for(calendar_id, SHANGHAI)
        if isinstance(cal, WorkingHours):
            missing.update(cal.years_without_data(years))
    return sorted(missing)


def _require_office_admin(request: HttpRequest) -> bool:
    """Admins and managers may view; only admins may change. Returns whether they may edit."""
    roles = roles_of(request.user)
    if not roles & MANAGERS:
        raise PermissionDenied("只有管理员和管理人员可以查看")
    if request.method == "POST" and Role.ADMIN not in roles:
        raise PermissionDenied("只有管理员可以修改")
    return Role.ADMIN in roles


def _after_commit_clear_cache() -> None:
    # The post_save signal clears this process's cache inside the transaction; clearing again
    # after commit stops a concurrent request from caching the old rows in between.
    transaction.on_commit(policies.clear_cache)


# -- 规则参数 policies -------------------------------------------------------------------------


def _policy_form(request: HttpRequest, **kwargs: Any) -> PolicyForm:
    choices = getattr(request, "_policy_choices", None)
    if choices is None:
        choices = (
            [(b.pk, str(b)) for b in Branch.objects.all()],
            [(c.pk, c.name) for c in Calendar.objects.all()],
        )
        request._policy_choices = choices  # type: ignore[attr-defined]
    return PolicyForm(branch_choices=choices[0], calendar_choices=choices[1], **kwargs)


def _add_initial(key: str) -> dict[str, Any]:
    """A new override starts as a copy of the key's most general enabled row."""
    rows = [p for p in Policy.objects.filter(key=key).order_by("id") if p.enabled] or list(
        Policy.objects.filter(key=key).order_by("id")
    )
    initial: dict[str, Any] = {"key": key, "enabled": True}
    if rows:
        base = min(rows, key=lambda p: (p.specificity(), p.pk))
        initial.update(
            label=base.label,
            minutes=base.minutes,
            amount=base.amount,
            calendar=base.calendar_id,
            params=base.params,
            source=base.source,
        )
    return initial


POLICY_HISTORY_ROWS = 50


def _policy_history() -> list[dict[str, Any]]:
    """The latest policy changes, each with the fields it changed (before → after)."""
    rows = []
    for c in PolicyChange.objects.select_related("policy", "by__staff").order_by("-id")[
        :POLICY_HISTORY_ROWS
    ]:
        before = c.before or {}
        changed = [
            (name, before.get(name), value)
            for name, value in c.after.items()
            if c.before is None or before.get(name) != value
        ]
        rows.append({"c": c, "changed": changed, "created": c.before is None})
    return rows


def _policy_page(
    request: HttpRequest,
    can_edit: bool,
    edit_form: PolicyForm | None = None,
    add_form: PolicyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    edit_id = edit_form.instance.pk if edit_form is not None else None
    if edit_form is None and can_edit and request.GET.get("edit", "").isdigit():
        instance = Policy.objects.filter(pk=int(request.GET["edit"])).first()
        if instance is not None:
            edit_id = instance.pk
            edit_form = _policy_form(request, instance=instance, prefix=f"p{instance.pk}")
    add_key = request.GET.get("add", "")
    if add_form is None and can_edit:
        initial = _add_initial(add_key) if add_key else {"enabled": True}
        add_form = _policy_form(request, initial=initial, prefix="add")
    groups: dict[str, list[Policy]] = {}
    for p in Policy.objects.select_related("branch", "calendar").order_by("key", "id"):
        groups.setdefault(p.key, []).append(p)
    today = _today()
    ctx = {
        "groups": [
            {
                "key": key,
                "title": min(rows, key=lambda r: (r.specificity(), r.pk)).label,
                "rows": [
                    {
                        "p": p,
                        "params": json.dumps(p.params, ensure_ascii=False) if p.params else "",
                        "form": edit_form if p.pk == edit_id else None,
                    }
                    for p in rows
                ],
            }
            for key, rows in groups.items()
        ],
        "can_edit": can_edit,
        "history": _policy_history(),
        "add_form": add_form,
        "add_open": bool(add_key) or (add_form is not None and add_form.is_bound),
        "missing_years": _years_in_use_without_data([today.year, today.year + 1]),
        "cache_seconds": int(policies.CACHE_SECONDS),
    }
    return _render(request, "standards/policies.html", ctx, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@_in_shanghai
def policies_page(request: HttpRequest) -> HttpResponse:
    can_edit = _require_office_admin(request)
    if request.method != "POST":
        return _policy_page(request, can_edit)
    action = request.POST.get("action")
    url = reverse("standards:policies")
    if action == "edit":
        pk = _post_id(request, "policy")
        instance = Policy.objects.filter(pk=pk).first()
        if instance is None:
            raise Http404("规则不存在")
        form = _policy_form(request, data=request.POST, instance=instance, prefix=f"p{pk}")
        if not form.is_valid():
            return _policy_page(request, can_edit, edit_form=form, status=422)
        saved = save_policy(form.save(commit=False), request.user, "page")
        messages.success(request, f"已保存：{saved.key} {saved.label}（第 {saved.version} 版）")
        return redirect(f"{url}#policy-{pk}")
    if action == "add":
        form = _policy_form(request, data=request.POST, prefix="add")
        if not form.is_valid():
            return _policy_page(request, can_edit, add_form=form, status=422)
        saved = save_policy(form.save(commit=False), request.user, "page")
        messages.success(request, f"已新增：{saved.key} {saved.label}")
        return redirect(f"{url}#policy-{saved.pk}")
    if action == "toggle":
        pk = _post_id(request, "policy")
        with transaction.atomic():
            policy = Policy.objects.select_for_update().filter(pk=pk).first()
            if policy is None:
                raise Http404("规则不存在")
            policy.enabled = not policy.enabled
            other = duplicate_of(policy)
            if other is not None:
                messages.error(
                    request,
                    f"不能启用 #{pk}：已有匹配条件完全相同的启用规则 #{other.pk}，请先停用或修改它",
                )
                return redirect(f"{url}#policy-{pk}")
            save_policy(policy, request.user, "page")
        messages.success(
            request, f"已{'启用' if policy.enabled else '停用'}：{policy.key} {policy.label}"
        )
        return redirect(f"{url}#policy-{pk}")
    return HttpResponseBadRequest("未知操作")


# -- 日历 calendars ----------------------------------------------------------------------------


def _calendar_page(
    request: HttpRequest,
    can_edit: bool,
    forms: dict[str, Any] | None = None,
    upload_errors: list[tuple[int, str, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    forms = forms or {}
    edit_form = forms.get("edit")
    edit_id = edit_form.instance.pk if edit_form is not None else None
    if edit_form is None and can_edit and request.GET.get("edit", "").isdigit():
        instance = Calendar.objects.filter(pk=int(request.GET["edit"])).first()
        if instance is not None:
            edit_id = instance.pk
            edit_form = CalendarForm(instance=instance, prefix=f"c{instance.pk}")
    used = dict(
        Policy.objects.filter(enabled=True, calendar__isnull=False)
        .values_list("calendar_id")
        .annotate(n=Count("id"))
        .values_list("calendar_id", "n")
    )
    today = _today()
    coverage = _coverage([today.year, today.year + 1, today.year + 2])
    holidays = list(HolidayDay.objects.select_related("entered_by").order_by("date"))
    ctx = {
        "calendars": [
            {
                "c": c,
                "intervals": format_intervals(c.intervals or []),
                "used": used.get(c.pk, 0),
                "form": edit_form if c.pk == edit_id else None,
            }
            for c in Calendar.objects.all()
        ],
        "can_edit": can_edit,
        "add_calendar_form": forms.get("add") or (CalendarForm(prefix="new") if can_edit else None),
        "holiday_form": forms.get("holiday") or (HolidayDayForm(prefix="h") if can_edit else None),
        "upload_form": forms.get("upload")
        or (CalendarUploadForm(prefix="u") if can_edit else None),
        "upload_errors": upload_errors or [],
        "holidays": holidays,
        "coverage": coverage,
        # This year and next are what live clocks run on; the year after is usually not
        # announced yet, so it is shown in the panel but does not raise the alarm.
        "missing_years": [c["year"] for c in coverage[:2] if c["coverage"] == "fallback"],
    }
    return _render(request, "standards/calendars.html", ctx, status=status)


def _calendar_post(request: HttpRequest, can_edit: bool) -> HttpResponse:
    action = request.POST.get("action")
    url = reverse("standards:calendars")
    if action in ("calendar_edit", "calendar_add"):
        instance = None
        if action == "calendar_edit":
            instance = Calendar.objects.filter(pk=_post_id(request, "calendar")).first()
            if instance is None:
                raise Http404("日历不存在")
        prefix = f"c{instance.pk}" if instance else "new"
        form = CalendarForm(request.POST, instance=instance, prefix=prefix)
        if not form.is_valid():
            which = "edit" if instance else "add"
            return _calendar_page(request, can_edit, {which: form}, status=422)
        with transaction.atomic():
            saved = form.save()
            _after_commit_clear_cache()
        messages.success(request, f"已保存日历：{saved.name}")
        return redirect(f"{url}#calendar-{saved.pk}")
    if action == "holiday_add":
        hform = HolidayDayForm(request.POST, prefix="h")
        if not hform.is_valid():
            return _calendar_page(request, can_edit, {"holiday": hform}, status=422)
        with transaction.atomic():
            day = hform.save(commit=False)
            day.entered_by = cast(User, request.user)
            day.save()
            _after_commit_clear_cache()
        messages.success(request, f"已录入 {day}")
        return redirect(f"{url}#holidays")
    if action == "holiday_delete":
        pk = _post_id(request, "holiday")
        with transaction.atomic():
            day = HolidayDay.objects.filter(pk=pk).first()
            if day is None:
                raise Http404("该日期不存在")
            day.delete()
            _after_commit_clear_cache()
        messages.success(request, f"已删除 {day}")
        return redirect(f"{url}#holidays")
    if action == "upload":
        uform = CalendarUploadForm(request.POST, request.FILES, prefix="u")
        if not uform.is_valid():
            return _calendar_page(request, can_edit, {"upload": uform}, status=422)
        try:
            days = parse_overrides_file(uform.cleaned_data["file"])
        except CalendarFileError as exc:
            errors = [describe_file_error(*e) for e in exc.errors]
            return _calendar_page(request, can_edit, {"upload": uform}, errors, status=422)
        if not days:
            uform.add_error("file", "文件中没有任何日期行")
            return _calendar_page(request, can_edit, {"upload": uform}, status=422)
        created = updated = 0
        with transaction.atomic():  # all rows or none
            for d in days:
                _, was_created = HolidayDay.objects.update_or_create(
                    date=d.date,
                    defaults={
                        "is_working": d.is_working,
                        "name": d.name,
                        "entered_by": cast(User, request.user),
                    },
                )
                created += was_created
                updated += not was_created
            _after_commit_clear_cache()
        years = "、".join(str(y) for y in sorted({d.date.year for d in days}))
        messages.success(request, f"已导入 {years} 年：新增 {created} 天，更新 {updated} 天")
        return redirect(f"{url}#holidays")
    return HttpResponseBadRequest("未知操作")


@login_required
@require_http_methods(["GET", "POST"])
@_in_shanghai
def calendars(request: HttpRequest) -> HttpResponse:
    can_edit = _require_office_admin(request)
    if request.method == "POST":
        return _calendar_post(request, can_edit)
    return _calendar_page(request, can_edit)
