"""回告审批: report-backs (R16) and the managers' decisions on them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from doorstep.core.errors import Conflict
from doorstep.org.models import roles_of
from doorstep.standards import ledger
from doorstep.standards.checks import decide_report_back
from doorstep.standards.choices import ReportBackStatus
from doorstep.standards.forms import ReportBackDecisionForm
from doorstep.standards.models import Penalty, ReportBack
from doorstep.standards.views.common import MANAGERS, back_to, in_shanghai, post_id, render_page

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
    return render_page(request, "standards/report_backs.html", ctx, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@in_shanghai
def report_backs(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _report_back_page(request)
    if not roles_of(request.user) & MANAGERS:
        raise PermissionDenied("只有管理人员可以审批回告")
    pk = post_id(request, "report_back")
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
    return back_to(request)


# -- holiday data coverage --------------------------------------------------------------------
