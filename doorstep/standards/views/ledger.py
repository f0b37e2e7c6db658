"""考核台账: the penalty ledger — filters, totals, CSV, appeals and decisions."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponseBadRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from doorstep.core import clock as app_clock
from doorstep.core.errors import DoorstepError, Forbidden, InvalidInput, NotFound
from doorstep.exports.models import ExportKind
from doorstep.exports.services import Table, export_response
from doorstep.org.models import roles_of
from doorstep.standards import ledger
from doorstep.standards.choices import PenaltyStatus
from doorstep.standards.forms import AppealForm, DecideForm, PenaltyFilterForm
from doorstep.standards.models import Penalty
from doorstep.standards.views.common import (
    MANAGERS,
    PAGE_SIZE,
    SHANGHAI,
    back_to,
    day_start,
    field_errors,
    in_shanghai,
    ledger_filters,
    next_month,
    post_id,
    query_without_page,
    render_page,
    scope_choices,
)


def _filtered_penalties(request: HttpRequest) -> tuple[PenaltyFilterForm, QuerySet[Penalty]]:
    return filtered_penalties(request.user, request.GET)


def filtered_penalties(user: Any, data: Any) -> tuple[PenaltyFilterForm, QuerySet[Penalty]]:
    """The ledger's filter form bound to `data` (a query string) and the penalties it selects
    among those `user` may see: the page, its CSV and its Excel export (issue 10) share it."""
    branch_choices, tech_choices = scope_choices(user)
    form = PenaltyFilterForm(data, branches=branch_choices, technicians=tech_choices)
    f = form.active()
    qs = ledger.visible_penalties(user)
    qs = ledger_filters(qs, f, "created_at")
    if f.get("status"):
        qs = ledger.in_status(qs, f["status"])
    if f.get("month"):
        month: date = f["month"]
        qs = qs.filter(
            created_at__gte=day_start(month), created_at__lt=day_start(next_month(month))
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


PENALTY_HEADER = [
        "编号", "工单号", "规则", "规则说明", "金额（元）", "装维人员工号", "装维人员",
        "账号", "分公司", "状态", "原因", "记录时间", "申诉理由", "申诉时间", "裁决人",
    "裁决时间", "裁决说明", "计价规则（版本）",
]  # fmt: skip


def _penalty_rows(qs: QuerySet[Penalty]) -> Iterator[list[Any]]:
    """One row per penalty under PENALTY_HEADER, for the CSV and the Excel export."""

    def when(value: datetime | None) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""

    with timezone.override(SHANGHAI):
        for p in (
            qs.select_related("order", "technician__staff", "branch")
            .prefetch_related("changes__by")
            .iterator(chunk_size=2000)
        ):
            tech = p.technician
            staff = getattr(tech, "staff", None) if tech else None
            appeal, decision = ledger.appeal_and_decision(p)
            yield [
                p.pk, p.order.number, p.rule, p.get_rule_display(), f"{p.amount:.2f}",
                staff.employee_no if staff else "", staff.name if staff else "",
                tech.get_username() if tech else "", p.branch.name, p.get_status_display(),
                p.reason, when(p.created_at), appeal.note if appeal else "",
                when(appeal.at if appeal else None),
                decision.by.get_username() if decision and decision.by else "",
                when(decision.at if decision else None), decision.note if decision else "",
                f"#{p.policy_id} v{p.policy_version}" if p.policy_id else "",
            ]  # fmt: skip


def penalty_table(user: Any, data: Any) -> Table:
    """The ledger as `user` sees it with the filters in `data`, for the Excel export."""
    form, qs = filtered_penalties(user, data)
    active = form.active()
    shown = []
    for name, field in form.fields.items():
        if name in active:
            value = active[name]
            labels = dict(getattr(field, "choices", []))
            text = value.strftime("%Y-%m") if name == "month" else str(labels.get(value, value))
            shown.append((str(field.label), text))
    qs = qs.order_by("-created_at", "-id")
    return Table("考核台账", shown, PENALTY_HEADER, qs.count(), lambda: _penalty_rows(qs))


def _penalty_csv(qs: QuerySet[Penalty]) -> StreamingHttpResponse:
    def rows() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield "\ufeff" + writer.writerow(PENALTY_HEADER)  # BOM: Excel then reads it as UTF-8
        for row in _penalty_rows(qs):
            yield writer.writerow([_cell(v) for v in row])

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
    if request.GET.get("export") == "xlsx":
        return export_response(request, ExportKind.PENALTIES)
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
    query = query_without_page(request)
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
    return render_page(request, template, ctx, status=status)


def _penalty_post(request: HttpRequest) -> HttpResponseBase:
    action = request.POST.get("action")
    pk = post_id(request, "penalty")
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
        field_errors(exc, form)
        return _penalty_page(request, {pk: form}, status=422)
    except DoorstepError as exc:  # Conflict: someone else decided first
        form.add_error(None, exc.message)
        return _penalty_page(request, {pk: form}, status=exc.status)
    messages.success(request, f"{penalty.get_rule_display()} ¥{penalty.amount}：{done}")
    return back_to(request, f"penalty-{pk}")


@login_required
@require_http_methods(["GET", "POST"])
@in_shanghai
def penalties(request: HttpRequest) -> HttpResponseBase:
    if request.method == "POST":
        return _penalty_post(request)
    return _penalty_page(request)


# -- 回告审批 report-backs ---------------------------------------------------------------------
