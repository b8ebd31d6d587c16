"""The only place a programme's stage or status changes, each change leaving a row."""

import datetime as dt

from django.contrib.auth.models import User

from ..exceptions import TransitionRefused
from ..models import Prescription, RuleEvaluation, StageTransition, StatusChange

Status = Prescription.Status

# Stages move by one, never skip (clinical spec 2.1, invariant 4).
ALLOWED_STAGE_MOVES: dict[str, set[tuple[int, int]]] = {
    StageTransition.Kind.ADVANCE: {(1, 2), (2, 3)},
    StageTransition.Kind.REGRESS: {(2, 1), (3, 2)},
}
# A new stage starts just after the log that moved it. The rules ignore only sessions entered
# *before* the reset point (clinical spec 2.11 item 2); without this step the log that caused a
# regression, entered at the same instant, would count against the new stage and regress it again.
STAGE_START_AFTER_TRIGGER = dt.timedelta(microseconds=1)

ALLOWED_STATUS_MOVES = {
    Status.ACTIVE: {Status.PAUSED, Status.SUSPENDED, Status.COMPLETED, Status.STOPPED},
    Status.PAUSED: {Status.ACTIVE, Status.SUSPENDED, Status.COMPLETED, Status.STOPPED},
    Status.SUSPENDED: {Status.ACTIVE, Status.COMPLETED, Status.STOPPED},
    Status.COMPLETED: set(),
    Status.STOPPED: set(),
}


def prescription_change_stage(
    *,
    prescription: Prescription,
    kind: str,
    to_stage: int,
    reason: str,
    now: dt.datetime,
    actor: User | None = None,
    evaluation: RuleEvaluation | None = None,
    base_pain: int | None = None,
    base_levels: tuple[int, int] | None = None,
) -> StageTransition:
    """Move a programme one stage up or down and start the new stage's counters afresh."""
    move = (prescription.current_stage, to_stage)
    if move not in ALLOWED_STAGE_MOVES.get(kind, set()):
        raise TransitionRefused(
            TransitionRefused.STAGE.format(from_stage=move[0], to_stage=move[1])
        )
    transition = StageTransition(
        prescription=prescription,
        kind=kind,
        from_stage=prescription.current_stage,
        to_stage=to_stage,
        evaluation=evaluation,
        actor=actor,
        reason=reason,
        occurred_at=now,
    )
    transition.full_clean()
    transition.save()
    prescription.current_stage = to_stage
    prescription.stage_started_at = now + STAGE_START_AFTER_TRIGGER
    if base_pain is not None:
        prescription.stage_base_pain = base_pain
    if base_levels is not None:
        prescription.stage_base_level_left, prescription.stage_base_level_right = base_levels
    prescription.full_clean()
    prescription.save()
    return transition


def prescription_change_status(
    *,
    prescription: Prescription,
    to_status: str,
    reason: str,
    now: dt.datetime,
    actor: User | None = None,
    evaluation: RuleEvaluation | None = None,
) -> StatusChange | None:
    """Change a programme's status if allowed; None when it already has that status."""
    from_status = prescription.status
    if from_status == to_status:
        return None
    if to_status not in ALLOWED_STATUS_MOVES[Status(from_status)]:
        raise TransitionRefused(
            TransitionRefused.STATUS.format(from_status=from_status, to_status=to_status)
        )
    change = StatusChange(
        prescription=prescription,
        from_status=from_status,
        to_status=to_status,
        evaluation=evaluation,
        actor=actor,
        reason=reason,
        occurred_at=now,
    )
    change.full_clean()
    change.save()
    prescription.status = to_status
    if to_status in {Status.COMPLETED, Status.STOPPED}:
        prescription.ended_at = now
    prescription.full_clean()
    prescription.save()
    return change
