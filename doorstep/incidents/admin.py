"""Incidents on the admin site, read-only: they change only through their actions
(doorstep.incidents.services), which also change the member orders through the action layer."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from doorstep.incidents.models import Incident, IncidentEvent, Member


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MemberInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Member
    fields = ("order", "joined_at", "joined_by", "held_at", "left_at", "left_by")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = IncidentEvent
    fields = ("at", "action", "actor", "payload")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnly):
    list_display = ("id", "branch", "area", "status", "opened_at", "confirmed_at", "closed_at")
    list_filter = ("status", "branch")
    search_fields = ("area",)
    inlines = [MemberInline, EventInline]
