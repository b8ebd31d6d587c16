"""Shared fixtures and the service gates.

Tests that need a real service carry a marker (``postgres``, ``redis``, ``browser``). Without the
service they are skipped with the reason printed; with ``REQUIRE_SERVICES=1`` (as CI sets) they
fail instead, so a missing service can never pass silently.
"""

import logging
import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings

from tests import factories

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_report_header(config: pytest.Config) -> list[str]:
    database = settings.DATABASES["default"]
    vendor = database["ENGINE"].rsplit(".", 1)[-1]
    return [
        f"stagewise: database vendor {vendor} ({database.get('HOST') or 'local file'}), "
        f"broker {urlparse(settings.CELERY_BROKER_URL).scheme}, "
        f"REQUIRE_SERVICES={'1' if REQUIRE_SERVICES else '0'}"
    ]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The query-scope recorder's count, when the role × URL matrix ran (tests/query_scope.py)."""
    from tests.query_scope import CHECKED

    if CHECKED["requests"]:
        terminalreporter.write_line(
            f"query-scope recorder: {CHECKED['statements']} statements on patient tables "
            f"checked in {CHECKED['requests']} requests"
        )


def _redis_answers(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme not in {"redis", "rediss"}:
        return False
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _missing_service(marker: str) -> str | None:
    """Why a marked test cannot run here, or None when its service is present."""
    if marker == "postgres":
        engine = settings.DATABASES["default"]["ENGINE"]
        return None if "postgresql" in engine else "needs PostgreSQL: set DATABASE_URL"
    if marker == "redis":
        url = os.environ.get("CELERY_BROKER_URL", "")
        return None if _redis_answers(url) else "needs Redis: set CELERY_BROKER_URL=redis://..."
    if marker == "browser":
        found = os.path.exists(CHROMIUM) or shutil.which("chromium")
        return None if found else f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in ("postgres", "redis", "browser"):
        if item.get_closest_marker(marker) is None:
            continue
        reason = _missing_service(marker)
        if reason is None:
            continue
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but this test {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture
def clinic(db):
    return factories.ClinicFactory()


@pytest.fixture
def therapist(clinic):
    return factories.ClinicianFactory(clinic=clinic)


@pytest.fixture
def patient(therapist):
    return factories.PatientFactory(clinic=therapist.clinic, primary_clinician=therapist)


@pytest.fixture
def superuser(db, django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture(autouse=True)
def _fresh_sign_in_limits():
    """Each test starts with no sign-in attempts counted (the rate limit lives in the cache;
    django-axes' lockouts live in the database, which each test rolls back)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def otp_verify_session(client, user) -> None:
    """Mark ``client``'s session as past the second sign-in step, with a confirmed authenticator
    for ``user`` (made if they have none), as django-otp's own login would."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _staff_force_login_is_otp_verified(monkeypatch):
    """``client.force_login(staff)`` signs staff in past the second step too, so tests about a
    page need not repeat the authenticator dance. Patients are left as they are. Tests of the
    second step itself sign in through the login form (or use ``unverified_force_login``)."""
    from django.test import Client

    from patients.selectors import user_is_staff

    plain = Client.force_login

    def force_login(self, user, backend=None):
        plain(self, user, backend)
        if user_is_staff(user):
            otp_verify_session(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)
    monkeypatch.setattr(Client, "unverified_force_login", plain, raising=False)


def totp_code(device) -> str:
    """The code ``device``'s authenticator app shows now (on the test's clock)."""
    from patients.two_factor import totp_code_now

    return totp_code_now(device=device)


@pytest.fixture
def app_log(tmp_path):
    """Every record the application logs, down to DEBUG, written to a file (what ``LOG_FILE``
    does in production, where the level is INFO): the canary sweeps read it."""
    path = tmp_path / "app.log"
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # stricter than production's INFO: a debug line may not leak
    yield path
    root.setLevel(level)
    root.removeHandler(handler)
    handler.close()
