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
    list_display = ["employee_no", "name", "branch", "team", "is_technician", "stars"]
    list_filter = ["branch", "is_technician"]
    search_fields = ["employee_no", "name", "user__username"]
    # Roles are the user's groups; the star rating is derived from KPIs (doorstep.ratings),
    # never typed in, so it is shown here and kept nowhere on the staff row.
    readonly_fields = ["role_names"]

    @admin.display(description="星级")
    def stars(self, staff: Staff) -> str:
        from doorstep.ratings import current_stars, star_text

        return star_text(current_stars(staff.user_id))
