"""Real processes for tests: a private Redis server, Celery workers, and waiting with a deadline.

Nothing here touches the shared Redis on 6379: a test that needs to stop Redis starts its own on
a free port. Every process is started in its own session so a test can SIGKILL a worker together
with its pool children, and every process is stopped when its fixture ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import kombu.pools
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def celery_worker_command(*options: str) -> list[str]:
    """The command line of one of this project's Celery workers, logging at INFO and with no
    heartbeat, gossip or mingle (nothing a test waits for), plus ``options`` (pool, name)."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--loglevel=INFO",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        *options,
    ]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    condition: Callable[[], T],
    *,
    timeout: float,
    what: str,
    interval: float = 0.2,
    alive: tuple[WorkerProcess, ...] = (),
) -> T:
    """Poll ``condition`` until it returns a truthy value; fail after ``timeout`` seconds.

    ``alive`` names worker processes that must keep running meanwhile: one that died is a
    failure at once, with the end of its log.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        for worker in alive:
            if not worker.running():
                raise AssertionError(
                    f"worker {worker.name} exited ({worker.returncode()}) while waiting for "
                    f"{what}:\n{worker.log_tail()}"
                )
        if time.monotonic() > deadline:
            logs = "".join(f"\n--- {w.name}:\n{w.log_tail()}" for w in alive)
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{logs}")
        time.sleep(interval)


# --- Redis ------------------------------------------------------------------------------------


class RedisServer:
    """A ``redis-server`` of the test's own on a free port; it can be stopped and restarted.

    Like the shared one it keeps nothing on disk, so a restart empties it.
    """

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        assert self.process is None or self.process.poll() is not None, "already running"
        self.process = subprocess.Popen(  # noqa: S603 (a fixed command line)
            [  # noqa: S607 (redis-server from PATH, as CI installs it)
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--logfile",
                str(self.workdir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self.ping, timeout=10, what=f"redis-server on port {self.port}", interval=0.05)
        return self

    def stop(self) -> None:
        """Stop the server (SIGTERM, as a service manager would) and wait until it is gone."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        self.process.wait(timeout=10)

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


# --- Celery workers ---------------------------------------------------------------------------


def database_url_for_processes() -> str:
    """The URL of the database the test runs on (pytest-django's ``test_…`` database)."""
    database = settings.DATABASES["default"]
    assert "postgresql" in database["ENGINE"], "worker processes need the PostgreSQL database"
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    return (
        f"postgres://{database['USER']}{password}@{database['HOST'] or '127.0.0.1'}"
        f":{database['PORT'] or 5432}/{database['NAME']}"
    )


class WorkerProcess:
    """One ``celery worker`` process (and its pool children) on the test database.

    Mail goes through Django's SMTP backend to ``smtp_port``; tasks come from ``broker_url``.
    """

    def __init__(
        self,
        *,
        name: str,
        broker_url: str,
        smtp_port: int,
        pool: str = "solo",
        concurrency: int = 1,
        email_timeout: int = 5,
        logdir: Path | None = None,
    ) -> None:
        self.name = name
        self.broker_url = broker_url
        self.smtp_port = smtp_port
        self.pool = pool
        self.concurrency = concurrency
        self.email_timeout = email_timeout
        self.logdir = logdir or Path(tempfile.mkdtemp(prefix="stagewise-worker-"))
        self.logfile = self.logdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.support.worker_settings",
            "DATABASE_URL": database_url_for_processes(),
            "CELERY_BROKER_URL": self.broker_url,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.smtp_port),
            "EMAIL_TIMEOUT": str(self.email_timeout),
            "LOG_LEVEL": "WARNING",
        }
        command = celery_worker_command(
            f"--pool={self.pool}",
            f"--concurrency={self.concurrency}",
            f"--hostname={self.name}@%h",
        )
        with self.logfile.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (a fixed command line)
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    # --- state ------------------------------------------------------------------------------
    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def ready(self) -> bool:
        """True once the worker has connected to the broker and started consuming."""
        try:
            return " ready." in self.logfile.read_text(errors="replace")
        except FileNotFoundError:
            return False

    def wait_ready(self, timeout: float = 60) -> WorkerProcess:
        wait_for(self.ready, timeout=timeout, what=f"worker {self.name} ready", alive=(self,))
        return self

    def children(self) -> list[int]:
        """Process ids of the pool children (prefork)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # Fields after the command name (which may hold spaces) start after the last ")".
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == self.pid:
                found.append(int(entry.name))
        return found

    # --- stopping ---------------------------------------------------------------------------
    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once: a crash, no cleanup at all."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self, timeout: float = 120) -> int:
        """SIGTERM (Celery's warm shutdown: finish the tasks at hand, then exit) and wait."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        """End the worker whatever its state (fixture teardown)."""
        if not self.running():
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.terminate(timeout=20)
            return
        self.kill()


class BeatProcess:
    """One ``celery beat`` process with the production schedule, sending to ``broker_url``."""

    def __init__(self, *, broker_url: str, workdir: Path) -> None:
        self.broker_url = broker_url
        self.workdir = workdir
        self.logfile = workdir / "beat.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> BeatProcess:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.support.worker_settings",
            "DATABASE_URL": database_url_for_processes(),
            "CELERY_BROKER_URL": self.broker_url,
        }
        with self.logfile.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (a fixed command line)
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "beat",
                    "--loglevel=INFO",
                    f"--schedule={self.workdir / 'beat-schedule'}",
                    f"--pidfile={self.workdir / 'beat.pid'}",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@contextlib.contextmanager
def tasks_sent_to(broker_url: str) -> Iterator[None]:
    """Within the block the test process sends tasks to ``broker_url`` instead of running them
    eagerly, as the web and beat processes do in production."""
    from config.celery_app import app

    def reset_pools() -> None:
        # What Celery does after a fork: forget the broker connections it holds. kombu keeps
        # its pools in a registry keyed by connection, so that is emptied too.
        kombu.pools.reset()
        app._pool = None
        with contextlib.suppress(AttributeError, KeyError):
            app.__dict__["amqp"]._producer_pool = None

    # Publishing uses the write URL, which (unlike ``broker_url``) the CELERY_BROKER_URL
    # environment variable does not override.
    saved = (app.conf.broker_write_url, app.conf.task_always_eager)
    app.conf.broker_write_url = broker_url
    app.conf.task_always_eager = False
    reset_pools()
    try:
        yield
    finally:
        reset_pools()
        app.conf.broker_write_url, app.conf.task_always_eager = saved
