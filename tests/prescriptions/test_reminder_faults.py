"""Reminders and notices survive crashes and outages: real worker processes, a private Redis,
Django's SMTP backend and a local SMTP sink that counts what arrives.

After every fault: each due slot has exactly one Reminder row and it ends ``sent`` (nothing lost,
nothing doubled in the database), every patient got the reminder at the sink, and messages
delivered twice number no more than the crashes that could fall between a send and its mark.
"""

import datetime as dt
import os
import re
import signal
import time
import uuid
from http import HTTPStatus

import pytest
import redis
from django.urls import reverse
from django.utils import timezone

from prescriptions.models import Alert, OutboxMessage, Reminder
from prescriptions.services.reminders import reminders_sweep_stuck
from prescriptions.tasks import reminders_dispatch_task, reminders_sweep_task
from tests.support.population import Population, patients_with_a_reminder_due
from tests.support.services import tasks_sent_to, wait_for
from tests.support.smtp_sink import Mode

from .conftest import set_answers

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# A batch the size the issue names; the workers are killed once a fifth of it has been sent.
BATCH = 10_000
# Pool processes killed under a running worker: a smaller batch does.
POOL_BATCH = 1_000
# The age at which the beat's five-minute sweep frees a row stuck in "sending".
SWEEP_AGE = dt.timedelta(minutes=5, seconds=1)


def sent_count() -> int:
    return Reminder.objects.filter(status=Reminder.Status.SENT).count()


def assert_nothing_lost_or_doubled(population: Population, sink, *, crashes: int) -> None:
    """One row per due slot, all sent; every patient mailed; duplicates ≤ crashes."""
    rows = population.rows_per_slot()
    assert set(rows.values()) == {1}, "a due slot has no row or more than one"
    assert Reminder.objects.count() == len(population.prescription_ids)
    statuses = set(Reminder.objects.values_list("status", flat=True).distinct())
    assert statuses == {Reminder.Status.SENT}
    delivered = sink.delivered()
    assert set(delivered) == population.emails, "a patient got no reminder at the sink"
    assert sink.duplicates() <= crashes


def settled(population_size: int, killed_at: dt.datetime, queue_length) -> bool:
    """The restarted worker has done all it can: the queue is empty and nothing is being sent
    by a live worker; what is left waits for the sweep."""
    if sent_count() == population_size:
        return True
    live_sending = Reminder.objects.filter(
        status=Reminder.Status.SENDING, claimed_at__gte=killed_at
    ).exists()
    return queue_length() == 0 and not live_sending


def stable(condition, checks: int = 3, interval: float = 1.0):
    """A condition that holds on ``checks`` polls ``interval`` apart (a drained queue can look
    empty for the instant between a pop and a claim)."""

    def check() -> bool:
        for n in range(checks):
            if not condition():
                return False
            if n < checks - 1:
                time.sleep(interval)
        return True

    return check


# --- (a) SIGKILL in the middle of a batch of 10,000 ------------------------------------------


@pytest.mark.slow
def test_a_worker_killed_mid_batch_of_10000_loses_and_doubles_nothing(
    redis_server, smtp_sink, start_worker
):
    queue = redis.Redis.from_url(redis_server.url())
    started = time.monotonic()
    now = timezone.now()
    population = patients_with_a_reminder_due(count=BATCH, now=now)
    created_in = time.monotonic() - started

    first = start_worker(redis_server.url(), pool="prefork", concurrency=2)
    with tasks_sent_to(redis_server.url()):
        reminders_dispatch_task.delay(now.isoformat())
    wait_for(
        lambda: smtp_sink.total() >= BATCH // 5, timeout=900, what="a fifth sent", alive=(first,)
    )
    first.kill()  # SIGKILL to the worker and its two pool processes at once
    killed_at = timezone.now()  # every row claimed before this was claimed by the dead worker
    killed_after = time.monotonic() - started
    crashes = first.concurrency
    sent_before_kill = smtp_sink.total()
    assert 0 < sent_count() < BATCH

    second = start_worker(redis_server.url(), pool="prefork", concurrency=2)
    wait_for(
        stable(lambda: settled(BATCH, killed_at, lambda: queue.llen("celery"))),
        timeout=900,
        what="the restarted worker to drain the queue",
        alive=(second,),
    )
    # What the dead worker held: rows claimed (maybe sent, not marked) and messages taken from
    # the queue but never acknowledged. The beat's sweep, five minutes on, frees the first and
    # re-queues pending rows (a bounded number per run; beat runs it again until none is left).
    freed = reminders_sweep_stuck(now=timezone.now() + SWEEP_AGE)
    for _sweep in range(5):
        with tasks_sent_to(redis_server.url()):
            reminders_sweep_task.delay()
        wait_for(
            stable(lambda: settled(BATCH, killed_at, lambda: queue.llen("celery"))),
            timeout=300,
            what="the sweep's re-queued reminders handled",
            alive=(second,),
        )
        if sent_count() == BATCH:
            break
    took = time.monotonic() - started
    print(
        f"\n{BATCH} reminders: patients written in {created_in:.1f} s; worker killed at "
        f"{killed_after:.1f} s after {sent_before_kill} sent; all sent at {took:.1f} s "
        f"({BATCH / (took - created_in):.0f}/s); {freed} freed by the sweep; "
        f"{smtp_sink.duplicates()} duplicate(s) at the sink"
    )
    assert freed <= crashes
    assert_nothing_lost_or_doubled(population, smtp_sink, crashes=crashes)


def test_pool_processes_killed_mid_task_have_their_tasks_redelivered_at_once(
    redis_server, smtp_sink, start_worker
):
    """``reject_on_worker_lost``: when a pool process dies, its task goes back to the queue
    (instead of being acknowledged as failed), so its pending reminders need no sweep."""
    queue = redis.Redis.from_url(redis_server.url())
    now = timezone.now()
    population = patients_with_a_reminder_due(count=POOL_BATCH, now=now)
    worker = start_worker(redis_server.url(), pool="prefork", concurrency=2)
    with tasks_sent_to(redis_server.url()):
        reminders_dispatch_task.delay(now.isoformat())
    wait_for(
        lambda: smtp_sink.total() >= POOL_BATCH // 5,
        timeout=600,
        what="a fifth sent",
        alive=(worker,),
    )
    children = worker.children()
    assert len(children) == 2
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    # Rows claimed before this were claimed by the dead processes (the pool takes far longer
    # to start new ones).
    killed_at = timezone.now()
    assert 0 < sent_count() < POOL_BATCH

    wait_for(
        stable(lambda: settled(POOL_BATCH, killed_at, lambda: queue.llen("celery"))),
        timeout=600,
        what="the worker's new pool processes to drain the queue",
        alive=(worker,),
    )
    assert "WorkerLostError" in worker.logfile.read_text()
    # Nothing waits for the sweep but rows a dead process had claimed (one each at most).
    assert not Reminder.objects.filter(status=Reminder.Status.PENDING).exists()
    assert Reminder.objects.filter(status=Reminder.Status.SENDING).count() <= len(children)

    reminders_sweep_stuck(now=timezone.now() + SWEEP_AGE)
    with tasks_sent_to(redis_server.url()):
        reminders_sweep_task.delay()
    wait_for(lambda: sent_count() == POOL_BATCH, timeout=120, what="all sent", alive=(worker,))
    assert_nothing_lost_or_doubled(population, smtp_sink, crashes=len(children))


# --- (b) SIGTERM mid-batch: a warm shutdown ----------------------------------------------------

# Smaller than the crash batch: a warm shutdown has no dead worker's leftovers to sweep.
TERM_BATCH = 2_000


@pytest.mark.slow
def test_a_worker_stopped_with_sigterm_mid_batch_hands_over_cleanly(
    redis_server, smtp_sink, start_worker
):
    now = timezone.now()
    population = patients_with_a_reminder_due(count=TERM_BATCH, now=now)
    first = start_worker(redis_server.url(), pool="prefork", concurrency=2)
    with tasks_sent_to(redis_server.url()):
        reminders_dispatch_task.delay(now.isoformat())
    wait_for(
        lambda: smtp_sink.total() >= TERM_BATCH // 5,
        timeout=600,
        what="a fifth sent",
        alive=(first,),
    )
    # Warm shutdown: the tasks at hand finish, the messages taken but not started go back to
    # the queue, the worker exits 0.
    assert first.terminate() == 0
    assert not Reminder.objects.filter(status=Reminder.Status.SENDING).exists()
    stopped_after = sent_count()
    assert 0 < stopped_after < TERM_BATCH

    second = start_worker(redis_server.url(), pool="prefork", concurrency=2)
    # No sweep: everything the first worker had not done is still queued for the second.
    wait_for(lambda: sent_count() == TERM_BATCH, timeout=600, what="all sent", alive=(second,))
    assert_nothing_lost_or_doubled(population, smtp_sink, crashes=0)


# --- (c) Redis down while a patient logs a red flag --------------------------------------------


@pytest.fixture
def signed_in_patient(client, live, patient):
    """A patient on a programme started yesterday, signed in."""
    client.force_login(patient.user)
    return patient


def beat_connection_errors(beat) -> int:
    """How many times beat has failed to reach the broker for a tick (it then retries with a
    growing pause: 2 s, 4 s, 6 s … up to 30 s)."""
    return beat.logfile.read_text(errors="replace").count("beat: Connection error")


@pytest.mark.slow
def test_a_red_flag_logged_while_redis_is_down_is_relayed_within_a_minute_of_its_return(
    client, signed_in_patient, therapist, redis_server, smtp_sink, start_worker, start_beat
):
    url = redis_server.url()
    worker = start_worker(url).wait_ready()
    beat = start_beat(url)
    redis_server.stop()

    with tasks_sent_to(url):
        started = time.monotonic()
        response = client.post(
            reverse("prescriptions:session_log"),
            set_answers(str(uuid.uuid4()), ces_saddle="True"),
        )
        request_took = time.monotonic() - started
    assert response.status_code == HTTPStatus.FOUND
    assert request_took < 5, f"the request waited {request_took:.1f} s for the broker"
    notice = OutboxMessage.objects.get()
    assert notice.status == OutboxMessage.Status.PENDING
    assert Alert.objects.get().severity == Alert.Severity.URGENT

    # Beat's first tick after the outage began finds no broker; Redis returns just after beat's
    # second failed attempt, so beat is asleep (4 s) and the worker in its own reconnect pause.
    wait_for(
        lambda: beat_connection_errors(beat) >= 2,
        timeout=150,
        what="beat failing twice to reach Redis for a tick",
    )
    assert smtp_sink.total() == 0
    redis_server.start()
    returned = time.monotonic()

    wait_for(
        lambda: OutboxMessage.objects.filter(pk=notice.pk, status="sent").exists(),
        timeout=150,
        what="the urgent notice sent after Redis returned",
        alive=(worker,),
    )
    took = time.monotonic() - returned
    print(
        f"\nred flag logged in {request_took:.1f} s with Redis down; "
        f"urgent notice sent {took:.1f} s after Redis returned"
    )
    assert took < 60
    assert smtp_sink.delivered()[therapist.user.email.lower()] == 1


# --- (d) The mail server answers 4xx, 5xx, or nothing ------------------------------------------


def dispatch_through(url: str, count: int = 3) -> Population:
    """Patients with a reminder due now, and beat's dispatch pass queued on ``url``."""
    now = timezone.now()
    population = patients_with_a_reminder_due(count=count, now=now)
    with tasks_sent_to(url):
        reminders_dispatch_task.delay(now.isoformat())
    return population


def rows_with(status: str, count: int):
    return lambda: Reminder.objects.filter(status=status).count() == count


def test_a_4xx_answer_is_retried_and_sent_once_the_server_recovers(
    redis_server, smtp_sink, start_worker
):
    smtp_sink.mode = Mode.TRY_LATER
    worker = start_worker(redis_server.url())
    population = dispatch_through(redis_server.url())
    wait_for(
        lambda: (
            set(smtp_sink.refused(451)) == population.emails
            and rows_with(Reminder.Status.PENDING, 3)()
        ),
        timeout=60,
        what="every reminder refused with 451 and back to pending",
        alive=(worker,),
    )
    assert set(Reminder.objects.values_list("last_error", flat=True)) == {
        "SMTPRecipientsRefused 451"
    }
    assert smtp_sink.total() == 0

    smtp_sink.mode = Mode.ACCEPT
    # Celery's retry comes back within its first backoff (up to 30 s).
    wait_for(
        rows_with(Reminder.Status.SENT, 3), timeout=90, what="all sent on retry", alive=(worker,)
    )
    assert all(r.attempts >= 2 for r in Reminder.objects.all())
    assert " retry: Retry in " in worker.logfile.read_text()
    assert_nothing_lost_or_doubled(population, smtp_sink, crashes=0)


def test_a_5xx_answer_fails_the_reminder_at_once_with_its_reason_and_no_retry(
    redis_server, smtp_sink, start_worker
):
    smtp_sink.mode = Mode.REFUSE
    worker = start_worker(redis_server.url())
    population = dispatch_through(redis_server.url())
    wait_for(rows_with(Reminder.Status.FAILED, 3), timeout=60, what="all failed", alive=(worker,))
    # Nothing is left to run: no retry waits in the queue or in the worker's hands.
    broker = redis.Redis.from_url(redis_server.url())
    wait_for(
        stable(lambda: broker.llen("celery") == 0 and broker.hlen("unacked") == 0),
        timeout=30,
        what="the broker to hold no message",
        alive=(worker,),
    )
    rows = list(Reminder.objects.all())
    assert {(r.attempts, r.last_error) for r in rows} == {(1, "SMTPRecipientsRefused 550")}
    assert smtp_sink.refused(550) == dict.fromkeys(population.emails, 1)
    assert smtp_sink.total() == 0
    log = worker.logfile.read_text()
    assert re.search(r"send\w*_task\[[-0-9a-f]+\] succeeded", log), "no send task ran"
    assert " retry: " not in log


def test_a_mail_server_that_hangs_times_out_and_is_retried(redis_server, smtp_sink, start_worker):
    smtp_sink.mode = Mode.HANG
    worker = start_worker(redis_server.url(), email_timeout=2)
    population = dispatch_through(redis_server.url())
    timed_out = {"SMTPServerDisconnected", "TimeoutError"}
    # A send that times out breaks the connection; reminders after it wait for the retry too.
    wait_for(
        lambda: (
            smtp_sink.refused(0)
            and rows_with(Reminder.Status.PENDING, 3)()
            and Reminder.objects.filter(last_error__in=timed_out).exists()
        ),
        timeout=60,
        what="a reminder timed out and every one back to pending",
        alive=(worker,),
    )
    assert set(Reminder.objects.values_list("last_error", flat=True)) <= {*timed_out, ""}
    assert smtp_sink.total() == 0

    smtp_sink.mode = Mode.ACCEPT
    wait_for(
        rows_with(Reminder.Status.SENT, 3), timeout=90, what="all sent on retry", alive=(worker,)
    )
    assert all(r.attempts >= 2 for r in Reminder.objects.exclude(last_error=""))
    assert " retry: Retry in " in worker.logfile.read_text()
    assert_nothing_lost_or_doubled(population, smtp_sink, crashes=0)
