"""The catalog: exercises and the staged protocols a therapist prescribes from.

A row with no clinic is global (shipped with Stagewise, read-only to clinics); a row with a clinic
belongs to that clinic alone.
"""

from django.db import models
from django.db.models import Q
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _

from patients.models import Clinic, TimeStampedModel


class Exercise(TimeStampedModel):
    """One exercise a patient can be asked to do at home, with how to do it safely."""

    class Position(models.TextChoices):
        SUPINE = "supine", _("Lying on the back")
        PRONE = "prone", _("Lying on the front")
        SEATED = "seated", _("Sitting on a chair")
        FLOOR_SITTING = "floor_sitting", _("Sitting on the floor")
        STANDING = "standing", _("Standing")
        KNEELING = "kneeling", _("Kneeling")
        HANDS_AND_KNEES = "hands_and_knees", _("On hands and knees")

    class Direction(models.TextChoices):
        FLEXION = "flexion", _("Flexion (bending forward)")
        EXTENSION = "extension", _("Extension (bending backward)")
        SIDE_BENDING = "side_bending", _("Side-bending")
        ROTATION = "rotation", _("Rotation")
        ALTERNATING = "alternating", _("Alternating flexion and extension")

    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, related_name="exercises", null=True, blank=True
    )
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=120)
    position = models.CharField(max_length=20, choices=Position.choices)
    direction = models.CharField(max_length=20, choices=Direction.choices)
    summary = models.CharField(max_length=300)
    steps = models.TextField(help_text=_("One step per line."))
    cautions = models.TextField(blank=True, help_text=_("One caution per line."))
    default_reps = models.PositiveSmallIntegerField(default=10)
    default_hold_seconds = models.PositiveSmallIntegerField(default=0)
    default_sets = models.PositiveSmallIntegerField(default=1)
    default_times_per_day = models.PositiveSmallIntegerField(default=1)
    illustration_static = models.CharField(
        max_length=200, blank=True, help_text=_("Path under static/ of a shipped illustration.")
    )
    illustration = models.ImageField(
        upload_to="exercises/", blank=True, help_text=_("An uploaded illustration.")
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["slug"], condition=Q(clinic__isnull=True), name="exercise_global_slug"
            ),
            models.UniqueConstraint(
                fields=["clinic", "slug"],
                condition=Q(clinic__isnull=False),
                name="exercise_clinic_slug",
            ),
            models.CheckConstraint(
                condition=Q(default_reps__gte=1, default_reps__lte=30),
                name="exercise_default_reps_1_30",
            ),
            models.CheckConstraint(
                condition=Q(default_hold_seconds__lte=60), name="exercise_hold_max_60"
            ),
            models.CheckConstraint(
                condition=Q(default_times_per_day__gte=1, default_times_per_day__lte=8),
                name="exercise_times_per_day_1_8",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_global(self) -> bool:
        return self.clinic_id is None

    @property
    def step_list(self) -> list[str]:
        return [line.strip() for line in self.steps.splitlines() if line.strip()]

    @property
    def caution_list(self) -> list[str]:
        return [line.strip() for line in self.cautions.splitlines() if line.strip()]

    @property
    def illustration_url(self) -> str:
        """The uploaded picture if there is one, otherwise the shipped one, otherwise ''."""
        if self.illustration:
            return self.illustration.url
        return static(self.illustration_static) if self.illustration_static else ""


class Protocol(TimeStampedModel):
    """One version of a staged progression (e.g. lying → sitting → standing flexion).

    Publishing makes a new version; prescriptions keep a snapshot, so editing a protocol never
    changes what an enrolled patient was prescribed.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, related_name="protocols", null=True, blank=True
    )
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["slug", "version"],
                condition=Q(clinic__isnull=True),
                name="protocol_global_slug_version",
            ),
            models.UniqueConstraint(
                fields=["clinic", "slug", "version"],
                condition=Q(clinic__isnull=False),
                name="protocol_clinic_slug_version",
            ),
            models.UniqueConstraint(
                fields=["slug"],
                condition=Q(clinic__isnull=True, status="published"),
                name="protocol_global_one_published",
            ),
            models.UniqueConstraint(
                fields=["clinic", "slug"],
                condition=Q(clinic__isnull=False, status="published"),
                name="protocol_clinic_one_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ProtocolStage(models.Model):
    """One stage of a protocol: which exercise, at what dose, with which counter-movement."""

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="stages")
    number = models.PositiveSmallIntegerField()
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    reps = models.PositiveSmallIntegerField(default=10)
    hold_seconds = models.PositiveSmallIntegerField(default=0)
    sets = models.PositiveSmallIntegerField(default=1)
    times_per_day = models.PositiveSmallIntegerField(default=4)
    counter_movements = models.ManyToManyField(
        Exercise,
        related_name="+",
        blank=True,
        help_text=_("Extension movements offered after each flexion set (R3)."),
    )
    counter_movement_reps = models.PositiveSmallIntegerField(default=2)
    guidance = models.TextField(blank=True)

    class Meta:
        ordering = ["protocol", "number"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "number"], name="protocolstage_unique"),
            models.CheckConstraint(
                condition=Q(number__gte=1, number__lte=3), name="protocolstage_number_1_3"
            ),
            models.CheckConstraint(
                condition=Q(reps__gte=1, reps__lte=30), name="protocolstage_reps_1_30"
            ),
            models.CheckConstraint(
                condition=Q(counter_movement_reps__gte=1, counter_movement_reps__lte=3),
                name="protocolstage_counter_reps_1_3",
            ),
        ]

    def __str__(self) -> str:
        return f"Stage {self.number}: {self.exercise}"
