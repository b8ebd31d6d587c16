"""Reads of programmes, logs and alerts, always starting from the person asking."""

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

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
