"""Admin site: templates and webhook subscriptions are edited here; the outbox is read-only
(a notice's record is what was sent, never rewritten by hand)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from doorstep.notifications.models import (
    DeliveryAttempt,
    Notification,
    Template,
    WebhookSubscription,
)
from doorstep.notifications.notices import PARAMETERS


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["code", "name", "provider_template_id", "active", "updated_at", "updated_by"]
    list_filter = ["active"]
    search_fields = ["code", "name", "body"]
    readonly_fields = ["updated_at", "updated_by", "available_parameters"]
    fields = [
        "code",
        "name",
        "body",
        "provider_template_id",
        "params",
        "active",
        "available_parameters",
        "updated_at",
        "updated_by",
    ]

    @admin.display(description="可用参数")
    def available_parameters(self, obj: Template | None) -> str:
        return "；".join(f"{{{k}}} {v}" for k, v in PARAMETERS.items())

    def save_model(self, request: HttpRequest, obj: Template, form: Any, change: bool) -> None:
        obj.updated_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "url", "events", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # switch it off instead: its deliveries keep their log


class DeliveryAttemptInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = [
        "number",
        "worker",
        "started_at",
        "finished_at",
        "outcome",
        "status_code",
        "provider_message_id",
        "error",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "kind", "channel", "masked_to", "status", "attempts", "created_at"]
    list_filter = ["status", "channel", "kind"]
    exclude = ["to_phone"]  # R22: the admin list and page show the masked number only
    inlines = [DeliveryAttemptInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
