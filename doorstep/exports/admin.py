from django.contrib import admin

from doorstep.exports.models import Export


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "owner", "kind", "status", "rows", "created_at", "finished_at")
    list_filter = ("kind", "status")
    readonly_fields = [f.name for f in Export._meta.fields]
