"""The quality desk's pages (回访台, 投诉, 疑似虚假回单): phone-usable, Chinese.

Every change is an order action through `orders.actions.perform`; the customer's phone is shown
through the R22 gate and each view of it is logged.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from doorstep.core import clock
from doorstep.core.errors import DoorstepError, Forbidden
from doorstep.orders.actions import perform
from doorstep.orders.choices import Action, Status
from doorstep.orders.models import Attachment, OrderEvent
from doorstep.orders.privacy import customer_view, log_personal_views, may_see_personal_data
from doorstep.quality import services
from doorstep.quality.api import filtered_complaints
from doorstep.quality.choices import VERIFY_COMPLAINT, Contradiction, Finding
from doorstep.quality.models import CallbackTask

SCORES = list(range(10, 0, -1))


def _errors(exc: DoorstepError) -> str:
    fields = getattr(exc, "fields", None)
    return "；".join(v[0] for v in fields.values()) if fields else exc.message


def _desk(user: Any) -> None:
    if not services.may_work_desk(user):
        raise PermissionDenied("只有质检回访人员和管理人员可以使用回访台")


def _current_call(user: Any) -> CallbackTask | None:
    return (
        services.waiting_tasks(user)
        .filter(claimed_by=user, claimed_at__gt=clock.now() - services.CLAIM_TTL)
        .select_related("completed_event")
        .first()
    )


@login_required
def callback_desk(request: HttpRequest) -> HttpResponse:
    """The queue, and the call this agent holds with the customer's phone and the form."""
    _desk(request.user)
    tasks = list(services.waiting_tasks(request.user).select_related("claimed_by")[:200])
    call = _current_call(request.user)
    context: dict[str, Any] = {
        "tasks": tasks,
        "call": call,
        "scores": SCORES,
        "contradictions": Contradiction.choices,
    }
    if call is not None:
        context["customer"] = customer_view(request.user, call.order)
        context["close_out"] = call.completed_event.payload
        log_personal_views(request.user, [call.order], via="callback")
    returned = request.GET.get("returned")
    if returned and returned.isdigit():
        from doorstep.orders.access import visible_orders

        context["returned"] = (
            visible_orders(request.user).select_related("technician").filter(pk=returned).first()
        )
    return render(request, "quality/callbacks.html", context)


@login_required
@require_POST
def callback_next(request: HttpRequest) -> HttpResponse:
    _desk(request.user)
    if services.take_next(request.user) is None:
        messages.info(request, "暂无待回访的工单")
    return redirect("quality:callbacks")


@login_required
@require_POST
def callback_release(request: HttpRequest, order_id: int) -> HttpResponse:
    _desk(request.user)
    for task in services.waiting_tasks(request.user).filter(order_id=order_id):
        services.release(task, request.user)
    return redirect("quality:callbacks")


@login_required
@require_POST
def callback_record(request: HttpRequest, order_id: int) -> HttpResponse:
    """The call's outcome: score, satisfied, contradiction, comment → the `callback` action."""
    _desk(request.user)
    data: dict[str, Any] = {
        "score": request.POST.get("score") or None,
        "satisfied": {"yes": True, "no": False}.get(request.POST.get("satisfied", "")),
        "note": request.POST.get("note", "").strip() or None,
        "contradiction": request.POST.get("contradiction") or None,
    }
    if data["satisfied"] is None:
        messages.error(request, "请选择客户是否满意")
        return redirect("quality:callbacks")
    try:
        order, _ = perform(order_id, Action.CALLBACK, request.user, data)
    except DoorstepError as exc:
        messages.error(request, f"回访未保存：{_errors(exc)}")
        return redirect("quality:callbacks")
    if order.status == Status.CLOSED:
        messages.success(request, f"{order.number} 回访满意，已归档")
        return redirect("quality:callbacks")
    who = order.technician.username if order.technician else "调度"
    messages.warning(request, f"{order.number} 客户不满意，已退回 {who} 重新处理")
    if data["contradiction"]:
        messages.warning(request, "回访结果与回单不符，已提交管理人员核查（疑似虚假回单）")
    return redirect(f"{_url('quality:callbacks')}?returned={order.pk}")


def _url(name: str, *args: Any) -> str:
    from django.urls import reverse

    return reverse(name, args=args)


# -- complaints --------------------------------------------------------------------------------


@login_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    _desk(request.user)
    status = request.GET.get("status", "")
    try:
        qs = filtered_complaints(request.user, status)
    except DoorstepError:
        status, qs = "", filtered_complaints(request.user, None)
    rows = list(qs.select_related("order", "order__branch").order_by("-opened_at")[:200])
    return render(
        request,
        "quality/complaints.html",
        {
            "rows": rows,
            "status": status,
            "statuses": [("open", "待核查"), *Finding.choices],
        },
    )


@login_required
def complaint_detail(request: HttpRequest, complaint_id: int) -> HttpResponse:
    _desk(request.user)
    case = (
        services.visible_complaints(request.user)
        .select_related("order", "order__technician", "opened_by", "decided_by")
        .select_related("charged_technician")
        .filter(pk=complaint_id)
        .first()
    )
    if case is None:
        raise Http404("投诉不存在")
    if request.method == "POST":
        try:
            perform(
                case.order_id,
                VERIFY_COMPLAINT,
                request.user,
                {
                    "complaint": case.pk,
                    "finding": request.POST.get("finding", ""),
                    "note": request.POST.get("note", ""),
                },
            )
        except DoorstepError as exc:
            messages.error(request, f"未保存：{_errors(exc)}")
        else:
            messages.success(request, "核查结论已记录")
        return redirect("quality:complaint", case.pk)
    from doorstep.standards.models import Penalty

    entry = (
        Penalty.objects.filter(event_id=case.decided_event_id, rule="R20").first()
        if case.decided_event_id
        else None
    )
    return render(
        request,
        "quality/complaint.html",
        {"case": case, "entry": entry, "findings": Finding.choices},
    )


# -- false close-outs (managers) --------------------------------------------------------------


def _flags(user: Any) -> Any:
    try:
        return services.visible_flags(user)
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from None


@login_required
def flag_list(request: HttpRequest) -> HttpResponse:
    rows = list(
        _flags(request.user)
        .select_related("order", "technician", "callback_event__actor")
        .order_by("-created_at")[:200]
    )
    return render(request, "quality/flags.html", {"rows": rows})


@login_required
def flag_detail(request: HttpRequest, flag_id: int) -> HttpResponse:
    flag = (
        _flags(request.user)
        .select_related("order", "order__customer", "technician", "callback_event__actor")
        .filter(pk=flag_id)
        .first()
    )
    if flag is None:
        raise Http404("记录不存在")
    order = flag.order
    full = may_see_personal_data(request.user, order)
    ev = dict(flag.evidence)
    if not full:
        ev["arrival_position"] = None
    if full:
        log_personal_views(request.user, [order], via="false-close")
    ids = [*ev.get("photos", []), *ev.get("speed_tests", [])]
    if ev.get("signature"):
        ids.append(ev["signature"])
    files = {a.pk: a for a in Attachment.objects.filter(order=order, pk__in=ids)}
    callback: OrderEvent = flag.callback_event
    return render(
        request,
        "quality/flag.html",
        {
            "flag": flag,
            "order": order,
            "ev": ev,
            "callback": callback,
            "photos": [files[i] for i in ev.get("photos", []) if i in files],
            "speed_tests": [files[i] for i in ev.get("speed_tests", []) if i in files],
            "signature": files.get(ev.get("signature") or 0),
            "customer": customer_view(request.user, order),
        },
    )
