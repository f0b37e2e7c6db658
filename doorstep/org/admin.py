from django.contrib import admin

from doorstep.org.models import Branch, Staff, Team


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region_type", "timezone", "handover_times"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "branch", "lead"]
    list_filter = ["branch"]


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["employee_no", "name", "branch", "team", "is_technician", "star_rating"]
    list_filter = ["branch", "is_technician"]
    search_fields = ["employee_no", "name", "user__username"]
    # Roles are the user's groups; the star rating is derived from KPIs, never typed in.
    readonly_fields = ["star_rating", "role_names"]
