from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from doorstep.evaluation.models import Evaluation, EvaluationItem


@admin.register(EvaluationItem)
class EvaluationItemAdmin(admin.ModelAdmin):
    """The questions of the customer's evaluation form; an item no longer asked is made
    inactive (answers already given keep pointing at it)."""

    list_display = ("question", "code", "kind", "position", "active")
    list_filter = ("kind", "active")
    list_editable = ("position", "active")
    ordering = ("position", "id")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    """Answered forms: read only (the customer's answer is final)."""

    list_display = ("order", "via", "overall", "flagged", "submitted_at")
    list_filter = ("via", "flagged")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
