"""The evening follow-up (nudge) and text-message reminders (issue 5, items 1 and 3)."""

import datetime as dt
from http import HTTPStatus

import pytest
import sms
from django.urls import reverse

from prescriptions.models import Prescription, Reminder
from prescriptions.services.reminders import NUDGE_SUBJECT, reminder_send, reminders_materialise
from tests import factories

UTC = dt.UTC
DAY = dt.date(2026, 6, 10)
# 19:30 in London (BST) on DAY.
EVENING = dt.datetime(2026, 6, 10, 18, 30, tzinfo=UTC)


def plan(**changes):
    patient_fields = {
        "timezone": "Europe/London",
        "email": "p@example.com",
        "phone": "+447700900123",
        "first_name": "Robin",
    }
    patient_fields |= changes.pop("patient", {})
    patient = factories.PatientFactory(**patient_fields)
    values = {"reminder_times": ["09:00"], "nudge_time": dt.time(19, 30)} | changes
    return factories.PrescriptionFactory(patient=patient, **values)


def logged(prescription, local_date=DAY):
    return factories.SessionLogFactory(
        prescription=prescription,
        local_date=local_date,
        started_at=dt.datetime.combine(local_date, dt.time(8), tzinfo=UTC),
        entered_at=dt.datetime.combine(local_date, dt.time(8, 5), tzinfo=UTC),
    )


@pytest.mark.django_db
def test_the_evening_follow_up_comes_when_the_day_has_no_set(mailoutbox):
    prescription = plan()
    report = reminders_materialise(now=EVENING)
    nudge = Reminder.objects.get()
    assert (report.created, nudge.kind, nudge.slot, nudge.due_at) == (
        1,
        Reminder.Kind.NUDGE,
        "19:30",
        EVENING,
    )
    assert nudge.prescription == prescription
    assert reminder_send(reminder_id=nudge.pk, now=EVENING)
    (mail,) = mailoutbox
    assert mail.subject == NUDGE_SUBJECT
    assert mail.body.startswith("Hello,\n")
    assert "Robin" not in mail.subject + mail.body
    assert "/me/" in mail.body


@pytest.mark.django_db
def test_one_logged_set_silences_the_evening_follow_up():
    logged(plan())
    report = reminders_materialise(now=EVENING)
    assert (report.due, report.created, report.skipped) == (0, 0, 1)


@pytest.mark.django_db
def test_a_set_logged_yesterday_does_not_silence_today():
    logged(plan(), DAY - dt.timedelta(days=1))
    assert reminders_materialise(now=EVENING).created == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes",
    [
        {"nudge_time": None},  # the therapist's plan has none
        {"nudge_wanted": False},  # the patient turned it off
        {"quiet_start": dt.time(19), "quiet_end": dt.time(7)},  # inside quiet hours
        {"reminders_paused_until": EVENING + dt.timedelta(days=1)},
        {"reminder_consent": False},
    ],
)
def test_no_evening_follow_up_when_it_is_off_quiet_or_paused(changes):
    plan(**changes)
    assert reminders_materialise(now=EVENING).created == 0
    assert not Reminder.objects.exists()


@pytest.mark.django_db
def test_quiet_hours_that_end_before_the_follow_up_let_it_through():
    plan(quiet_start=dt.time(22), quiet_end=dt.time(19, 30))
    assert reminders_materialise(now=EVENING).created == 1


@pytest.mark.django_db
def test_a_follow_up_on_a_time_of_the_plan_is_left_to_the_plan():
    plan(reminder_times=["19:30"])
    reminders_materialise(now=EVENING)
    assert list(Reminder.objects.values_list("kind", flat=True)) == [Reminder.Kind.PLAN]


@pytest.mark.django_db
def test_a_text_message_reminder_goes_through_the_sms_backend(mailoutbox):
    sms.outbox = []
    plan(reminder_channel="sms", nudge_time=None)
    reminders_materialise(now=dt.datetime(2026, 6, 10, 8, 0, tzinfo=UTC))  # 09:00 in London
    row = Reminder.objects.get()
    assert row.channel == Reminder.Channel.SMS
    assert reminder_send(reminder_id=row.pk, now=row.due_at)
    (message,) = sms.outbox
    assert message.recipients == ["+447700900123"]
    assert "exercise session" in message.body
    assert "/r/pause/" in message.body
    assert "Robin" not in message.body  # a phone's lock screen shows the text
    assert mailoutbox == []
    row.refresh_from_db()
    assert row.status == Reminder.Status.SENT


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("channel", "patient"),
    [("sms", {"phone": ""}), ("email", {"email": ""})],
)
def test_no_reminder_for_a_channel_the_patient_cannot_be_reached_on(channel, patient):
    plan(reminder_channel=channel, patient=patient)
    assert reminders_materialise(now=EVENING).created == 0


# --- The patient's choices -------------------------------------------------------------------


@pytest.fixture
def signed_in_patient(client, therapist, patient, protocol):
    from .conftest import started_yesterday

    patient.user = factories.UserFactory()
    patient.phone = ""
    patient.save()
    started_yesterday(
        therapist, patient, protocol, reminder_times=["08:00"], nudge_time=dt.time(19, 30)
    )
    client.force_login(patient.user)
    return client


def settings_answers(**changes):
    return {"timezone": "Europe/London", "pause_days": "0", "consent": "on"} | changes


def test_text_messages_need_a_phone_number_on_file(signed_in_patient, patient):
    url = reverse("prescriptions:reminder_settings")
    refused = signed_in_patient.post(url, settings_answers(channel="sms"))
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert b"no mobile number" in refused.content
    assert Prescription.objects.get(patient=patient).reminder_channel == "email"
    patient.phone = "+447700900123"
    patient.save()
    assert signed_in_patient.post(url, settings_answers(channel="sms")).status_code == 302
    assert Prescription.objects.get(patient=patient).reminder_channel == "sms"


def test_the_patient_turns_the_evening_follow_up_off_and_on(signed_in_patient, patient):
    url = reverse("prescriptions:reminder_settings")
    page = signed_in_patient.get(url)
    assert b"in the evening if I have not logged" in page.content
    signed_in_patient.post(url, settings_answers())  # box left unticked
    assert Prescription.objects.get(patient=patient).nudge_wanted is False
    signed_in_patient.post(url, settings_answers(nudge_wanted="on"))
    assert Prescription.objects.get(patient=patient).nudge_wanted is True


def test_no_follow_up_choice_when_the_plan_has_none(signed_in_patient, patient):
    Prescription.objects.filter(patient=patient).update(nudge_time=None)
    page = signed_in_patient.get(reverse("prescriptions:reminder_settings"))
    assert b"in the evening if I have not logged" not in page.content
