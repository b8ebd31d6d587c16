"""Starting a programme: the ODI gate and safety checks, then a snapshot of the protocol."""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from exercises.models import Protocol
from patients.models import Clinician, Intake, Patient

from .. import rules
from ..exceptions import StartBlocked
from ..models import PrescribedStage, Prescription, StageTransition


@dataclass(frozen=True)
class StageDose:
    """The therapist's dose for one stage, where it differs from the protocol's."""

    reps: int | None = None
    hold_seconds: int | None = None
    sets: int | None = None
    times_per_day: int | None = None
    counter_movement_slug: str | None = None
    counter_movement_reps: int | None = None


def start_stage_check(*, intake: Intake, start_stage: int, override_reason: str) -> None:
    """Apply the R-ODI gate and the safety flags to a proposed start; raise if it may not."""
    if intake.contraindication_active:
        raise StartBlocked(StartBlocked.CONTRAINDICATION)
    screen = intake.red_flag_screen
    if (screen.cauda_equina_positive or screen.systemic_positive) and screen.cleared_at is None:
        raise StartBlocked(StartBlocked.RED_FLAG)
    gate = rules.odi_gate(rules.odi_score(intake.odi.answers))
    if not gate.valid:
        raise StartBlocked(StartBlocked.NO_VALID_ODI)
    if not gate.may_start:
        raise StartBlocked(StartBlocked.BLOCKED)
    if gate.needs_plan and not intake.plan_note.strip():
        raise StartBlocked(StartBlocked.PLAN_NEEDED)
    if gate.needs_assessment and not intake.assessment_confirmed:
        raise StartBlocked(StartBlocked.ASSESSMENT_NEEDED)
    if start_stage not in gate.allowed_start_stages:
        allowed = " or ".join(str(s) for s in gate.allowed_start_stages)
        raise StartBlocked(StartBlocked.STAGE_NOT_ALLOWED.format(allowed=allowed))
    if start_stage == 2 and not override_reason.strip():
        raise StartBlocked(StartBlocked.STAGE_2_NEEDS_REASON)


def _snapshot_stages(
    prescription: Prescription, protocol: Protocol, doses: Mapping[int, StageDose]
) -> None:
    stages = list(protocol.stages.select_related("exercise").prefetch_related("counter_movements"))
    if sorted(s.number for s in stages) != [1, 2, 3]:
        raise StartBlocked(StartBlocked.PROTOCOL)
    for stage in stages:
        dose = doses.get(stage.number, StageDose())
        offered = list(stage.counter_movements.all())
        counter = offered[0] if offered else None
        if dose.counter_movement_slug:
            counter = next((e for e in offered if e.slug == dose.counter_movement_slug), counter)
        snapshot = PrescribedStage(
            prescription=prescription,
            number=stage.number,
            exercise=stage.exercise,
            reps=dose.reps or stage.reps,
            hold_seconds=stage.hold_seconds if dose.hold_seconds is None else dose.hold_seconds,
            sets=dose.sets or stage.sets,
            times_per_day=dose.times_per_day or stage.times_per_day,
            counter_movement=counter,
            counter_movement_reps=dose.counter_movement_reps or stage.counter_movement_reps,
            guidance=stage.guidance,
        )
        snapshot.full_clean()
        snapshot.save()


@transaction.atomic
def prescription_create(
    *,
    clinician: Clinician,
    patient: Patient,
    protocol: Protocol,
    start_stage: int = 1,
    override_reason: str = "",
    doses: Mapping[int, StageDose] | None = None,
    reminder_times: Sequence[str] = (),
    nudge_time: dt.time | None = None,
    auto_advance: bool = False,
    extension_enabled: bool = False,
    now: dt.datetime | None = None,
) -> Prescription:
    """Prescribe a published protocol to a patient after the intake gate allows it.

    The stages' doses are copied, so later protocol edits never change this programme.
    """
    now = now or timezone.now()
    intake = (
        Intake.objects.select_related("odi", "red_flag_screen")
        .filter(patient=patient)
        .order_by("-recorded_at")
        .first()
    )
    if intake is None:
        raise StartBlocked(StartBlocked.NO_INTAKE)
    if protocol.status != Protocol.Status.PUBLISHED:
        raise StartBlocked(StartBlocked.PROTOCOL)
    if Prescription.objects.filter(
        patient=patient, status__in=Prescription.RUNNING_STATUSES
    ).exists():
        raise StartBlocked(StartBlocked.ALREADY_RUNNING)
    start_stage_check(intake=intake, start_stage=start_stage, override_reason=override_reason)
    prescription = Prescription(
        patient=patient,
        prescribed_by=clinician,
        protocol=protocol,
        current_stage=start_stage,
        stage_started_at=now,
        phase_started_at=now,
        started_at=now,
        stage_base_pain=intake.baseline_pain,
        stage_base_level_left=intake.baseline_level_left,
        stage_base_level_right=intake.baseline_level_right,
        auto_advance=auto_advance,
        extension_enabled=extension_enabled,
        reminder_times=list(reminder_times),
        nudge_time=nudge_time,
    )
    prescription.full_clean()
    prescription.save()
    _snapshot_stages(prescription, protocol, doses or {})
    StageTransition.objects.create(
        prescription=prescription,
        kind=StageTransition.Kind.START,
        to_stage=start_stage,
        actor=clinician.user,
        reason=override_reason.strip() or "Programme started.",
        occurred_at=now,
    )
    return prescription
