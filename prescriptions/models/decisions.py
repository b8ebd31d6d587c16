"""What the rules decided, and the alerts that ask a therapist to act."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import FrequencyPhase, Stage
from .logs import MorningCheck, SessionLog
from .programme import Prescription


class RuleEvaluation(models.Model):
    """One run of the rules module, kept whole: what went in, what came out and why.

    Never edited: an edited log is evaluated again and the earlier evaluation stays.
    """

    class Trigger(models.TextChoices):
        SESSION_LOGGED = "session_logged", _("Set logged")
        SESSION_EDITED = "session_edited", _("Set edited")
        MORNING_CHECK = "morning_check", _("Morning check")
        RED_FLAG_SCREEN = "red_flag_screen", _("Weekly red-flag screen")
        THERAPIST = "therapist", _("Therapist action")

    class Outcome(models.TextChoices):
        ADVANCE_ELIGIBLE = "ADVANCE_ELIGIBLE", _("Ready for the next stage")
        MAINTENANCE_ELIGIBLE = "MAINTENANCE_ELIGIBLE", _("Ready to taper")
        HOLD = "HOLD", _("Keep going")
        REGRESS_ONE = "REGRESS_ONE", _("Step back one stage")
        SUSPEND_CONTACT_PT = "SUSPEND_CONTACT_PT", _("Stop and contact the therapist")
        URGENT_RED_FLAG = "URGENT_RED_FLAG", _("Emergency department now")

    prescription = models.ForeignKey(
        Prescription, on_delete=models.PROTECT, related_name="evaluations"
    )
    session_log = models.ForeignKey(
        SessionLog, on_delete=models.PROTECT, related_name="evaluations", null=True, blank=True
    )
    morning_check = models.ForeignKey(
        MorningCheck, on_delete=models.PROTECT, related_name="evaluations", null=True, blank=True
    )
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    rules_version = models.CharField(max_length=32)
    evaluated_at = models.DateTimeField()
    inputs = models.JSONField(help_text=_("The context, sessions, mornings and config read."))
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    stage = models.PositiveSmallIntegerField(choices=Stage.choices)
    next_stage = models.PositiveSmallIntegerField(choices=Stage.choices)
    next_phase = models.CharField(max_length=16, choices=FrequencyPhase.choices)
    fired = models.JSONField(default=list, help_text=_("[{rule_id, outcome, text}, …]"))
    qualifying_sessions = models.PositiveSmallIntegerField(default=0)
    qualifying_days = models.PositiveSmallIntegerField(default=0)
    days_at_stage = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["prescription", "-evaluated_at", "-id"]
        get_latest_by = "evaluated_at"
        indexes = [models.Index(fields=["prescription", "-evaluated_at"])]

    def __str__(self) -> str:
        return f"{self.outcome} at {self.evaluated_at:%Y-%m-%d %H:%M}"

    @property
    def fired_rule_ids(self) -> list[str]:
        return [item["rule_id"] for item in self.fired]


class Alert(models.Model):
    """Something a therapist must look at, most urgent first. Resolved, never deleted."""

    class Severity(models.IntegerChoices):
        URGENT = 4, _("Urgent")
        HIGH = 3, _("High")
        NORMAL = 2, _("Normal")
        LOW = 1, _("Low")

    class Kind(models.TextChoices):
        RED_FLAG = "red_flag", _("Red flag")
        SUSPENDED = "suspended", _("Programme suspended")
        REGRESSED = "regressed", _("Stepped back a stage")
        ADVANCE_PROPOSED = "advance_proposed", _("Ready for the next stage")
        MAINTENANCE_PROPOSED = "maintenance_proposed", _("Ready to taper")
        REVIEW = "review", _("Review needed")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    class Resolution(models.TextChoices):
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CLEARED = "cleared", _("Cleared")
        SUPERSEDED = "superseded", _("Superseded")

    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="alerts")
    evaluation = models.ForeignKey(
        RuleEvaluation, on_delete=models.PROTECT, related_name="alerts", null=True, blank=True
    )
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    rule_ids = models.JSONField(default=list)
    text = models.TextField(help_text=_("What the therapist reads."))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    raised_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    resolution_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["status", "-severity", "raised_at"]
        indexes = [models.Index(fields=["prescription", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__gte=1, severity__lte=4), name="alert_severity_1_4"
            ),
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True)
                | (Q(status="resolved", resolved_at__isnull=False) & ~Q(resolution="")),
                name="alert_resolution_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} · {self.get_kind_display()}"
