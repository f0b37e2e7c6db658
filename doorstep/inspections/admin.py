"""The checklist is data the admin edits; inspections are read-only here (recorded on their
pages, never changed)."""

from django.contrib import admin

from doorstep.inspections.models import ChecklistItem, Inspection


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ("position", "code", "label", "weight", "active")
    list_editable = ("label", "weight", "active")
    list_display_links = ("code",)


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ("at", "branch", "technician", "inspector", "order", "score")
    list_filter = ("branch",)

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
