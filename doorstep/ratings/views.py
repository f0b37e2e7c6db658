"""A technician's stars and why: the latest computation's components, what pulled it down and
how to improve, and the history of changes. Seen by the technician and by the office roles of
their branch (the KPI gate: doorstep.kpis.access)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from doorstep.core.errors import DoorstepError
from doorstep.kpis.access import OFFICE, kpi_scope
from doorstep.org.models import Staff, roles_of
from doorstep.ratings import formula, jobs
from doorstep.ratings.models import StarRating

HISTORY = 24


def _visible(user: Any, staff: Staff) -> None:
    try:
        scope = kpi_scope(user, "technician")
    except DoorstepError as exc:
        raise PermissionDenied(exc.message) from exc
    if scope.keys is not None and staff.user.get_username() not in scope.keys:
        raise PermissionDenied("装维人员只能查看本人的星级")
    if scope.branches is not None and staff.branch_id not in {b.pk for b in scope.branches}:
        raise PermissionDenied("只能查看本分公司装维人员的星级")


def _explained(row: StarRating) -> dict[str, Any]:
    components = [
        {**c, "advice": formula.BY_KEY[c["key"]].advice}
        for c in row.components
        if c["key"] in formula.BY_KEY
    ]
    weighted = [c for c in components if c["weight"] > 0 and c["score"] is not None]
    pulled = sorted((c for c in weighted if c.get("lost", 0) > 0), key=lambda c: -c["lost"])
    return {
        "row": row,
        "components": components,
        "pulled": pulled[:3],
        "deductions": [d for d in row.deductions if d["points"] > 0],
        "short": max(0, int(row.params.get("min_orders", 0)) - row.orders),
    }


@login_required
def technician(request: HttpRequest, username: str | None = None) -> HttpResponse:
    username = username or request.user.get_username()
    staff = (
        Staff.objects.filter(user__username=username, is_technician=True)
        .select_related("user", "branch")
        .first()
    )
    if staff is None:
        raise Http404("没有这位装维人员")
    _visible(request.user, staff)
    rows = list(StarRating.objects.filter(technician_id=staff.user_id)[:HISTORY])
    history = []
    for i, newer in enumerate(rows):  # newest first: each row against the one before it
        older = rows[i + 1] if i + 1 < len(rows) else None
        history.append({"row": newer, "change": _change(newer, older)})
    return render(
        request,
        "ratings/technician.html",
        {
            "staff": staff,
            "own": staff.user_id == request.user.pk,
            "latest": _explained(rows[0]) if rows else None,
            "history": history,
            "may_ask": bool(roles_of(request.user) & OFFICE) and staff.branch_id is not None,
        },
    )


def _change(newer: StarRating, older: StarRating | None) -> str:
    if older is None:
        return "首次计算"
    if newer.stars == older.stars:
        return "星级未变，指标有更新"
    if older.stars is None:
        return "获得星级"
    if newer.stars is None:
        return "回单量不足，暂无星级"
    return "升星" if newer.stars > older.stars else "降星"


@require_POST
@login_required
def ask(request: HttpRequest, username: str) -> HttpResponse:
    """An office user asks for the branch's stars to be recomputed at the worker's next round."""
    staff = Staff.objects.filter(user__username=username).select_related("branch", "user").first()
    if staff is None or staff.branch is None:
        raise Http404("没有这位装维人员")
    if not roles_of(request.user) & OFFICE:
        raise PermissionDenied("只有管理人员可以要求重新计算星级")
    _visible(request.user, staff)
    jobs.ask(staff.branch, request.user)
    messages.success(request, f"已请求重新计算{staff.branch.name}的星级，后台将在下一轮完成")
    return redirect("ratings:technician", username=username)
