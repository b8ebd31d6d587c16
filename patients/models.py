"""Who is in the clinic: the clinic, its clinicians, its patients and their assessments."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .validators import validate_timezone


class TimeStampedModel(models.Model):
    """When a row was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class SymptomLevel(models.IntegerChoices):
    """How far from the spine a side's symptoms reach (McKenzie body chart, knee split: R14)."""

    NONE = 0, _("No symptoms")
    BACK = 1, _("Back")
    BUTTOCK = 2, _("Buttock or hip")
    THIGH = 3, _("Thigh")
    BELOW_KNEE = 4, _("Below the knee")
    FOOT = 5, _("Foot or toes")


def pain_field(**kwargs: object) -> models.PositiveSmallIntegerField:
    """A 0–10 numeric pain rating (NPRS). The range is checked in Python and in the database."""
    return models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)], **kwargs)  # type: ignore[arg-type]


def level_field(**kwargs: object) -> models.PositiveSmallIntegerField:
    """A body-chart level 0–5 for one side (see ``SymptomLevel``)."""
    return models.PositiveSmallIntegerField(choices=SymptomLevel.choices, **kwargs)  # type: ignore[arg-type]


def level_range_check(field: str) -> models.CheckConstraint:
    """A database check that a symptom level stays on the 0–5 body-chart scale."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 0, f"{field}__lte": 5}),
        name=f"%(class)s_{field}_0_5",
        violation_error_message=f"{field} must be a body-chart level from 0 to 5.",
    )


def pain_range_check(field: str) -> models.CheckConstraint:
    """A database check that a pain rating stays on the 0–10 numeric rating scale."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 0, f"{field}__lte": 10}),
        name=f"%(class)s_{field}_0_10",
        violation_error_message=f"{field} must be a pain rating from 0 to 10.",
    )


class Clinic(TimeStampedModel):
    """A physical-therapy practice: the unit every patient record is scoped to."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    timezone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_timezone]
    )
    fallback_alert_email = models.EmailField(
        blank=True, help_text=_("Also receives every urgent red-flag notice.")
    )
    rule_defaults = models.JSONField(
        default=dict,
        blank=True,
        help_text=_('Clinic-wide changes to the rule thresholds, e.g. {"p_accept": 4}.'),
    )
    default_reminder_times = models.JSONField(
        default=list, blank=True, help_text=_('Local times such as ["08:00", "13:00"].')
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Clinician(TimeStampedModel):
    """A member of a clinic's staff who signs in: a therapist or the clinic's administrator."""

    class Role(models.TextChoices):
        THERAPIST = "therapist", _("Therapist")
        CLINIC_ADMIN = "clinic_admin", _("Clinic administrator")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="clinician"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="clinicians")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.THERAPIST)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["clinic", "user__last_name", "user__first_name"]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def is_clinic_admin(self) -> bool:
        return self.role == self.Role.CLINIC_ADMIN


class Patient(TimeStampedModel):
    """A person treated by a clinic. Archived, never deleted: the record is health data."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    primary_clinician = models.ForeignKey(
        Clinician, on_delete=models.PROTECT, related_name="patients"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="patient",
        null=True,
        blank=True,
        help_text=_("Set once the patient accepts the invitation."),
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    timezone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_timezone]
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["clinic", "archived_at"])]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def get_absolute_url(self) -> str:
        return reverse("prescriptions:patient_detail", kwargs={"public_id": self.public_id})

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class OdiAssessment(TimeStampedModel):
    """One Oswestry Disability Index questionnaire (v2.1a): ten sections scored 0–5 (R21).

    The percentage is stored to one decimal and banded from that unrounded value (R21, R22).
    """

    class Occasion(models.TextChoices):
        INTAKE = "intake", _("Intake")
        FOLLOW_UP = "follow_up", _("Follow-up")
        DISCHARGE = "discharge", _("Discharge")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="odi_assessments")
    occasion = models.CharField(max_length=20, choices=Occasion.choices)
    instrument_version = models.CharField(max_length=16, default="2.1a")
    answers = models.JSONField(help_text=_("Ten section scores 0–5, or null when unanswered."))
    percent = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    band = models.CharField(max_length=16, blank=True)
    taken_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        Clinician, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["patient", "-taken_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__gte=0, percent__lte=100),
                name="odiassessment_percent_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"ODI {self.percent if self.percent is not None else 'invalid'}"


class RedFlagScreen(TimeStampedModel):
    """Answers to the serious-pathology questions (clinical spec 2.6), stored verbatim.

    A positive systemic screen suspends the programme until a therapist clears it (R-RED-3).
    """

    class Kind(models.TextChoices):
        INTAKE = "intake", _("Intake")
        WEEKLY = "weekly", _("Weekly")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="red_flag_screens")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    answers = models.JSONField(help_text=_("Question key → yes/no, as answered."))
    cauda_equina_positive = models.BooleanField(default=False)
    systemic_positive = models.BooleanField(default=False)
    taken_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        Clinician, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        Clinician, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    clear_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["patient", "-taken_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cleared_at__isnull=True)
                | (Q(cleared_by__isnull=False) & ~Q(clear_reason="")),
                name="redflagscreen_clear_needs_who_and_why",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} screen {self.taken_at:%Y-%m-%d}"


class Intake(TimeStampedModel):
    """The therapist's screening before prescribing: ODI, red flags, contraindications and the
    baseline pain and body chart that later logs are compared with."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intakes")
    recorded_by = models.ForeignKey(Clinician, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    odi = models.OneToOneField(OdiAssessment, on_delete=models.PROTECT, related_name="intake")
    red_flag_screen = models.OneToOneField(
        RedFlagScreen, on_delete=models.PROTECT, related_name="intake"
    )
    acute_disc_herniation = models.BooleanField(default=False)
    compression_fracture_or_osteoporosis = models.BooleanField(default=False)
    flexion_intolerant = models.BooleanField(default=False)
    dx_stenosis_or_spondylolisthesis = models.BooleanField(
        default=False, help_text=_("Extension counter-movements may aggravate these (R31).")
    )
    contraindications_cleared_at = models.DateTimeField(null=True, blank=True)
    contraindications_cleared_by = models.ForeignKey(
        Clinician, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    contraindications_clear_reason = models.TextField(blank=True)
    baseline_pain = pain_field(help_text=_("0–10, worst back or leg pain."))
    baseline_level_left = level_field()
    baseline_level_right = level_field()
    assessment_confirmed = models.BooleanField(
        default=False, help_text=_("Needed to start when the ODI is above 40% (R-ODI-3).")
    )
    plan_note = models.TextField(
        blank=True, help_text=_("Needed to start when the ODI is above 60% (R-ODI-4).")
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["patient", "-recorded_at"]
        get_latest_by = "recorded_at"
        constraints = [
            pain_range_check("baseline_pain"),
            level_range_check("baseline_level_left"),
            level_range_check("baseline_level_right"),
        ]

    def __str__(self) -> str:
        return f"Intake {self.recorded_at:%Y-%m-%d}"

    @property
    def has_contraindication(self) -> bool:
        """A flag that makes flexion unsafe until cleared (R-STOP-3; R4, R5)."""
        return (
            self.acute_disc_herniation
            or self.compression_fracture_or_osteoporosis
            or self.flexion_intolerant
        )

    @property
    def contraindication_active(self) -> bool:
        return self.has_contraindication and self.contraindications_cleared_at is None
