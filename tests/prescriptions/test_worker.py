"""A real Celery worker, fed through Redis, relays an urgent notice from the outbox."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery_app import app
from prescriptions.models import OutboxMessage

from .conftest import at, log

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(django_db_blocker):
    """A worker process on the test database and the configured Redis broker."""
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}"
            f"/{database['NAME']}"
        ),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    yield process
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def queued_tasks():
    """Send tasks to the broker instead of running them in the test process."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = eager


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_worker_sends_the_urgent_notice_queued_through_redis(
    programme, patient, worker, queued_tasks, django_capture_on_commit_callbacks
):
    assert app.conf.broker_url.startswith("redis://")
    with django_capture_on_commit_callbacks(execute=True):
        log(patient, at(0), ces_saddle=True)
    notice = OutboxMessage.objects.get()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        notice.refresh_from_db()
        if notice.status == OutboxMessage.Status.SENT:
            break
        assert worker.poll() is None, worker.stderr.read().decode()
        time.sleep(0.5)
    assert notice.status == OutboxMessage.Status.SENT
    assert notice.attempts == 1
    connection.close()
