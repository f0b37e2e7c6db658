"""doorstep.care's pages (Chinese, phone-usable): damage claims, my questions, and the sites
not ready for dispatch. Order changes go through the order actions; the rest through
doorstep.care.services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from doorstep.care import services
from doorstep.care.api import DISPATCH_ROLES, site_reports_for
from doorstep.care.choices import AskedVia, PaidVia
from doorstep.care.models import DamageClaim, EngineeringHandover
from doorstep.core.errors import DoorstepError
from doorstep.orders.access import visible_orders
from doorstep.orders.actions import perform
from doorstep.orders.actions.care import CLAIM_DAMAGE, SETTLE_DAMAGE
from doorstep.orders.states import TRANSITIONS
from doorstep.org.models import roles_of


def _fail(request: HttpRequest, exc: DoorstepError) -> None:
    fields = getattr(exc, "fields", None) or {}
    detail = "；".join(f"{v[0]}" for v in fields.values()) if fields else exc.message
    messages.error(request, f"操作失败：{detail}")


def _may(user: Any, action: str) -> bool:
    return bool(roles_of(user) & TRANSITIONS[action].roles)


@login_required
def claim_list(request: HttpRequest) -> HttpResponse:
    claims = list(services.claims_for(request.user)[:200])
    claims.sort(key=lambda c: (not c.is_open, c.opened_at))
    return render(request, "care/claims.html", {"claims": claims})


@login_required
def claim_new(request: HttpRequest, order_id: int) -> HttpResponse:
    order = visible_orders(request.user).filter(pk=order_id).first()
    if order is None:
        raise Http404
    photos = list(order.attachments.filter(kind="photo"))
    if request.method == "POST":
        body = {
            "what": request.POST.get("what", ""),
            "customer_words": request.POST.get("customer_words", ""),
            "photos": [int(p) for p in request.POST.getlist("photos") if p.isdigit()],
            "apologized": request.POST.get("apologized") == "on",
            "note": request.POST.get("note") or None,
        }
        try:
            perform(order.pk, CLAIM_DAMAGE, request.user, body)
        except DoorstepError as exc:
            _fail(request, exc)
        else:
            claim = DamageClaim.objects.filter(order=order).order_by("-id").first()
            messages.success(request, "已登记损坏赔偿，须在48小时内处理完毕")
            if claim is not None:
                return redirect("care:claim", claim.pk)
    return render(
        request,
        "care/claim_new.html",
        {"order": order, "photos": photos, "may": _may(request.user, CLAIM_DAMAGE)},
    )


@login_required
def claim_detail(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = services.claims_for(request.user).filter(pk=claim_id).first()
    if claim is None:
        raise Http404
    if request.method == "POST":
        body = {
            "claim": claim.pk,
            "amount": request.POST.get("amount", ""),
            "paid_via": request.POST.get("paid_via", ""),
            "apologized": request.POST.get("apologized") == "on",
            "note": request.POST.get("note") or None,
        }
        try:
            perform(claim.order_id, SETTLE_DAMAGE, request.user, body)
        except DoorstepError as exc:
            _fail(request, exc)
        else:
            messages.success(request, "赔偿已处理完毕")
            return redirect("care:claim", claim.pk)
    return render(
        request,
        "care/claim.html",
        {
            "claim": claim,
            "paid_via": PaidVia.choices,
            "may_settle": claim.is_open and _may(request.user, SETTLE_DAMAGE),
        },
    )


@login_required
def question_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        order = None
        number = request.POST.get("order", "").strip()
        if number:
            order = visible_orders(request.user).filter(number=number).first()
        try:
            if number and order is None:
                raise DoorstepError(f"没有工单 {number} 或无权查看")
            services.ask(
                request.user,
                question=request.POST.get("question", ""),
                asked_via=request.POST.get("asked_via", AskedVia.PHONE),
                order=order,
            )
        except DoorstepError as exc:
            _fail(request, exc)
        else:
            messages.success(request, "已登记，您是这个问题的首问责任人")
            return redirect("care:questions")
    mine = list(services.questions_of(request.user))
    office = bool(roles_of(request.user) & (DISPATCH_ROLES | {"quality", "operator"}))
    return render(
        request,
        "care/questions.html",
        {
            "open": [q for q in mine if q.answered_at is None],
            "done": [q for q in mine if q.answered_at is not None][-20:],
            "via": AskedVia.choices,
            "by_owner": services.unanswered_by_owner() if office else [],
        },
    )


@login_required
@require_POST
def question_act(request: HttpRequest, question_id: int, what: str) -> HttpResponse:
    try:
        if what == "hand-off":
            services.hand_off(
                question_id, request.user, request.POST.get("to", ""), request.POST.get("note", "")
            )
            messages.success(request, "已转交；您仍是首问责任人，答复前会一直列在您的页面")
        elif what == "answer":
            services.answer(question_id, request.user, request.POST.get("answer", ""))
            messages.success(request, "已答复")
        else:
            raise Http404
    except DoorstepError as exc:
        _fail(request, exc)
    return redirect("care:questions")


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    try:
        reports = list(site_reports_for(request.user)[:200])
    except DoorstepError as exc:
        raise Http404 from exc
    reports.sort(key=lambda r: (r.handled_at is not None, r.reported_at))
    handovers = list(
        EngineeringHandover.objects.filter(order__in=visible_orders(request.user))
        .select_related("order", "by")
        .order_by("-handed_over_at")[:100]
    )
    return render(request, "care/sites.html", {"reports": reports, "handovers": handovers})


@login_required
@require_POST
def site_handled(request: HttpRequest, report_id: int) -> HttpResponse:
    try:
        if not site_reports_for(request.user).filter(pk=report_id).exists():
            raise Http404
        services.mark_site_handled(report_id, request.user, request.POST.get("note", ""))
    except DoorstepError as exc:
        _fail(request, exc)
    else:
        messages.success(request, "已标记为调度处理中")
    return redirect("care:sites")


@login_required
def route_preview(request: HttpRequest) -> HttpResponse:
    """The intake desk's hint: the branch an order with this area / address would go to when
    the operator leaves 分公司 on 自动 (the same `route` that create_order calls)."""
    from doorstep.orders.actions.routing import route

    area = request.GET.get("area", "").strip()
    address = request.GET.get("customer_address", "").strip()
    routed = route(area or None, None, None, address or None) if (area or address) else None
    return render(request, "care/_route.html", {"routed": routed, "asked": bool(area or address)})
