"""What the standards pages share: times shown in Asia/Shanghai, rendering, redirects, form
errors, the scope pickers and the ledger filters, and who may see or change policies and
calendars."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from doorstep.core import clock as app_clock
from doorstep.core.errors import InvalidInput
from doorstep.orders.access import staff_of
from doorstep.org.choices import Role
from doorstep.org.models import Branch, Staff, roles_of
from doorstep.standards import ledger, policies

SHANGHAI = "Asia/Shanghai"
PAGE_SIZE = 50
MANAGERS = {Role.MANAGER, Role.ADMIN}
View = Callable[..., HttpResponseBase]


def in_shanghai(view: View) -> View:
    """Dates typed into filters and times shown on the page are Shanghai wall time."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with timezone.override(SHANGHAI):
            return view(request, *args, **kwargs)

    return wrapper


def shanghai_today() -> date:
    return app_clock.now().astimezone(ZoneInfo(SHANGHAI)).date()


def day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=ZoneInfo(SHANGHAI))


def next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def render_page(
    request: HttpRequest, template: str, ctx: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, template, ctx, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def post_id(request: HttpRequest, name: str) -> int:
    raw = request.POST.get(name, "")
    if not raw.isdigit():
        raise Http404("记录不存在")
    return int(raw)


def back_to(request: HttpRequest, anchor: str = "") -> HttpResponse:
    """Post/redirect/get back to the same filtered page."""
    return redirect(request.get_full_path() + (f"#{anchor}" if anchor else ""))


def field_errors(exc: InvalidInput, form: Any) -> None:
    for name, errs in exc.fields.items():
        for err in errs:
            form.add_error(name if name in form.fields else None, err)


def scope_choices(user: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
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


def ledger_filters(qs: QuerySet[Any], f: dict[str, Any], time_field: str) -> QuerySet[Any]:
    if f.get("rule"):
        qs = qs.filter(rule=f["rule"])
    if f.get("branch"):
        qs = qs.filter(branch__code=f["branch"])
    if f.get("technician"):
        qs = qs.filter(technician__username=f["technician"])
    # Ranges of instants, not __date lookups, so the (…, time) indexes are used.
    if f.get("date_from"):
        qs = qs.filter(**{f"{time_field}__gte": day_start(f["date_from"])})
    if f.get("date_to"):
        qs = qs.filter(**{f"{time_field}__lt": day_start(f["date_to"] + timedelta(days=1))})
    return qs


def query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return query.urlencode()


# -- evidence ---------------------------------------------------------------------------------


def require_office_admin(request: HttpRequest) -> bool:
    """Admins and managers may view; only admins may change. Returns whether they may edit."""
    roles = roles_of(request.user)
    if not roles & MANAGERS:
        raise PermissionDenied("只有管理员和管理人员可以查看")
    if request.method == "POST" and Role.ADMIN not in roles:
        raise PermissionDenied("只有管理员可以修改")
    return Role.ADMIN in roles


def after_commit_clear_cache() -> None:
    # The post_save signal clears this process's cache inside the transaction; clearing again
    # after commit stops a concurrent request from caching the old rows in between.
    transaction.on_commit(policies.clear_cache)


# -- 规则参数 policies -------------------------------------------------------------------------
