"""A therapist and a patient sign in and reach their home pages in a real browser."""

import pytest
from django.core.management import call_command

from tests.e2e.conftest import watch_console
from tests.factories import ClinicianFactory, PatientFactory, UserFactory

PASSWORD = "stagewise-test"


@pytest.mark.django_db(transaction=True)
def test_therapist_signs_in_and_sees_the_caseload(live_server, page, console_errors, screenshot):
    therapist = ClinicianFactory(user=UserFactory(username="pt-browser"))
    PatientFactory(clinic=therapist.clinic, primary_clinician=therapist, last_name="Browserton")
    page.goto(live_server.url)
    screenshot(page, "landing")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill("pt-browser")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
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
