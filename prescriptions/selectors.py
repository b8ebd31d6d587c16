"""Reads of programmes, logs and alerts, always starting from the person asking."""

import datetime as dt

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from patients.models import Clinician, Patient
from patients.selectors import patient_list_for_clinician

from .models import Alert, Prescription, RuleEvaluation, SessionLog

RUNNING_STATUSES = (
    Prescription.Status.ACTIVE,
    Prescription.Status.PAUSED,
    Prescription.Status.SUSPENDED,
)


def prescription_running_for_patient(*, patient: Patient) -> Prescription | None:
    """The patient's programme that is active, paused or suspended, with its stage snapshot."""
    return (
        Prescription.objects.filter(patient=patient, status__in=RUNNING_STATUSES)
        .select_related("protocol")
        .prefetch_related("stages__exercise", "stages__counter_movement")
        .first()
    )


def caseload_for_clinician(*, clinician: Clinician, only_mine: bool = True) -> QuerySet[Patient]:
    """The clinician's caseload, most urgent first: stage, status, last log and open alerts."""
    running = Prescription.objects.filter(patient=OuterRef("pk"), status__in=RUNNING_STATUSES)
    open_alerts = Alert.objects.filter(
        prescription__patient=OuterRef("pk"), status=Alert.Status.OPEN
    )
    last_log = SessionLog.objects.filter(prescription__patient=OuterRef("pk")).order_by(
        "-started_at"
    )
    patients = patient_list_for_clinician(clinician=clinician)
    if only_mine:
        patients = patients.filter(primary_clinician=clinician)
    return patients.annotate(
        stage=Subquery(running.values("current_stage")[:1]),
        programme_status=Subquery(running.values("status")[:1]),
        phase=Subquery(running.values("phase")[:1]),
        last_log_at=Subquery(last_log.values("started_at")[:1]),
        open_alert_count=Coalesce(
            Subquery(
                open_alerts.values("prescription__patient").annotate(n=Count("id")).values("n")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        ),
        top_severity=Coalesce(
            Subquery(open_alerts.order_by("-severity").values("severity")[:1]), Value(0)
        ),
    ).order_by(F("top_severity").desc(), "last_name", "first_name", "id")


def evaluation_list_for_prescription(
    *, prescription: Prescription, limit: int = 20
) -> QuerySet[RuleEvaluation]:
    """The latest rule decisions of one programme, newest first."""
    return RuleEvaluation.objects.filter(prescription=prescription).select_related("session_log")[
        :limit
    ]


def alert_list_open_for_clinician(*, clinician: Clinician) -> QuerySet[Alert]:
    """Open alerts on the clinician's own patients: red flags first, then oldest first."""
    return (
        Alert.objects.filter(
            status=Alert.Status.OPEN,
            prescription__patient__clinic_id=clinician.clinic_id,
            prescription__patient__primary_clinician=clinician,
        )
        .select_related("prescription__patient", "evaluation")
        .order_by("-severity", "raised_at", "id")
    )


def alert_get_for_clinician(*, clinician: Clinician, alert_id: int) -> Alert:
    """One alert on a patient of the clinician's clinic, or 404."""
    try:
        return Alert.objects.select_related("prescription__patient").get(
            pk=alert_id, prescription__patient__clinic_id=clinician.clinic_id
        )
    except Alert.DoesNotExist as exc:
        raise Http404("No such alert.") from exc


def evaluation_get_for_patient(*, patient: Patient, evaluation_id: int) -> RuleEvaluation:
    """One decision about the patient's own programme, or 404."""
    try:
        return RuleEvaluation.objects.select_related("prescription").get(
            pk=evaluation_id, prescription__patient=patient
        )
    except RuleEvaluation.DoesNotExist as exc:
        raise Http404("No such decision.") from exc


def morning_check_due(*, prescription: Prescription, local_date: dt.date) -> bool:
    """Whether today's morning check is still to do (one per local day, before the first set)."""
    return not prescription.morning_checks.filter(local_date=local_date).exists()


def safety_screen_due(*, prescription: Prescription, local_date: dt.date) -> bool:
    """Whether this is the first set of the local day, which carries the safety questions."""
    return not prescription.session_logs.filter(local_date=local_date).exists()
