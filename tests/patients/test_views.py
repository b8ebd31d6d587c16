"""The therapist's new-patient flow: register, intake, prescribe, invite; then pause and
discharge. Bad input re-renders with a 400 and keeps what was entered."""

import datetime as dt
import re
from http import HTTPStatus

import pytest
from django.core import mail
from django.core.management import call_command
from django.http import HttpRequest
from django.urls import reverse

from exercises.models import Protocol
from patients.models import Intake, Patient
from patients.red_flags import INTAKE_QUESTIONS
from prescriptions.models import Prescription
from tests.factories import ClinicianFactory

pytestmark = pytest.mark.django_db


def intake_answers(odi="2", **changes):
    answers = {f"odi_{i}": odi for i in range(10)}
    answers |= {f"flag_{q.key}": "no" for q in INTAKE_QUESTIONS}
    answers |= {"baseline_pain": "4", "baseline_level_left": "3", "baseline_level_right": "0"}
    answers.update(changes)
    return answers


@pytest.fixture
def signed_in(client, therapist):
    client.force_login(therapist.user)
    call_command("seed_catalog", verbosity=0)
    return client


def test_register_a_patient_then_go_to_intake(signed_in, therapist):
    response = signed_in.post(
        reverse("patients:patient_new"),
        {
            "first_name": "Ada",
            "last_name": "Quill",
            "date_of_birth": "1970-04-02",
            "email": "ada@example.com",
            "timezone": "Europe/Paris",
        },
    )
    patient = Patient.objects.get(last_name="Quill")
    assert (patient.clinic, patient.primary_clinician) == (therapist.clinic, therapist)
    assert response["Location"] == reverse("patients:intake", args=[patient.public_id])


def test_a_bad_registration_is_a_400_that_keeps_the_entries(signed_in):
    response = signed_in.post(
        reverse("patients:patient_new"),
        {
            "first_name": "Ada",
            "last_name": "Quill",
            "date_of_birth": "not a date",
            "timezone": "Mars/Olympus",
        },
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(response.context["form"].errors) >= {"date_of_birth", "timezone", "email"}
    assert b'value="Quill"' in response.content
    assert not Patient.objects.exists()


def test_intake_scores_the_odi_and_leads_to_prescribing(signed_in, patient):
    url = reverse("patients:intake", args=[patient.public_id])
    assert signed_in.get(url).status_code == HTTPStatus.OK
    response = signed_in.post(url, intake_answers(odi_8=""))
    intake = Intake.objects.get(patient=patient)
    assert float(intake.odi.percent) == 40.0
    assert intake.odi.answers[8] is None
    assert response["Location"] == reverse("prescriptions:prescribe", args=[patient.public_id])


def test_an_unanswered_red_flag_is_a_400_that_keeps_the_odi(signed_in, patient):
    answers = intake_answers(odi="3")
    del answers["flag_fever"]
    response = signed_in.post(reverse("patients:intake", args=[patient.public_id]), answers)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "flag_fever" in response.context["form"].errors
    form = response.context["form"]
    assert [field.value() for field in form.odi_fields] == ["3"] * 10
    assert not Intake.objects.exists()


def test_prescribing_after_intake_starts_the_programme(signed_in, patient):
    signed_in.post(reverse("patients:intake", args=[patient.public_id]), intake_answers())
    protocol = Protocol.objects.get(slug="lumbar-flexion-progression")
    response = signed_in.post(
        reverse("prescriptions:prescribe", args=[patient.public_id]),
        {
            "protocol": protocol.pk,
            "start_stage": "1",
            "reminder_times": "8:00, 18:30",
            "nudge_time": "20:15",
            "reps_1": "8",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    prescription = Prescription.objects.get(patient=patient)
    assert prescription.reminder_times == ["08:00", "18:30"]
    assert prescription.nudge_time == dt.time(20, 15)
    assert prescription.stages.get(number=1).reps == 8
    assert prescription.stages.get(number=2).reps == 10


def test_the_odi_gate_refusal_is_shown_on_the_form(signed_in, patient):
    signed_in.post(reverse("patients:intake", args=[patient.public_id]), intake_answers(odi="5"))
    protocol = Protocol.objects.get(slug="lumbar-flexion-progression")
    response = signed_in.post(
        reverse("prescriptions:prescribe", args=[patient.public_id]),
        {"protocol": protocol.pk, "start_stage": "1", "reminder_times": "08:00"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"ODI above 80%" in response.content
    assert not Prescription.objects.exists()


def test_bad_reminder_times_are_refused_by_name(signed_in, patient):
    signed_in.post(reverse("patients:intake", args=[patient.public_id]), intake_answers())
    protocol = Protocol.objects.get(slug="lumbar-flexion-progression")
    response = signed_in.post(
        reverse("prescriptions:prescribe", args=[patient.public_id]),
        {"protocol": protocol.pk, "start_stage": "1", "reminder_times": "08:00, 25:99"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "25:99" in str(response.context["form"].errors["reminder_times"])


def test_invitation_link_sets_a_password_once(
    client, signed_in, patient, django_capture_on_commit_callbacks
):
    patient.email = "pat@example.com"
    patient.save()
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(reverse("patients:invite", args=[patient.public_id]))
    message = mail.outbox[-1]
    assert message.body.startswith("Hello,\n")
    assert patient.first_name not in message.body + message.subject
    assert patient.last_name not in message.body + message.subject
    link = re.search(r"https?://\S+", message.body).group(0)
    path = link.split("8000", 1)[-1] if "8000" in link else link
    signed_in.logout()
    form_page = client.get(path, follow=True)
    assert b"Choose a password" in form_page.content
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-long-new-pass-123", "new_password2": "a-long-new-pass-123"},
    )
    assert done.status_code == HTTPStatus.FOUND
    assert client.login(
        request=HttpRequest(), username="pat@example.com", password="a-long-new-pass-123"
    )
    client.logout()
    assert b"has been used or has expired" in client.get(path, follow=True).content


def test_pause_and_discharge_need_a_reason(signed_in, patient):
    signed_in.post(reverse("patients:intake", args=[patient.public_id]), intake_answers())
    protocol = Protocol.objects.get(slug="lumbar-flexion-progression")
    signed_in.post(
        reverse("prescriptions:prescribe", args=[patient.public_id]),
        {"protocol": protocol.pk, "start_stage": "1", "reminder_times": "08:00"},
    )
    url = reverse("prescriptions:status_change", args=[patient.public_id])
    signed_in.post(url, {"to_status": "paused", "reason": ""})
    assert Prescription.objects.get(patient=patient).status == "active"
    signed_in.post(url, {"to_status": "paused", "reason": "Holiday for a week."})
    assert Prescription.objects.get(patient=patient).status == "paused"
    signed_in.post(url, {"to_status": "completed", "reason": "Goals met."})
    assert Prescription.objects.get(patient=patient).status == "completed"


def test_another_clinics_patient_intake_is_404(client, patient):
    client.force_login(ClinicianFactory().user)
    url = reverse("patients:intake", args=[patient.public_id])
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert client.post(reverse("patients:invite", args=[patient.public_id])).status_code == 404
