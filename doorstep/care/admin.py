from django.contrib import admin

from doorstep.care.models import KitItem


@admin.register(KitItem)
class KitItemAdmin(admin.ModelAdmin):
    """R24: the kit list per branch (or for the whole organisation: no branch)."""

    list_display = ("label", "code", "branch", "required", "position", "enabled")
    list_filter = ("branch", "required", "enabled")
    list_editable = ("required", "position", "enabled")
    ordering = ("branch", "position", "id")
