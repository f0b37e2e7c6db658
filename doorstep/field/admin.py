from django.contrib import admin

from doorstep.field.models import PhraseEntry


@admin.register(PhraseEntry)
class PhraseEntryAdmin(admin.ModelAdmin):
    list_display = ["pattern", "kind", "suggestion", "enabled", "created_at"]
    list_filter = ["kind", "enabled"]
    search_fields = ["pattern", "suggestion"]
