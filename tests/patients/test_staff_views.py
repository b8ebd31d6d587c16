"""The clinic admin's staff and rule-default pages."""

from http import HTTPStatus

import pytest
from django.core import mail
from django.http import HttpRequest
from django.urls import reverse

from patients.models import Clinician
from prescriptions.services.inputs import rule_config
from tests.factories import ClinicianFactory, PatientFactory, PrescriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(clinic):
    return ClinicianFactory(clinic=clinic, role="clinic_admin")


def test_inviting_staff_creates_the_member_and_mails_a_link(
    client, admin, django_capture_on_commit_callbacks
):
    client.force_login(admin.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("patients:staff"),
            {
                "first_name": "Kai",
                "last_name": "Osei",
                "email": "kai@example.com",
                "role": "therapist",
            },
        )
    assert response.status_code == HTTPStatus.FOUND
    member = Clinician.objects.get(user__email="kai@example.com")
    assert (member.clinic, member.role) == (admin.clinic, "therapist")
    assert not member.user.has_usable_password()
    assert "/accounts/invite/" in mail.outbox[-1].body


def test_inviting_an_address_already_in_use_keeps_the_form(client, admin, therapist):
    client.force_login(admin.user)
    therapist.user.username = "taken@example.com"
    therapist.user.save()
    response = client.post(
        reverse("patients:staff"),
        {
            "first_name": "Kai",
            "last_name": "Osei",
            "email": "taken@example.com",
            "role": "therapist",
        },
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b'value="Osei"' in response.content


def test_deactivated_staff_cannot_sign_in(client, admin, therapist):
    client.force_login(admin.user)
    client.post(reverse("patients:staff_deactivate", args=[therapist.pk]))
    therapist.refresh_from_db()
    assert therapist.is_active is False
    client.logout()
    assert not client.login(
        request=HttpRequest(), username=therapist.user.username, password="stagewise-test"
    )


def test_an_admin_cannot_deactivate_themselves(client, admin):
    client.force_login(admin.user)
    response = client.post(reverse("patients:staff_deactivate", args=[admin.pk]), follow=True)
    assert b"cannot deactivate your own account" in response.content
    admin.refresh_from_db()
    assert admin.is_active


def test_rule_defaults_reach_the_rules(client, admin, clinic):
    client.force_login(admin.user)
    page = client.get(reverse("patients:rule_defaults"))
    values = {name: field.initial for name, field in page.context["form"].fields.items()}
    client.post(reverse("patients:rule_defaults"), {**values, "p_accept": "4"})
    clinic.refresh_from_db()
    assert clinic.rule_defaults == {"p_accept": 4}
    prescription = PrescriptionFactory(
        patient__clinic=clinic, patient__primary_clinician__clinic=clinic
    )
    assert rule_config(prescription, {}).p_accept == 4
    assert rule_config(prescription, {"p_accept": 3}).p_accept == 3


def test_the_clinic_default_reminder_times_start_every_new_plan(client, admin, clinic, therapist):
    client.force_login(admin.user)
    page = client.get(reverse("patients:rule_defaults"))
    values = {name: field.initial for name, field in page.context["form"].fields.items()}
    bad = client.post(
        reverse("patients:rule_defaults"), {**values, "reminder_times": "7:00, 25:00"}
    )
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert b"25:00" in bad.content  # what was typed stays on the page with the error
    client.post(reverse("patients:rule_defaults"), {**values, "reminder_times": "7:30, 19:00"})
    clinic.refresh_from_db()
    assert clinic.default_reminder_times == ["07:30", "19:00"]
    patient = PatientFactory(clinic=clinic, primary_clinician=therapist)
    client.force_login(therapist.user)
    form = client.get(reverse("prescriptions:prescribe", args=[patient.public_id])).context["form"]
    assert form["reminder_times"].value() == "07:30, 19:00"


def test_out_of_range_rule_default_is_refused(client, admin):
    client.force_login(admin.user)
    page = client.get(reverse("patients:rule_defaults"))
    values = {name: field.initial for name, field in page.context["form"].fields.items()}
    response = client.post(reverse("patients:rule_defaults"), {**values, "p_accept": "11"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "p_accept" in response.context["form"].errors
