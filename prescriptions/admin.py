"""Admin for programmes, logs and decisions: read-mostly, never a delete of clinical data."""

from django.contrib import admin

from patients.admin import NoDeleteAdmin

from .models import (
    Alert,
    MorningCheck,
    OutboxMessage,
    PrescribedStage,
    Prescription,
    Reminder,
    RuleEvaluation,
    SessionLog,
    StageTransition,
    StatusChange,
    ThresholdOverride,
)


class ReadOnlyAdmin(NoDeleteAdmin):
    """Records of what happened: shown, never added or changed by hand."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class PrescribedStageInline(admin.TabularInline):
    model = PrescribedStage
    extra = 0
    can_delete = False
    raw_id_fields = ["exercise", "counter_movement"]


@admin.register(Prescription)
class PrescriptionAdmin(NoDeleteAdmin):
    list_display = [
        "id",
        "patient",
        "protocol",
        "status",
        "current_stage",
        "phase",
        "stage_started_at",
    ]
    list_filter = ["status", "current_stage", "phase", "auto_advance", "extension_enabled"]
    search_fields = ["patient__first_name", "patient__last_name", "patient__public_id"]
    list_select_related = ["patient", "protocol"]
    raw_id_fields = ["patient", "prescribed_by", "protocol"]
    inlines = [PrescribedStageInline]
    date_hierarchy = "started_at"


@admin.register(PrescribedStage)
class PrescribedStageAdmin(NoDeleteAdmin):
    list_display = ["prescription", "number", "exercise", "reps", "hold_seconds", "times_per_day"]
    list_filter = ["number"]
    search_fields = ["exercise__name"]
    list_select_related = ["prescription", "exercise"]
    raw_id_fields = ["prescription", "exercise", "counter_movement"]


@admin.register(ThresholdOverride)
class ThresholdOverrideAdmin(ReadOnlyAdmin):
    list_display = ["prescription", "parameter", "value", "set_by", "created_at", "revoked_at"]
    list_filter = ["parameter"]
    list_select_related = ["set_by__user"]


@admin.register(SessionLog)
class SessionLogAdmin(ReadOnlyAdmin):
    list_display = [
        "prescription",
        "local_date",
        "stage",
        "pain_pre",
        "pain_during_max",
        "pain_post",
        "ease",
        "neuro_change",
    ]
    list_filter = ["stage", "ease", "neuro_change", "protocol_deviation"]
    search_fields = ["prescription__patient__last_name"]
    date_hierarchy = "started_at"


@admin.register(MorningCheck)
class MorningCheckAdmin(ReadOnlyAdmin):
    list_display = ["prescription", "local_date", "pain", "level_left", "level_right"]
    list_filter = ["stiffness_vs_usual"]
    search_fields = ["prescription__patient__last_name"]
    date_hierarchy = "local_date"


@admin.register(RuleEvaluation)
class RuleEvaluationAdmin(ReadOnlyAdmin):
    list_display = ["prescription", "evaluated_at", "trigger", "outcome", "stage", "next_stage"]
    list_filter = ["outcome", "trigger", "rules_version"]
    search_fields = ["prescription__patient__last_name"]
    date_hierarchy = "evaluated_at"


@admin.register(StageTransition)
class StageTransitionAdmin(ReadOnlyAdmin):
    list_display = ["prescription", "kind", "from_stage", "to_stage", "actor", "occurred_at"]
    list_filter = ["kind"]
    date_hierarchy = "occurred_at"


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["prescription", "from_status", "to_status", "actor", "occurred_at"]
    list_filter = ["to_status"]
    date_hierarchy = "occurred_at"


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["prescription", "severity", "kind", "status", "raised_at", "resolved_at"]
    list_filter = ["status", "severity", "kind"]
    search_fields = ["prescription__patient__last_name"]
    date_hierarchy = "raised_at"


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["prescription", "local_date", "slot", "channel", "status", "attempts"]
    list_filter = ["status", "channel"]
    date_hierarchy = "local_date"


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["kind", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["kind", "status"]
    date_hierarchy = "created_at"
