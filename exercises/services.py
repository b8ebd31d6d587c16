"""Writes to the catalog: seeding the shipped exercises and protocol, publishing versions."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .catalog import CATALOG, FLEXION_PROTOCOL, ExerciseSeed, ProtocolSeed
from .models import Exercise, Protocol, ProtocolStage


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
