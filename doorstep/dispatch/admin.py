from django.contrib import admin

from doorstep.dispatch.models import Leave, Shift, Territory


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["technician", "day", "start", "end", "lunch_from", "lunch_to", "lunch_minutes"]
    list_filter = ["day"]
    date_hierarchy = "day"


@admin.register(Leave)
class LeaveAdmin(admin.ModelAdmin):
    list_display = ["technician", "first_day", "last_day", "reason"]


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ["name", "branch", "team", "technician"]
    list_filter = ["branch"]
