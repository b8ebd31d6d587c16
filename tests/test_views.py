"""The front door and each role's home page, and another clinic's patient is a 404."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from tests.factories import ClinicianFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_landing_page_answers_200_for_visitors(client):
    response = client.get("/")
    assert response.status_code == HTTPStatus.OK
    assert b"Sign in" in response.content


def test_login_page_answers_200(client):
    assert client.get(reverse("login")).status_code == HTTPStatus.OK


def test_therapist_lands_on_the_caseload(client, therapist, patient):
    client.force_login(therapist.user)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("prescriptions:caseload")
    assert patient.last_name.encode() in response.content


def test_clinic_admin_lands_on_the_catalog(client, clinic):
    admin = ClinicianFactory(clinic=clinic, role="clinic_admin")
    client.force_login(admin.user)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("exercises:exercise_list")


def test_patient_lands_on_today(client, patient):
    patient.user = UserFactory()
    patient.save()
    client.force_login(patient.user)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("prescriptions:today")


def test_another_clinics_patient_is_404(client, patient):
    outsider = ClinicianFactory()
    client.force_login(outsider.user)
    url = reverse("prescriptions:patient_detail", kwargs={"public_id": patient.public_id})
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND


def test_own_clinics_patient_page_answers_200(client, therapist, patient):
    client.force_login(therapist.user)
    url = reverse("prescriptions:patient_detail", kwargs={"public_id": patient.public_id})
    assert client.get(url).status_code == HTTPStatus.OK


def test_patient_cannot_open_the_caseload(client):
    patient = PatientFactory(user=UserFactory())
    client.force_login(patient.user)
    assert client.get(reverse("prescriptions:caseload")).status_code == HTTPStatus.FORBIDDEN


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("prescriptions:caseload"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("login"))


def test_signed_in_pages_are_never_stored(client, therapist):
    client.force_login(therapist.user)
    response = client.get(reverse("prescriptions:caseload"))
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_the_public_landing_page_may_be_cached(client):
    assert "no-store" not in client.get("/").get("Cache-Control", "")
