"""Policies on the admin site: edits go through `policies.save_policy`, so they are attributed
and versioned like edits on the policies page. Policy history is read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from doorstep.standards.models import Policy, PolicyChange
from doorstep.standards.policies import save_policy


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("key", "label", "kind", "fault_class", "branch", "minutes", "amount", "version")
    list_filter = ("key", "enabled")
    readonly_fields = ("version",)

    def save_model(self, request: HttpRequest, obj: Policy, form: Any, change: bool) -> None:
        save_policy(obj, request.user, "admin")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # ledger entries name the row that priced them: switch it off instead


@admin.register(PolicyChange)
class PolicyChangeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("policy", "version", "by", "at", "via")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
