"""The patient's weekly red-flag screen (clinical spec 2.6).

The rules module reads the daily safety answers on each set; the weekly screen adds the sexual-
function item and the systemic questions, which have no place in a set's data. A cauda equina
answer is an emergency at once (R-RED-1); a systemic answer suspends the programme through the
rules' ``systemic_red_flag`` input until the therapist clears it (R-RED-3).
"""

import datetime as dt
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from patients.models import Patient
from patients.red_flags import WEEKLY_QUESTIONS
from patients.services import red_flag_screen_create

from .. import rules
from ..exceptions import LogRefused
from ..models import Alert, Prescription, RuleEvaluation
from .evaluation import EvaluationResult, prescription_evaluate, urgent_notice_enqueue
from .inputs import prescription_for_evaluation
from .transitions import prescription_change_status


@transaction.atomic
def weekly_screen_create(
    *, patient: Patient, answers: Mapping[str, bool], now: dt.datetime | None = None
) -> EvaluationResult:
    """Store the weekly answers verbatim and act on them in the same transaction."""
    now = now or timezone.now()
    missing = [q.key for q in WEEKLY_QUESTIONS if not isinstance(answers.get(q.key), bool)]
    if missing:
        raise LogRefused(LogRefused.INVALID.format(detail="answer every question yes or no"))
    prescription_id = (
        Prescription.objects.filter(patient=patient, status__in=Prescription.RUNNING_STATUSES)
        .values_list("pk", flat=True)
        .first()
    )
    if prescription_id is None:
        raise LogRefused(LogRefused.NO_PROGRAMME)
    screen = red_flag_screen_create(
        patient=patient, kind="weekly", answers=answers, recorded_by=None, now=now
    )
    # Read (and lock) the programme after the screen exists, so the rules see its answers.
    prescription = prescription_for_evaluation(prescription_id=prescription_id)
    result = prescription_evaluate(
        prescription=prescription, trigger=RuleEvaluation.Trigger.RED_FLAG_SCREEN, now=now
    )
    if screen.cauda_equina_positive:
        _raise_emergency(prescription, result.evaluation, now)
        outcome = rules.Outcome.URGENT_RED_FLAG
        return EvaluationResult(result.evaluation, result.decision, rules.PATIENT_MESSAGES[outcome])
    return result


def _raise_emergency(
    prescription: Prescription, evaluation: RuleEvaluation, now: dt.datetime
) -> None:
    """R-RED-1 from the weekly form: suspend, urgent alert, urgent notice to the therapist."""
    prescription_change_status(
        prescription=prescription,
        to_status=Prescription.Status.SUSPENDED,
        reason=f"R-RED-1: {rules.RULE_TEXTS['R-RED-1']} (weekly screen)",
        now=now,
        evaluation=evaluation,
    )
    alert = Alert(
        prescription=prescription,
        evaluation=evaluation,
        severity=Alert.Severity.URGENT,
        kind=Alert.Kind.RED_FLAG,
        rule_ids=["R-RED-1"],
        text=f"R-RED-1: {rules.RULE_TEXTS['R-RED-1']} (weekly screen)",
        raised_at=now,
    )
    alert.full_clean()
    alert.save()
    urgent_notice_enqueue(alert=alert)
