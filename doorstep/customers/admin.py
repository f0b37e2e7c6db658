from django.contrib import admin

from doorstep.customers.models import TechnicianBadge


@admin.register(TechnicianBadge)
class TechnicianBadgeAdmin(admin.ModelAdmin):
    """Where the badge photo is uploaded. The slug is the badge's public address: random,
    made once; changing it would void every printed QR code."""

    list_display = ["staff", "slug", "created_at"]
    search_fields = ["staff__name", "staff__employee_no"]
    readonly_fields = ["slug", "created_at"]
    fields = ["staff", "photo", "slug", "created_at"]
    autocomplete_fields = ["staff"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if not obj.slug:
            import secrets

            obj.slug = secrets.token_urlsafe(9)
        super().save_model(request, obj, form, change)
