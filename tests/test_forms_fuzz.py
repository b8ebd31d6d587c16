"""Hypothesis throws bad input at every form: the answer is a 2xx, 3xx or 4xx, never a 500, and
a re-rendered form keeps what the person entered."""

import datetime as dt
from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exercises.models import Protocol
from patients.red_flags import INTAKE_QUESTIONS
from prescriptions.models import Alert
from prescriptions.services import prescription_create
from tests.factories import ClinicianFactory, ExerciseFactory, PatientFactory, UserFactory
from tests.prescriptions.conftest import log, make_intake

MARKER = "Keepmeplease"
junk = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(10**6), max_value=10**6).map(str),
    st.sampled_from(["", " ", "11", "-1", "6", "True", "yes", "25:99", "1970-02-31", "Ω"]),
)

FORMS = {
    "patients:patient_new": (
        ["first_name", "date_of_birth", "email", "phone", "timezone"],
        {"last_name": MARKER},
    ),
    "patients:intake": (
        [f"odi_{i}" for i in range(10)]
        + [f"flag_{q.key}" for q in INTAKE_QUESTIONS[:4]]
        + ["baseline_pain", "baseline_level_left", "baseline_level_right"],
        {"notes": MARKER},
    ),
    "prescriptions:prescribe": (
        ["protocol", "start_stage", "reminder_times", "reps_1", "times_2"],
        {"override_reason": MARKER},
    ),
    "prescriptions:morning_check": (
        ["pain", "level_left", "level_right", "stiffness_vs_usual"],
        {},
    ),
    "prescriptions:session_log": (
        [
            "idempotency_key",
            "started_minutes_ago",
            "reps_done",
            "pain_pre",
            "pain_during_max",
            "pain_post",
            "level_pre_left",
            "level_post_left",
            "ease",
            "neuro_change",
            "ces_bladder",
        ],
        {},
    ),
    "prescriptions:status_change": (["to_status", "reason"], {}),
    "prescriptions:threshold_override": (["parameter", "value"], {}),
    "prescriptions:reminder_settings": (
        ["timezone", "quiet_start", "quiet_end", "pause_days", "consent"],
        {},
    ),
    "patients:staff": (["first_name", "email", "role"], {"last_name": MARKER}),
    "patients:rule_defaults": (["p_safe", "p_accept", "p_mcid", "freq_flare"], {}),
    "exercises:exercise_create": (
        ["position", "direction", "steps", "default_reps", "default_hold_seconds"],
        {"name": MARKER},
    ),
    "exercises:exercise_update": (
        ["position", "direction", "summary", "default_reps", "default_times_per_day"],
        {"name": MARKER},
    ),
    "exercises:protocol_create": (["description"], {"name": MARKER}),
    "prescriptions:alert_action": (["reason"], {}),
}
PATIENT_FORMS = {
    "prescriptions:morning_check",
    "prescriptions:session_log",
    "prescriptions:reminder_settings",
}
ADMIN_FORMS = {
    "patients:staff",
    "patients:rule_defaults",
    "exercises:exercise_create",
    "exercises:exercise_update",
    "exercises:protocol_create",
}


@pytest.fixture
def world(db):
    call_command("seed_catalog", verbosity=0)
    therapist = ClinicianFactory()
    patient = PatientFactory(
        clinic=therapist.clinic, primary_clinician=therapist, user=UserFactory()
    )
    fresh = PatientFactory(clinic=therapist.clinic, primary_clinician=therapist)
    make_intake(therapist, patient, now=timezone.now() - dt.timedelta(days=1, hours=1))
    make_intake(therapist, fresh, now=timezone.now() - dt.timedelta(days=1, hours=1))
    prescription_create(
        clinician=therapist,
        patient=patient,
        protocol=Protocol.objects.get(slug="lumbar-flexion-progression"),
        now=timezone.now() - dt.timedelta(days=1),
    )
    log(patient, timezone.now() - dt.timedelta(hours=3))
    admin = ClinicianFactory(clinic=therapist.clinic, role="clinic_admin")
    exercise = ExerciseFactory(clinic=therapist.clinic)
    return {
        "therapist": therapist,
        "patient": patient,
        "fresh": fresh,
        "admin": admin,
        "exercise": exercise,
    }


def url_for(name: str, world) -> str:
    if name == "exercises:exercise_update":
        return reverse(name, args=[world["exercise"].pk])
    if name in {
        "patients:intake",
        "prescriptions:status_change",
        "prescriptions:threshold_override",
    }:
        return reverse(name, args=[world["patient"].public_id])
    if name == "prescriptions:prescribe":
        return reverse(name, args=[world["fresh"].public_id])
    if name == "prescriptions:alert_action":
        alert = Alert.objects.filter(prescription__patient=world["patient"]).first()
        return reverse(name, kwargs={"alert_id": alert.pk if alert else 1, "action": "clear"})
    return reverse(name)


@pytest.mark.parametrize("name", sorted(FORMS))
def test_bad_input_never_500s_and_keeps_entries(client, world, name):
    fields, kept = FORMS[name]
    user = world["therapist"].user
    if name in PATIENT_FORMS:
        user = world["patient"].user
    elif name in ADMIN_FORMS:
        user = world["admin"].user
    client.force_login(user)
    url = url_for(name, world)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.dictionaries(st.sampled_from(fields), junk))
    def post(values):
        response = client.post(url, {**values, **kept})
        assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR
        assert response.status_code in {200, 302, 400, 404}
        if response.status_code == HTTPStatus.BAD_REQUEST and kept:
            assert MARKER.encode() in response.content

    post()
