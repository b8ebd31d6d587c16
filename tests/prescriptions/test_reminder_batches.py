"""Reminders sent in batches: one mail connection, each row claimed and marked on its own, a
failure confined to its row, passing failures retried, plans computed once per distinct plan."""

import datetime as dt
import smtplib
from unittest import mock

import pytest
import time_machine
from celery.exceptions import Retry
from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend
from django.db import InterfaceError, OperationalError, connection
from django.test import override_settings

from prescriptions import tasks
from prescriptions.models import Reminder
from prescriptions.services import reminders
from prescriptions.services.reminders import (
    SEND_BATCH_SIZE,
    reminders_materialise,
    reminders_send_batch,
)
from tests import factories

UTC = dt.UTC
NOW = dt.datetime(2026, 6, 10, 8, 0, tzinfo=UTC)  # 09:00 in London
DAY = dt.date(2026, 6, 10)


def row(n: int, **changes) -> Reminder:
    patient = factories.PatientFactory(email=f"p{n}@example.com", first_name="Robin")
    prescription = factories.PrescriptionFactory(patient=patient, reminder_times=["09:00"])
    values = {"prescription": prescription, "due_at": NOW, "local_date": DAY}
    values.update(changes)
    return factories.ReminderFactory(**values)


def failing_for(address: str, error: Exception):
    """EmailMessage.send that raises ``error`` for ``address`` and sends everything else."""
    send = EmailMessage.send

    def fake(message, *args, **kwargs):
        if address in message.to:
            raise error
        return send(message, *args, **kwargs)

    return fake


class CountingBackend(EmailBackend):
    """The in-memory backend, counting how many connections were made."""

    made = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        type(self).made += 1


def statuses(*rows: Reminder) -> list[tuple[str, int]]:
    for r in rows:
        r.refresh_from_db()
    return [(r.status, r.attempts) for r in rows]


@pytest.mark.django_db
def test_a_batch_sends_each_and_marks_each_sent_over_one_connection(mailoutbox):
    rows = [row(n) for n in range(3)]
    CountingBackend.made = 0
    with override_settings(
        EMAIL_BACKEND="tests.prescriptions.test_reminder_batches.CountingBackend"
    ):
        report = reminders_send_batch(reminder_ids=[r.pk for r in rows], now=NOW)

    assert report.sent == [r.pk for r in rows]
    assert statuses(*rows) == [(Reminder.Status.SENT, 1)] * 3
    assert all(r.sent_at == NOW for r in rows)
    assert sorted(m.to[0] for m in mailoutbox) == [
        "p0@example.com",
        "p1@example.com",
        "p2@example.com",
    ]
    assert CountingBackend.made == 1


@pytest.mark.django_db
def test_a_second_batch_of_the_same_rows_sends_nothing(mailoutbox):
    rows = [row(n) for n in range(2)]
    ids = [r.pk for r in rows]
    reminders_send_batch(reminder_ids=ids, now=NOW)
    again = reminders_send_batch(reminder_ids=ids, now=NOW)
    assert (again.sent, again.passed) == ([], ids)
    assert len(mailoutbox) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPRecipientsRefused({"p1@example.com": (550, b"no such user")}),
        smtplib.SMTPDataError(554, b"refused"),
    ],
)
def test_a_5xx_answer_fails_only_that_row(error, mailoutbox):
    first, refused, last = row(0), row(1), row(2)
    with mock.patch.object(EmailMessage, "send", failing_for("p1@example.com", error)):
        report = reminders_send_batch(reminder_ids=[first.pk, refused.pk, last.pk], now=NOW)

    assert (report.sent, report.failed, report.retry) == ([first.pk, last.pk], [refused.pk], [])
    assert statuses(first, refused, last) == [
        (Reminder.Status.SENT, 1),
        (Reminder.Status.FAILED, 1),
        (Reminder.Status.SENT, 1),
    ]
    assert refused.last_error.endswith(("550", "554"))
    assert "example.com" not in refused.last_error
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_a_4xx_answer_puts_that_row_back_and_the_batch_goes_on(mailoutbox):
    first, busy, last = row(0), row(1), row(2)
    error = smtplib.SMTPRecipientsRefused({"p1@example.com": (452, b"mailbox busy")})
    with mock.patch.object(EmailMessage, "send", failing_for("p1@example.com", error)):
        report = reminders_send_batch(reminder_ids=[first.pk, busy.pk, last.pk], now=NOW)

    assert (report.sent, report.retry, report.unattempted) == ([first.pk, last.pk], [busy.pk], [])
    assert statuses(busy) == [(Reminder.Status.PENDING, 1)]
    assert busy.last_error == "SMTPRecipientsRefused 452"
    assert len(mailoutbox) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error",
    [smtplib.SMTPServerDisconnected("gone"), TimeoutError("timed out"), ConnectionRefusedError()],
)
def test_a_broken_connection_stops_the_batch_and_leaves_the_rest_pending(error, mailoutbox):
    first, broken, untouched = row(0), row(1), row(2)
    with mock.patch.object(EmailMessage, "send", failing_for("p1@example.com", error)):
        report = reminders_send_batch(reminder_ids=[first.pk, broken.pk, untouched.pk], now=NOW)

    assert (report.sent, report.retry, report.unattempted) == (
        [first.pk],
        [broken.pk],
        [untouched.pk],
    )
    assert statuses(first, broken, untouched) == [
        (Reminder.Status.SENT, 1),
        (Reminder.Status.PENDING, 1),
        (Reminder.Status.PENDING, 0),
    ]
    assert [m.to for m in mailoutbox] == [["p0@example.com"]]


@pytest.mark.django_db
def test_a_fault_of_ours_fails_only_that_row_with_its_class_and_the_batch_goes_on(mailoutbox):
    """Not an answer from the mail server but an error in building the message: that row is
    failed with the error's class as its reason (never retried: it would fail the same way),
    and the others are sent."""
    bad, good = row(0), row(1)
    with mock.patch.object(EmailMessage, "send", failing_for("p0@example.com", ValueError("x"))):
        report = reminders_send_batch(reminder_ids=[bad.pk, good.pk], now=NOW)
    assert (report.failed, report.sent, report.retry) == ([bad.pk], [good.pk], [])
    bad.refresh_from_db()
    assert (bad.status, bad.last_error) == (Reminder.Status.FAILED, "ValueError")
    assert [m.to for m in mailoutbox] == [["p1@example.com"]]


@pytest.mark.django_db
def test_the_last_allowed_attempt_fails_the_row_instead_of_retrying(mailoutbox):
    tired = row(0, attempts=reminders.MAX_ATTEMPTS - 1)
    error = smtplib.SMTPDataError(451, b"later")
    with mock.patch.object(EmailMessage, "send", failing_for("p0@example.com", error)):
        report = reminders_send_batch(reminder_ids=[tired.pk], now=NOW)
    assert (report.failed, report.retry) == ([tired.pk], [])
    assert statuses(tired) == [(Reminder.Status.FAILED, reminders.MAX_ATTEMPTS)]


@pytest.mark.django_db
def test_rows_not_pending_gone_or_too_late_are_passed_over(mailoutbox):
    sent = row(0, status=Reminder.Status.SENT)
    sending = row(1, status=Reminder.Status.SENDING, claimed_at=NOW)
    late = row(2, due_at=NOW - dt.timedelta(minutes=31))
    report = reminders_send_batch(reminder_ids=[sent.pk, sending.pk, late.pk, 10**9], now=NOW)

    assert report.sent == []
    assert report.passed == [sent.pk, sending.pk, late.pk, 10**9]
    assert statuses(sent, sending, late) == [
        (Reminder.Status.SENT, 0),
        (Reminder.Status.SENDING, 0),
        (Reminder.Status.SKIPPED, 0),
    ]
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_batch_out_of_time_claims_nothing_more(mailoutbox):
    rows = [row(n) for n in range(2)]
    report = reminders_send_batch(reminder_ids=[r.pk for r in rows], now=NOW, time_budget=-1)
    assert report.out_of_time
    assert report.unattempted == [r.pk for r in rows]
    assert statuses(*rows) == [(Reminder.Status.PENDING, 0)] * 2
    assert mailoutbox == []


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_batch_task_retries_what_failed_passingly_and_what_it_did_not_reach(mailoutbox):
    first, broken, untouched = row(0), row(1), row(2)
    error = smtplib.SMTPServerDisconnected("gone")
    with (
        mock.patch.object(EmailMessage, "send", failing_for("p1@example.com", error)),
        mock.patch.object(tasks.reminders_send_batch_task, "retry", return_value=Retry()) as retry,
        pytest.raises(Retry),
    ):
        tasks.reminders_send_batch_task([first.pk, broken.pk, untouched.pk])
    retry.assert_called_once_with(args=([broken.pk, untouched.pk],), countdown=30)
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_the_batch_task_hands_what_time_left_to_a_new_task():
    report = reminders.BatchReport(sent=[1], unattempted=[2, 3], out_of_time=True)
    with (
        mock.patch.object(tasks, "reminders_send_batch", return_value=report),
        mock.patch.object(tasks.reminders_send_batch_task, "delay") as delay,
    ):
        result = tasks.reminders_send_batch_task([1, 2, 3])
    delay.assert_called_once_with([2, 3])
    assert result == {"sent": 1, "failed": 0, "passed": 0}


def test_reminders_are_queued_in_batches():
    with mock.patch.object(tasks.reminders_send_batch_task, "apply_async") as apply_async:
        assert tasks.reminders_queue(range(1, 2 * SEND_BATCH_SIZE + 51)) == 3
    batches = [call.kwargs["args"][0] for call in apply_async.call_args_list]
    assert [len(batch) for batch in batches] == [SEND_BATCH_SIZE, SEND_BATCH_SIZE, 50]
    assert [i for batch in batches for i in batch] == list(range(1, 2 * SEND_BATCH_SIZE + 51))
    assert apply_async.call_args_list[2].kwargs["argsrepr"] == "[50 reminder ids]"


@pytest.mark.django_db
def test_each_distinct_plan_is_computed_once():
    for n in range(3):
        row(n).delete()  # three programmes with the same plan, no reminder rows yet
    other = factories.PatientFactory(timezone="Europe/Paris", email="q@example.com")
    factories.PrescriptionFactory(patient=other, reminder_times=["10:00"])
    with mock.patch.object(reminders, "_due_slots", wraps=reminders._due_slots) as computed:
        report = reminders_materialise(now=NOW)
    assert report.created == 4
    assert computed.call_count == 2


@pytest.mark.django_db
def test_a_pass_counts_only_the_rows_it_inserted():
    for n in range(3):
        row(n).delete()
    first = reminders_materialise(now=NOW)
    Reminder.objects.filter(pk=first.created_ids[0]).delete()
    second = reminders_materialise(now=NOW + dt.timedelta(minutes=1))
    assert (first.due, first.created, first.already_existed) == (3, 3, 0)
    assert (second.due, second.created, second.already_existed) == (3, 1, 2)
    assert set(second.created_ids).isdisjoint(first.created_ids)
    assert Reminder.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db
def test_status_changes_of_a_batch_do_not_wait_for_the_disk_and_the_setting_is_restored():
    sending = row(0)
    seen = []

    def deliver(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            seen.append(cursor.fetchone()[0])

    with mock.patch.object(reminders, "reminder_deliver", side_effect=deliver):
        reminders_send_batch(reminder_ids=[sending.pk], now=NOW)
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        after = cursor.fetchone()[0]
    assert seen == ["off"]
    assert after == "on"
    assert statuses(sending) == [(Reminder.Status.SENT, 1)]


@pytest.mark.django_db
def test_at_every_send_the_earlier_rows_are_marked_and_only_this_one_is_sending(mailoutbox):
    """What bounds the duplicates after a crash: when a message goes out, every earlier one of
    the batch is already marked sent (the mark rides on the next claim) and no other row is in
    sending. Neither a row passed over without a claim (already sent) nor a claim that finds
    nothing to send (too late) holds a mark back."""
    rows = [
        row(0),
        row(1),
        row(2, status=Reminder.Status.SENT),
        row(3, due_at=NOW - dt.timedelta(minutes=31)),
        row(4),
    ]
    seen = {}
    deliver = reminders.reminder_deliver

    def deliver_and_look(*, reminder, **kwargs):
        seen[reminder.pk] = statuses(*rows)
        return deliver(reminder=reminder, **kwargs)

    with mock.patch.object(reminders, "reminder_deliver", side_effect=deliver_and_look):
        report = reminders_send_batch(reminder_ids=[r.pk for r in rows], now=NOW)

    sent, sending, pending = (
        (Reminder.Status.SENT, 1),
        (Reminder.Status.SENDING, 1),
        (Reminder.Status.PENDING, 0),
    )
    already, late = (Reminder.Status.SENT, 0), (Reminder.Status.SKIPPED, 0)
    assert seen == {
        rows[0].pk: [sending, pending, already, pending, pending],
        rows[1].pk: [sent, sending, already, pending, pending],
        rows[4].pk: [sent, sent, already, late, sending],
    }
    assert report.sent == [rows[0].pk, rows[1].pk, rows[4].pk]
    assert statuses(*rows) == [sent, sent, already, late, sent]  # the last marked on its own
    assert len(mailoutbox) == 3


@pytest.mark.django_db
@pytest.mark.parametrize("database_still_answers", [True, False])
def test_a_batch_stopped_by_an_error_reports_that_error_and_marks_what_it_can(
    database_still_answers, mailoutbox
):
    """The database dies between two sends: the error that stopped the batch is the one
    raised, not the failure of marking the message sent just before; while the database
    still answers, that message is marked."""
    first, second = row(0), row(1)
    claim = reminders._mark_and_claim
    calls = []

    def claim_then_die(reminder, now, *, mark=None):
        calls.append(reminder.pk)
        if len(calls) == 2:
            raise OperationalError("terminating connection due to administrator command")
        return claim(reminder, now, mark=mark)

    mark = (
        reminders._mark_sent
        if database_still_answers
        else mock.Mock(side_effect=InterfaceError("connection already closed"))
    )
    with (
        mock.patch.object(reminders, "_mark_and_claim", side_effect=claim_then_die),
        mock.patch.object(reminders, "_mark_sent", mark),
        pytest.raises(OperationalError, match="terminating connection"),
    ):
        reminders_send_batch(reminder_ids=[first.pk, second.pk], now=NOW)

    expected_first = (
        Reminder.Status.SENT if database_still_answers else Reminder.Status.SENDING,
        1,
    )
    assert statuses(first, second) == [expected_first, (Reminder.Status.PENDING, 0)]
    assert [m.to for m in mailoutbox] == [["p0@example.com"]]


@pytest.mark.postgres
@pytest.mark.django_db
def test_on_postgresql_a_batch_costs_one_statement_per_reminder(django_assert_num_queries):
    """Load the batch, switch commits to unflushed, one claim-and-mark per reminder, the last
    mark, switch back: 4 + N statements, whatever N."""
    for size in (1, 5):
        rows = [row(100 * size + n) for n in range(size)]
        with django_assert_num_queries(4 + size):
            report = reminders_send_batch(reminder_ids=[r.pk for r in rows], now=NOW)
        assert len(report.sent) == size
