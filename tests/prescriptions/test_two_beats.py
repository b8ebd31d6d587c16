"""Two beats ticking at once (a redeploy overlap, a second beat started by mistake): two real
processes run the dispatch pass for the same minute together, and each due slot still gets
exactly one reminder row."""

import json
import os
import subprocess
import sys
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from prescriptions.models import Reminder
from tests.support.population import patients_with_a_reminder_due
from tests.support.services import ROOT, database_url_for_processes, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

SLOTS = 2_000


def inserts_waiting_on_reminders() -> int:
    """Backends of other sessions waiting for a lock on the reminder table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE relation = %s::regclass AND NOT granted",
            [Reminder._meta.db_table],
        )
        return int(cursor.fetchone()[0])


def test_two_passes_for_the_same_minute_at_once_create_one_row_per_slot(redis_server):
    now = timezone.now()
    population = patients_with_a_reminder_due(count=SLOTS, now=now)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.support.worker_settings",
        "DATABASE_URL": database_url_for_processes(),
        # The send tasks each pass queues go to a Redis of the test's own; nobody consumes them.
        "CELERY_BROKER_URL": redis_server.url(),
    }
    command = [sys.executable, "manage.py", "dispatch_reminders", "--now", now.isoformat()]
    with transaction.atomic():
        # Hold inserts into the reminder table until both passes have read what exists and
        # reached their INSERT: then both insert the same keys at the same moment.
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Reminder._meta.db_table} IN SHARE MODE")
        beats = [
            subprocess.Popen(  # noqa: S603 (a fixed command line)
                [*command, "--json"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        wait_for(
            lambda: inserts_waiting_on_reminders() >= 2,
            timeout=120,
            what="both passes waiting to insert",
        )
        released = time.monotonic()
    outputs = [beat.communicate(timeout=120) for beat in beats]
    finished_in = time.monotonic() - released

    for beat, (_out, err) in zip(beats, outputs, strict=True):
        assert beat.returncode == 0, err.decode()
    reports = [json.loads(out) for out, _err in outputs]
    assert [r["due"] for r in reports] == [SLOTS, SLOTS]
    assert all(r["created"] <= SLOTS for r in reports)
    assert sum(r["created"] for r in reports) == SLOTS, "each row counted by exactly one pass"
    rows = population.rows_per_slot()
    assert set(rows.values()) == {1}, "a due slot has no row or more than one"
    assert Reminder.objects.count() == SLOTS
    assert finished_in < 60
