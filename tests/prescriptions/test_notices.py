"""Notices to therapists: the urgent outbox relay, its failure modes, and the daily digest."""

import datetime as dt
import smtplib
from http import HTTPStatus
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from prescriptions.models import Alert, OutboxMessage, Prescription
from prescriptions.services.digests import pt_digests_write
from prescriptions.services.outbox import outbox_message_send, outbox_pending_ids
from prescriptions.tasks import outbox_send_task, outbox_sweep_task
from tests import factories

from .conftest import at, log, set_answers

UTC = dt.UTC
NOW = dt.datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def notice(**changes):
    values = {
        "kind": OutboxMessage.Kind.URGENT_PT_NOTICE,
        "dedupe_key": f"test:{OutboxMessage.objects.count()}",
        "recipients": ["pt@example.com"],
        "subject": "Stagewise: an urgent alert is waiting",
        "body": "An urgent alert is waiting.",
    }
    return OutboxMessage.objects.create(**(values | changes))


# --- The relay -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_pending_notice_is_sent_once():
    row = notice()
    assert outbox_message_send(message_id=row.pk, now=NOW)
    assert not outbox_message_send(message_id=row.pk, now=NOW)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.sent_at) == (OutboxMessage.Status.SENT, 1, NOW)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (smtplib.SMTPDataError(421, b"busy"), "SMTPDataError 421"),
        (TimeoutError(), "TimeoutError"),
        (ConnectionRefusedError(), "ConnectionRefusedError"),
    ],
)
def test_a_passing_failure_keeps_the_notice_pending_and_raises_for_a_retry(error, reason):
    row = notice()
    with mock.patch.object(EmailMessage, "send", side_effect=error), pytest.raises(type(error)):
        outbox_message_send(message_id=row.pk, now=NOW)
    row.refresh_from_db()
    # The attempt is recorded although the send failed: the claim was committed first.
    assert (row.status, row.attempts, row.last_error) == (OutboxMessage.Status.PENDING, 1, reason)
    assert outbox_pending_ids() == [row.pk]
    assert outbox_message_send(message_id=row.pk, now=NOW)


@pytest.mark.django_db
def test_a_5xx_answer_fails_the_notice_for_good():
    row = notice()
    error = smtplib.SMTPRecipientsRefused({"pt@example.com": (550, b"no such user")})
    with mock.patch.object(EmailMessage, "send", side_effect=error):
        assert outbox_message_send(message_id=row.pk, now=NOW) is False
    row.refresh_from_db()
    assert (row.status, row.last_error) == (
        OutboxMessage.Status.FAILED,
        "SMTPRecipientsRefused 550",
    )
    assert outbox_pending_ids() == []


@pytest.mark.django_db
def test_the_sweep_frees_a_notice_stuck_with_a_dead_worker_and_sends_it():
    stuck = notice(
        status=OutboxMessage.Status.SENDING, claimed_at=timezone.now() - dt.timedelta(minutes=6)
    )
    busy = notice(status=OutboxMessage.Status.SENDING, claimed_at=timezone.now())
    assert outbox_sweep_task() == 1  # runs eagerly in tests
    stuck.refresh_from_db()
    busy.refresh_from_db()
    assert (stuck.status, busy.status) == (OutboxMessage.Status.SENT, OutboxMessage.Status.SENDING)


@pytest.mark.django_db
def test_the_task_asks_celery_to_retry_a_passing_failure_but_not_a_refusal():
    row = notice()
    with (
        mock.patch.object(EmailMessage, "send", side_effect=TimeoutError()),
        pytest.raises(Retry),
    ):
        outbox_send_task.apply(args=[row.pk])
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxMessage.Status.PENDING, 1)
    refused = smtplib.SMTPDataError(554, b"refused")
    with mock.patch.object(EmailMessage, "send", side_effect=refused):
        assert outbox_send_task.apply(args=[row.pk]).get() is False
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxMessage.Status.FAILED, 2)


# --- A broker outage during a red flag -------------------------------------------------------


def test_a_red_flag_logged_while_the_broker_is_down_succeeds_and_keeps_the_notice(
    client, live, patient, django_capture_on_commit_callbacks
):
    client.force_login(patient.user)
    down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with (
        mock.patch.object(outbox_send_task, "delay", side_effect=down) as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            reverse("prescriptions:session_log"),
            set_answers("9d7c4f3a-0a51-4d3e-8f6e-111111111111", ces_saddle="True"),
        )
    assert response.status_code == HTTPStatus.FOUND
    assert delay.call_count == 1
    held = OutboxMessage.objects.get()
    assert held.status == OutboxMessage.Status.PENDING
    assert Alert.objects.get(prescription=live).severity == Alert.Severity.URGENT
    # The broker is back: the minute sweep relays it.
    assert outbox_sweep_task() == 1
    held.refresh_from_db()
    assert held.status == OutboxMessage.Status.SENT


def test_the_urgent_notice_links_to_the_alert_itself(programme, patient):
    log(patient, at(0), ces_bowel=True)
    alert = Alert.objects.get()
    body = OutboxMessage.objects.get().body
    assert f"/pt/alerts/#alert-{alert.pk}" in body


# --- The daily digest ------------------------------------------------------------------------


def quiet_programme(therapist, *, started_days_ago, last_log_days_ago=None, **patient_fields):
    patient = factories.PatientFactory(
        clinic=therapist.clinic, primary_clinician=therapist, **patient_fields
    )
    prescription = factories.PrescriptionFactory(
        patient=patient, started_at=NOW - dt.timedelta(days=started_days_ago)
    )
    if last_log_days_ago is not None:
        started = NOW - dt.timedelta(days=last_log_days_ago)
        factories.SessionLogFactory(
            prescription=prescription,
            started_at=started,
            entered_at=started,
            local_date=started.date(),
        )
    return prescription


@pytest.fixture
def ward(db):
    clinic = factories.ClinicFactory(timezone="Europe/London")
    therapist = factories.ClinicianFactory(
        clinic=clinic, user__email="pt@example.com", user__first_name="Sam"
    )
    return therapist


@pytest.mark.django_db
def test_the_digest_counts_open_alerts_and_quiet_patients_without_naming_anyone(ward):
    now = dt.datetime(2026, 6, 10, 7, 0, tzinfo=UTC)  # 08:00 in London, after 07:30
    quiet = quiet_programme(ward, started_days_ago=10, last_log_days_ago=4, last_name="Quietly")
    quiet_programme(ward, started_days_ago=10)  # never logged
    quiet_programme(ward, started_days_ago=10, last_log_days_ago=1)  # logged yesterday
    quiet_programme(ward, started_days_ago=2)  # too new to be quiet
    Alert.objects.create(
        prescription=quiet,
        severity=Alert.Severity.HIGH,
        kind=Alert.Kind.REVIEW,
        text="t",
        raised_at=now,
    )
    Alert.objects.create(
        prescription=quiet,
        severity=Alert.Severity.LOW,
        kind=Alert.Kind.REVIEW,
        text="t",
        raised_at=now,
        status=Alert.Status.RESOLVED,
        resolved_at=now,
        resolution=Alert.Resolution.ACKNOWLEDGED,
    )
    report = pt_digests_write(now=now)
    assert (report.due, report.written) == (1, 1)
    digest = OutboxMessage.objects.get(kind=OutboxMessage.Kind.PT_DIGEST)
    assert digest.recipients == ["pt@example.com"]
    assert "Open alerts on your patients: 1\n" in digest.body
    assert "no set logged for 3 days or more: 2\n" in digest.body
    assert "Quietly" not in digest.subject + digest.body
    assert digest.body.startswith("Hello Sam,")


@pytest.mark.django_db
def test_one_digest_a_day_however_many_passes(ward):
    quiet_programme(ward, started_days_ago=10)
    morning = dt.datetime(2026, 6, 10, 7, 0, tzinfo=UTC)
    assert pt_digests_write(now=morning).written == 1
    assert pt_digests_write(now=morning + dt.timedelta(minutes=15)).written == 0
    assert pt_digests_write(now=morning + dt.timedelta(days=1)).written == 1
    assert OutboxMessage.objects.filter(kind=OutboxMessage.Kind.PT_DIGEST).count() == 2


@pytest.mark.django_db
def test_no_digest_before_the_clinic_reaches_digest_time(ward):
    quiet_programme(ward, started_days_ago=10)
    before = dt.datetime(2026, 6, 10, 6, 29, tzinfo=UTC)  # 07:29 in London
    assert pt_digests_write(now=before).written == 0
    assert pt_digests_write(now=before + dt.timedelta(minutes=1)).written == 1


@pytest.mark.django_db
def test_no_digest_when_nothing_needs_the_therapist(ward):
    quiet_programme(ward, started_days_ago=10, last_log_days_ago=1)
    report = pt_digests_write(now=dt.datetime(2026, 6, 10, 8, 0, tzinfo=UTC))
    assert (report.due, report.written) == (1, 0)


@pytest.mark.django_db
def test_a_paused_programme_or_an_inactive_therapist_gets_no_digest(ward):
    paused = quiet_programme(ward, started_days_ago=10)
    paused.status = Prescription.Status.PAUSED
    paused.save()
    gone = factories.ClinicianFactory(clinic=ward.clinic, is_active=False)
    quiet_programme(gone, started_days_ago=10)
    report = pt_digests_write(now=dt.datetime(2026, 6, 10, 8, 0, tzinfo=UTC))
    assert (report.due, report.written) == (1, 0)
