"""Server-rendered pages. They read through the permission gate and write only through the
action layer, exactly like the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from pydantic import ValidationError

from doorstep.core.errors import Conflict, DoorstepError, InvalidInput
from doorstep.core.phones import normalise_phone
from doorstep.customers.throttle import login_failed, login_refused
from doorstep.exports.models import ExportKind
from doorstep.exports.services import Table, export_response
from doorstep.orders.access import may_take_intake, staff_of, visible_orders
from doorstep.orders.actions import create_order, perform
from doorstep.orders.actions.escalation import repeat_preview
from doorstep.orders.actions.handlers import may_offer
from doorstep.orders.api import OrderFilters, filter_orders
from doorstep.orders.choices import TERMINAL, Channel, FaultClass, Kind, Status
from doorstep.orders.models import Attachment, WorkOrder
from doorstep.orders.privacy import (
    customer_lookup_view,
    customer_view,
    log_customer_views,
    log_personal_views,
    may_see_personal_data,
    payload_view,
)
from doorstep.orders.states import TRANSITIONS, allowed_actions
from doorstep.org.choices import CustomerGrade, Role
from doorstep.org.models import Branch, Customer, Staff, roles_of
from doorstep.ui.events import action_label, actor_label, kit_labels, payload_lines, technician_name
from doorstep.ui.exports import csv_response
from doorstep.web.fields import action_fields, parse_form


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = roles_of(request.user)
    if roles & {Role.OPERATOR} and not roles & {Role.DISPATCHER, Role.MANAGER}:
        return redirect("web:intake")
    if roles == {Role.TECHNICIAN}:
        return redirect("field:my_day")
    if Role.MANAGER in roles:
        return redirect("dashboards:dashboard")
    return redirect("web:order_list")


# -- intake desk ------------------------------------------------------------------------------

INTAKE_FIELDS = {
    "kind": "kind",
    "fault_class": "fault_class",
    "customer.name": "customer_name",
    "customer.phone": "customer_phone",
    "customer.address": "customer_address",
    "customer.account": "customer_account",
    "customer.grade": "customer_grade",
    "symptom": "symptom",
    "product": "product",
    "channel": "channel",
    "reported_at": "reported_at",
    "branch": "branch",
    "approved_deadline": "approved_deadline",
    "area": "area",
}


def _local(raw: str, tz: str) -> str | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return raw
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed.isoformat()


def _intake_payload(post: Any, tz: str) -> dict[str, Any]:
    def val(name: str) -> str | None:
        value = str(post.get(name, "")).strip()
        return value or None

    return {
        "kind": val("kind"),
        "fault_class": val("fault_class") if val("kind") == Kind.REPAIR else None,
        "customer": {
            "name": val("customer_name"),
            "phone": val("customer_phone"),
            "address": val("customer_address"),
            "account": val("customer_account"),
            "grade": val("customer_grade") or CustomerGrade.NORMAL,
        },
        "symptom": val("symptom"),
        "product": val("product"),
        "channel": val("channel") or Channel.PHONE,
        "reported_at": _local(post.get("reported_at", ""), tz),
        "branch": val("branch"),
        "approved_deadline": _local(post.get("approved_deadline", ""), tz),
        "area": val("area"),
    }


def _intake_context(
    request: HttpRequest, values: dict[str, Any], errors: dict[str, list[str]]
) -> dict[str, Any]:
    staff = staff_of(request.user)
    branches = Branch.objects.all()
    if staff is not None and staff.branch_id is not None:
        branches = branches.filter(pk=staff.branch_id)
    return {
        "values": values,
        "errors": errors,
        "form_errors": errors.get("__all__", []),
        "kinds": Kind.choices,
        "fault_classes": FaultClass.choices,
        "grades": CustomerGrade.choices,
        "channels": Channel.choices,
        "branches": branches,
    }


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    if not may_take_intake(request.user):
        raise PermissionDenied("受理台仅供受理人员、调度和乡镇装维人员使用")
    if request.method == "POST":
        tz = timezone.get_current_timezone_name()
        data = _intake_payload(request.POST, tz)
        try:
            order, _ = create_order(request.user, data)
        except InvalidInput as exc:
            errors = {INTAKE_FIELDS.get(k, k): v for k, v in exc.fields.items()}
            ctx = _intake_context(request, request.POST.dict(), errors)
            return render(request, "web/intake.html", ctx, status=422)
        except DoorstepError as exc:
            ctx = _intake_context(request, request.POST.dict(), {"__all__": [exc.message]})
            return render(request, "web/intake.html", ctx, status=exc.status)
        messages.success(request, f"已受理，工单号 {order.number}")
        return redirect("web:order_detail", order_id=order.pk)
    values = {
        "kind": request.GET.get("kind", Kind.REPAIR),
        "customer_phone": request.GET.get("phone", ""),
    }
    return render(request, "web/intake.html", _intake_context(request, values, {}))


@login_required
@require_GET
def intake_lookup(request: HttpRequest) -> HttpResponse:
    """The customers behind a phone number, their open and recent orders, and a repeat hint."""
    if not may_take_intake(request.user):
        raise PermissionDenied("只有受理人员可以按电话查询客户")
    staff = staff_of(request.user)
    raw = request.GET.get("customer_phone") or request.GET.get("phone") or ""
    ctx: dict[str, Any] = {"phone": raw, "customers": []}
    try:
        phone = normalise_phone(raw) if raw.strip() else ""
    except ValueError as exc:
        ctx["error"] = str(exc)
        return render(request, "web/_lookup.html", ctx)
    if not phone:
        return render(request, "web/_lookup.html", ctx)
    customers = Customer.objects.filter(phone=phone).select_related("branch")
    if staff is not None and staff.branch_id is not None:
        customers = customers.filter(branch_id=staff.branch_id)
    now = timezone.now()
    visible = visible_orders(request.user)
    shown = list(customers[:5])
    for customer in shown:
        orders = list(
            visible.filter(customer=customer)
            .select_related("technician__staff", "branch", "customer")
            .order_by("-reported_at")[:8]
        )
        # R13 (doorstep.care): the order create_order will link, its closer, any escalation.
        hint = repeat_preview(customer, now)
        ctx["customers"].append(
            {
                "customer": customer,
                # R22: a township technician taking a report sees who the customer is, not
                # where they live.
                "view": customer_lookup_view(request.user, customer),
                "open": [
                    o for o in orders if o.status not in TERMINAL and o.status != Status.COMPLETED
                ],
                "recent": [
                    o for o in orders if o.status in TERMINAL or o.status == Status.COMPLETED
                ],
                "repeat_hint": hint,
            }
        )
    log_customer_views(request.user, shown, "lookup")
    return render(request, "web/_lookup.html", ctx)


# -- order list -------------------------------------------------------------------------------


def _order_filters(query: Any) -> tuple[OrderFilters, str]:
    """The order list's filters from its query string, validated like the API's (so both refuse
    the same bad filters), and the error to show when they do not validate."""
    params = {k: v for k, v in query.items() if v not in ("", None)}
    raw_status = [s for s in query.getlist("status") if s]
    try:
        filters = OrderFilters.model_validate(
            {
                "status": raw_status or None,
                **{
                    k: params.get(k)
                    for k in ("branch", "technician", "kind", "reported_from", "reported_to", "q")
                },
                "open": params.get("open"),
            }
        )
        filter_error = ""
    except ValidationError as exc:
        filters = OrderFilters()
        filter_error = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
        )
    return filters, filter_error


def _filtered_orders(user: Any, filters: OrderFilters) -> Any:
    return filter_orders(
        visible_orders(user).select_related("branch", "customer", "technician__staff"),
        filters,
    ).order_by("-reported_at", "-id")


@login_required
def order_list(request: HttpRequest) -> HttpResponseBase:
    params = {k: v for k, v in request.GET.items() if v not in ("", None)}
    raw_status = [s for s in request.GET.getlist("status") if s]
    filters, filter_error = _order_filters(request.GET)
    qs = _filtered_orders(request.user, filters)
    if request.GET.get("export") == "csv":
        return _orders_csv(request.user, qs)
    if request.GET.get("export") == "xlsx":
        return export_response(request, ExportKind.ORDERS)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    from doorstep.ui.clocks import nearest_by_order

    objects = list(page.object_list)
    nearest = nearest_by_order([o.pk for o in objects])
    rows = [(o, customer_view(request.user, o), nearest.get(o.pk)) for o in objects]
    log_personal_views(request.user, objects, "web-list")
    query = request.GET.copy()
    query.pop("page", None)
    ctx = {
        "page": page,
        "rows": rows,
        "filters": params,
        "selected_status": raw_status,
        "statuses": Status.choices,
        "kinds": Kind.choices,
        "branches": Branch.objects.all(),
        "technicians": Staff.objects.filter(is_technician=True).select_related("user"),
        "filter_error": filter_error,
        "query": query.urlencode(),
    }
    template = (
        "web/_order_rows.html" if request.headers.get("HX-Request") else "web/order_list.html"
    )
    return render(request, template, ctx)


# At most this many orders in one export; narrow the filters for more.
EXPORT_LIMIT = 10_000


ORDER_HEADER = [
    "工单号", "类型", "状态", "分公司", "客户", "电话", "地址",
    "装维人员", "报障时间", "预约开始",
]  # fmt: skip
# How the order list's filters are named in an export's 筛选条件.
FILTER_LABELS = {
    "status": "状态", "branch": "分公司", "technician": "装维人员", "kind": "类型",
    "reported_from": "报障时间从", "reported_to": "报障时间到", "q": "搜索", "open": "仅未完成",
}  # fmt: skip


def _order_rows(user: Any, orders: Any) -> Any:
    """The export rows of `orders`, each customer as R22 lets `user` export them
    (`customer_view(..., export=True)`); every order exported in full is logged, in batches."""

    def when(value: datetime | None) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    batch: list[WorkOrder] = []
    for o in orders:
        c = customer_view(user, o, export=True)
        if not c["masked"]:
            batch.append(o)
            if len(batch) >= 500:
                log_personal_views(user, batch, "export")
                batch = []
        yield [
            o.number, o.get_kind_display(), o.get_status_display(), o.branch.name,
            c["name"], c["phone"], c["address"],
            technician_name(o.technician),
            when(o.reported_at), when(o.appointment_start),
        ]  # fmt: skip
    if batch:
        log_personal_views(user, batch, "export")


def order_table(user: Any, query: Any) -> Table:
    """The order list as `user` sees it with the filters in `query`, for the Excel export."""
    filters, _ = _order_filters(query)
    qs = _filtered_orders(user, filters)
    shown = []
    for name, label in FILTER_LABELS.items():
        values = [v for v in query.getlist(name) if v]
        if values:
            if name == "status":
                values = [str(dict(Status.choices).get(v, v)) for v in values]
            elif name == "open":
                values = ["是" if values[0].lower() in ("true", "1", "on", "yes") else "否"]
            elif name == "kind":
                values = [str(dict(Kind.choices).get(v, v)) for v in values]
            shown.append((label, "、".join(values)))
    return Table(
        "工单列表",
        shown,
        ORDER_HEADER,
        qs.count(),
        lambda: _order_rows(user, qs.iterator(chunk_size=2000)),
    )


def _orders_csv(user: Any, qs: Any) -> StreamingHttpResponse:
    """The filtered list as a CSV file. R22: customers' phone numbers and addresses are masked
    unless the viewer's role may export them (`privacy.EXPORT_ROLES`); full rows are logged."""
    orders = list(qs[:EXPORT_LIMIT])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return csv_response(ORDER_HEADER, _order_rows(user, orders), f"orders-{stamp}.csv")


# -- order page -------------------------------------------------------------------------------


def _visible_order(request: HttpRequest, order_id: int) -> WorkOrder:
    order = (
        visible_orders(request.user)
        .select_related("branch", "customer", "technician__staff", "received_by", "repeat_of")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise Http404("工单不存在或无权查看")
    return order


def _my_actions(user: Any, order: WorkOrder) -> list[str]:
    roles = roles_of(user)
    names = allowed_actions(order.status, roles)
    if Role.TECHNICIAN in roles and order.technician_id != user.pk:
        other = roles - {Role.TECHNICIAN}
        names = [n for n in names if TRANSITIONS[n].roles & other]
    return [n for n in names if n != "attach" and may_offer(n, order)]


def _render_order(
    request: HttpRequest,
    order: WorkOrder,
    open_action: str = "",
    errors: dict[str, list[str]] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    errors = errors or {}
    forms = []
    for name in _my_actions(request.user, order):
        fields = action_fields(name)
        if name == open_action:
            for f in fields:
                f.errors = errors.get(f.name, [])
                f.value = str((values or {}).get(f.name, ""))
        if name == "assign":
            techs = Staff.objects.filter(
                is_technician=True, branch_id=order.branch_id
            ).select_related("user")
            for f in fields:
                if f.name == "technician":
                    f.widget = "select"
                    f.choices = [(s.user.username, f"{s.name} ({s.employee_no})") for s in techs]
        forms.append({"name": name, "label": TRANSITIONS[name].label, "fields": fields})
    full = may_see_personal_data(request.user, order)
    events = list(order.events.select_related("actor").order_by("seq"))
    kit = kit_labels(order.branch_id) if any(e.action == "depart" for e in events) else {}
    for e in events:
        e.to_label = Status(e.to_status).label  # type: ignore[attr-defined]
        e.action_label = action_label(e.action, e.actor_role)  # type: ignore[attr-defined]
        e.actor_label = actor_label(e)  # type: ignore[attr-defined]
        shown = payload_view(e.payload, full)
        lines = payload_lines(shown, e.action, kit, e.erased or {}) if e.action != "create" else []
        e.lines = lines  # type: ignore[attr-defined]
        e.late_upload = (e.recorded_at - e.occurred_at).total_seconds() > 120  # type: ignore[attr-defined]
    from doorstep.orders.hooks import clocks_of
    from doorstep.ui.clocks import for_display

    ctx = {
        "order": order,
        "clocks": for_display(clocks_of(order, None)),
        "customer": customer_view(request.user, order),
        "full_data": full,
        "events": events,
        "forms": forms,
        "open_action": open_action,
        "form_errors": errors.get("__all__", []),
        "other_errors": {k: v for k, v in errors.items() if k != "__all__"} if open_action else {},
        "attachments": order.attachments.all(),
        "status_label": Status(order.status).label,
    }
    log_personal_views(request.user, [order], "web")
    return render(request, "web/order_detail.html", ctx, status=status)


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    return _render_order(request, _visible_order(request, order_id))


@login_required
@require_POST
def order_act(request: HttpRequest, order_id: int, action: str) -> HttpResponse:
    order = _visible_order(request, order_id)
    if action not in TRANSITIONS or action in ("create", "attach"):
        raise Http404("没有这个操作")
    tz = order.branch.timezone
    data = parse_form(action, request.POST, tz)
    version = request.POST.get("version")
    try:
        perform(
            order.pk,
            action,
            request.user,
            data,
            expected_version=int(version) if version and version.isdigit() else None,
        )
    except InvalidInput as exc:
        fresh = _visible_order(request, order_id)
        return _render_order(request, fresh, action, exc.fields, request.POST.dict(), status=422)
    except Conflict as exc:
        fresh = _visible_order(request, order_id)
        return _render_order(
            request, fresh, action, {"__all__": [exc.message]}, request.POST.dict(), status=409
        )
    except DoorstepError as exc:
        fresh = _visible_order(request, order_id)
        return _render_order(
            request,
            fresh,
            action,
            {"__all__": [exc.message]},
            request.POST.dict(),
            status=exc.status,
        )
    messages.success(request, f"{order.number} {TRANSITIONS[action].label}：已完成")
    if not visible_orders(request.user).filter(pk=order.pk).exists():
        # e.g. a technician returned the order: it is no longer theirs to see.
        return redirect("web:home")
    return redirect("web:order_detail", order_id=order.pk)


@login_required
def attachment(request: HttpRequest, order_id: int, attachment_id: int) -> FileResponse:
    order = _visible_order(request, order_id)
    att = Attachment.objects.filter(pk=attachment_id, order=order).first()
    if att is None:
        raise Http404
    return FileResponse(att.file.open("rb"), content_type=att.content_type)


def api_error(exc: DoorstepError) -> JsonResponse:  # pragma: no cover - used by pages' fetches
    return JsonResponse({"error": exc.as_dict()}, status=exc.status)


class Login(auth_views.LoginView):
    """The sign-in form, with failed attempts per client address limited by the one rate limit
    (`doorstep.customers.throttle`, shared with the API's token endpoint and every process)."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if login_refused(request):
            # Refused before the password is checked; the form keeps the name typed.
            form = self.get_form_class()(
                request, initial={"username": request.POST.get("username", "")}
            )
            context = self.get_context_data(form=form, throttled=True)
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)  # type: ignore[no-any-return]

    def form_invalid(self, form: Any) -> HttpResponse:
        login_failed(self.request)
        return super().form_invalid(form)
