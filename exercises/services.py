"""Writes to the catalog: seeding the shipped exercises and protocol, the clinic's own exercises,
drafting and publishing protocol versions."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import PurePath

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from patients.models import Clinic

from .catalog import CATALOG, FLEXION_PROTOCOL, ExerciseSeed, ProtocolSeed
from .exceptions import ExerciseReadOnly, ProtocolInvalid, ProtocolReadOnly
from .models import Exercise, Protocol, ProtocolStage

STAGE_NUMBERS = [1, 2, 3]  # A flexion progression is lying → sitting → standing (README).


@dataclass(frozen=True)
class SeedReport:
    """How many catalog rows a seeding run created and updated."""

    exercises_created: int
    exercises_updated: int
    protocols_created: int


def _exercise_fields(seed: ExerciseSeed) -> dict[str, object]:
    return {
        "name": seed.name,
        "position": seed.position,
        "direction": seed.direction,
        "summary": seed.summary,
        "steps": "\n".join(seed.steps),
        "cautions": "\n".join(seed.cautions),
        "default_reps": seed.reps,
        "default_hold_seconds": seed.hold_seconds,
        "default_sets": seed.sets,
        "default_times_per_day": seed.times_per_day,
        "illustration_static": seed.illustration,
        "is_active": True,
    }


def exercise_upsert_global(*, seed: ExerciseSeed) -> tuple[Exercise, bool]:
    """Create or refresh one shipped (global) exercise from its seed; True when created."""
    exercise = Exercise.objects.filter(clinic__isnull=True, slug=seed.slug).first()
    created = exercise is None
    if exercise is None:
        exercise = Exercise(clinic=None, slug=seed.slug)
    for name, value in _exercise_fields(seed).items():
        setattr(exercise, name, value)
    exercise.full_clean()
    exercise.save()
    return exercise, created


def protocol_create_global(*, seed: ProtocolSeed, exercises: dict[str, Exercise]) -> Protocol:
    """Publish version 1 of a shipped protocol with its stages and counter-movements."""
    protocol = Protocol(
        clinic=None,
        slug=seed.slug,
        name=seed.name,
        description=seed.description,
        version=1,
        status=Protocol.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    protocol.full_clean()
    protocol.save()
    for stage_seed in seed.stages:
        stage = ProtocolStage(
            protocol=protocol,
            number=stage_seed.number,
            exercise=exercises[stage_seed.exercise_slug],
            reps=stage_seed.reps,
            hold_seconds=stage_seed.hold_seconds,
            sets=stage_seed.sets,
            times_per_day=stage_seed.times_per_day,
            counter_movement_reps=stage_seed.counter_movement_reps,
            guidance=stage_seed.guidance,
        )
        stage.full_clean()
        stage.save()
        stage.counter_movements.set([exercises[s] for s in stage_seed.counter_movement_slugs])
    return protocol


@transaction.atomic
def catalog_seed() -> SeedReport:
    """Install or refresh the shipped catalog. Safe to run again: it never duplicates a row.

    A shipped protocol that already has a version is left alone, because running prescriptions
    were made from it; changes ship as a new version published by a clinic admin.
    """
    exercises: dict[str, Exercise] = {}
    created = updated = 0
    for seed in CATALOG:
        exercise, was_created = exercise_upsert_global(seed=seed)
        exercises[seed.slug] = exercise
        created += was_created
        updated += not was_created
    protocols_created = 0
    if not Protocol.objects.filter(clinic__isnull=True, slug=FLEXION_PROTOCOL.slug).exists():
        protocol_create_global(seed=FLEXION_PROTOCOL, exercises=exercises)
        protocols_created = 1
    return SeedReport(created, updated, protocols_created)


# --- the clinic's own exercises ----------------------------------------------------------------


@dataclass(frozen=True)
class ExerciseDetails:
    """What a clinic admin enters about one exercise."""

    name: str
    summary: str
    position: str
    direction: str
    steps: str
    cautions: str
    default_reps: int
    default_hold_seconds: int
    default_sets: int
    default_times_per_day: int


def _unique_slug(name: str, *, taken: set[str], fallback: str) -> str:
    base = slugify(name)[:70] or fallback
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _exercise_save(
    exercise: Exercise, *, details: ExerciseDetails, illustration: File | None
) -> Exercise:
    for name, value in asdict(details).items():
        setattr(exercise, name, value)
    if illustration is not None:
        illustration.name = f"{exercise.slug}{PurePath(illustration.name or '').suffix.lower()}"
        exercise.illustration = illustration  # type: ignore[assignment]
    exercise.full_clean()
    exercise.save()
    return exercise


@transaction.atomic
def exercise_create(
    *, clinic: Clinic, details: ExerciseDetails, illustration: File | None = None
) -> Exercise:
    """Add an exercise to the clinic's own catalog, ready to use in its protocols."""
    taken = set(Exercise.objects.filter(clinic=clinic).values_list("slug", flat=True))
    exercise = Exercise(clinic=clinic, slug=_unique_slug(details.name, taken=taken, fallback="ex"))
    return _exercise_save(exercise, details=details, illustration=illustration)


@transaction.atomic
def exercise_update(
    *, exercise: Exercise, details: ExerciseDetails, illustration: File | None = None
) -> Exercise:
    """Change one of the clinic's own exercises; a new picture replaces the old one."""
    if exercise.is_global:
        raise ExerciseReadOnly
    return _exercise_save(exercise, details=details, illustration=illustration)


@transaction.atomic
def exercise_retire(*, exercise: Exercise) -> Exercise:
    """Take one of the clinic's own exercises out of use; the row and its history stay."""
    if exercise.is_global:
        raise ExerciseReadOnly
    exercise.is_active = False
    exercise.full_clean()
    exercise.save(update_fields=["is_active", "updated_at"])
    return exercise


# --- protocol versions -------------------------------------------------------------------------


@dataclass(frozen=True)
class StageDetails:
    """What a clinic admin enters about one stage of a draft protocol."""

    number: int
    exercise: Exercise
    reps: int
    hold_seconds: int
    times_per_day: int
    counter_movements: Sequence[Exercise]
    counter_movement_reps: int
    guidance: str


def _check_draft(protocol: Protocol) -> None:
    if protocol.clinic_id is None:
        raise ProtocolReadOnly(ProtocolReadOnly.SHIPPED)
    if protocol.status != Protocol.Status.DRAFT:
        raise ProtocolReadOnly(ProtocolReadOnly.NOT_DRAFT)


@transaction.atomic
def protocol_create_draft(*, clinic: Clinic, name: str, description: str = "") -> Protocol:
    """Start a new protocol for the clinic as version 1, a draft nobody can prescribe yet."""
    taken = set(Protocol.objects.filter(clinic=clinic).values_list("slug", flat=True))
    protocol = Protocol(
        clinic=clinic,
        slug=_unique_slug(name, taken=taken, fallback="protocol"),
        name=name,
        description=description,
        version=1,
        status=Protocol.Status.DRAFT,
    )
    protocol.full_clean()
    protocol.save()
    return protocol


@transaction.atomic
def protocol_update_stages(
    *, protocol: Protocol, name: str, description: str, stages: Sequence[StageDetails]
) -> Protocol:
    """Rename a draft and set its three stages: exercise, dose and counter-movements."""
    _check_draft(protocol)
    if sorted(stage.number for stage in stages) != STAGE_NUMBERS:
        raise ProtocolInvalid(ProtocolInvalid.STAGE_COUNT)
    usable = {None, protocol.clinic_id}
    for details in stages:
        if any(e.clinic_id not in usable for e in [details.exercise, *details.counter_movements]):
            raise ProtocolInvalid(ProtocolInvalid.EXERCISE)
    protocol.name, protocol.description = name, description
    protocol.full_clean()
    protocol.save()
    existing = {stage.number: stage for stage in protocol.stages.all()}
    for details in stages:
        stage = existing.get(details.number) or ProtocolStage(protocol=protocol)
        stage.number, stage.exercise = details.number, details.exercise
        stage.reps, stage.hold_seconds = details.reps, details.hold_seconds
        stage.times_per_day = details.times_per_day
        stage.counter_movement_reps, stage.guidance = (
            details.counter_movement_reps,
            details.guidance,
        )
        stage.full_clean()
        stage.save()
        stage.counter_movements.set(details.counter_movements)
    return protocol


@transaction.atomic
def protocol_publish(*, protocol: Protocol, now: dt.datetime | None = None) -> Protocol:
    """Make a draft the version therapists prescribe from; the previous version is retired."""
    protocol = Protocol.objects.select_for_update().get(pk=protocol.pk)
    _check_draft(protocol)
    if sorted(protocol.stages.values_list("number", flat=True)) != STAGE_NUMBERS:
        raise ProtocolInvalid(ProtocolInvalid.STAGES)
    previous = Protocol.objects.select_for_update().filter(
        clinic=protocol.clinic, slug=protocol.slug, status=Protocol.Status.PUBLISHED
    )
    for old in previous:
        old.status = Protocol.Status.RETIRED
        old.full_clean()
        old.save(update_fields=["status", "updated_at"])
    protocol.status = Protocol.Status.PUBLISHED
    protocol.published_at = now or timezone.now()
    protocol.full_clean()
    protocol.save()
    return protocol


STAGE_COPY_FIELDS = [
    "number",
    "exercise_id",
    "reps",
    "hold_seconds",
    "sets",
    "times_per_day",
    "counter_movement_reps",
    "guidance",
]


def _copy_as_draft(*, source: Protocol, clinic: Clinic) -> Protocol:
    """A new clinic draft of ``source`` with its stages, one version above the clinic's last."""
    Protocol.objects.select_for_update().filter(pk=source.pk).first()
    siblings = list(
        Protocol.objects.select_for_update()
        .filter(clinic=clinic, slug=source.slug)
        .values_list("version", "status")
    )
    if any(status == Protocol.Status.DRAFT for _, status in siblings):
        raise ProtocolReadOnly(ProtocolReadOnly.DRAFT_EXISTS)
    draft = Protocol(
        clinic=clinic,
        slug=source.slug,
        name=source.name,
        description=source.description,
        version=max((version for version, _ in siblings), default=0) + 1,
        status=Protocol.Status.DRAFT,
    )
    draft.full_clean()
    draft.save()
    for stage in source.stages.prefetch_related("counter_movements"):
        copy = ProtocolStage(
            protocol=draft, **{field: getattr(stage, field) for field in STAGE_COPY_FIELDS}
        )
        copy.full_clean()
        copy.save()
        copy.counter_movements.set(stage.counter_movements.all())
    return draft


@transaction.atomic
def protocol_new_version(*, protocol: Protocol) -> Protocol:
    """Start the next version of a published clinic protocol as a draft with the same stages."""
    if protocol.clinic is None:
        raise ProtocolReadOnly(ProtocolReadOnly.SHIPPED)
    if protocol.status != Protocol.Status.PUBLISHED:
        raise ProtocolReadOnly(ProtocolReadOnly.NOT_PUBLISHED)
    return _copy_as_draft(source=protocol, clinic=protocol.clinic)


@transaction.atomic
def protocol_copy_to_clinic(*, protocol: Protocol, clinic: Clinic) -> Protocol:
    """Copy a shipped protocol into the clinic as a draft the clinic admin can change."""
    if protocol.clinic_id is not None:
        raise ProtocolReadOnly(ProtocolReadOnly.NOT_SHIPPED)
    return _copy_as_draft(source=protocol, clinic=clinic)
