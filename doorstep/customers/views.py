"""The customer's pages (no login: the link or the badge is the key) and the crew's pages for
badges and customers' requests."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from doorstep.core import clock
from doorstep.core.errors import DoorstepError, InvalidInput, NotFound
from doorstep.customers import badges
from doorstep.customers.conf import conf
from doorstep.customers.links import LinkGone, absolute, open_link
from doorstep.customers.models import CustomerRequest, RequestKind, TechnicianBadge
from doorstep.customers.requests import (
    answer_request,
    customer_acts,
    local_time,
    open_requests,
    window_text,
)
from doorstep.customers.throttle import TooManyRequests, throttle
from doorstep.evaluation.services import evaluation_card
from doorstep.orders.access import BRANCH_WIDE, staff_of
from doorstep.orders.choices import Status
from doorstep.orders.models import WorkOrder
from doorstep.orders.privacy import mask_address
from doorstep.orders.states import CustomerAction, customer_actions
from doorstep.org.models import Staff, roles_of

# The order's state in the customer's words.
PLAIN_STATUS = {
    Status.RECEIVED: "已受理，正在为您安排装维人员",
    Status.DISPATCHED: "已派给装维人员，师傅会尽快与您联系",
    Status.ACCEPTED: "师傅已接单，将与您约定上门时间",
    Status.SCHEDULED: "已预约上门",
    Status.EN_ROUTE: "师傅正在赶来",
    Status.ON_SITE: "师傅已上门服务",
    Status.COMPLETED: "服务已完成，欢迎您评价",
    Status.CLOSED: "服务已完成",
    Status.SUSPENDED: "暂停处理中，恢复后师傅会与您联系",
    Status.RETURNED: "正在重新安排装维人员",
    Status.CANCELLED: "工单已撤销",
}
# Parts of the day a customer can ask for, in the branch's time zone.
DAY_PARTS = {"am": (time(9), time(12)), "pm": (time(13), time(18)), "eve": (time(18), time(20))}
DONE = {
    CustomerAction.CONFIRM: "已确认预约时间，谢谢！",
    CustomerAction.ASK_RESCHEDULE: "改约申请已提交，师傅会尽快与您联系。",
    CustomerAction.CHASE: "已为您催促，师傅会尽快处理。",
    CustomerAction.RATE: "感谢您的评价！",
    CustomerAction.LODGE_COMPLAINT: "您的意见已提交，质检人员会尽快处理。",
}


def _refused(request: HttpRequest, status: int, message: str) -> HttpResponse:
    # Nothing of the order: the same page for a link that never existed and one that expired.
    return render(
        request, "customers/refused.html", {"message": message, "status": status}, status=status
    )


def _preferred(order: WorkOrder, day: str, part: str) -> tuple[datetime | None, datetime | None]:
    if not day:
        return None, None
    try:
        date = datetime.strptime(day, "%Y-%m-%d").date()
    except ValueError:
        raise InvalidInput({"preferred_start": "日期格式不对"}) from None
    if part not in DAY_PARTS:
        raise InvalidInput({"preferred_start": "请选择上午、下午或晚上"})
    tz = ZoneInfo(order.branch.timezone)
    start, end = DAY_PARTS[part]
    return datetime.combine(date, start, tz), datetime.combine(date, end, tz)


def _link_context(order: WorkOrder) -> dict[str, Any]:
    events = list(order.events.filter(action__in=list(CustomerAction) + ["schedule", "reschedule"]))
    booked_seq = max((e.seq for e in events if e.action in ("schedule", "reschedule")), default=0)
    confirmed = any(
        e.action == CustomerAction.CONFIRM and e.actor_role == "customer" and e.seq > booked_seq
        for e in events
    )
    rated = next((e for e in events if e.action == CustomerAction.RATE), None)
    actions = customer_actions(order.status)
    if confirmed and CustomerAction.CONFIRM in actions:
        actions.remove(CustomerAction.CONFIRM)
    if rated is not None and CustomerAction.RATE in actions:
        actions.remove(CustomerAction.RATE)
    staff = (
        Staff.objects.filter(user_id=order.technician_id).select_related("branch").first()
        if order.technician_id
        else None
    )
    asks = CustomerRequest.objects.filter(order=order, kind=RequestKind.RESCHEDULE).order_by(
        "-created_at"
    )
    return {
        "order": order,
        "kind": order.get_kind_display(),
        "plain_status": PLAIN_STATUS.get(Status(order.status), ""),
        "window": window_text(order),
        "address": mask_address(order.customer.address),
        "tech": badges.card(staff) if staff else None,
        "tech_badge": badges.badge_path(staff) if staff else "",
        "actions": actions,
        "confirmed": confirmed,
        "rated_stars": rated.payload.get("stars") if rated else None,
        "last_ask": asks.first(),
        "today": clock.now().astimezone(ZoneInfo(order.branch.timezone)).date().isoformat(),
        "evaluation": evaluation_card(order),
    }


def _first_error(exc: DoorstepError) -> str:
    """The message a person reads: the first field's, without the field's code name."""
    fields: dict[str, list[str]] = getattr(exc, "fields", {})
    return next(iter(fields.values()))[0] if fields else exc.message


@require_http_methods(["GET", "POST"])
def link_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        throttle(request, "public", conf("DOORSTEP_PUBLIC_REQUESTS_PER_MINUTE"))
        order = open_link(token)
    except TooManyRequests as exc:
        return _refused(request, 429, exc.message)
    except NotFound:
        return _refused(request, 404, "链接无效，请核对短信中的链接")
    except LinkGone:
        return _refused(request, 410, "链接已过期，如需帮助请拨打客服热线")
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action not in customer_actions(order.status):
                raise InvalidInput({"action": "当前不能进行此操作，请刷新页面"})
            day, part = request.POST.get("day", ""), request.POST.get("part", "")
            start, end = _preferred(order, day, part)
            stars = request.POST.get("stars", "")
            customer_acts(
                order,
                action,
                text=request.POST.get("text", ""),
                stars=int(stars) if stars.isdigit() else None,
                preferred_start=start,
                preferred_end=end,
            )
        except DoorstepError as exc:
            error = _first_error(exc)
        else:
            return HttpResponseRedirect(f"{request.path}?done={action}")
    context = _link_context(order)
    context["error"] = error
    context["done"] = DONE.get(request.GET.get("done", ""), "")  # type: ignore[call-overload]
    return render(request, "customers/link.html", context, status=422 if error else 200)


@require_http_methods(["GET", "POST"])
def badge_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        throttle(request, "public", conf("DOORSTEP_PUBLIC_REQUESTS_PER_MINUTE"))
    except TooManyRequests as exc:
        return _refused(request, 429, exc.message)
    badge = TechnicianBadge.objects.select_related("staff", "staff__branch").filter(slug=slug)
    found = badge.filter(staff__user__is_active=True).first()
    if found is None:
        return _refused(request, 404, "查无此工号牌，请谨慎开门并拨打客服热线核实")
    answer: bool | None = None
    error = ""
    last_four = ""
    if request.method == "POST":
        last_four = request.POST.get("last_four", "").strip()
        try:
            throttle(request, "badge-check", conf("DOORSTEP_BADGE_CHECKS_PER_HOUR"), 3600)
        except TooManyRequests as exc:
            return _refused(request, 429, exc.message)
        if len(last_four) != 4 or not last_four.isdigit():
            error = "请输入您手机号码的后四位数字"
        else:
            answer = badges.has_visit_today(found.staff, last_four)
    context = {"card": badges.card(found.staff), "answer": answer, "error": error}
    return render(request, "customers/badge.html", context, status=422 if error else 200)


def badge_photo(request: HttpRequest, slug: str) -> FileResponse:
    """The badge photo: public like the badge (media files are not served as such)."""
    badge = TechnicianBadge.objects.filter(slug=slug, staff__user__is_active=True).first()
    if badge is None or not badge.photo:
        raise Http404("没有照片")
    response = FileResponse(badge.photo.open("rb"))
    response["Cache-Control"] = "public, max-age=3600"
    return response


def may_print_badges(user: Any) -> bool:
    return bool(roles_of(user) & BRANCH_WIDE)


def _office(request: HttpRequest) -> None:
    if not may_print_badges(request.user):
        raise PermissionDenied("只有管理、调度、受理、质检人员可以打印工号牌")


@login_required
def badge_list(request: HttpRequest) -> HttpResponse:
    _office(request)
    staff = staff_of(request.user)
    people = Staff.objects.filter(is_technician=True, user__is_active=True).select_related(
        "branch", "team", "user"
    )
    if staff is not None and staff.branch_id is not None:
        people = people.filter(branch_id=staff.branch_id)
    return render(request, "customers/badge_list.html", {"people": people})


@login_required
def badge_card(request: HttpRequest, username: str) -> HttpResponse:
    _office(request)
    staff = get_object_or_404(
        Staff.objects.select_related("branch", "team"),
        user__username=username,
        is_technician=True,
    )
    mine = staff_of(request.user)
    if mine is not None and mine.branch_id not in (None, staff.branch_id):
        raise Http404("不是本分公司的装维人员")
    url = absolute(request, badges.badge_path(staff))
    context = {"card": badges.card(staff), "url": url, "qr": badges.qr_svg(url), "staff": staff}
    return render(request, "customers/badge_card.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def request_list(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        try:
            answer_request(
                request.user, int(request.POST.get("request", "0")), request.POST.get("answer", "")
            )
        except DoorstepError as exc:
            error = _first_error(exc)
        except ValueError:
            error = "请求无效"
        else:
            return HttpResponseRedirect(reverse("customers:requests"))
    rows = list(open_requests(request.user))
    for row in rows:
        row.preferred_text = ""
        if row.preferred_start is not None:
            local = local_time(row.order, row.preferred_start)
            end = local_time(row.order, row.preferred_end)
            assert local is not None
            row.preferred_text = f"{local:%m-%d %H:%M}" + (f"–{end:%H:%M}" if end else "")
    return render(request, "customers/requests.html", {"rows": rows, "error": error})
