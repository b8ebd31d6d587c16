"""Admin for clinics, staff, patients and assessments. Clinical records cannot be deleted here."""

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin

from .audit import record_access
from .models import Clinic, Clinician, Intake, OdiAssessment, Patient, RedFlagScreen


class NoDeleteAdmin(admin.ModelAdmin):
    """Health data is archived, never deleted: the delete action and button are withdrawn.

    Opening a record's page here is a view of the patient's record, so it is audited.
    """

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def get_object(self, request, object_id, from_field=None):  # type: ignore[no-untyped-def]
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "GET":
            record_access(instance=obj)
        return obj


admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class AuditEntryAdmin(LogEntryAdmin):
    """The audit trail: read-only, never added to, changed or deleted by hand (docs/audit.md).

    auditlog's admin already refuses adding and changing; it still lets a deletion elsewhere
    in the admin cascade into entries, which this refuses too.
    """

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "fallback_alert_email"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Clinician)
class ClinicianAdmin(admin.ModelAdmin):
    list_display = ["__str__", "clinic", "role", "is_active"]
    list_filter = ["clinic", "role", "is_active"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    list_select_related = ["user", "clinic"]
    autocomplete_fields = ["user"]


@admin.register(Patient)
class PatientAdmin(NoDeleteAdmin):
    list_display = ["__str__", "clinic", "primary_clinician", "timezone", "archived_at"]
    list_filter = ["clinic", "archived_at"]
    search_fields = ["first_name", "last_name", "email", "public_id"]
    list_select_related = ["clinic", "primary_clinician__user"]
    readonly_fields = ["public_id", "created_at", "updated_at"]
    raw_id_fields = ["user", "primary_clinician"]


@admin.register(OdiAssessment)
class OdiAssessmentAdmin(NoDeleteAdmin):
    list_display = ["patient", "occasion", "percent", "band", "taken_at"]
    list_filter = ["occasion", "band", "instrument_version"]
    search_fields = ["patient__first_name", "patient__last_name"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient", "recorded_by"]
    date_hierarchy = "taken_at"


@admin.register(RedFlagScreen)
class RedFlagScreenAdmin(NoDeleteAdmin):
    list_display = [
        "patient",
        "kind",
        "cauda_equina_positive",
        "systemic_positive",
        "taken_at",
        "cleared_at",
    ]
    list_filter = ["kind", "cauda_equina_positive", "systemic_positive"]
    search_fields = ["patient__first_name", "patient__last_name"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient", "recorded_by", "cleared_by"]


@admin.register(Intake)
class IntakeAdmin(NoDeleteAdmin):
    list_display = ["patient", "recorded_at", "recorded_by", "baseline_pain", "odi"]
    list_filter = ["acute_disc_herniation", "compression_fracture_or_osteoporosis"]
    search_fields = ["patient__first_name", "patient__last_name"]
    list_select_related = ["patient", "recorded_by__user", "odi"]
    raw_id_fields = ["patient", "recorded_by", "odi", "red_flag_screen"]
    date_hierarchy = "recorded_at"
