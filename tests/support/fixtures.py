"""Fixtures over the support classes; imported by the conftest of the tests that use them."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .services import BeatProcess, RedisServer, WorkerProcess
from .smtp_sink import SmtpSink


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A local SMTP server counting messages per recipient; switch ``.mode`` to misbehave."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private ``redis-server`` on a free port that the test may stop and restart."""
    if shutil.which("redis-server") is None:
        reason = "needs redis-server on PATH (apt-get install redis-server)"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"REQUIRE_SERVICES=1 but this test {reason}", pytrace=False)
        pytest.skip(reason)
    workdir = tmp_path / "redis"
    workdir.mkdir()
    server = RedisServer(workdir).start()
    yield server
    server.stop()


@pytest.fixture
def start_worker(
    tmp_path: Path, smtp_sink: SmtpSink, transactional_db: None
) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real Celery worker processes on the test database, mailing to ``smtp_sink``.

    ``start_worker(broker_url, pool="solo", concurrency=1, email_timeout=5)``; every worker
    started is stopped when the test ends.
    """
    started: list[WorkerProcess] = []

    def start(broker_url: str, **options: Any) -> WorkerProcess:
        worker = WorkerProcess(
            name=f"w{len(started) + 1}",
            broker_url=broker_url,
            smtp_port=smtp_sink.port,
            logdir=tmp_path,
            **options,
        )
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def start_beat(tmp_path: Path, transactional_db: None) -> Iterator[Callable[[str], BeatProcess]]:
    """Start one ``celery beat`` with the production schedule against a broker."""
    started: list[BeatProcess] = []

    def start(broker_url: str) -> BeatProcess:
        beat = BeatProcess(broker_url=broker_url, workdir=tmp_path)
        started.append(beat)
        return beat.start()

    yield start
    for beat in started:
        beat.stop()
