"""The inspection pages (稽核): this week's plan (draw by sampling), the record form, one
inspection, a technician's inspections. Technicians see only their own."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from doorstep.core import clock
from doorstep.core.errors import Forbidden, InvalidInput
from doorstep.inspections import services
from doorstep.inspections.models import ChecklistItem, InspectionPhoto
from doorstep.orders.models import Attachment, WorkOrder
from doorstep.org.models import Staff


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    """Inspectors: this week's visits to inspect, and a form to draw them. Others: their own."""
    if not services.may_inspect(request.user):
        return redirect("inspections:technician", username=request.user.get_username())
    if request.method == "POST":
        branch = services.branches_for(request.user).filter(code=request.POST.get("branch")).first()
        try:
            if branch is None:
                raise InvalidInput({"branch": "请选择分公司"})
            drawn = services.plan(request.user, branch, request.POST.get("seed", ""))
            messages.success(request, f"已抽取 {len(drawn)} 张工单待稽核")
        except InvalidInput as e:
            messages.error(request, "；".join(str(v) for v in e.fields.values()))
        return redirect("inspections:plan")
    return render(
        request,
        "inspections/plan.html",
        {
            "rows": services.plan_rows(request.user, clock.now()),
            "branches": services.branches_for(request.user),
            "share": round(services.share() * 100, 1),
            "recent": services.visible_inspections(request.user)[:20],
        },
    )


@login_required
def record_form(request: HttpRequest) -> HttpResponse:
    if not services.may_inspect(request.user):
        raise PermissionDenied("只有质检和管理人员可以录入稽核")
    items = list(ChecklistItem.objects.filter(active=True))
    source = request.POST if request.method == "POST" else request.GET
    order = None
    if source.get("order"):
        order = (
            WorkOrder.objects.filter(number=source["order"])
            .select_related("branch", "technician")
            .first()
        )
    technicians = Staff.objects.filter(
        is_technician=True, branch__in=services.branches_for(request.user)
    ).select_related("user")
    error = ""
    if request.method == "POST":
        answers = {
            i.pk: request.POST[f"item-{i.pk}"] == "pass"
            for i in items
            if request.POST.get(f"item-{i.pk}") in ("pass", "fail")
        }
        technician = None
        if order is None:
            technician = (
                get_user_model().objects.filter(username=request.POST.get("technician", "")).first()
            )
        photos = [services.Photo(f.read(), f.name or "") for f in request.FILES.getlist("photos")]
        try:
            if source.get("order") and order is None:
                raise InvalidInput({"order": "找不到该工单"})
            if len(answers) < len(items):
                raise InvalidInput({"answers": "请逐项选择合格或不合格"})
            done = services.record(
                request.user,
                answers=answers,
                order=order,
                technician=technician,
                note=request.POST.get("note", ""),
                photos=photos,
            )
        except InvalidInput as e:
            error = "；".join(str(v) for v in e.fields.values())
        except Forbidden as e:
            raise PermissionDenied(str(e)) from None
        else:
            messages.success(request, f"已录入稽核，得分 {done.score}")
            return redirect("inspections:detail", inspection_id=done.pk)
    return render(
        request,
        "inspections/record.html",
        {
            "items": items,
            "order": order,
            "technicians": technicians,
            "error": error,
            "posted": request.POST,
        },
        status=400 if error else 200,
    )


@login_required
def detail(request: HttpRequest, inspection_id: int) -> HttpResponse:
    inspection = services.visible_inspections(request.user).filter(pk=inspection_id).first()
    if inspection is None:
        raise Http404
    photos = InspectionPhoto.objects.filter(inspection=inspection).select_related("attachment")
    # A visit's own photos (the technician's, on the order) shown beside the inspector's; the
    # order's attachment page checks who may open them.
    order_photos = (
        Attachment.objects.filter(order_id=inspection.order_id, kind="photo").order_by("id")
        if inspection.order_id
        else Attachment.objects.none()
    )
    return render(
        request,
        "inspections/detail.html",
        {
            "i": inspection,
            "answers": inspection.answers.all(),
            "photos": photos,
            "order_photos": order_photos,
        },
    )


@login_required
def technician(request: HttpRequest, username: str) -> HttpResponse:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise Http404
    rows = services.visible_inspections(request.user).filter(technician=user)
    if user.pk != request.user.pk and not services.may_inspect(request.user):
        raise Http404
    return render(
        request,
        "inspections/technician.html",
        {"person": user, "rows": rows[:100], "own": user.pk == request.user.pk},
    )


@login_required
def photo(request: HttpRequest, photo_id: int) -> FileResponse:
    """A photo of an inspection of a technician, to whoever may see the inspection."""
    found = InspectionPhoto.objects.filter(
        pk=photo_id, inspection__in=services.visible_inspections(request.user)
    ).first()
    if found is None or not found.file:
        raise Http404
    return FileResponse(found.file.open("rb"), content_type=found.content_type)
