"""Background work for programmes: relaying the outbox."""

from celery import shared_task

from .services.outbox import outbox_message_send, outbox_pending_ids


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=300, max_retries=10)
def outbox_send_task(message_id: int) -> bool:
    """Send one outbox message (an urgent notice to a therapist, for instance)."""
    return outbox_message_send(message_id=message_id)


@shared_task
def outbox_sweep_task() -> int:
    """Queue every message still pending, e.g. those written while the broker was down."""
    ids = outbox_pending_ids()
    for message_id in ids:
        outbox_send_task.delay(message_id)
    return len(ids)
