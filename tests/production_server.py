"""gunicorn with the production settings on loopback, as the README runs it behind the TLS proxy.

Tests start it on a free port against the test database (PostgreSQL: the test database itself,
so rows a transactional test writes are seen; SQLite: a migrated file, since the test database
lives in memory), with static files collected first because the production storage serves them
from the manifest. Every line gunicorn and the app write goes to a log file the tests can read.
"""

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from django.db import connection

from tests.support.services import celery_worker_command, database_url_for_processes, free_port

ROOT = Path(__file__).resolve().parent.parent
HOST = "clinic.example"


def shared_database_url(tmp_path: Path) -> tuple[str, bool]:
    """The address of a database gunicorn can share with this test, and whether it still needs
    migrating (a fresh SQLite file does; the PostgreSQL test database is already built)."""
    if connection.vendor == "postgresql":
        return database_url_for_processes(), False
    return f"sqlite:///{tmp_path / 'production.sqlite3'}", True


@dataclass
class Reply:
    """What gunicorn answered: status, headers (Set-Cookie may repeat) and body."""

    status: int
    headers: http.client.HTTPMessage
    body: str

    def cookies(self) -> dict[str, str]:
        """Each Set-Cookie header by cookie name."""
        return {value.split("=", 1)[0]: value for value in self.headers.get_all("Set-Cookie") or []}


@dataclass
class ProductionServer:
    """One gunicorn process; ``request`` talks to it as the TLS proxy would."""

    tmp_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    log_path: Path = field(init=False)
    env: dict[str, str] = field(init=False)
    process: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.log_path = self.tmp_path / "gunicorn.log"
        database_url, self.needs_migrate = shared_database_url(self.tmp_path)
        keep = {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "CELERY_BROKER_URL", "VIRTUAL_ENV"}
        self.env = {k: v for k, v in os.environ.items() if k in keep}
        self.env.update(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS=HOST,
            DATABASE_URL=database_url,
            CONN_MAX_AGE="0",
            STATIC_ROOT=str(self.tmp_path / "staticfiles"),
            MEDIA_ROOT=str(self.tmp_path / "media"),
            EMAIL_URL="consolemail://",
            STAGEWISE_SITE_URL=f"https://{HOST}",
            PYTHONUNBUFFERED="1",
        )
        self.env.update(self.extra_env)

    def manage(self, *args: str) -> None:
        """Run one management command with the production settings (output to the log)."""
        with self.log_path.open("ab") as log:
            subprocess.run(  # noqa: S603 (our own command line)
                [sys.executable, "manage.py", *args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=300,
                check=True,
            )

    def start(self) -> "ProductionServer":
        self.manage("collectstatic", "--no-input", "--verbosity", "0")
        if self.needs_migrate:
            self.manage("migrate", "--no-input", "--verbosity", "0")
        self.port = free_port()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (our own command line)
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--access-logfile",
                "-",
                "--error-logfile",
                "-",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, self.log_path.read_text()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError as error:
                if time.monotonic() > deadline:
                    log_text = self.log_path.read_text()
                    raise AssertionError(f"gunicorn did not listen:\n{log_text}") from error
                time.sleep(0.1)  # polling for the port to open, not hiding a race
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: str | None = None,
        https: bool = True,
    ) -> "Reply":
        """One request as the TLS-terminating proxy forwards it (``X-Forwarded-Proto: https``),
        or as a plain-http visitor reaching the app directly when ``https`` is false."""
        sent = {"Host": HOST, **(headers or {})}
        if https:
            sent["X-Forwarded-Proto"] = "https"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        reply = Reply(response.status, response.headers, response.read().decode(errors="replace"))
        conn.close()
        return reply

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class ProxiedVisitor:
    """One browser talking to the production server through the proxy: keeps its cookies and
    posts forms with their CSRF token, as a browser does."""

    server: ProductionServer
    cookies: dict[str, str] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)

    def _send(self, method: str, path: str, body: str | None = None) -> Reply:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"https://{HOST}",
                "Referer": f"https://{HOST}{path}",
            }
        reply = self.server.request(method, path, headers=headers, body=body)
        self.paths.append(path)
        for name, header in reply.cookies().items():
            self.cookies[name] = header.split(";", 1)[0].split("=", 1)[1]
        if "Location" in reply.headers:
            self.paths.append(reply.headers["Location"])
        return reply

    def get(self, path: str) -> Reply:
        return self._send("GET", path)

    def submit(self, path: str, data: dict[str, str], *, form_page: str | None = None) -> Reply:
        """Open the page holding the form (``form_page``, default ``path``) for its CSRF token,
        then post ``data`` to ``path``."""
        page = self.get(form_page or path)
        token = CSRF_FIELD.search(page.body)
        assert token, (page.status, page.body[:2000])
        return self._send("POST", path, urlencode({"csrfmiddlewaretoken": token.group(1), **data}))

    def sign_in(
        self, username: str, password: str, *, code: Callable[[], str] | None = None
    ) -> None:
        """The sign-in form, then (staff) the authenticator code step the site sends them to."""
        reply = self.submit("/accounts/login/", {"username": username, "password": password})
        assert reply.status == 302, reply.body[:2000]
        if code is None:
            return
        step = urlsplit(self.get("/").headers.get("Location", ""))
        if step.path.startswith("/accounts/two-step/"):
            path = step.path + (f"?{step.query}" if step.query else "")
            reply = self.submit(path, {"token": code()})
            assert reply.status == 302, reply.body[:2000]


@dataclass
class ProductionWorker:
    """A Celery worker with the production settings beside the server (same database, the
    configured Redis broker), its output and log file kept for the tests to read."""

    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> "ProductionWorker":
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (a fixed command line)
            celery_worker_command("--pool=solo"),
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.terminate()
            self.process.wait(timeout=30)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")
