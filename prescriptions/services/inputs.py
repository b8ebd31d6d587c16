"""Translate the database into the rules module's frozen inputs, in a fixed number of reads.

The reads are windowed by the reset point (clinical spec 2.11 item 2), so their number does not
grow with the length of a patient's history.
"""

import dataclasses
import datetime as dt
import enum
import statistics
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, Subquery

from patients.models import Intake, OdiAssessment, RedFlagScreen

from .. import rules
from ..models import (
    Alert,
    MorningCheck,
    PrescribedStage,
    Prescription,
    SessionLog,
    StageTransition,
)

# Alerts that propose progress do not block progress; every other open alert does (R-ADV-1).
PROPOSAL_KINDS = (Alert.Kind.ADVANCE_PROPOSED, Alert.Kind.MAINTENANCE_PROPOSED)
TREND_DAYS = 14  # R-HOLD-4 compares two rolling 7-day windows.


@dataclass(frozen=True)
class RuleInputs:
    """Everything ``rules.evaluate`` reads for one programme at one instant."""

    context: rules.Context
    sessions: tuple[rules.Session, ...]
    mornings: tuple[rules.MorningCheck, ...]
    config: rules.Config


def prescription_for_evaluation(*, prescription_id: int) -> Prescription:
    """The programme row, locked for this transaction, with the flags the rules need."""
    open_blocking = Alert.objects.filter(
        prescription=OuterRef("pk"), status=Alert.Status.OPEN
    ).exclude(kind__in=PROPOSAL_KINDS)
    systemic = RedFlagScreen.objects.filter(
        patient=OuterRef("patient"), systemic_positive=True, cleared_at__isnull=True
    )
    dose = PrescribedStage.objects.filter(
        prescription=OuterRef("pk"), number=OuterRef("current_stage")
    ).values("times_per_day")[:1]
    return (
        Prescription.objects.select_for_update(of=("self",))
        .select_related("patient__clinic")
        .annotate(
            has_open_alert=Exists(open_blocking),
            has_systemic_flag=Exists(systemic),
            stage_times_per_day=Subquery(dose),
        )
        .get(pk=prescription_id)
    )


def reset_point(prescription: Prescription) -> dt.datetime:
    """From when the rules read the logs: the later of stage start and the last PT reset."""
    reset = prescription.counters_reset_at
    return max(prescription.stage_started_at, reset) if reset else prescription.stage_started_at


def sides(left: int, right: int) -> rules.Sides:
    return (rules.SymptomLevel(left), rules.SymptomLevel(right))


def session_from_log(log: SessionLog) -> rules.Session:
    """One stored log as the rules module sees it."""
    return rules.Session(
        started_at=log.started_at,
        entered_at=log.entered_at,
        stage=rules.Stage(log.stage),
        reps_target=log.reps_target,
        reps_done=log.reps_done,
        pain_pre=log.pain_pre,
        pain_during_max=log.pain_during_max,
        pain_post=log.pain_post,
        loc_pre=sides(log.level_pre_left, log.level_pre_right),
        loc_post=sides(log.level_post_left, log.level_post_right),
        ease=rules.Ease[log.ease],
        neuro_change=rules.NeuroChange[log.neuro_change],
        ces_answers=log.ces_answers,
        extension_effect=(
            rules.ExtensionEffect[log.extension_effect] if log.extension_effect else None
        ),
        hold_s=log.hold_seconds,
    )


def morning_from_check(check: MorningCheck) -> rules.MorningCheck:
    return rules.MorningCheck(
        local_date=check.local_date,
        pain=check.pain,
        loc=sides(check.level_left, check.level_right),
    )


def rule_config(prescription: Prescription, overrides: dict[str, Any]) -> rules.Config:
    """Spec defaults, then the clinic's defaults, then the prescribed sets a day of the current
    stage as the flare frequency (spec 2.5: range 2–8), then this patient's active overrides."""
    known = {field.name for field in dataclasses.fields(rules.Config)}
    dose = getattr(prescription, "stage_times_per_day", None)
    prescribed = {"freq_flare": min(max(dose, 2), 8)} if dose else {}
    values = {**prescription.patient.clinic.rule_defaults, **prescribed, **overrides}
    return dataclasses.replace(
        rules.Config(), **{name: value for name, value in values.items() if name in known}
    )


def odi_context(
    prescription: Prescription, latest_intake: Intake | None
) -> tuple[bool, float | None]:
    """Whether the ODI gate is met (R-ODI) and how much worse the latest ODI is (R-HOLD-5)."""
    assessments = list(
        OdiAssessment.objects.filter(patient_id=prescription.patient_id).order_by("-taken_at")[:2]
    )
    if not assessments or latest_intake is None:
        return False, None
    latest = assessments[0]
    gate = rules.odi_gate(rules.odi_score(latest.answers))
    met = gate.may_start and (
        (not gate.needs_assessment or latest_intake.assessment_confirmed)
        and (not gate.needs_plan or bool(latest_intake.plan_note.strip()))
    )
    worse_by = None
    if len(assessments) == 2:
        previous = assessments[1]
        same_version = previous.instrument_version == latest.instrument_version
        if same_version and latest.percent is not None and previous.percent is not None:
            worse_by = float(latest.percent - previous.percent)
    return met, worse_by


def transitions_context(
    prescription: Prescription, *, now: dt.datetime
) -> tuple[tuple[dt.datetime, ...], dt.datetime | None]:
    """Regressions in the last 14 days (R-REG-5) and the last advance (R-REG-4)."""
    recent = StageTransition.objects.filter(
        prescription=prescription,
        kind__in=[StageTransition.Kind.ADVANCE, StageTransition.Kind.REGRESS],
        occurred_at__gte=now - dt.timedelta(days=14),
    ).values_list("kind", "occurred_at")
    regressions = tuple(at for kind, at in recent if kind == StageTransition.Kind.REGRESS)
    advances = [at for kind, at in recent if kind == StageTransition.Kind.ADVANCE]
    return regressions, max(advances, default=None)


def rule_inputs_for(prescription: Prescription, *, now: dt.datetime) -> RuleInputs:
    """Read everything the rules need for this programme, as of ``now``."""
    reset = reset_point(prescription)
    zone = zoneinfo.ZoneInfo(prescription.patient.timezone)
    first_morning = min(reset.astimezone(zone).date(), now.astimezone(zone).date()) - dt.timedelta(
        days=TREND_DAYS
    )
    logs = SessionLog.objects.filter(
        Q(started_at__gte=reset) | Q(entered_at__gte=reset), prescription=prescription
    )
    checks = MorningCheck.objects.filter(prescription=prescription, local_date__gte=first_morning)
    overrides = dict(
        prescription.threshold_overrides.filter(revoked_at__isnull=True).values_list(
            "parameter", "value"
        )
    )
    latest_intake = (
        Intake.objects.filter(patient_id=prescription.patient_id).order_by("-recorded_at").first()
    )
    odi_met, odi_worse_by = odi_context(prescription, latest_intake)
    regressions, last_advance = transitions_context(prescription, now=now)
    context = rules.Context(
        stage=rules.Stage(prescription.current_stage),
        stage_started_at=prescription.stage_started_at,
        timezone=prescription.patient.timezone,
        base_pain=prescription.stage_base_pain,
        base_loc=sides(prescription.stage_base_level_left, prescription.stage_base_level_right),
        phase=rules.FrequencyPhase[prescription.phase],
        phase_started_at=prescription.phase_started_at,
        recent_regressions=regressions,
        last_advance_at=last_advance,
        last_reset_at=prescription.counters_reset_at,
        contraindication_active=bool(latest_intake and latest_intake.contraindication_active),
        extension_enabled=prescription.extension_enabled,
        systemic_red_flag=bool(getattr(prescription, "has_systemic_flag", False)),
        open_alert=bool(getattr(prescription, "has_open_alert", False)),
        odi_gate_met=odi_met,
        odi_worse_by=odi_worse_by,
    )
    return RuleInputs(
        context=context,
        sessions=tuple(session_from_log(log) for log in logs.order_by("started_at", "id")),
        mornings=tuple(morning_from_check(check) for check in checks.order_by("local_date")),
        config=rule_config(prescription, overrides),
    )


def stage_baseline(prescription: Prescription, *, now: dt.datetime) -> tuple[int, tuple[int, int]]:
    """The baseline for a stage starting now: median morning pain of the 3 checks before it and
    the latest morning body chart (clinical spec 2.3); the current baseline where none exist."""
    checks = list(
        MorningCheck.objects.filter(prescription=prescription, entered_at__lt=now).order_by(
            "-local_date"
        )[:3]
    )
    if not checks:
        return prescription.stage_base_pain, (
            prescription.stage_base_level_left,
            prescription.stage_base_level_right,
        )
    pain = round(statistics.median(check.pain for check in checks))
    return pain, (checks[0].level_left, checks[0].level_right)


def jsonable(value: Any) -> Any:
    """A plain-JSON copy of the rule inputs or decision, for the evaluation's record."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, str):
        return [jsonable(item) for item in value]
    return value
