"""The one-click pause link in reminder e-mails: opaque, signed, expiring, and safe to open."""

import datetime as dt
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from prescriptions.models import Prescription
from prescriptions.services.preferences import reminder_pause_token
from prescriptions.services.reminders import reminder_message
from tests.factories import ReminderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reminder(programme, patient):
    patient.email = "pat@example.com"
    patient.last_name = "Canaryfield"
    patient.save()
    return ReminderFactory(prescription=programme)


def pause_path(body: str) -> str:
    line = next(line for line in body.splitlines() if "No reminders for a day" in line)
    return "/" + line.split("/", 3)[3]


def test_the_reminder_carries_a_pause_link_without_patient_details(reminder, patient):
    message = reminder_message(reminder=reminder)
    path = pause_path(message.body)
    assert path.startswith("/r/pause/")
    for detail in (patient.last_name, patient.email, str(patient.public_id)):
        assert detail not in message.body + message.subject


def test_opening_the_link_changes_nothing_and_the_button_pauses_a_day(client, reminder):
    path = pause_path(reminder_message(reminder=reminder).body)
    assert client.get(path).status_code == HTTPStatus.OK
    reminder.prescription.refresh_from_db()
    assert reminder.prescription.reminders_paused_until is None
    assert b"Reminders paused for a day" in client.post(path).content
    paused = Prescription.objects.get(pk=reminder.prescription_id).reminders_paused_until
    assert timezone.now() + dt.timedelta(hours=23) < paused <= timezone.now() + dt.timedelta(days=1)


def test_a_tampered_or_expired_link_is_refused(client, programme):
    token = reminder_pause_token(prescription=programme)
    url = reverse("prescriptions:reminders_pause", kwargs={"token": token[:-2] + "xx"})
    assert client.post(url).status_code == HTTPStatus.BAD_REQUEST
    good = reverse("prescriptions:reminders_pause", kwargs={"token": token})
    with time_machine.travel(timezone.now() + dt.timedelta(days=15)):
        response = client.post(good)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"expired or is not valid" in response.content
    programme.refresh_from_db()
    assert programme.reminders_paused_until is None
