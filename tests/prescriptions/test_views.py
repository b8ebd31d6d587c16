"""The patient's daily loop and the therapist's alert queue, through real requests."""

import datetime as dt
import zoneinfo
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients.models import Patient
from prescriptions.models import Alert, MorningCheck, Prescription, SessionLog
from prescriptions.services import prescription_create
from tests.factories import ClinicianFactory, PatientFactory, UserFactory

from .conftest import log, make_intake, set_answers, started_yesterday

pytestmark = pytest.mark.django_db


def test_morning_check_then_decision(client, live, patient):
    client.force_login(patient.user)
    assert client.get(reverse("prescriptions:morning_check")).status_code == HTTPStatus.OK
    response = client.post(
        reverse("prescriptions:morning_check"),
        {"pain": "3", "level_left": "2", "level_right": "0", "stiffness_vs_usual": "SAME"},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert MorningCheck.objects.filter(prescription=live).count() == 1
    page = client.get(response["Location"])
    assert page.status_code == HTTPStatus.OK
    assert b"Saved" in page.content


def test_first_set_of_the_day_asks_the_safety_questions(client, live, patient):
    client.force_login(patient.user)
    page = client.get(reverse("prescriptions:session_log"))
    assert page.status_code == HTTPStatus.OK
    assert b"back passage" in page.content
    # Twenty minutes ago, but never before the patient's local midnight: it must be today's set.
    now = timezone.now()
    midnight = timezone.localtime(now, zoneinfo.ZoneInfo(patient.timezone)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    log(patient, max(now - dt.timedelta(minutes=20), midnight))
    assert b"back passage" not in client.get(reverse("prescriptions:session_log")).content


def test_a_double_submit_stores_one_set(client, live, patient):
    client.force_login(patient.user)
    key = "6f1c1f0e-9a0b-4f51-9d55-0d7c8a7a2a11"
    first = client.post(reverse("prescriptions:session_log"), set_answers(key))
    second = client.post(reverse("prescriptions:session_log"), set_answers(key))
    assert first.status_code == second.status_code == HTTPStatus.FOUND
    assert first["Location"] == second["Location"]
    assert SessionLog.objects.filter(prescription=live).count() == 1


def test_a_yes_to_a_safety_question_shows_the_emergency_message(client, live, patient):
    client.force_login(patient.user)
    response = client.post(
        reverse("prescriptions:session_log"),
        set_answers("2b0f6a57-2d4a-4c3c-a0a4-6e0f5b8e6d01", ces_bladder="True"),
        follow=True,
    )
    assert b'id="emergency"' in response.content
    assert b"emergency department" in response.content
    assert Alert.objects.get(prescription=live).severity == Alert.Severity.URGENT


def test_bad_input_is_a_400_that_keeps_what_was_entered(client, live, patient):
    client.force_login(patient.user)
    answers = set_answers("0e8e7f5e-1111-4a4a-9b9b-123456789abc", pain_post="11", reps_done="7")
    del answers["ease"]
    response = client.post(reverse("prescriptions:session_log"), answers)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    form = response.context["form"]
    assert set(form.errors) >= {"pain_post", "ease"}
    assert b'value="7"' in response.content
    assert SessionLog.objects.count() == 0


def test_another_patients_decision_is_404(client, live, patient, therapist):
    result = log(patient, timezone.now() - dt.timedelta(minutes=10))
    other = PatientFactory(clinic=therapist.clinic, user=UserFactory())
    client.force_login(other.user)
    url = reverse("prescriptions:decision", kwargs={"evaluation_id": result.evaluation.pk})
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND


def test_a_therapist_cannot_open_patient_pages(client, live, therapist):
    client.force_login(therapist.user)
    assert client.get(reverse("prescriptions:session_log")).status_code == HTTPStatus.FORBIDDEN


# --- alert queue ----------------------------------------------------------------------------


def suspended(patient):
    log(patient, timezone.now() - dt.timedelta(minutes=10), pain_during_max=9)
    return Alert.objects.get(prescription__patient=patient)


def test_clearing_an_alert_needs_a_reason(client, live, patient, therapist):
    alert = suspended(patient)
    client.force_login(therapist.user)
    url = reverse("prescriptions:alert_action", kwargs={"alert_id": alert.pk, "action": "clear"})
    response = client.post(url, {"reason": "  "}, follow=True)
    assert b"needs a reason" in response.content
    live.refresh_from_db()
    assert live.status == Prescription.Status.SUSPENDED
    client.post(url, {"reason": "Phoned: pain settled with rest."})
    live.refresh_from_db()
    alert.refresh_from_db()
    assert (live.status, alert.status) == ("active", "resolved")


def test_an_action_that_does_not_fit_the_alert_is_404(client, live, patient, therapist):
    alert = suspended(patient)
    client.force_login(therapist.user)
    url = reverse("prescriptions:alert_action", kwargs={"alert_id": alert.pk, "action": "approve"})
    assert client.post(url, {"reason": "x"}).status_code == HTTPStatus.NOT_FOUND


def test_another_clinics_alert_is_404(client, live, patient):
    alert = suspended(patient)
    outsider = ClinicianFactory()
    client.force_login(outsider.user)
    url = reverse("prescriptions:alert_action", kwargs={"alert_id": alert.pk, "action": "clear"})
    assert client.post(url, {"reason": "x"}).status_code == HTTPStatus.NOT_FOUND
    assert client.get(reverse("prescriptions:alert_queue")).content.count(b"card-body") == 0


def queue_queries(client, therapist) -> int:
    client.force_login(therapist.user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("prescriptions:alert_queue")).status_code == HTTPStatus.OK
    return len(captured.captured_queries)


def test_alert_queue_queries_do_not_grow_with_alerts(client, therapist, protocol):
    def patient_with_alert():
        patient = PatientFactory(clinic=therapist.clinic, primary_clinician=therapist)
        started_yesterday(therapist, patient, protocol)
        suspended(patient)

    patient_with_alert()
    one = queue_queries(client, therapist)
    for _ in range(49):
        patient_with_alert()
    assert Alert.objects.count() == 50
    assert queue_queries(client, therapist) == one


# --- caseload ---------------------------------------------------------------------------------


def caseload_queries(client, therapist, query: str = "") -> tuple[int, bytes]:
    client.force_login(therapist.user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("prescriptions:caseload") + query)
    assert response.status_code == HTTPStatus.OK
    return len(captured.captured_queries), response.content


def enrol(therapist, protocol, **patient_fields):
    patient = PatientFactory(clinic=therapist.clinic, primary_clinician=therapist, **patient_fields)
    make_intake(therapist, patient, now=timezone.now() - dt.timedelta(days=2, hours=1))
    prescription_create(
        clinician=therapist,
        patient=patient,
        protocol=protocol,
        now=timezone.now() - dt.timedelta(days=2),
    )
    return patient


def test_caseload_queries_do_not_grow_with_patients(client, therapist, protocol):
    enrol(therapist, protocol)
    one, _ = caseload_queries(client, therapist)
    for _ in range(59):
        patient = enrol(therapist, protocol)
        log(patient, timezone.now() - dt.timedelta(hours=3))
    many, content = caseload_queries(client, therapist)
    assert many == one
    assert content.count(b"<tr>") == 1 + 50, "50 patients a page"


def test_caseload_filters_and_search(client, therapist, protocol):
    quiet = enrol(therapist, protocol, last_name="Quietly")
    flagged = enrol(therapist, protocol, last_name="Flaggson")
    suspended(flagged)
    log(quiet, timezone.now() - dt.timedelta(hours=2))
    _, attention = caseload_queries(client, therapist, "?needs_attention=on")
    assert b"Flaggson" in attention
    assert b"Quietly" not in attention
    searched = client.post(reverse("prescriptions:caseload"), {"q": "quiet", "stage": ""})
    assert searched.status_code == HTTPStatus.FOUND
    assert searched["Location"] == reverse("prescriptions:caseload")  # no name in the URL
    _, found = caseload_queries(client, therapist)
    assert b"Quietly" in found
    assert b"Flaggson" not in found
    filtered = client.post(
        reverse("prescriptions:caseload"), {"q": "flagg", "needs_attention": "on"}
    )
    assert filtered["Location"] == reverse("prescriptions:caseload") + "?needs_attention=on"
    _, found = caseload_queries(client, therapist, "?needs_attention=on")
    assert b"Flaggson" in found
    client.post(reverse("prescriptions:caseload"), {"q": ""})
    _, inactive = caseload_queries(client, therapist, "?inactive=on")
    assert b"Quietly" not in inactive
    _, ignored = caseload_queries(client, therapist, "?stage=banana")
    assert b"Quietly" in ignored


def test_a_name_in_the_caseload_url_is_ignored(client, therapist, protocol):
    enrol(therapist, protocol, last_name="Quietly")
    enrol(therapist, protocol, last_name="Flaggson")
    _, content = caseload_queries(client, therapist, "?q=quiet")
    assert b"Quietly" in content
    assert b"Flaggson" in content


def test_caseload_shows_urgent_first_with_adherence(client, therapist, protocol):
    calm = enrol(therapist, protocol, last_name="Aardvark")
    urgent = enrol(therapist, protocol, last_name="Zebra")
    log(calm, timezone.now() - dt.timedelta(hours=2))
    log(urgent, timezone.now() - dt.timedelta(hours=2), ces_bowel=True)
    _, content = caseload_queries(client, therapist)
    assert content.index(b"Zebra") < content.index(b"Aardvark")
    assert b"4%" in content  # 1 set of 4 a day for 7 days = 28 asked


# --- progress pages -----------------------------------------------------------------------------


def page_queries(client, user, url) -> tuple[int, bytes]:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return len(captured.captured_queries), response.content


def test_patient_page_and_history_queries_do_not_grow_with_sets(client, live, patient, therapist):
    detail = reverse("prescriptions:patient_detail", args=[patient.public_id])
    history = reverse("prescriptions:history")
    first = timezone.now() - dt.timedelta(hours=23)
    log(patient, first)
    one = (
        page_queries(client, therapist.user, detail)[0],
        page_queries(client, patient.user, history)[0],
    )
    for n in range(1, 50):
        log(patient, first + dt.timedelta(minutes=25 * n))
    assert SessionLog.objects.filter(prescription=live).count() == 50
    detail_many, content = page_queries(client, therapist.user, detail)
    history_many, _ = page_queries(client, patient.user, history)
    assert (detail_many, history_many) == one
    assert b'id="history-data"' in content


def test_history_chart_data_is_one_point_per_local_day(client, live, patient):
    log(patient, timezone.now() - dt.timedelta(hours=3), pain_pre=4, pain_post=2)
    log(patient, timezone.now() - dt.timedelta(hours=2), level_post_left=1)
    client.force_login(patient.user)
    series = client.get(reverse("prescriptions:history")).context["series"]
    assert len(series["dates"]) == len(set(series["dates"])) >= 1
    assert series["stage"] == [1] * len(series["dates"])
    assert series["pain_post"][-1] == 2.0


# --- reminder settings --------------------------------------------------------------------------


def test_patient_pauses_reminders_and_sets_quiet_hours(client, live, patient):
    from prescriptions.services.reminders import reminders_materialise

    client.force_login(patient.user)
    response = client.post(
        reverse("prescriptions:reminder_settings"),
        {
            "timezone": "Europe/Dublin",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
            "pause_days": "3",
            "consent": "on",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    live.refresh_from_db()
    patient.refresh_from_db()
    assert patient.timezone == "Europe/Dublin"
    assert (live.quiet_start, live.quiet_end) == (dt.time(22), dt.time(7))
    assert live.reminders_paused_until > timezone.now() + dt.timedelta(days=2)
    Prescription.objects.filter(pk=live.pk).update(reminder_times=["08:00"])
    Patient.objects.filter(pk=patient.pk).update(email="pat@example.com")
    dublin = zoneinfo.ZoneInfo("Europe/Dublin")
    tomorrow = timezone.now().astimezone(dublin).date() + dt.timedelta(days=1)
    due = dt.datetime.combine(tomorrow, dt.time(8, 5), dublin)
    assert reminders_materialise(now=due).created == 0, "paused"
    Prescription.objects.filter(pk=live.pk).update(reminders_paused_until=None)
    assert reminders_materialise(now=due).created == 1, "the same slot once the pause ends"


def test_withdrawn_consent_stops_reminders_and_half_quiet_hours_are_refused(client, live, patient):
    client.force_login(patient.user)
    url = reverse("prescriptions:reminder_settings")
    half = client.post(
        url,
        {"timezone": "Europe/London", "quiet_start": "22:00", "pause_days": "0", "consent": "on"},
    )
    assert half.status_code == HTTPStatus.BAD_REQUEST
    assert b"both ends of the quiet hours" in half.content
    client.post(url, {"timezone": "Europe/London", "pause_days": "0"})
    live.refresh_from_db()
    assert live.reminder_consent is False


# --- threshold overrides ----------------------------------------------------------------------


def test_therapist_overrides_a_threshold_with_a_reason(client, live, patient, therapist):
    client.force_login(therapist.user)
    url = reverse("prescriptions:threshold_override", args=[patient.public_id])
    client.post(url, {"parameter": "p_accept", "value": "4", "reason": ""})
    assert not live.threshold_overrides.exists()
    client.post(url, {"parameter": "p_accept", "value": "4", "reason": "Flares easily."})
    override = live.threshold_overrides.get()
    assert (override.value, override.reason, override.set_by) == (4, "Flares easily.", therapist)
    page = client.get(reverse("prescriptions:patient_detail", args=[patient.public_id]))
    assert b"Flares easily." in page.content


def test_an_unknown_threshold_is_refused(client, live, patient, therapist):
    client.force_login(therapist.user)
    url = reverse("prescriptions:threshold_override", args=[patient.public_id])
    response = client.post(
        url, {"parameter": "red_flags", "value": "0", "reason": "x"}, follow=True
    )
    assert b"not one of the available choices" in response.content
    assert not live.threshold_overrides.exists()


def test_patient_chooses_which_times_of_the_plan_remind_them(client, live, patient):
    from prescriptions.services.reminders import reminders_materialise

    Prescription.objects.filter(pk=live.pk).update(reminder_times=["08:00", "18:00"])
    Patient.objects.filter(pk=patient.pk).update(email="pat@example.com")
    client.force_login(patient.user)
    page = client.get(reverse("prescriptions:reminder_settings"))
    assert b'value="08:00"' in page.content
    client.post(
        reverse("prescriptions:reminder_settings"),
        {
            "timezone": "Europe/London",
            "pause_days": "0",
            "consent": "on",
            "reminded_times": ["18:00"],
        },
    )
    live.refresh_from_db()
    assert live.muted_reminder_times == ["08:00"]
    london = zoneinfo.ZoneInfo("Europe/London")
    tomorrow = timezone.now().astimezone(london).date() + dt.timedelta(days=1)
    morning = dt.datetime.combine(tomorrow, dt.time(8, 5), london)
    evening = dt.datetime.combine(tomorrow, dt.time(18, 5), london)
    assert reminders_materialise(now=morning).created == 0, "muted by the patient"
    assert reminders_materialise(now=evening).created == 1
    refused = client.post(
        reverse("prescriptions:reminder_settings"),
        {"timezone": "Europe/London", "pause_days": "0", "reminded_times": ["03:00"]},
    )
    assert refused.status_code == HTTPStatus.BAD_REQUEST
