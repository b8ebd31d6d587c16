"""Relay outbox messages to e-mail: claimed once, sent, marked; retried while the failure is a
passing one.

A message moves pending → sending → sent, or back to pending after a transient failure (the
task retries it, and the sweep re-queues it every minute), or to failed after a permanent one
(a 5xx answer), with the reason. The claim is committed before the mail goes out, so two workers
never send one message; a worker that dies mid-send leaves the row in sending, and
``outbox_sweep_stuck`` puts it back after a few minutes. An urgent notice is never given up on
while its failures are transient.
"""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from ..models import OutboxMessage
from .delivery import delivery_error_is_transient, delivery_error_reason, email_deliver

logger = logging.getLogger(__name__)


def _claim(message_id: int, now: dt.datetime) -> OutboxMessage | None:
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=OutboxMessage.Status.PENDING)
            .first()
        )
        if message is None:
            return None
        message.status = OutboxMessage.Status.SENDING
        message.claimed_at = now
        message.attempts += 1
        message.save(update_fields=["status", "claimed_at", "attempts"])
        return message


def outbox_message_send(*, message_id: int, now: dt.datetime | None = None) -> bool:
    """Send one pending outbox message; True if this call sent it, False if it was not pending
    or was refused for good. A transient failure re-raises, for the task's retry."""
    now = now or timezone.now()
    message = _claim(message_id, now)
    if message is None:
        return False
    try:
        email_deliver(subject=message.subject, body=message.body, to=message.recipients)
    except Exception as exc:
        transient = delivery_error_is_transient(exc)
        message.status = OutboxMessage.Status.PENDING if transient else OutboxMessage.Status.FAILED
        message.last_error = delivery_error_reason(exc)
        message.save(update_fields=["status", "last_error"])
        logger.warning("outbox message %s not sent: %s", message.pk, message.last_error)
        if transient or not isinstance(exc, OSError):
            raise  # retried by the task; or a fault of ours rather than an answer: let it show
        return False
    message.status = OutboxMessage.Status.SENT
    message.sent_at = now
    message.save(update_fields=["status", "sent_at"])
    logger.info("outbox message %s sent", message.pk)
    return True


@transaction.atomic
def outbox_sweep_stuck(
    *, now: dt.datetime, older_than: dt.timedelta = dt.timedelta(minutes=5)
) -> int:
    """Put messages whose worker died while sending back to pending; how many were."""
    return OutboxMessage.objects.filter(
        status=OutboxMessage.Status.SENDING, claimed_at__lt=now - older_than
    ).update(status=OutboxMessage.Status.PENDING)


def outbox_pending_ids(*, limit: int = 100) -> list[int]:
    """Messages still waiting, oldest first: what the relay sweep picks up after an outage."""
    return list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
