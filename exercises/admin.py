"""Admin for the exercise catalog and the progression protocols."""

from django.contrib import admin
from django.utils.html import format_html

from .models import Exercise, Protocol, ProtocolStage


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    list_display = ["name", "preview", "position", "direction", "clinic", "is_active"]
    list_filter = ["position", "direction", "is_active", "clinic"]
    search_fields = ["name", "slug", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["clinic"]

    @admin.display(description="Illustration")
    def preview(self, obj: Exercise) -> str:
        if not obj.illustration_url:
            return "–"
        return format_html('<img src="{}" alt="" style="height:40px">', obj.illustration_url)


class ProtocolStageInline(admin.TabularInline):
    model = ProtocolStage
    extra = 0
    autocomplete_fields = ["exercise"]
    filter_horizontal = ["counter_movements"]


@admin.register(Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "status", "clinic", "published_at"]
    list_filter = ["status", "clinic"]
    search_fields = ["name", "slug"]
    inlines = [ProtocolStageInline]
    list_select_related = ["clinic"]


@admin.register(ProtocolStage)
class ProtocolStageAdmin(admin.ModelAdmin):
    list_display = ["protocol", "number", "exercise", "reps", "hold_seconds", "times_per_day"]
    list_filter = ["number", "protocol__status"]
    search_fields = ["protocol__name", "exercise__name"]
    list_select_related = ["protocol", "exercise"]
    autocomplete_fields = ["exercise"]
    filter_horizontal = ["counter_movements"]
