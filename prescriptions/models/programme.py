"""The prescribed programme, its stage snapshot and every change made to it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from exercises.models import Exercise, Protocol
from patients.models import (
    Clinician,
    Patient,
    SymptomLevel,
    TimeStampedModel,
    level_range_check,
    pain_range_check,
)

from .choices import FrequencyPhase, Stage


class Prescription(TimeStampedModel):
    """A patient's staged home-exercise programme as the therapist prescribed it."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        SUSPENDED = "suspended", _("Suspended — contact the therapist")
        COMPLETED = "completed", _("Completed")
        STOPPED = "stopped", _("Stopped")

    # A programme the patient is on, even if paused or suspended: at most one per patient.
    RUNNING_STATUSES = (Status.ACTIVE, Status.PAUSED, Status.SUSPENDED)

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="prescriptions")
    prescribed_by = models.ForeignKey(
        Clinician, on_delete=models.PROTECT, related_name="prescriptions"
    )
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="prescriptions")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    current_stage = models.PositiveSmallIntegerField(choices=Stage.choices, default=Stage.SUPINE)
    stage_started_at = models.DateTimeField()
    phase = models.CharField(
        max_length=16, choices=FrequencyPhase.choices, default=FrequencyPhase.FLARE
    )
    phase_started_at = models.DateTimeField()
    stage_base_pain = models.PositiveSmallIntegerField(
        help_text=_("Baseline pain for this stage: median of the 3 morning checks before it (2.3).")
    )
    stage_base_level_left = models.PositiveSmallIntegerField(choices=SymptomLevel.choices)
    stage_base_level_right = models.PositiveSmallIntegerField(choices=SymptomLevel.choices)
    counters_reset_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When a therapist last cleared a suspension or acknowledged a regression."),
    )
    auto_advance = models.BooleanField(
        default=False, help_text=_("Advance without waiting for the therapist (off by default).")
    )
    extension_enabled = models.BooleanField(
        default=False, help_text=_("Ask for 1–2 extension counter-movements after each set (R3).")
    )
    reminder_times = models.JSONField(
        default=list, blank=True, help_text=_('Local times such as ["08:00", "18:30"].')
    )
    # Reminder preferences (issue 5). Quiet hours run from start to end in the patient's local
    # time and may wrap past midnight (22:00–07:00); both empty means no quiet hours.
    reminder_consent = models.BooleanField(
        default=True,
        help_text=_("The patient agreed to reminders when the times were set; off once withdrawn."),
    )
    reminders_paused_until = models.DateTimeField(
        null=True, blank=True, help_text=_("No reminders before this instant.")
    )
    muted_reminder_times = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Times of the plan the patient chose not to be reminded at."),
    )
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    reminder_channel = models.CharField(
        max_length=8,
        choices=[("email", _("E-mail")), ("sms", _("Text message"))],
        default="email",
        help_text=_("How the patient is reminded; a text message needs a phone number."),
    )
    nudge_time = models.TimeField(
        null=True,
        blank=True,
        help_text=_(
            "Local time of the evening follow-up sent when the day has no logged set; "
            "empty: no follow-up."
        ),
    )
    nudge_wanted = models.BooleanField(
        default=True, help_text=_("The patient's choice to receive the evening follow-up.")
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(current_stage__gte=1, current_stage__lte=3),
                name="prescription_stage_1_3",
            ),
            pain_range_check("stage_base_pain"),
            level_range_check("stage_base_level_left"),
            level_range_check("stage_base_level_right"),
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status__in=["active", "paused", "suspended"]),
                name="prescription_one_running_per_patient",
            ),
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.protocol} for patient #{self.patient_id}"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING_STATUSES


class PrescribedStage(models.Model):
    """The dose of one stage as prescribed: a snapshot that protocol edits never change."""

    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="stages")
    number = models.PositiveSmallIntegerField(choices=Stage.choices)
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    reps = models.PositiveSmallIntegerField()
    hold_seconds = models.PositiveSmallIntegerField(default=0)
    sets = models.PositiveSmallIntegerField(default=1)
    times_per_day = models.PositiveSmallIntegerField()
    counter_movement = models.ForeignKey(
        Exercise, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    counter_movement_reps = models.PositiveSmallIntegerField(default=2)
    guidance = models.TextField(blank=True)

    class Meta:
        ordering = ["prescription", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["prescription", "number"], name="prescribedstage_unique"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1, number__lte=3), name="prescribedstage_number_1_3"
            ),
            models.CheckConstraint(
                condition=Q(reps__gte=1, reps__lte=30), name="prescribedstage_reps_1_30"
            ),
            models.CheckConstraint(
                condition=Q(times_per_day__gte=1, times_per_day__lte=8),
                name="prescribedstage_times_per_day_1_8",
            ),
            models.CheckConstraint(
                condition=Q(counter_movement_reps__gte=1, counter_movement_reps__lte=3),
                name="prescribedstage_counter_reps_1_3",
            ),
        ]

    def __str__(self) -> str:
        return f"Stage {self.number}: {self.exercise}"


class ThresholdOverride(TimeStampedModel):
    """A therapist's change to one rule threshold for one patient, with the reason.

    Overrides are revoked, never edited, so the history of what applied when is kept.
    """

    prescription = models.ForeignKey(
        Prescription, on_delete=models.PROTECT, related_name="threshold_overrides"
    )
    parameter = models.CharField(max_length=40)
    value = models.JSONField()
    reason = models.TextField()
    set_by = models.ForeignKey(Clinician, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        Clinician, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["prescription", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="thresholdoverride_has_reason"),
            models.UniqueConstraint(
                fields=["prescription", "parameter"],
                condition=Q(revoked_at__isnull=True),
                name="thresholdoverride_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parameter}={self.value}"


class StageTransition(models.Model):
    """A move between stages, by the rules or by a therapist, and why."""

    class Kind(models.TextChoices):
        START = "start", _("Start")
        ADVANCE = "advance", _("Advance")
        REGRESS = "regress", _("Step back")

    prescription = models.ForeignKey(
        Prescription, on_delete=models.PROTECT, related_name="transitions"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    from_stage = models.PositiveSmallIntegerField(choices=Stage.choices, null=True, blank=True)
    to_stage = models.PositiveSmallIntegerField(choices=Stage.choices)
    evaluation = models.ForeignKey(
        "prescriptions.RuleEvaluation",
        on_delete=models.PROTECT,
        related_name="transitions",
        null=True,
        blank=True,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Empty when the rules made the change."),
    )
    reason = models.TextField()
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["prescription", "occurred_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_stage__gte=1, to_stage__lte=3), name="stagetransition_to_1_3"
            ),
            models.CheckConstraint(
                condition=Q(from_stage__isnull=True) | Q(from_stage__gte=1, from_stage__lte=3),
                name="stagetransition_from_1_3",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.from_stage or '–'} → {self.to_stage}"


class StatusChange(models.Model):
    """A change of programme status (suspend, clear, pause, resume, discharge) and why."""

    prescription = models.ForeignKey(
        Prescription, on_delete=models.PROTECT, related_name="status_changes"
    )
    from_status = models.CharField(max_length=16, choices=Prescription.Status.choices)
    to_status = models.CharField(max_length=16, choices=Prescription.Status.choices)
    evaluation = models.ForeignKey(
        "prescriptions.RuleEvaluation",
        on_delete=models.PROTECT,
        related_name="status_changes",
        null=True,
        blank=True,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reason = models.TextField()
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["prescription", "occurred_at"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"
