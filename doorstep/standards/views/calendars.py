"""日历: calendars, the holiday library's coverage and the days admins enter."""

from __future__ import annotations

from datetime import date, time
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from doorstep.standards import policies
from doorstep.standards.calendar import (
    CalendarFileError,
    DayOverride,
    WorkingHours,
    parse_overrides_file,
)
from doorstep.standards.choices import CalendarKind
from doorstep.standards.forms import (
    CalendarForm,
    CalendarUploadForm,
    HolidayDayForm,
    describe_file_error,
    format_intervals,
)
from doorstep.standards.models import Calendar, HolidayDay, Policy
from doorstep.standards.views.common import (
    SHANGHAI,
    after_commit_clear_cache,
    in_shanghai,
    post_id,
    render_page,
    require_office_admin,
    shanghai_today,
)


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


def years_in_use_without_data(years: list[int]) -> list[int]:
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
    today = shanghai_today()
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
    return render_page(request, "standards/calendars.html", ctx, status=status)


def _calendar_post(request: HttpRequest, can_edit: bool) -> HttpResponse:
    action = request.POST.get("action")
    url = reverse("standards:calendars")
    if action in ("calendar_edit", "calendar_add"):
        instance = None
        if action == "calendar_edit":
            instance = Calendar.objects.filter(pk=post_id(request, "calendar")).first()
            if instance is None:
                raise Http404("日历不存在")
        prefix = f"c{instance.pk}" if instance else "new"
        form = CalendarForm(request.POST, instance=instance, prefix=prefix)
        if not form.is_valid():
            which = "edit" if instance else "add"
            return _calendar_page(request, can_edit, {which: form}, status=422)
        with transaction.atomic():
            saved = form.save()
            after_commit_clear_cache()
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
            after_commit_clear_cache()
        messages.success(request, f"已录入 {day}")
        return redirect(f"{url}#holidays")
    if action == "holiday_delete":
        pk = post_id(request, "holiday")
        with transaction.atomic():
            day = HolidayDay.objects.filter(pk=pk).first()
            if day is None:
                raise Http404("该日期不存在")
            day.delete()
            after_commit_clear_cache()
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
            after_commit_clear_cache()
        years = "、".join(str(y) for y in sorted({d.date.year for d in days}))
        messages.success(request, f"已导入 {years} 年：新增 {created} 天，更新 {updated} 天")
        return redirect(f"{url}#holidays")
    return HttpResponseBadRequest("未知操作")


@login_required
@require_http_methods(["GET", "POST"])
@in_shanghai
def calendars(request: HttpRequest) -> HttpResponse:
    can_edit = require_office_admin(request)
    if request.method == "POST":
        return _calendar_post(request, can_edit)
    return _calendar_page(request, can_edit)
