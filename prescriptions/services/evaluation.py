"""Run the rules for a programme, keep the decision whole, and act on it in one transaction.

What each outcome does (clinical spec 2.1, 2.4; ARCHITECTURE flow 2):
URGENT_RED_FLAG suspends and raises an urgent alert with an outbox notice to the therapist;
SUSPEND_CONTACT_PT suspends and raises a high alert; REGRESS_ONE steps back a stage at once;
ADVANCE_ELIGIBLE advances when auto-advance is on and otherwise proposes it; HOLD changes nothing
but may ask for a review. Alerts are only ever added or resolved, never removed.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from .. import rules
from ..models import (
    Alert,
    MorningCheck,
    OutboxMessage,
    Prescription,
    RuleEvaluation,
    SessionLog,
    StageTransition,
)
from .inputs import jsonable, rule_inputs_for, stage_baseline
from .transitions import prescription_change_stage, prescription_change_status

Outcome = rules.Outcome
Severity = Alert.Severity

OUTCOME_ALERTS: dict[Outcome, tuple[int, str]] = {
    Outcome.URGENT_RED_FLAG: (Severity.URGENT, Alert.Kind.RED_FLAG),
    Outcome.SUSPEND_CONTACT_PT: (Severity.HIGH, Alert.Kind.SUSPENDED),
    Outcome.REGRESS_ONE: (Severity.NORMAL, Alert.Kind.REGRESSED),
    Outcome.ADVANCE_ELIGIBLE: (Severity.NORMAL, Alert.Kind.ADVANCE_PROPOSED),
    Outcome.MAINTENANCE_ELIGIBLE: (Severity.NORMAL, Alert.Kind.MAINTENANCE_PROPOSED),
}
# Holds that ask the therapist to look (spec 2.4: "PT review", "PT notice", "digest note").
REVIEW_RULES: dict[str, int] = {
    "R-HOLD-2": Severity.LOW,
    "R-HOLD-4": Severity.NORMAL,
    "R-HOLD-5": Severity.NORMAL,
    "R-HOLD-6": Severity.LOW,
    "R-HOLD-8": Severity.NORMAL,
    "R-EXT-1": Severity.NORMAL,
    "R-FREQ-2": Severity.NORMAL,
}


@dataclass(frozen=True)
class EvaluationResult:
    """A stored evaluation and the plain-words message the patient is shown for it."""

    evaluation: RuleEvaluation
    decision: rules.Decision | None  # None when a repeated submit returns the stored result
    patient_message: str


def prescription_evaluate(
    *,
    prescription: Prescription,
    trigger: str,
    now: dt.datetime,
    session_log: SessionLog | None = None,
    morning_check: MorningCheck | None = None,
) -> EvaluationResult:
    """Evaluate a (locked) programme as of ``now``, store the decision and apply it."""
    inputs = rule_inputs_for(prescription, now=now)
    decision = rules.evaluate(
        inputs.context, inputs.sessions, inputs.mornings, inputs.config, now=now
    )
    evaluation = RuleEvaluation.objects.create(
        prescription=prescription,
        session_log=session_log,
        morning_check=morning_check,
        trigger=trigger,
        rules_version=rules.RULES_VERSION,
        evaluated_at=now,
        inputs=jsonable(inputs),
        outcome=decision.outcome.name,
        stage=prescription.current_stage,
        next_stage=int(decision.next_stage),
        next_phase=decision.next_phase.name,
        fired=[jsonable(fired) for fired in decision.fired],
        qualifying_sessions=decision.qualifying_sessions,
        qualifying_days=decision.qualifying_days,
        days_at_stage=decision.days_at_stage,
    )
    decision_apply(prescription=prescription, evaluation=evaluation, decision=decision, now=now)
    return EvaluationResult(evaluation, decision, rules.PATIENT_MESSAGES[decision.outcome])


def decision_apply(
    *,
    prescription: Prescription,
    evaluation: RuleEvaluation,
    decision: rules.Decision,
    now: dt.datetime,
) -> None:
    """Carry out what the decision says: stage, status, phase, extension and alerts."""
    outcome = decision.outcome
    reason = "; ".join(f"{f.rule_id}: {f.text}" for f in decision.fired) or outcome.name
    if outcome in {Outcome.URGENT_RED_FLAG, Outcome.SUSPEND_CONTACT_PT}:
        prescription_change_status(
            prescription=prescription,
            to_status=Prescription.Status.SUSPENDED,
            reason=reason,
            now=now,
            evaluation=evaluation,
        )
    elif outcome is Outcome.REGRESS_ONE:
        _change_stage(prescription, StageTransition.Kind.REGRESS, decision, evaluation, now)
    elif outcome is Outcome.ADVANCE_ELIGIBLE and prescription.auto_advance:
        _change_stage(prescription, StageTransition.Kind.ADVANCE, decision, evaluation, now)
    _apply_phase_and_extension(prescription, decision, now)
    _raise_alerts(prescription, evaluation, decision, now)


def _change_stage(
    prescription: Prescription,
    kind: str,
    decision: rules.Decision,
    evaluation: RuleEvaluation,
    now: dt.datetime,
) -> None:
    base_pain, base_levels = stage_baseline(prescription, now=now)
    prescription_change_stage(
        prescription=prescription,
        kind=kind,
        to_stage=int(decision.next_stage),
        reason="; ".join(f"{f.rule_id}: {f.text}" for f in decision.fired),
        now=now,
        evaluation=evaluation,
        base_pain=base_pain,
        base_levels=base_levels,
    )


def _apply_phase_and_extension(
    prescription: Prescription, decision: rules.Decision, now: dt.datetime
) -> None:
    changed = []
    if decision.next_phase.name != prescription.phase:
        prescription.phase = decision.next_phase.name
        prescription.phase_started_at = now
        changed += ["phase", "phase_started_at"]
    if prescription.extension_enabled and any(f.rule_id == "R-EXT-1" for f in decision.fired):
        # R-EXT-1: the counter-movement made things worse, so it is switched off.
        prescription.extension_enabled = False
        changed.append("extension_enabled")
    if changed:
        prescription.save(update_fields=[*changed, "updated_at"])


def _raise_alerts(
    prescription: Prescription,
    evaluation: RuleEvaluation,
    decision: rules.Decision,
    now: dt.datetime,
) -> None:
    outcome = decision.outcome
    if outcome in OUTCOME_ALERTS and not (
        outcome is Outcome.ADVANCE_ELIGIBLE and prescription.auto_advance
    ):
        severity, kind = OUTCOME_ALERTS[outcome]
        fired = [f for f in decision.fired if f.outcome.severity >= Outcome.HOLD.severity]
        fired = fired or list(decision.fired)
        alert = _alert_once(prescription, evaluation, severity, kind, fired, now)
        if alert is not None and severity == Severity.URGENT:
            urgent_notice_enqueue(alert=alert)
    review = [f for f in decision.fired if f.rule_id in REVIEW_RULES]
    if review:
        severity = max(REVIEW_RULES[f.rule_id] for f in review)
        _alert_once(prescription, evaluation, severity, Alert.Kind.REVIEW, review, now)


def _alert_once(
    prescription: Prescription,
    evaluation: RuleEvaluation,
    severity: int,
    kind: str,
    fired: list[rules.Fired],
    now: dt.datetime,
) -> Alert | None:
    """Raise an alert unless the same one is already open (red flags are always raised)."""
    rule_ids = sorted({f.rule_id for f in fired})
    if kind != Alert.Kind.RED_FLAG:
        open_same = Alert.objects.filter(
            prescription=prescription, status=Alert.Status.OPEN, kind=kind, rule_ids=rule_ids
        )
        if kind in {Alert.Kind.ADVANCE_PROPOSED, Alert.Kind.MAINTENANCE_PROPOSED}:
            open_same = Alert.objects.filter(
                prescription=prescription, status=Alert.Status.OPEN, kind=kind
            )
        if open_same.exists():
            return None
    alert = Alert(
        prescription=prescription,
        evaluation=evaluation,
        severity=severity,
        kind=kind,
        rule_ids=rule_ids,
        text="\n".join(f"{f.rule_id}: {f.text}" for f in fired),
        raised_at=now,
    )
    alert.full_clean()
    alert.save()
    return alert


def urgent_notice_enqueue(*, alert: Alert) -> OutboxMessage:
    """Write the urgent notice to the outbox in the alert's transaction; send after commit.

    The text carries no health details: it says an urgent alert is waiting and links to it.
    """
    prescription = alert.prescription
    clinic = prescription.patient.clinic
    recipients = [prescription.patient.primary_clinician.user.email, clinic.fallback_alert_email]
    queue = settings.STAGEWISE_SITE_URL.rstrip("/") + reverse("prescriptions:alert_queue")
    link = f"{queue}#alert-{alert.pk}"
    message = OutboxMessage.objects.create(
        kind=OutboxMessage.Kind.URGENT_PT_NOTICE,
        dedupe_key=f"alert:{alert.pk}",
        recipients=[address for address in recipients if address],
        subject="Stagewise: an urgent alert is waiting",
        body=(
            "An urgent alert is waiting for you in Stagewise.\n\n"
            f"Open the alert: {link}\n\n"
            "This message contains no patient details; sign in to see them."
        ),
    )
    from ..tasks import outbox_send_task, task_queue_on_commit

    # A broker outage must not fail the patient's request: the row commits with the alert, and
    # the outbox sweep sends it once the broker is back.
    task_queue_on_commit(outbox_send_task, message.pk)
    return message
