"""A real Celery worker, fed through the configured Redis, relays an urgent notice from the
outbox to a mail server."""

import pytest
from django.conf import settings

from prescriptions.models import OutboxMessage
from tests.support.services import tasks_sent_to, wait_for

from .conftest import at, log


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_worker_sends_the_urgent_notice_queued_through_redis(
    programme, patient, therapist, smtp_sink, start_worker, django_capture_on_commit_callbacks
):
    broker = settings.CELERY_BROKER_URL
    assert broker.startswith("redis://")
    worker = start_worker(broker)
    with tasks_sent_to(broker), django_capture_on_commit_callbacks(execute=True):
        log(patient, at(0), ces_saddle=True)
    notice = OutboxMessage.objects.get()

    wait_for(
        lambda: OutboxMessage.objects.filter(pk=notice.pk, status="sent").exists(),
        timeout=60,
        what="the urgent notice sent",
        alive=(worker,),
    )
    notice.refresh_from_db()
    assert notice.attempts == 1
    assert smtp_sink.delivered()[therapist.user.email.lower()] == 1
