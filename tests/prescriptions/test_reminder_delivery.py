"""The whole reminder chain on real processes: the dispatch pass in a Celery worker fed through
Redis, Django's SMTP backend, a local SMTP server, the rows marked sent."""

import email

import pytest
from django.utils import timezone

from prescriptions.models import Reminder
from prescriptions.services.reminders import SUBJECT
from prescriptions.tasks import reminders_dispatch_task
from tests import factories
from tests.support.population import patients_with_a_reminder_due
from tests.support.services import tasks_sent_to, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_reminders_due_are_created_sent_by_smtp_and_marked_sent(
    redis_server, smtp_sink, start_worker
):
    now = timezone.now()
    due = patients_with_a_reminder_due(count=5, now=now)
    later = factories.PrescriptionFactory(
        patient=factories.PatientFactory(email="later@sink.test"), reminder_times=[]
    )
    worker = start_worker(redis_server.url())

    with tasks_sent_to(redis_server.url()):
        reminders_dispatch_task.delay(now.isoformat())

    wait_for(
        lambda: Reminder.objects.filter(status=Reminder.Status.SENT).count() == 5,
        timeout=60,
        what="five reminders sent",
        alive=(worker,),
    )
    rows = Reminder.objects.all()
    assert due.rows_per_slot() == dict.fromkeys(due.prescription_ids, 1)
    assert {(r.status, r.attempts, r.last_error) for r in rows} == {(Reminder.Status.SENT, 1, "")}
    assert all(r.sent_at is not None for r in rows)
    assert not Reminder.objects.filter(prescription=later).exists()
    assert smtp_sink.delivered() == dict.fromkeys(due.emails, 1)
    for recipients, raw in smtp_sink.messages():
        message = email.message_from_bytes(raw)
        assert message["Subject"] == SUBJECT
        assert message["To"].lower() == recipients[0]
        body = message.get_payload(decode=True).decode()
        assert "It is time for your exercise session." in body
        assert "/me/" in body
        assert "Robin" not in body  # no patient's name
        assert "Example" not in body
