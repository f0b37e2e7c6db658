from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from doorstep.core.errors import InvalidInput
from doorstep.kpis.models import SubscriberCount
from doorstep.kpis.subscribers import import_counts


class ImportForm(forms.Form):
    file = forms.FileField(label="文件")


@admin.register(SubscriberCount)
class SubscriberCountAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["branch", "month", "count", "entered_by", "updated_at"]
    list_filter = ["branch"]
    date_hierarchy = "month"
    change_list_template = "kpis/admin/change_list.html"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="kpis_subscribercount_import",
            )
        ]
        return own + super().get_urls()  # type: ignore[operator]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponse(status=403)
        errors: list[str] = []
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                n = import_counts(upload.name, upload.read(), request.user)
            except InvalidInput as exc:
                errors = [e for msgs in exc.fields.values() for e in msgs]
            else:
                messages.success(request, f"已导入 {n} 条用户数")
                return HttpResponseRedirect("../")
        context = {**self.admin_site.each_context(request), "form": form, "errors": errors}
        return TemplateResponse(request, "kpis/admin/import.html", context)
