"""What the patient reports: one row per exercise set and one morning check per local day."""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from patients.models import (
    TimeStampedModel,
    level_field,
    level_range_check,
    pain_field,
    pain_range_check,
)

from .choices import Ease, ExtensionEffect, ExtensionType, NeuroChange, Stage
from .programme import Prescription

PAIN_FIELDS = ("pain_pre", "pain_during_max", "pain_post")
LEVEL_FIELDS = ("level_pre_left", "level_pre_right", "level_post_left", "level_post_right")
CES_FIELDS = ("ces_saddle", "ces_bladder", "ces_bowel", "ces_legs")


class SessionLog(TimeStampedModel):
    """One flexion set as the patient logged it (clinical spec 2.2).

    Post ratings are taken about five minutes after the set and before any extension, so an
    extension cannot mask the flexion response.
    """

    prescription = models.ForeignKey(
        Prescription, on_delete=models.PROTECT, related_name="session_logs"
    )
    idempotency_key = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        help_text=_("One per form shown: a double submit stores one log."),
    )
    stage = models.PositiveSmallIntegerField(choices=Stage.choices)
    protocol_deviation = models.BooleanField(
        default=False, help_text=_("Logged at a different stage than the programme's.")
    )
    started_at = models.DateTimeField()
    entered_at = models.DateTimeField()
    local_date = models.DateField(help_text=_("The date in the patient's time zone."))
    reps_target = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    reps_done = models.PositiveSmallIntegerField(validators=[MaxValueValidator(30)])
    hold_seconds = models.PositiveSmallIntegerField(null=True, blank=True)
    pain_pre = pain_field()
    pain_during_max = pain_field()
    pain_post = pain_field()
    level_pre_left = level_field()
    level_pre_right = level_field()
    level_post_left = level_field()
    level_post_right = level_field()
    ease = models.CharField(max_length=16, choices=Ease.choices)
    neuro_change = models.CharField(
        max_length=16, choices=NeuroChange.choices, default=NeuroChange.NONE
    )
    ces_saddle = models.BooleanField(null=True, blank=True)
    ces_bladder = models.BooleanField(null=True, blank=True)
    ces_bowel = models.BooleanField(null=True, blank=True)
    ces_legs = models.BooleanField(null=True, blank=True)
    extension_type = models.CharField(
        max_length=20, choices=ExtensionType.choices, blank=True, default=""
    )
    extension_reps = models.PositiveSmallIntegerField(null=True, blank=True)
    extension_effect = models.CharField(
        max_length=16, choices=ExtensionEffect.choices, blank=True, default=""
    )
    note = models.CharField(max_length=500, blank=True)
    revision = models.PositiveSmallIntegerField(
        default=1, help_text=_("Raised by each edit; every revision was evaluated.")
    )

    class Meta:
        ordering = ["prescription", "started_at"]
        indexes = [models.Index(fields=["prescription", "started_at"])]
        constraints = [
            *(pain_range_check(name) for name in PAIN_FIELDS),
            *(level_range_check(name) for name in LEVEL_FIELDS),
            models.CheckConstraint(
                condition=Q(stage__gte=1, stage__lte=3), name="sessionlog_stage_1_3"
            ),
            models.CheckConstraint(
                condition=Q(reps_target__gte=1, reps_target__lte=30),
                name="sessionlog_reps_target_1_30",
            ),
            models.CheckConstraint(
                condition=Q(reps_done__gte=0, reps_done__lte=30), name="sessionlog_reps_done_0_30"
            ),
            models.CheckConstraint(
                condition=Q(hold_seconds__isnull=True) | Q(hold_seconds__lte=30),
                name="sessionlog_hold_0_30",
            ),
            models.CheckConstraint(
                condition=Q(extension_reps__isnull=True) | Q(extension_reps__lte=3),
                name="sessionlog_extension_reps_0_3",
            ),
            models.CheckConstraint(
                condition=Q(entered_at__gte=F("started_at")),
                name="sessionlog_entered_after_started",
            ),
        ]

    def __str__(self) -> str:
        return f"Set at stage {self.stage} on {self.local_date}"

    @property
    def ces_answers(self) -> tuple[bool, bool, bool, bool] | None:
        """The four daily safety answers, or None when they were not asked."""
        values = [getattr(self, name) for name in CES_FIELDS]
        if any(value is None for value in values):
            return None
        return (values[0], values[1], values[2], values[3])


class MorningCheck(TimeStampedModel):
    """How the patient is on waking, before the first set: the 24-hour response (R15)."""

    class Stiffness(models.TextChoices):
        LESS = "LESS", _("Less stiff than usual")
        SAME = "SAME", _("As usual")
        MORE = "MORE", _("Stiffer than usual")

    prescription = models.ForeignKey(
        Prescription, on_delete=models.PROTECT, related_name="morning_checks"
    )
    local_date = models.DateField()
    pain = pain_field()
    level_left = level_field()
    level_right = level_field()
    stiffness_vs_usual = models.CharField(
        max_length=8, choices=Stiffness.choices, default=Stiffness.SAME
    )
    entered_at = models.DateTimeField()

    class Meta:
        ordering = ["prescription", "local_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["prescription", "local_date"], name="morningcheck_one_per_day"
            ),
            pain_range_check("pain"),
            level_range_check("level_left"),
            level_range_check("level_right"),
        ]

    def __str__(self) -> str:
        return f"Morning check {self.local_date}"
