"""Star ratings on the admin site, read-only: they are computed, never typed in (SPEC §4)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from doorstep.ratings.models import StarRating


@admin.register(StarRating)
class StarRatingAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["technician", "branch", "computed_at", "period_start", "stars", "score"]
    list_filter = ["branch", "stars"]
    search_fields = ["technician__username", "technician__staff__name"]
    date_hierarchy = "computed_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
