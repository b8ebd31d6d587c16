"""Reminders: materialised once per due slot, skipped when not wanted, sent once, swept."""

import datetime as dt
import re
import smtplib
import threading
from unittest import mock

import pytest
import time_machine
from django.core.mail import EmailMessage
from django.db import connection

from prescriptions.models import FrequencyPhase, Prescription, Reminder
from prescriptions.services.reminders import (
    MAX_ATTEMPTS,
    SUBJECT,
    day_slots,
    reminder_send,
    reminders_materialise,
    reminders_pending_ids,
    reminders_sweep_stuck,
)
from prescriptions.tasks import reminders_dispatch_task, reminders_sweep_task
from tests import factories

UTC = dt.UTC
# 09:00 in London (BST), 10:00 in Paris, 04:00 in New York.
NOW = dt.datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
DAY = dt.date(2026, 6, 10)
TIMES = ["09:00", "13:00", "18:00"]


def plan(zone="Europe/London", times=TIMES, **changes):
    patient = factories.PatientFactory(timezone=zone, email="p@example.com", first_name="Robin")
    return factories.PrescriptionFactory(patient=patient, reminder_times=list(times), **changes)


def reminder(**changes):
    values = {"due_at": NOW, "local_date": DAY, "prescription": plan()}
    values.update(changes)
    return factories.ReminderFactory(**values)


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        (FrequencyPhase.FLARE, ["08:00", "12:00", "16:00", "20:00"]),
        (FrequencyPhase.TAPER, ["08:00", "20:00"]),
        (FrequencyPhase.MAINTENANCE, ["08:00"]),
    ],
)
def test_the_phase_sets_how_many_slots_a_day(phase, expected):
    assert day_slots(["20:00", "08:00", "16:00", "12:00", "08:00"], phase) == expected


def test_malformed_times_are_left_out():
    assert day_slots(["8:00", "24:00", "12:60", 900, "07:30", "07:30:00"], "FLARE") == ["07:30"]


@pytest.mark.django_db
def test_one_row_per_due_slot_and_a_second_pass_creates_none():
    london, paris = plan(), plan("Europe/Paris", ["10:00"])
    plan("America/New_York")  # 04:00 there: nothing due.

    first = reminders_materialise(now=NOW)
    second = reminders_materialise(now=NOW + dt.timedelta(minutes=1))

    assert (first.due, first.created, first.already_existed) == (2, 2, 0)
    assert (second.due, second.created, second.already_existed) == (2, 0, 2)
    rows = Reminder.objects.order_by("prescription_id")
    assert [(r.prescription_id, r.slot, r.due_at) for r in rows] == [
        (london.pk, "09:00", NOW),
        (paris.pk, "10:00", NOW),
    ]
    assert {r.local_date for r in rows} == {DAY}
    assert all(r.status == Reminder.Status.PENDING for r in rows)


@pytest.mark.django_db
@pytest.mark.parametrize(("late", "created"), [(0, 1), (9, 1), (10, 0), (-1, 0)])
def test_a_missed_tick_is_caught_up_within_the_window(late, created):
    plan()
    report = reminders_materialise(now=NOW + dt.timedelta(minutes=late))
    assert report.created == created


@pytest.mark.django_db
def test_the_pass_costs_a_fixed_number_of_queries(django_assert_num_queries):
    for zone in ("Europe/London", "Europe/Dublin", "Africa/Casablanca", "Atlantic/Reykjavik"):
        plan(zone, ["09:00", "08:00"])
    # PostgreSQL: savepoint, prescriptions, log counts, INSERT … RETURNING, release.
    # SQLite: the same with the existing keys read before and after a plain insert.
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 7):
        report = reminders_materialise(now=NOW)
    assert report.created == 4


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes",
    [
        {"status": Prescription.Status.PAUSED},
        {"status": Prescription.Status.SUSPENDED},
        {"status": Prescription.Status.COMPLETED},
        {"reminder_consent": False},
        {"reminders_paused_until": NOW + dt.timedelta(days=3)},
        {"times": []},
    ],
)
def test_paused_suspended_or_unwanted_programmes_get_nothing(changes):
    plan(**changes)
    report = reminders_materialise(now=NOW)
    assert (report.due, report.created) == (0, 0)
    assert not Reminder.objects.exists()


@pytest.mark.django_db
def test_a_pause_that_has_ended_lets_reminders_through():
    plan(reminders_paused_until=NOW - dt.timedelta(hours=1))
    assert reminders_materialise(now=NOW).created == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end", "created"),
    [
        (dt.time(22, 0), dt.time(9, 30), 0),  # wraps past midnight, covers 09:00
        (dt.time(22, 0), dt.time(9, 0), 1),  # ends as the slot begins
        (dt.time(8, 0), dt.time(12, 0), 0),
        (dt.time(12, 0), dt.time(14, 0), 1),
    ],
)
def test_quiet_hours_skip_a_slot(start, end, created):
    plan(quiet_start=start, quiet_end=end)
    report = reminders_materialise(now=NOW)
    assert report.created == created
    assert report.skipped == 1 - created


@pytest.mark.django_db
@pytest.mark.parametrize(("logs", "created"), [(0, 1), (1, 1), (2, 0), (3, 0)])
def test_a_slot_is_skipped_once_the_day_has_as_many_logs_as_slots_up_to_it(logs, created):
    prescription = plan()
    for _ in range(logs):
        factories.SessionLogFactory(prescription=prescription, local_date=DAY)
    factories.SessionLogFactory(prescription=prescription, local_date=DAY - dt.timedelta(days=1))
    # 13:00 London is the day's second slot: two logs that day satisfy it.
    report = reminders_materialise(now=dt.datetime(2026, 6, 10, 12, 0, tzinfo=UTC))
    assert report.created == created


@pytest.mark.django_db
def test_a_reminder_says_nothing_about_health(programme, mailoutbox):
    canary = "Zqx-canary-7731"
    programme.patient.first_name = "Robin"
    programme.patient.last_name = canary
    programme.patient.email = "robin@example.com"
    programme.patient.save()
    stage = programme.stages.select_related("exercise").first()
    stage.exercise.name = canary
    stage.exercise.save()
    factories.SessionLogFactory(prescription=programme, note=canary)
    Prescription.objects.filter(pk=programme.pk).update(reminder_times=["09:00"])
    row = factories.ReminderFactory(prescription=programme, due_at=NOW)

    assert reminder_send(reminder_id=row.pk, now=NOW)

    (message,) = mailoutbox
    text = f"{message.subject}\n{message.body}"
    assert message.subject == SUBJECT
    assert message.to == ["robin@example.com"]
    assert "Robin" not in message.subject + message.body  # no patient detail at all
    assert "your exercise session" in message.body
    assert "/me/" in message.body
    assert canary not in text
    assert not re.search(r"\b(stage|pain|flexion|knees?|diagnos\w*)\b", text, re.IGNORECASE)


@pytest.mark.django_db
def test_send_moves_pending_to_sent_once(mailoutbox):
    row = reminder()
    assert reminder_send(reminder_id=row.pk, now=NOW + dt.timedelta(seconds=5))
    assert not reminder_send(reminder_id=row.pk, now=NOW + dt.timedelta(seconds=6))
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Reminder.Status.SENT, 1)
    assert row.sent_at == NOW + dt.timedelta(seconds=5)
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_row_claimed_by_another_worker_is_not_sent(mailoutbox):
    row = reminder(status=Reminder.Status.SENDING, claimed_at=NOW)
    assert not reminder_send(reminder_id=row.pk, now=NOW)
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_transient_mail_error_leaves_it_retryable_then_failed(mailoutbox):
    row = reminder()
    error = smtplib.SMTPServerDisconnected("mailbox robin@example.com gone")
    with mock.patch.object(EmailMessage, "send", side_effect=error):
        for attempt in range(1, MAX_ATTEMPTS):
            with pytest.raises(smtplib.SMTPServerDisconnected):
                reminder_send(reminder_id=row.pk, now=NOW)
            row.refresh_from_db()
            assert (row.attempts, row.status) == (attempt, Reminder.Status.PENDING)
        # The last attempt gives up without raising: nothing is left to retry.
        assert reminder_send(reminder_id=row.pk, now=NOW) is False
    row.refresh_from_db()
    assert row.attempts == MAX_ATTEMPTS
    assert row.status == Reminder.Status.FAILED
    assert row.last_error == "SMTPServerDisconnected"
    assert reminder_send(reminder_id=row.pk, now=NOW) is False


@pytest.mark.django_db
def test_a_transient_error_then_success():
    row = reminder()
    with (
        mock.patch.object(EmailMessage, "send", side_effect=ConnectionRefusedError()),
        pytest.raises(ConnectionRefusedError),
    ):
        reminder_send(reminder_id=row.pk, now=NOW)
    row.refresh_from_db()
    assert (row.status, row.last_error) == (Reminder.Status.PENDING, "ConnectionRefusedError")
    assert reminder_send(reminder_id=row.pk, now=NOW + dt.timedelta(minutes=1))
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Reminder.Status.SENT, 2)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("error", "status", "reason"),
    [
        (smtplib.SMTPDataError(451, b"try later"), Reminder.Status.PENDING, "SMTPDataError 451"),
        (TimeoutError("timed out"), Reminder.Status.PENDING, "TimeoutError"),
        (
            smtplib.SMTPRecipientsRefused({"p@example.com": (452, b"busy")}),
            Reminder.Status.PENDING,
            "SMTPRecipientsRefused 452",
        ),
    ],
)
def test_a_4xx_answer_or_a_timeout_is_retried(error, status, reason):
    row = reminder()
    with mock.patch.object(EmailMessage, "send", side_effect=error), pytest.raises(type(error)):
        reminder_send(reminder_id=row.pk, now=NOW)
    row.refresh_from_db()
    assert (row.status, row.last_error, row.attempts) == (status, reason, 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (smtplib.SMTPDataError(550, b"p@example.com rejected"), "SMTPDataError 550"),
        (
            smtplib.SMTPRecipientsRefused({"p@example.com": (550, b"no such user")}),
            "SMTPRecipientsRefused 550",
        ),
    ],
)
def test_a_5xx_answer_fails_at_once_without_a_retry(error, reason, caplog):
    row = reminder()
    with mock.patch.object(EmailMessage, "send", side_effect=error):
        assert reminder_send(reminder_id=row.pk, now=NOW) is False
    row.refresh_from_db()
    assert (row.status, row.last_error, row.attempts) == (Reminder.Status.FAILED, reason, 1)
    assert "example.com" not in row.last_error + caplog.text


@pytest.mark.django_db
def test_an_unexpected_error_fails_the_row_and_is_raised():
    row = reminder()
    with (
        mock.patch.object(EmailMessage, "send", side_effect=ValueError("bad header")),
        pytest.raises(ValueError, match="bad header"),
    ):
        reminder_send(reminder_id=row.pk, now=NOW)
    row.refresh_from_db()
    assert (row.status, row.last_error) == (Reminder.Status.FAILED, "ValueError")


@pytest.mark.django_db
def test_a_reminder_more_than_half_an_hour_late_is_skipped(mailoutbox):
    row = reminder()
    assert not reminder_send(reminder_id=row.pk, now=NOW + dt.timedelta(minutes=31))
    row.refresh_from_db()
    assert row.status == Reminder.Status.SKIPPED
    assert mailoutbox == []


@pytest.mark.django_db
def test_sweep_frees_only_rows_stuck_in_sending():
    stuck = reminder(status=Reminder.Status.SENDING, claimed_at=NOW - dt.timedelta(minutes=6))
    busy = reminder(status=Reminder.Status.SENDING, claimed_at=NOW - dt.timedelta(minutes=1))
    assert reminders_sweep_stuck(now=NOW) == 1
    stuck.refresh_from_db()
    busy.refresh_from_db()
    assert (stuck.status, busy.status) == (Reminder.Status.PENDING, Reminder.Status.SENDING)
    assert reminders_pending_ids(now=NOW) == [stuck.pk]


@pytest.mark.django_db
def test_dispatch_task_queues_each_created_row_after_commit(
    django_capture_on_commit_callbacks, mailoutbox
):
    plan()
    with (
        time_machine.travel(NOW + dt.timedelta(seconds=20), tick=False),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        report = reminders_dispatch_task()
    assert report["created"] == 1
    assert len(callbacks) == 1
    assert Reminder.objects.get().status == Reminder.Status.SENT
    assert len(mailoutbox) == 1


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_sweep_task_sends_what_a_dead_worker_left(mailoutbox):
    now = NOW
    reminder(
        due_at=now - dt.timedelta(minutes=8),
        status=Reminder.Status.SENDING,
        claimed_at=now - dt.timedelta(minutes=7),
    )
    assert reminders_sweep_task() == 1
    assert Reminder.objects.get().status == Reminder.Status.SENT
    assert len(mailoutbox) == 1


def run_together(target, count=4):
    """Run ``target`` in ``count`` threads released at once; their results and errors."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except Exception as exc:  # collected and asserted by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlapping_passes_and_workers_send_each_reminder_once(mailoutbox):
    plan()
    plan("Europe/Paris", ["10:00"])

    reports, errors = run_together(lambda: reminders_materialise(now=NOW))
    assert errors == []
    assert Reminder.objects.count() == 2
    assert all(report.due == 2 for report in reports)

    row = Reminder.objects.first()
    sent, errors = run_together(lambda: reminder_send(reminder_id=row.pk, now=NOW))
    assert errors == []
    assert sorted(sent) == [False, False, False, True]
    assert len(mailoutbox) == 1
