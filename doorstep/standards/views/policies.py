"""规则参数: the policy rows and their edits (recorded with who, when, before and after)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from doorstep.org.models import Branch
from doorstep.standards import policies
from doorstep.standards.forms import PolicyForm, duplicate_of
from doorstep.standards.models import Calendar, Policy, PolicyChange
from doorstep.standards.policies import save_policy
from doorstep.standards.views.calendars import years_in_use_without_data
from doorstep.standards.views.common import (
    in_shanghai,
    post_id,
    render_page,
    require_office_admin,
    shanghai_today,
)


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
    today = shanghai_today()
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
        "missing_years": years_in_use_without_data([today.year, today.year + 1]),
        "cache_seconds": int(policies.CACHE_SECONDS),
    }
    return render_page(request, "standards/policies.html", ctx, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@in_shanghai
def policies_page(request: HttpRequest) -> HttpResponse:
    can_edit = require_office_admin(request)
    if request.method != "POST":
        return _policy_page(request, can_edit)
    action = request.POST.get("action")
    url = reverse("standards:policies")
    if action == "edit":
        pk = post_id(request, "policy")
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
        pk = post_id(request, "policy")
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
