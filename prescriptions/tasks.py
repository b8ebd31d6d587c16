"""Background work for programmes: relaying the outbox, sending exercise reminders, writing
the therapists' daily digests. Every task is idempotent: delivery is at least once."""

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.db import transaction
from django.utils import timezone

from .services.digests import pt_digests_write
from .services.outbox import outbox_message_send, outbox_pending_ids, outbox_sweep_stuck
from .services.reminders import (
    SEND_BATCH_SIZE,
    reminders_materialise,
    reminders_pending_ids,
    reminders_send_batch,
    reminders_sweep_stuck,
)


def _on_commit_robust(queue: Callable[[], None], *, name: str) -> None:
    """Run ``queue`` once the current transaction commits.

    A broker outage is logged, not raised: the request that wrote the row (an urgent notice, a
    reminder) still succeeds, the row stays pending, and a sweep queues it when the broker is
    back. ``name`` is what Django's log line names on such a failure.
    """
    queue.__qualname__ = name
    transaction.on_commit(queue, robust=True)


def task_queue_on_commit(task: Any, *args: object) -> None:
    """Queue ``task`` once the current transaction commits (see ``_on_commit_robust``)."""
    _on_commit_robust(lambda: task.delay(*args), name=f"{task.name}.delay")


# Transient failures (OSError covers smtplib's errors and timeouts) retry with backoff; after the
# last retry the row stays pending and the minute sweep keeps trying, so a notice is not lost.
@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=300, max_retries=10)
def outbox_send_task(message_id: int) -> bool:
    """Send one outbox message (an urgent notice to a therapist, for instance)."""
    return outbox_message_send(message_id=message_id)


@shared_task
def outbox_sweep_task() -> int:
    """Free messages stuck with a dead worker and queue every pending one, e.g. those written
    while the broker was down."""
    outbox_sweep_stuck(now=timezone.now())
    ids = outbox_pending_ids()
    for message_id in ids:
        outbox_send_task.delay(message_id)
    return len(ids)


# A batch whose mail server failed passingly is tried again after 30 s, doubling, capped at
# 5 minutes; the rows' own attempt count (MAX_ATTEMPTS) and lateness limit end it.
BATCH_RETRY_BACKOFF = 30
BATCH_RETRY_BACKOFF_MAX = 300


@shared_task(bind=True, max_retries=8)
def reminders_send_batch_task(self: Any, reminder_ids: list[int]) -> dict[str, int]:
    """Send a batch of patients' exercise reminders over one mail connection.

    Rows put back by a passing failure, and those the batch did not reach because the
    connection broke, are retried together after a backoff; rows left when the batch ran out
    of time go to a new task at once.
    """
    report = reminders_send_batch(reminder_ids=reminder_ids)
    if report.out_of_time:
        reminders_send_batch_task.delay(report.unattempted)
        again = report.retry
    else:
        again = report.retry + report.unattempted
    if again:
        countdown = get_exponential_backoff_interval(
            BATCH_RETRY_BACKOFF, self.request.retries, BATCH_RETRY_BACKOFF_MAX
        )
        raise self.retry(args=(again,), countdown=countdown)
    return {"sent": len(report.sent), "failed": len(report.failed), "passed": len(report.passed)}


def reminders_queue(reminder_ids: Sequence[int], *, on_commit: bool = False) -> int:
    """Queue reminders for sending in batches of ``SEND_BATCH_SIZE``; how many tasks.

    All batches go through one broker connection, and each message is labelled with its size
    rather than a printout of its ids, which at 100,000 reminders saves seconds. ``on_commit``
    waits for the current transaction to commit, so a worker never looks for a row it cannot
    see yet; should the broker be down then, the rows stay pending for the sweep.
    """
    ids = list(reminder_ids)
    batches = [ids[i : i + SEND_BATCH_SIZE] for i in range(0, len(ids), SEND_BATCH_SIZE)]

    def publish() -> None:
        with reminders_send_batch_task.app.producer_or_acquire() as producer:
            for batch in batches:
                reminders_send_batch_task.apply_async(  # type: ignore[call-arg]  # not in the stubs
                    args=(batch,), argsrepr=f"[{len(batch)} reminder ids]", producer=producer
                )

    if not batches:
        return 0
    if on_commit:
        _on_commit_robust(publish, name=f"{reminders_send_batch_task.name}.apply_async")
    else:
        publish()
    return len(batches)


@shared_task
def reminders_dispatch_task(now_iso: str | None = None) -> dict[str, int]:
    """Create the reminders due this minute in every patient's local time and queue them.

    ``now_iso`` (an aware ISO-8601 instant) replays a pass at another time; beat leaves it out.
    """
    now = dt.datetime.fromisoformat(now_iso) if now_iso else timezone.now()
    with transaction.atomic():
        report = reminders_materialise(now=now)
        reminders_queue(report.created_ids, on_commit=True)
    return report.as_dict()


@shared_task
def reminders_sweep_task() -> int:
    """Free reminders stuck with a dead worker and queue every pending one still worth sending."""
    now = timezone.now()
    reminders_sweep_stuck(now=now)
    ids = reminders_pending_ids(now=now)
    reminders_queue(ids)
    return len(ids)


@shared_task
def pt_digests_task() -> dict[str, int]:
    """Write the day's digest for each therapist whose clinic has reached digest time."""
    report = pt_digests_write(now=timezone.now())
    return {"due": report.due, "written": report.written}
