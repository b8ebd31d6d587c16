"""Programme services on the database: each outcome's side effects happen together or not at
all, edits keep history, therapist actions need reasons, bad input stores nothing."""

import uuid

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients.models import RedFlagScreen
from prescriptions.exceptions import (
    LogRefused,
    OverrideRefused,
    ReasonRequired,
    StartBlocked,
    TransitionRefused,
)
from prescriptions.models import (
    Alert,
    OutboxMessage,
    Prescription,
    RuleEvaluation,
    SessionLog,
    StageTransition,
    StatusChange,
)
from prescriptions.services import (
    advance_approve,
    alert_acknowledge,
    prescription_create,
    prescription_set_status,
    proposal_decline,
    session_log_create,
    session_log_edit,
    suspension_clear,
    threshold_override_set,
    weekly_screen_create,
)
from tests.factories import PatientFactory

from .conftest import START, at, entry, good_days, log, make_intake

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    models = (SessionLog, RuleEvaluation, Alert, StageTransition, StatusChange, OutboxMessage)
    return {model.__name__: model.objects.count() for model in models}


# --- prescribing and the ODI gate -----------------------------------------------------------


def test_prescribing_snapshots_the_protocol_stages(programme, protocol):
    stage = protocol.stages.get(number=1)
    stage.reps = 25
    stage.save()
    snapshot = programme.stages.get(number=1)
    assert (snapshot.reps, snapshot.hold_seconds) == (10, 3)
    assert [s.exercise.slug for s in programme.stages.order_by("number")] == [
        "supine-knee-to-chest",
        "seated-flexion",
        "standing-flexion",
    ]
    assert programme.transitions.get().kind == StageTransition.Kind.START


@pytest.mark.parametrize(
    ("odi", "intake_changes", "start_stage", "reason", "message"),
    [
        ((1,) * 8 + (None, None), {}, 1, "", StartBlocked.NO_VALID_ODI),
        ((5,) * 9 + (None,), {"plan_note": "plan"}, 1, "", StartBlocked.BLOCKED),
        ((4,) * 10, {}, 1, "", StartBlocked.PLAN_NEEDED),
        ((3,) * 9 + (None,), {}, 1, "", StartBlocked.ASSESSMENT_NEEDED),
        ((2,) * 10, {}, 2, "Very mild", StartBlocked.STAGE_NOT_ALLOWED.format(allowed="1")),
        ((1,) * 10, {}, 2, "", StartBlocked.STAGE_2_NEEDS_REASON),
        ((1,) * 10, {"acute_disc_herniation": True}, 1, "", StartBlocked.CONTRAINDICATION),
    ],
    ids=[
        "odi-invalid",
        "odi-over-80",
        "odi-over-60-no-plan",
        "odi-over-40-unconfirmed",
        "stage-2-needs-odi-20",
        "stage-2-needs-reason",
        "contraindicated",
    ],
)
def test_start_is_blocked_with_a_clear_message(
    therapist, patient, protocol, odi, intake_changes, start_stage, reason, message
):
    make_intake(therapist, patient, odi=odi, **intake_changes)
    with pytest.raises(StartBlocked) as error:
        prescription_create(
            clinician=therapist,
            patient=patient,
            protocol=protocol,
            start_stage=start_stage,
            override_reason=reason,
            now=START,
        )
    assert str(error.value) == message
    assert not Prescription.objects.exists()


@pytest.mark.parametrize(
    ("odi", "intake_changes", "start_stage", "reason"),
    [
        ((3,) * 9 + (None,), {"assessment_confirmed": True}, 1, ""),
        ((4,) * 10, {"plan_note": "Weekly review in clinic."}, 1, ""),
        ((1,) * 10, {}, 2, "Minimal disability, already sitting comfortably."),
    ],
    ids=["over-40-confirmed", "over-60-with-plan", "stage-2-with-reason"],
)
def test_start_is_allowed_near_the_gate(
    therapist, patient, protocol, odi, intake_changes, start_stage, reason
):
    make_intake(therapist, patient, odi=odi, **intake_changes)
    prescription = prescription_create(
        clinician=therapist,
        patient=patient,
        protocol=protocol,
        start_stage=start_stage,
        override_reason=reason,
        now=START,
    )
    assert prescription.current_stage == start_stage


# --- logging and each outcome's side effects ------------------------------------------------


def test_an_easy_set_holds_with_no_alert(programme, patient):
    result = log(patient, at(0))
    assert result.evaluation.outcome == "HOLD"
    assert result.patient_message
    assert counts() | {"StageTransition": 0} == {
        "SessionLog": 1,
        "RuleEvaluation": 1,
        "Alert": 0,
        "StageTransition": 0,
        "StatusChange": 0,
        "OutboxMessage": 0,
    }


def test_red_flag_suspends_alerts_urgently_and_mails_the_therapist(
    programme, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = log(patient, at(0), ces_bladder=True)
    assert result.evaluation.outcome == "URGENT_RED_FLAG"
    assert "emergency" in result.patient_message.lower()
    programme.refresh_from_db()
    assert programme.status == Prescription.Status.SUSPENDED
    alert = Alert.objects.get()
    assert (alert.severity, alert.kind) == (Alert.Severity.URGENT, Alert.Kind.RED_FLAG)
    assert "R-RED-1" in alert.rule_ids
    notice = OutboxMessage.objects.get()
    assert notice.status == OutboxMessage.Status.SENT
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.subject == "Stagewise: an urgent alert is waiting"
    for detail in (patient.first_name, patient.last_name, "bladder", "R-RED"):
        assert detail not in sent.subject + sent.body


def test_peripheralizing_at_stage_2_steps_back_with_an_alert(programme, patient, therapist):
    stage_two(programme, patient, therapist)
    result = log(patient, at(12), level_post_left=3)
    assert result.evaluation.outcome == "REGRESS_ONE"
    programme.refresh_from_db()
    assert programme.current_stage == 1
    transition = programme.transitions.latest("occurred_at")
    assert (transition.kind, transition.from_stage, transition.to_stage) == ("regress", 2, 1)
    assert transition.evaluation == result.evaluation
    assert transition.actor is None
    alert = Alert.objects.get(kind=Alert.Kind.REGRESSED)
    assert "R-REG-1" in alert.rule_ids
    # The set that caused the step back belongs to the old stage: the next easy set holds.
    assert log(patient, at(12, 13)).evaluation.outcome == "HOLD"
    programme.refresh_from_db()
    assert (programme.current_stage, programme.status) == (1, "active")


def test_peripheralizing_at_stage_1_suspends(programme, patient):
    result = log(patient, at(0), level_post_left=3)
    assert result.evaluation.outcome == "SUSPEND_CONTACT_PT"
    programme.refresh_from_db()
    assert programme.status == Prescription.Status.SUSPENDED
    assert programme.current_stage == 1
    assert Alert.objects.get().kind == Alert.Kind.SUSPENDED


def stage_two(programme, patient, therapist):
    """Ten good days at stage 1, then the therapist approves the proposed advance."""
    good_days(patient, 0, 9)
    proposal = Alert.objects.get(kind=Alert.Kind.ADVANCE_PROPOSED, status="open")
    advance_approve(clinician=therapist, alert=proposal, reason="Settled.", now=at(10, 8))
    programme.refresh_from_db()
    assert programme.current_stage == 2


def test_good_days_propose_an_advance_that_the_therapist_approves(programme, patient, therapist):
    good_days(patient, 0, 9)
    proposal = Alert.objects.get(kind=Alert.Kind.ADVANCE_PROPOSED)
    assert proposal.evaluation.outcome == "ADVANCE_ELIGIBLE"
    programme.refresh_from_db()
    assert programme.current_stage == 1, "advancing waits for the therapist"
    transition = advance_approve(
        clinician=therapist, alert=proposal, reason="Easy and settled.", now=at(10, 8)
    )
    programme.refresh_from_db()
    proposal.refresh_from_db()
    assert (programme.current_stage, transition.actor) == (2, therapist.user)
    assert (proposal.status, proposal.resolution) == ("resolved", "approved")
    assert log(patient, at(10)).evaluation.qualifying_sessions == 0


def test_auto_advance_moves_without_the_therapist(programme, patient):
    Prescription.objects.filter(pk=programme.pk).update(auto_advance=True)
    good_days(patient, 0, 9)
    programme.refresh_from_db()
    assert programme.current_stage == 2
    assert not Alert.objects.filter(kind=Alert.Kind.ADVANCE_PROPOSED).exists()


# --- all or nothing -------------------------------------------------------------------------


def test_a_failure_after_the_first_write_leaves_nothing_partial(programme, patient, monkeypatch):
    before = counts()

    def broken(*args, **kwargs):
        raise RuntimeError("mail queue unavailable")

    monkeypatch.setattr(OutboxMessage.objects, "create", broken)
    with pytest.raises(RuntimeError):
        log(patient, at(0), ces_bladder=True)
    assert counts() == before
    programme.refresh_from_db()
    assert programme.status == Prescription.Status.ACTIVE


def test_a_failed_alert_undoes_the_regression(programme, patient, therapist, monkeypatch):
    stage_two(programme, patient, therapist)
    before = counts()
    original_save = Alert.save

    def broken_save(self, *args, **kwargs):
        if self.kind == Alert.Kind.REGRESSED:
            raise RuntimeError("disk full")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(Alert, "save", broken_save)
    with pytest.raises(RuntimeError):
        log(patient, at(12), level_post_left=3)
    assert counts() == before
    programme.refresh_from_db()
    assert programme.current_stage == 2


# --- edits, idempotency ---------------------------------------------------------------------


def test_editing_a_log_re_evaluates_and_keeps_every_alert(programme, patient):
    first = log(patient, at(0), pain_during_max=9)
    assert first.evaluation.outcome == "SUSPEND_CONTACT_PT"
    alert = Alert.objects.get()
    Prescription.objects.filter(pk=programme.pk).update(status="active")
    log_row = SessionLog.objects.get()
    second = session_log_edit(
        patient=patient,
        log_id=log_row.pk,
        entry=entry(at(0), pain_during_max=2),
        now=at(0, 10),
    )
    assert second.evaluation.pk != first.evaluation.pk
    assert second.evaluation.trigger == RuleEvaluation.Trigger.SESSION_EDITED
    assert RuleEvaluation.objects.filter(session_log=log_row).count() == 2
    log_row.refresh_from_db()
    assert (log_row.revision, log_row.pain_during_max) == (2, 2)
    assert Alert.objects.filter(pk=alert.pk, status="open").exists()


def test_a_double_submit_stores_one_log(programme, patient):
    key = uuid.uuid4()
    results = [
        session_log_create(
            patient=patient, entry=entry(at(0)), idempotency_key=key, now=at(0, 9, 8)
        )
        for _ in range(2)
    ]
    assert SessionLog.objects.count() == 1
    assert results[0].evaluation.pk == results[1].evaluation.pk


# --- bad input stores nothing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"pain_pre": 11}, "pain_pre"),
        ({"pain_post": -1}, "pain_post"),
        ({"level_post_left": 6}, "level"),
        ({"reps_done": -2}, "reps"),
    ],
)
def test_out_of_range_values_are_refused_by_name(programme, patient, changes, fragment):
    with pytest.raises(LogRefused) as error:
        log(patient, at(0), **changes)
    assert fragment in str(error.value)
    assert SessionLog.objects.count() == 0


def test_a_future_start_is_refused(programme, patient):
    with pytest.raises(LogRefused, match="in the future"):
        session_log_create(
            patient=patient, entry=entry(at(1)), idempotency_key=uuid.uuid4(), now=at(0)
        )
    assert SessionLog.objects.count() == 0


def test_editing_someone_elses_log_is_refused(programme, patient, therapist, protocol):
    other = PatientFactory(clinic=patient.clinic, primary_clinician=therapist)
    make_intake(therapist, other)
    prescription_create(clinician=therapist, patient=other, protocol=protocol, now=START)
    theirs = log(other, at(0)).evaluation.session_log
    log(patient, at(0))
    with pytest.raises(LogRefused):
        session_log_edit(
            patient=patient, log_id=theirs.pk, entry=entry(at(0), pain_pre=9), now=at(0, 11)
        )
    theirs.refresh_from_db()
    assert theirs.pain_pre == 2


def test_a_suspended_programme_refuses_logs(programme, patient):
    log(patient, at(0), pain_during_max=9)
    before = counts()
    with pytest.raises(LogRefused) as error:
        log(patient, at(0, 15))
    assert str(error.value) == LogRefused.SUSPENDED
    assert counts() == before


def test_a_patient_without_a_programme_cannot_log(patient):
    with pytest.raises(LogRefused, match="no running programme"):
        log(patient, at(0))


# --- therapist actions ----------------------------------------------------------------------


def test_every_therapist_action_needs_a_reason(programme, patient, therapist):
    log(patient, at(0), pain_during_max=9)
    alert = Alert.objects.get()
    before = counts()
    actions = [
        lambda: suspension_clear(clinician=therapist, alert=alert, reason="  "),
        lambda: advance_approve(clinician=therapist, alert=alert, reason=""),
        lambda: proposal_decline(clinician=therapist, alert=alert, reason=""),
        lambda: alert_acknowledge(clinician=therapist, alert=alert, reason=""),
        lambda: threshold_override_set(
            clinician=therapist, prescription=programme, parameter="p_accept", value=4, reason=""
        ),
        lambda: prescription_set_status(
            clinician=therapist, prescription=programme, to_status="completed", reason=""
        ),
    ]
    for action in actions:
        with pytest.raises(ReasonRequired):
            action()
    assert counts() == before


def test_clearing_a_suspension_resumes_and_resets_counters(programme, patient, therapist):
    log(patient, at(0), pain_during_max=9)
    alert = Alert.objects.get()
    suspension_clear(clinician=therapist, alert=alert, reason="Phoned: flare settled.", now=at(1))
    programme.refresh_from_db()
    alert.refresh_from_db()
    assert programme.status == Prescription.Status.ACTIVE
    assert programme.counters_reset_at == at(1)
    assert (alert.resolved_by, alert.resolution_reason) == (
        therapist.user,
        "Phoned: flare settled.",
    )
    change = programme.status_changes.latest("occurred_at")
    assert (change.to_status, change.actor) == ("active", therapist.user)
    assert log(patient, at(1, 10)).evaluation.outcome == "HOLD"


def test_a_red_flag_alert_can_be_closed_but_its_record_stays(programme, patient, therapist):
    first = log(patient, at(0), ces_saddle=True)
    alert = Alert.objects.get()
    suspension_clear(clinician=therapist, alert=alert, reason="Seen in ED: no CES.", now=at(1))
    alert.refresh_from_db()
    assert alert.status == "resolved"
    assert RuleEvaluation.objects.get(pk=first.evaluation.pk).outcome == "URGENT_RED_FLAG"
    assert OutboxMessage.objects.count() == 1


def test_an_action_on_a_stale_alert_is_refused(programme, patient, therapist):
    log(patient, at(0), pain_during_max=9)
    alert = Alert.objects.get()
    suspension_clear(clinician=therapist, alert=alert, reason="ok", now=at(1))
    with pytest.raises(TransitionRefused):
        suspension_clear(clinician=therapist, alert=alert, reason="again", now=at(1, 10))


def test_threshold_override_is_kept_with_its_reason_and_replaces_the_last(programme, therapist):
    threshold_override_set(
        clinician=therapist, prescription=programme, parameter="p_accept", value=4, reason="a"
    )
    threshold_override_set(
        clinician=therapist, prescription=programme, parameter="p_accept", value=3, reason="b"
    )
    overrides = programme.threshold_overrides.order_by("created_at")
    assert [(o.value, o.reason, o.revoked_at is None) for o in overrides] == [
        (4, "a", False),
        (3, "b", True),
    ]


@pytest.mark.parametrize(
    ("parameter", "value", "error"),
    [("red_flags_enabled", False, "not a rule threshold"), ("p_accept", "five", "not allowed")],
)
def test_threshold_override_refuses_unknown_or_ill_typed(
    programme, therapist, parameter, value, error
):
    with pytest.raises(OverrideRefused, match=error):
        threshold_override_set(
            clinician=therapist,
            prescription=programme,
            parameter=parameter,
            value=value,
            reason="why",
        )


def test_no_override_silences_a_red_flag(programme, patient, therapist):
    for parameter, value in [("p_accept", 10), ("p_severe", 10), ("p_mcid", 10)]:
        threshold_override_set(
            clinician=therapist,
            prescription=programme,
            parameter=parameter,
            value=value,
            reason="trial",
        )
    assert log(patient, at(0), ces_bowel=True).evaluation.outcome == "URGENT_RED_FLAG"


def test_discharge_completes_the_programme(programme, therapist):
    prescription_set_status(
        clinician=therapist,
        prescription=programme,
        to_status="completed",
        reason="Goals met.",
        now=at(3),
    )
    programme.refresh_from_db()
    assert (programme.status, programme.ended_at) == ("completed", at(3))


@pytest.mark.parametrize(("to_status", "closed"), [("completed", True), ("paused", False)])
def test_ending_a_programme_closes_its_open_proposal_and_pausing_does_not(
    programme, patient, therapist, to_status, closed
):
    good_days(patient, 0, 9)
    proposal = Alert.objects.get(kind=Alert.Kind.ADVANCE_PROPOSED, status="open")
    prescription_set_status(
        clinician=therapist,
        prescription=programme,
        to_status=to_status,
        reason=" Done. ",
        now=at(11),
    )
    proposal.refresh_from_db()
    if closed:
        assert (proposal.status, proposal.resolution) == ("resolved", "superseded")
        assert (proposal.resolved_by, proposal.resolved_at) == (therapist.user, at(11))
        assert proposal.resolution_reason == "Done."
    else:
        assert (proposal.status, proposal.resolution) == ("open", "")


# --- cost does not grow with history --------------------------------------------------------


def queries_for_one_log(patient, day: int) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        result = log(patient, at(day, 21), ease="MANAGEABLE")
    return len(captured.captured_queries), result.evaluation.outcome


def test_logging_costs_the_same_queries_after_one_day_or_ten(therapist, protocol):
    """One windowed read per kind of input: a longer history adds rows, not queries."""
    recent, veteran = (
        PatientFactory(clinic=therapist.clinic, primary_clinician=therapist) for _ in range(2)
    )
    for patient, first_day in ((recent, 9), (veteran, 0)):
        make_intake(therapist, patient)
        prescription_create(
            clinician=therapist, patient=patient, protocol=protocol, now=at(first_day, 7)
        )
        good_days(patient, first_day, 9, ease="MANAGEABLE")
    assert queries_for_one_log(recent, 9) == queries_for_one_log(veteran, 9)


# --- the weekly red-flag screen -------------------------------------------------------------


def weekly(**yes):
    from patients.red_flags import WEEKLY_QUESTIONS

    return {q.key: q.key in yes for q in WEEKLY_QUESTIONS}


def test_weekly_sexual_function_change_is_an_emergency(
    programme, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = weekly_screen_create(patient=patient, answers=weekly(ces_sexual=True), now=at(3))
    assert "emergency" in result.patient_message.lower()
    programme.refresh_from_db()
    assert programme.status == Prescription.Status.SUSPENDED
    alert = Alert.objects.get()
    assert (alert.severity, alert.rule_ids) == (Alert.Severity.URGENT, ["R-RED-1"])
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.SENT
    assert RedFlagScreen.objects.get(kind="weekly").answers["ces_sexual"] is True


def test_weekly_systemic_answer_suspends_until_the_therapist_clears_it(programme, patient):
    result = weekly_screen_create(patient=patient, answers=weekly(fever=True), now=at(3))
    assert result.evaluation.outcome == "SUSPEND_CONTACT_PT"
    assert "R-RED-3" in result.evaluation.fired_rule_ids
    programme.refresh_from_db()
    assert programme.status == Prescription.Status.SUSPENDED
    assert not Alert.objects.filter(severity=Alert.Severity.URGENT).exists()


def test_weekly_all_no_changes_nothing(programme, patient):
    result = weekly_screen_create(patient=patient, answers=weekly(), now=at(3))
    assert result.evaluation.outcome == "HOLD"
    assert not Alert.objects.exists()


def test_weekly_screen_with_an_unanswered_question_stores_nothing(programme, patient):
    answers = weekly()
    del answers["night_pain"]
    with pytest.raises(LogRefused, match="answer every question"):
        weekly_screen_create(patient=patient, answers=answers, now=at(3))
    assert not RedFlagScreen.objects.filter(kind="weekly").exists()


def test_the_prescribed_sets_a_day_are_the_flare_frequency(therapist, patient, protocol):
    from prescriptions.services import StageDose
    from prescriptions.services.inputs import prescription_for_evaluation, rule_config

    make_intake(therapist, patient)
    prescription = prescription_create(
        clinician=therapist,
        patient=patient,
        protocol=protocol,
        now=START,
        doses={1: StageDose(times_per_day=3)},
    )
    locked = prescription_for_evaluation(prescription_id=prescription.pk)
    assert rule_config(locked, {}).freq_flare == 3
    assert rule_config(locked, {"freq_flare": 6}).freq_flare == 6, "an override still wins"
