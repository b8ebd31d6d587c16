"""A therapist and a patient sign in and reach their home pages in a real browser."""

import base64

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import totp_code
from tests.e2e.conftest import watch_console
from tests.factories import ClinicianFactory, PatientFactory, UserFactory

PASSWORD = "stagewise-test"


@pytest.mark.django_db(transaction=True)
def test_therapist_signs_in_and_sees_the_caseload(live_server, page, console_errors, screenshot):
    therapist = ClinicianFactory(user=UserFactory(username="pt-browser"))
    device = TOTPDevice.objects.create(user=therapist.user, name="phone", confirmed=True)
    PatientFactory(clinic=therapist.clinic, primary_clinician=therapist, last_name="Browserton")
    page.goto(live_server.url)
    screenshot(page, "landing")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill("pt-browser")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code from your authenticator app").fill(totp_code(device))
    screenshot(page, "two-step-sign-in")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="My caseload").wait_for()
    assert page.get_by_text("Browserton").is_visible()
    screenshot(page, "therapist-caseload")
    assert console_errors == []


@pytest.mark.django_db(transaction=True)
def test_patient_signs_in_on_a_phone_and_sees_today(live_server, phone_page, screenshot):
    call_command("seed_catalog", verbosity=0)
    patient = PatientFactory(user=UserFactory(username="patient-browser"))
    errors = watch_console(phone_page)
    phone_page.goto(f"{live_server.url}/accounts/login/")
    phone_page.get_by_label("Username").fill("patient-browser")
    phone_page.get_by_label("Password").fill(PASSWORD)
    phone_page.get_by_role("button", name="Sign in").click()
    phone_page.get_by_text(f"Hello {patient.first_name}").wait_for()
    screenshot(phone_page, "patient-today-phone")
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_a_new_therapist_sets_up_the_second_step_before_the_caseload(
    live_server, page, console_errors, screenshot
):
    from django_otp.oath import TOTP

    ClinicianFactory(user=UserFactory(username="pt-new"))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("pt-new")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Two-step sign-in").wait_for()
    assert page.locator("svg").first.is_visible()
    screenshot(page, "two-step-set-up")
    # The key as the page shows it is all an authenticator app needs.
    key = base64.b32decode(page.locator("code").inner_text())
    code = TOTP(key).token()
    page.get_by_label("Code from your authenticator app").fill(f"{code:06d}")
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("heading", name="My caseload").wait_for()
    assert console_errors == []
