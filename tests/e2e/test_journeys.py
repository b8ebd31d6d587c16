"""Journeys through the real app in Chromium: the therapist onboards a patient; the patient
sets a password and logs over several days on a phone; an advance is approved; a spreading
symptom steps the patient back; a safety answer sends them to the emergency department."""

import re

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from exercises.models import Protocol
from prescriptions.models import Alert, Prescription
from prescriptions.services import prescription_create
from tests.conftest import totp_code
from tests.e2e.conftest import watch_console
from tests.factories import ClinicianFactory, PatientFactory, UserFactory
from tests.prescriptions.conftest import at, good_days, make_intake

PASSWORD = "stagewise-test"

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, base_url, username, password=PASSWORD):
    page.goto(f"{base_url}/accounts/login/")
    submit_sign_in(page, username, password)


def submit_sign_in(page, username, password=PASSWORD):
    """Fill in the sign-in form on the page; staff then type their authenticator's code."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    if device is not None:
        page.get_by_label("Code from your authenticator app").fill(totp_code(device))
        page.get_by_role("button", name="Continue").click()


def with_authenticator(user):
    """Staff sign in in two steps: give them a confirmed authenticator."""
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


@pytest.fixture
def catalog():
    call_command("seed_catalog", verbosity=0)
    return Protocol.objects.get(slug="lumbar-flexion-progression")


@pytest.fixture
def therapist():
    return ClinicianFactory(user=with_authenticator(UserFactory(username="pt")))


def enrolled(therapist, protocol, *, username="pat"):
    """A patient who can sign in, whose programme started at the simulated day 0."""
    patient = PatientFactory(
        clinic=therapist.clinic, primary_clinician=therapist, user=UserFactory(username=username)
    )
    make_intake(therapist, patient)
    prescription_create(clinician=therapist, patient=patient, protocol=protocol, now=at(0, 8))
    return patient


def log_a_set(page, base_url, *, post_left="2", safety_yes=None):
    page.goto(f"{base_url}/me/log/")
    for name in ("pain_pre", "pain_during_max", "pain_post"):
        page.locator(f"input[name={name}][value='2']").check()
    for name, value in (
        ("level_pre_left", "2"),
        ("level_pre_right", "0"),
        ("level_post_left", post_left),
        ("level_post_right", "0"),
    ):
        page.locator(f"input[name={name}][value='{value}']").check()
    page.locator("input[name=ease][value=EASY]").check()
    for name in ("ces_saddle", "ces_bladder", "ces_bowel", "ces_legs"):
        box = page.locator(f"input[name={name}][value={'True' if name == safety_yes else 'False'}]")
        if box.count():
            box.check()
    page.get_by_role("button", name="Save this set").click()


def test_therapist_registers_screens_prescribes_and_invites(
    live_server, page, console_errors, screenshot, catalog, therapist
):
    sign_in(page, live_server.url, "pt")
    page.get_by_role("link", name="New patient").click()
    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Last name").fill("Lindqvist")
    page.get_by_label("Date of birth").fill("1968-09-12")
    page.get_by_label("Email").fill("nora@example.com")
    page.get_by_label("Timezone").select_option("Europe/Stockholm")
    page.get_by_role("button", name="Continue to intake").click()
    for select in page.locator("select.odi-answer").all():
        select.select_option("2")
    page.get_by_text("ODI: 40.0% (moderate)").wait_for()
    for radio in page.locator("input[type=radio][value=no]").all():
        radio.check()
    page.locator("input[name=baseline_level_left][value='3']").check()
    page.locator("input[name=baseline_level_right][value='0']").check()
    screenshot(page, "pt-intake")
    page.get_by_role("button", name="Save intake and choose the programme").click()
    page.get_by_label("Reminder times (patient's local time)").fill("07:30, 12:30, 17:30")
    screenshot(page, "pt-prescribe")
    page.get_by_role("button", name="Start the programme").click()
    page.get_by_role("alert").get_by_text("Programme started").wait_for()
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_role("alert").get_by_text("Invitation sent").wait_for()
    screenshot(page, "pt-patient-page")
    assert Prescription.objects.get(patient__last_name="Lindqvist").reminder_times == [
        "07:30",
        "12:30",
        "17:30",
    ]
    assert mail.outbox[-1].to == ["nora@example.com"]
    assert console_errors == []


def test_patient_sets_a_password_and_logs_over_several_days(
    live_server, phone_page, screenshot, catalog, therapist
):
    patient = PatientFactory(
        clinic=therapist.clinic, primary_clinician=therapist, email="ivy@example.com"
    )
    make_intake(therapist, patient)
    prescription_create(clinician=therapist, patient=patient, protocol=catalog, now=at(0, 8))
    from patients.services import invitation_link, patient_invite

    errors = watch_console(phone_page)
    with time_machine.travel(at(0, 9), tick=True):
        user = patient_invite(clinician=therapist, patient=patient)
        link = invitation_link(user)
        phone_page.goto(live_server.url + re.sub(r"^https?://[^/]+", "", link))
        phone_page.locator("#id_new_password1").fill("ivy-strong-pass-42")
        phone_page.locator("#id_new_password2").fill("ivy-strong-pass-42")
        phone_page.get_by_role("button", name="Set password").click()
        sign_in(phone_page, live_server.url, "ivy@example.com", "ivy-strong-pass-42")
        phone_page.get_by_text("Hello").wait_for()
        screenshot(phone_page, "patient-today")
        log_a_set(phone_page, live_server.url)
        phone_page.get_by_text("Saved").wait_for()
    for day in (1, 2):
        with time_machine.travel(at(day, 7, 45), tick=True):
            # Overnight the session ran out (30 minutes idle): sign in again, back to /me/.
            phone_page.goto(f"{live_server.url}/me/")
            phone_page.get_by_text("after 30 minutes without activity").wait_for()
            submit_sign_in(phone_page, "ivy@example.com", "ivy-strong-pass-42")
            phone_page.get_by_text("Hello").wait_for()
            phone_page.get_by_role("link", name="Start with today's morning check").click()
            phone_page.locator("input[name=pain][value='2']").check()
            phone_page.locator("input[name=level_left][value='2']").check()
            phone_page.locator("input[name=level_right][value='0']").check()
            phone_page.get_by_role("button", name="Save").click()
            phone_page.get_by_text("Saved").wait_for()
            log_a_set(phone_page, live_server.url)
            phone_page.get_by_text("Keep going").wait_for()
    screenshot(phone_page, "patient-decision")
    with time_machine.travel(at(2, 20), tick=True):
        sign_in(phone_page, live_server.url, "ivy@example.com", "ivy-strong-pass-42")
        phone_page.goto(f"{live_server.url}/me/history/")
        phone_page.locator("#history-chart").wait_for()
        screenshot(phone_page, "patient-history")
    assert patient.prescriptions.get().session_logs.count() == 3
    assert errors == []


def test_therapist_approves_an_advance_and_the_patient_sees_stage_two(
    live_server, browser, screenshot, catalog, therapist
):
    patient = enrolled(therapist, catalog)
    good_days(patient, 0, 9)
    with time_machine.travel(at(10, 8), tick=True):
        desk = browser.new_page()
        errors = watch_console(desk)
        sign_in(desk, live_server.url, "pt")
        desk.get_by_role("link", name="Alert queue").click()
        desk.get_by_text("Ready for the next stage").wait_for()
        screenshot(desk, "pt-alert-queue")
        desk.get_by_placeholder("Reason (required)").first.fill("Easy and settled all week.")
        desk.get_by_role("button", name="Approve").click()
        desk.get_by_text("Done: approve").wait_for()
        phone = browser.new_page(viewport={"width": 375, "height": 812})
        errors += watch_console(phone)
        sign_in(phone, live_server.url, "pat")
        phone.get_by_text("Stage 2 · sitting").wait_for()
        screenshot(phone, "patient-stage-two")
    assert Prescription.objects.get(patient=patient).current_stage == 2
    assert errors == []


def test_symptoms_spreading_down_the_leg_step_the_patient_back(
    live_server, browser, screenshot, catalog, therapist
):
    from prescriptions.services import advance_approve

    patient = enrolled(therapist, catalog)
    good_days(patient, 0, 9)
    proposal = Alert.objects.get(kind=Alert.Kind.ADVANCE_PROPOSED)
    advance_approve(clinician=therapist, alert=proposal, reason="Settled.", now=at(10, 8))
    with time_machine.travel(at(10, 12), tick=True):
        phone = browser.new_page(viewport={"width": 375, "height": 812})
        errors = watch_console(phone)
        sign_in(phone, live_server.url, "pat")
        log_a_set(phone, live_server.url, post_left="3")
        phone.get_by_text("Go back one step").wait_for()
        screenshot(phone, "patient-step-back")
        desk = browser.new_page()
        errors += watch_console(desk)
        sign_in(desk, live_server.url, "pt")
        desk.goto(f"{live_server.url}/pt/alerts/")
        desk.get_by_text("Stepped back a stage").wait_for()
        screenshot(desk, "pt-step-back-alert")
    assert Prescription.objects.get(patient=patient).current_stage == 1
    assert errors == []


def test_a_yes_to_a_safety_question_is_an_emergency(
    live_server, browser, screenshot, catalog, therapist
):
    enrolled(therapist, catalog)
    with time_machine.travel(at(1, 10), tick=True):
        phone = browser.new_page(viewport={"width": 375, "height": 812})
        errors = watch_console(phone)
        sign_in(phone, live_server.url, "pat")
        log_a_set(phone, live_server.url, safety_yes="ces_bladder")
        emergency = phone.locator("#emergency")
        emergency.wait_for()
        assert "emergency department" in emergency.inner_text()
        screenshot(phone, "patient-emergency")
        desk = browser.new_page()
        errors += watch_console(desk)
        sign_in(desk, live_server.url, "pt")
        screenshot(desk, "pt-urgent-caseload")
        desk.goto(f"{live_server.url}/pt/alerts/")
        desk.locator(".badge.text-bg-danger", has_text="Urgent").first.wait_for()
        screenshot(desk, "pt-urgent-alert")
    assert Alert.objects.get().severity == Alert.Severity.URGENT
    assert errors == []


def test_clinic_admin_adds_an_exercise_and_publishes_a_new_protocol_version(
    live_server, page, console_errors, screenshot, catalog
):
    admin = ClinicianFactory(
        role="clinic_admin", user=with_authenticator(UserFactory(username="boss"))
    )
    sign_in(page, live_server.url, "boss")
    page.get_by_role("link", name="Add an exercise").click()
    page.locator("#id_name").fill("Pelvic tilt on the floor")
    page.locator("#id_summary").fill("A small rocking of the pelvis lying down.")
    page.locator("#id_steps").fill("Lie on your back.\nFlatten your lower back.\nRelax.")
    screenshot(page, "admin-exercise-form")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Pelvic tilt on the floor").first.wait_for()
    screenshot(page, "admin-catalog")
    page.goto(f"{live_server.url}/catalog/protocols/")
    page.get_by_role("button", name="Make a clinic copy").first.click()
    page.get_by_role("button", name="Publish").click()
    page.goto(f"{live_server.url}/catalog/protocols/")
    page.get_by_role("button", name="New version").first.click()
    page.get_by_role("button", name="Publish").click()
    page.goto(f"{live_server.url}/catalog/protocols/")
    screenshot(page, "admin-protocols")
    versions = dict(Protocol.objects.filter(clinic=admin.clinic).values_list("version", "status"))
    assert versions == {1: "retired", 2: "published"}
    assert console_errors == []
