"""Reads of programmes, logs and alerts, always starting from the person asking."""

import datetime as dt
from typing import Any

from django.db.models import (
    Avg,
    Count,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from patients.models import Clinician, Patient
from patients.selectors import patient_list_for_clinician

from .models import (
    Alert,
    PrescribedStage,
    Prescription,
    RuleEvaluation,
    SessionLog,
    StageTransition,
)


def prescription_running_for_patient(*, patient: Patient) -> Prescription | None:
    """The patient's programme that is active, paused or suspended, with its stage snapshot."""
    return (
        Prescription.objects.filter(patient=patient, status__in=Prescription.RUNNING_STATUSES)
        .select_related("protocol")
        .prefetch_related("stages__exercise", "stages__counter_movement")
        .first()
    )


def caseload_for_clinician(
    *,
    clinician: Clinician,
    now: dt.datetime,
    only_mine: bool = True,
    search: str = "",
    stage: int | None = None,
    needs_attention: bool = False,
    inactive: bool = False,
) -> QuerySet[Patient]:
    """The clinician's caseload, most urgent first, in one query.

    Each row carries the stage, status and phase of the running programme, the last set, the
    7-day adherence (sets logged / sets asked for) and the pain trend (mean pain before the
    set this week minus the week before), and the open alerts.
    """
    running = Prescription.objects.filter(
        patient=OuterRef("pk"), status__in=Prescription.RUNNING_STATUSES
    )
    logs = SessionLog.objects.filter(prescription__patient=OuterRef("pk"))
    week, fortnight = now - dt.timedelta(days=7), now - dt.timedelta(days=14)
    open_alerts = Alert.objects.filter(
        prescription__patient=OuterRef("pk"), status=Alert.Status.OPEN
    )
    target = PrescribedStage.objects.filter(
        prescription__patient=OuterRef("pk"),
        prescription__status__in=Prescription.RUNNING_STATUSES,
        number=F("prescription__current_stage"),
    )
    patients = patient_list_for_clinician(clinician=clinician)
    if only_mine:
        patients = patients.filter(primary_clinician=clinician)
    if search:
        patients = patients.filter(Q(first_name__icontains=search) | Q(last_name__icontains=search))
    rows = patients.annotate(
        stage=Subquery(running.values("current_stage")[:1]),
        programme_status=Subquery(running.values("status")[:1]),
        phase=Subquery(running.values("phase")[:1]),
        last_log_at=Subquery(logs.order_by("-started_at").values("started_at")[:1]),
        sets_this_week=_count(logs.filter(started_at__gte=week)),
        sets_per_day=Subquery(target.values("times_per_day")[:1]),
        pain_this_week=_mean_pain(logs.filter(started_at__gte=week)),
        pain_last_week=_mean_pain(logs.filter(started_at__gte=fortnight, started_at__lt=week)),
        open_alert_count=_count(open_alerts),
        top_severity=Coalesce(
            Subquery(open_alerts.order_by("-severity").values("severity")[:1]), Value(0)
        ),
    )
    if stage is not None:
        rows = rows.filter(stage=stage)
    if needs_attention:
        rows = rows.filter(open_alert_count__gt=0)
    if inactive:
        rows = rows.filter(Q(last_log_at__lt=now - dt.timedelta(days=3)) | Q(last_log_at=None))
    return rows.order_by(F("top_severity").desc(), "last_name", "first_name", "id")


def _count(queryset: QuerySet[Any]) -> Coalesce:
    """A correlated COUNT(*) of a queryset filtered on OuterRef("pk"), 0 when empty."""
    return Coalesce(
        Subquery(
            queryset.order_by()
            .annotate(one=Value(1))
            .values("one")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _mean_pain(queryset: QuerySet[SessionLog]) -> Subquery:
    return Subquery(
        queryset.order_by()
        .annotate(one=Value(1))
        .values("one")
        .annotate(mean=Avg("pain_pre"))
        .values("mean")[:1],
        output_field=FloatField(),
    )


def evaluation_list_for_prescription(
    *, prescription: Prescription, limit: int = 20
) -> QuerySet[RuleEvaluation]:
    """The latest rule decisions of one programme, newest first."""
    evaluations = RuleEvaluation.objects.filter(prescription=prescription)
    return evaluations.select_related("session_log", "morning_check")[:limit]


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


def caseload_metrics(rows: list[Patient]) -> list[Patient]:
    """Add the figures a therapist scans for to each caseload row (no queries).

    ``adherence``: percent of the sets asked for in the last 7 days that were logged;
    ``pain_trend``: change in mean pain before a set, this week against the week before.
    """
    for row in rows:
        asked = (getattr(row, "sets_per_day", None) or 0) * 7
        row.adherence = round(100 * row.sets_this_week / asked) if asked else None  # type: ignore[attr-defined]
        this_week, last_week = row.pain_this_week, row.pain_last_week  # type: ignore[attr-defined]
        row.pain_trend = (  # type: ignore[attr-defined]
            round(this_week - last_week, 1)
            if this_week is not None and last_week is not None
            else None
        )
    return rows


def history_series(*, prescription: Prescription) -> dict[str, list[object]]:
    """Day-by-day figures for the progress chart, in one query.

    Per local date: mean pain before and after the sets, the furthest symptom level after a
    set (worse side), and the stage the sets were done at.
    """
    rows = (
        SessionLog.objects.filter(prescription=prescription)
        .order_by("local_date")
        .values("local_date")
        .annotate(
            pain_pre=Avg("pain_pre"),
            pain_post=Avg("pain_post"),
            level_left=Max("level_post_left"),
            level_right=Max("level_post_right"),
            stage=Max("stage"),
        )
    )
    series: dict[str, list[object]] = {
        "dates": [],
        "pain_pre": [],
        "pain_post": [],
        "level": [],
        "stage": [],
    }
    for row in rows:
        series["dates"].append(row["local_date"].isoformat())
        series["pain_pre"].append(round(row["pain_pre"], 1))
        series["pain_post"].append(round(row["pain_post"], 1))
        series["level"].append(max(row["level_left"], row["level_right"]))
        series["stage"].append(row["stage"])
    return series


def transition_list_for_prescription(*, prescription: Prescription) -> QuerySet[StageTransition]:
    """The programme's stage timeline, oldest first, with who made each move."""
    return StageTransition.objects.filter(prescription=prescription).select_related("actor")
