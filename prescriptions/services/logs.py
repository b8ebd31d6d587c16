"""The patient's writes: the morning check and each exercise set, evaluated as they arrive."""

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients.models import Patient

from .. import rules
from ..exceptions import LogRefused
from ..models import MorningCheck, Prescription, RuleEvaluation, SessionLog
from .evaluation import EvaluationResult, prescription_evaluate
from .inputs import prescription_for_evaluation, session_from_log

MAX_LOG_AGE = dt.timedelta(days=7)  # older sets are for the therapist to note, not to log


@dataclass(frozen=True)
class SessionEntry:
    """What the patient entered for one set (clinical spec 2.2)."""

    started_at: dt.datetime
    reps_done: int
    pain_pre: int
    pain_during_max: int
    pain_post: int
    level_pre_left: int
    level_pre_right: int
    level_post_left: int
    level_post_right: int
    ease: str
    reps_target: int | None = None
    neuro_change: str = "NONE"
    ces_saddle: bool | None = None
    ces_bladder: bool | None = None
    ces_bowel: bool | None = None
    ces_legs: bool | None = None
    hold_seconds: int | None = None
    extension_type: str = ""
    extension_reps: int | None = None
    extension_effect: str = ""
    note: str = ""


def _running_prescription(patient: Patient) -> Prescription:
    """The patient's running programme, locked, or a clear refusal."""
    prescription_id = (
        Prescription.objects.filter(patient=patient, status__in=Prescription.RUNNING_STATUSES)
        .values_list("pk", flat=True)
        .first()
    )
    if prescription_id is None:
        raise LogRefused(LogRefused.NO_PROGRAMME)
    prescription = prescription_for_evaluation(prescription_id=prescription_id)
    if prescription.status == Prescription.Status.SUSPENDED:
        raise LogRefused(LogRefused.SUSPENDED)
    if prescription.status == Prescription.Status.PAUSED:
        raise LogRefused(LogRefused.PAUSED)
    return prescription


def describe(error: ValidationError) -> str:
    """A model validation error as one readable line: "pain_pre: Ensure this value …"."""
    return "; ".join(
        f"{field}: {' '.join(str(message) for message in messages)}"
        for field, messages in error.message_dict.items()
    )


def local_date_of(instant: dt.datetime, zone_name: str) -> dt.date:
    return instant.astimezone(zoneinfo.ZoneInfo(zone_name)).date()


def _fill_log(log: SessionLog, entry: SessionEntry, prescription: Prescription) -> None:
    stage = prescription.stages.get(number=prescription.current_stage)
    for name, value in vars(entry).items():
        setattr(log, name, value)
    log.reps_target = entry.reps_target or stage.reps
    log.stage = prescription.current_stage
    log.local_date = local_date_of(entry.started_at, prescription.patient.timezone)


def _check(log: SessionLog, now: dt.datetime) -> None:
    """Refuse a log the rules could not read, naming the problem; nothing is stored."""
    if timezone.is_naive(log.started_at):
        raise LogRefused(LogRefused.INVALID.format(detail="the start time has no time zone"))
    if log.started_at > now:
        raise LogRefused(LogRefused.FUTURE)
    if log.started_at < now - MAX_LOG_AGE:
        raise LogRefused(LogRefused.TOO_OLD)
    try:
        # Field validators check every range without a query; the database enforces the same
        # ranges as constraints, so validating those here would cost one query each.
        log.full_clean(exclude=["prescription"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise LogRefused(LogRefused.INVALID.format(detail=describe(exc))) from exc
    try:
        session_from_log(log)
    except (ValueError, KeyError) as exc:
        raise LogRefused(LogRefused.INVALID.format(detail=exc)) from exc


@transaction.atomic
def session_log_create(
    *,
    patient: Patient,
    entry: SessionEntry,
    idempotency_key: uuid.UUID,
    now: dt.datetime | None = None,
) -> EvaluationResult:
    """Store one set, evaluate the programme and apply the decision, all or nothing.

    Sending the same form twice (same ``idempotency_key``) stores one log and returns its
    evaluation.
    """
    now = now or timezone.now()
    prescription = _running_prescription(patient)
    existing = SessionLog.objects.filter(
        prescription=prescription, idempotency_key=idempotency_key
    ).first()
    if existing is not None:
        return _result_of(existing)
    log = SessionLog(prescription=prescription, idempotency_key=idempotency_key, entered_at=now)
    _fill_log(log, entry, prescription)
    _check(log, now)
    log.save()
    return prescription_evaluate(
        prescription=prescription,
        trigger=RuleEvaluation.Trigger.SESSION_LOGGED,
        now=now,
        session_log=log,
    )


def _result_of(log: SessionLog) -> EvaluationResult:
    evaluation = log.evaluations.order_by("-evaluated_at", "-id").first()
    if evaluation is None:  # cannot happen: a log and its evaluation commit together
        raise LogRefused(LogRefused.NO_PROGRAMME)
    outcome = rules.Outcome[evaluation.outcome]
    return EvaluationResult(evaluation, None, rules.PATIENT_MESSAGES[outcome])


@transaction.atomic
def session_log_edit(
    *, patient: Patient, log_id: int, entry: SessionEntry, now: dt.datetime | None = None
) -> EvaluationResult:
    """Correct a set the patient logged; the programme is evaluated again.

    The earlier evaluation and every alert it raised are kept (clinical spec 2.9).
    """
    now = now or timezone.now()
    prescription = _running_prescription(patient)
    log = SessionLog.objects.filter(prescription=prescription, pk=log_id).first()
    if log is None:
        raise LogRefused(LogRefused.NO_PROGRAMME)
    _fill_log(log, entry, prescription)
    log.entered_at = max(log.entered_at, now)
    log.revision += 1
    _check(log, now)
    log.save()
    return prescription_evaluate(
        prescription=prescription,
        trigger=RuleEvaluation.Trigger.SESSION_EDITED,
        now=now,
        session_log=log,
    )


@transaction.atomic
def morning_check_create(
    *,
    patient: Patient,
    pain: int,
    level_left: int,
    level_right: int,
    stiffness_vs_usual: str = MorningCheck.Stiffness.SAME,
    now: dt.datetime | None = None,
) -> EvaluationResult:
    """Record how the patient is on waking (one per local day) and evaluate: a morning flare
    the day after exercise steps the programme back (R-REG-3)."""
    now = now or timezone.now()
    prescription = _running_prescription(patient)
    local_date = local_date_of(now, patient.timezone)
    if MorningCheck.objects.filter(prescription=prescription, local_date=local_date).exists():
        raise LogRefused(LogRefused.DUPLICATE_MORNING)
    check = MorningCheck(
        prescription=prescription,
        local_date=local_date,
        pain=pain,
        level_left=level_left,
        level_right=level_right,
        stiffness_vs_usual=stiffness_vs_usual,
        entered_at=now,
    )
    try:
        check.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise LogRefused(LogRefused.INVALID.format(detail=describe(exc))) from exc
    check.save()
    return prescription_evaluate(
        prescription=prescription,
        trigger=RuleEvaluation.Trigger.MORNING_CHECK,
        now=now,
        morning_check=check,
    )
