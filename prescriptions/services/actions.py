"""What a therapist does about a programme. Every action needs a reason and leaves a row.

No action can hide a red-flag alert's history or the patient's emergency message: resolving an
alert records who closed it and why; the alert and the evaluation behind it stay.
"""

import dataclasses
import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from patients.models import Clinician

from .. import rules
from ..exceptions import OverrideRefused, ReasonRequired, TransitionRefused
from ..models import Alert, Prescription, StageTransition, ThresholdOverride
from .inputs import PROPOSAL_KINDS, prescription_for_evaluation, stage_baseline
from .transitions import prescription_change_stage, prescription_change_status

Status = Prescription.Status


def _reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise ReasonRequired
    return reason.strip()


def _resolve(
    alert: Alert, *, clinician: Clinician, resolution: str, reason: str, now: dt.datetime
) -> None:
    alert.status = Alert.Status.RESOLVED
    alert.resolved_at = now
    alert.resolved_by = clinician.user
    alert.resolution = resolution
    alert.resolution_reason = reason
    alert.full_clean()
    alert.save()


def _locked(alert: Alert, *kinds: str) -> tuple[Alert, Prescription]:
    """The alert, still open and of the expected kind, with its programme locked."""
    prescription = prescription_for_evaluation(prescription_id=alert.prescription_id)
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != Alert.Status.OPEN or alert.kind not in kinds:
        raise TransitionRefused(TransitionRefused.STALE)
    return alert, prescription


@transaction.atomic
def advance_approve(
    *, clinician: Clinician, alert: Alert, reason: str, now: dt.datetime | None = None
) -> StageTransition:
    """Confirm a proposed advance (R-ADV-1): the patient moves up one stage."""
    reason, now = _reason(reason), now or timezone.now()
    alert, prescription = _locked(alert, Alert.Kind.ADVANCE_PROPOSED)
    if alert.evaluation is None or alert.evaluation.stage != prescription.current_stage:
        raise TransitionRefused(TransitionRefused.STALE)
    base_pain, base_levels = stage_baseline(prescription, now=now)
    transition = prescription_change_stage(
        prescription=prescription,
        kind=StageTransition.Kind.ADVANCE,
        to_stage=prescription.current_stage + 1,
        reason=reason,
        now=now,
        actor=clinician.user,
        evaluation=alert.evaluation,
        base_pain=base_pain,
        base_levels=base_levels,
    )
    _resolve(
        alert, clinician=clinician, resolution=Alert.Resolution.APPROVED, reason=reason, now=now
    )
    return transition


@transaction.atomic
def proposal_decline(
    *, clinician: Clinician, alert: Alert, reason: str, now: dt.datetime | None = None
) -> None:
    """Keep the patient where they are despite a proposal to move on."""
    reason, now = _reason(reason), now or timezone.now()
    alert, _ = _locked(alert, Alert.Kind.ADVANCE_PROPOSED, Alert.Kind.MAINTENANCE_PROPOSED)
    _resolve(
        alert, clinician=clinician, resolution=Alert.Resolution.DECLINED, reason=reason, now=now
    )


@transaction.atomic
def maintenance_approve(
    *, clinician: Clinician, alert: Alert, reason: str, now: dt.datetime | None = None
) -> None:
    """Confirm MAINTENANCE_ELIGIBLE: the frequency taper starts (R-FREQ-1, FLARE → TAPER)."""
    reason, now = _reason(reason), now or timezone.now()
    alert, prescription = _locked(alert, Alert.Kind.MAINTENANCE_PROPOSED)
    prescription.phase = rules.FrequencyPhase.TAPER.name
    prescription.phase_started_at = now
    prescription.save(update_fields=["phase", "phase_started_at", "updated_at"])
    _resolve(
        alert, clinician=clinician, resolution=Alert.Resolution.APPROVED, reason=reason, now=now
    )


@transaction.atomic
def alert_acknowledge(
    *, clinician: Clinician, alert: Alert, reason: str, now: dt.datetime | None = None
) -> None:
    """Acknowledge a step back or a review note; the advancement counters start afresh."""
    reason, now = _reason(reason), now or timezone.now()
    alert, prescription = _locked(alert, Alert.Kind.REGRESSED, Alert.Kind.REVIEW)
    if alert.kind == Alert.Kind.REGRESSED:
        prescription.counters_reset_at = now
        prescription.save(update_fields=["counters_reset_at", "updated_at"])
    _resolve(
        alert, clinician=clinician, resolution=Alert.Resolution.ACKNOWLEDGED, reason=reason, now=now
    )


@transaction.atomic
def suspension_clear(
    *, clinician: Clinician, alert: Alert, reason: str, now: dt.datetime | None = None
) -> None:
    """The therapist has spoken with the patient and lets the programme continue.

    Clears a suspension or closes a red-flag alert; the alert, the answers and the patient's
    emergency message stay on record.
    """
    reason, now = _reason(reason), now or timezone.now()
    alert, prescription = _locked(alert, Alert.Kind.SUSPENDED, Alert.Kind.RED_FLAG)
    _resolve(
        alert, clinician=clinician, resolution=Alert.Resolution.CLEARED, reason=reason, now=now
    )
    still_open = Alert.objects.filter(
        prescription=prescription,
        status=Alert.Status.OPEN,
        kind__in=[Alert.Kind.SUSPENDED, Alert.Kind.RED_FLAG],
    ).exists()
    if prescription.status == Status.SUSPENDED and not still_open:
        prescription_change_status(
            prescription=prescription,
            to_status=Status.ACTIVE,
            reason=reason,
            now=now,
            actor=clinician.user,
        )
        prescription.counters_reset_at = now
        prescription.save(update_fields=["counters_reset_at", "updated_at"])


def _validated_override(name: str, value: Any) -> None:
    known = {field.name for field in dataclasses.fields(rules.Config)}
    if name not in known:
        raise OverrideRefused(OverrideRefused.UNKNOWN.format(name=name))
    default = getattr(rules.Config(), name)
    if type(value) is not type(default):
        detail = f"expected {type(default).__name__}"
        raise OverrideRefused(OverrideRefused.INVALID.format(name=name, detail=detail))
    try:
        dataclasses.replace(rules.Config(), **{name: value})
    except (TypeError, ValueError) as exc:
        raise OverrideRefused(OverrideRefused.INVALID.format(name=name, detail=exc)) from exc


@transaction.atomic
def threshold_override_set(
    *,
    clinician: Clinician,
    prescription: Prescription,
    parameter: str,
    value: Any,
    reason: str,
    now: dt.datetime | None = None,
) -> ThresholdOverride:
    """Change one rule threshold for this patient (clinical spec 2.10, section 4).

    Red-flag rules have no threshold to change, so no override can silence them.
    """
    reason, now = _reason(reason), now or timezone.now()
    _validated_override(parameter, value)
    prescription = prescription_for_evaluation(prescription_id=prescription.pk)
    # Row by row (not QuerySet.update) so that the audit trail records each revocation.
    for previous in ThresholdOverride.objects.filter(
        prescription=prescription, parameter=parameter, revoked_at__isnull=True
    ):
        previous.revoked_at, previous.revoked_by = now, clinician
        previous.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    override = ThresholdOverride(
        prescription=prescription,
        parameter=parameter,
        value=value,
        reason=reason,
        set_by=clinician,
    )
    override.full_clean()
    override.save()
    return override


@transaction.atomic
def prescription_set_status(
    *,
    clinician: Clinician,
    prescription: Prescription,
    to_status: str,
    reason: str,
    now: dt.datetime | None = None,
) -> None:
    """Pause, resume or discharge a programme. A suspension is cleared through its alert."""
    reason, now = _reason(reason), now or timezone.now()
    prescription = prescription_for_evaluation(prescription_id=prescription.pk)
    if prescription.status == Status.SUSPENDED and to_status == Status.ACTIVE:
        raise TransitionRefused(
            TransitionRefused.STATUS.format(from_status="suspended", to_status="active")
        )
    prescription_change_status(
        prescription=prescription,
        to_status=to_status,
        reason=reason,
        now=now,
        actor=clinician.user,
    )
    if to_status in {Status.COMPLETED, Status.STOPPED}:
        # A programme that has ended has nothing left to propose: close its open proposals.
        for alert in Alert.objects.filter(
            prescription=prescription, status=Alert.Status.OPEN, kind__in=PROPOSAL_KINDS
        ):
            _resolve(
                alert,
                clinician=clinician,
                resolution=Alert.Resolution.SUPERSEDED,
                reason=reason,
                now=now,
            )
