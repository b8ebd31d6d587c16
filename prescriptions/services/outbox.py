"""Relay outbox messages to e-mail: claimed once, sent, marked, retried when sending fails."""

import datetime as dt
import logging

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from ..models import OutboxMessage

logger = logging.getLogger(__name__)


def outbox_message_send(*, message_id: int, now: dt.datetime | None = None) -> bool:
    """Send one pending outbox message; True if this call sent it, False if it was not pending.

    The row is locked while sending, so two workers never send the same message.
    """
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status__in=[OutboxMessage.Status.PENDING])
            .first()
        )
        if message is None:
            return False
        message.attempts += 1
        try:
            EmailMessage(message.subject, message.body, to=message.recipients).send()
        except Exception as exc:
            message.last_error = f"{type(exc).__name__}"[:300]
            message.save(update_fields=["attempts", "last_error"])
            logger.warning("outbox message %s failed: %s", message.pk, message.last_error)
            raise
        message.status = OutboxMessage.Status.SENT
        message.sent_at = now or timezone.now()
        message.save(update_fields=["attempts", "status", "sent_at"])
        logger.info("outbox message %s sent", message.pk)
        return True


def outbox_pending_ids(*, limit: int = 100) -> list[int]:
    """Messages still waiting, oldest first: what the relay sweep picks up after an outage."""
    return list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
