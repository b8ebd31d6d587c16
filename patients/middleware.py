"""Session limits and the second sign-in step, enforced on the server for every request.

``SessionPolicyMiddleware`` signs a person out after a spell without any request (staff 15
minutes, patients 30) and after a fixed lifetime whatever they do (staff 10 hours, patients 24);
``TwoFactorRequiredMiddleware`` keeps a signed-in person who has not passed the second step away
from every page but the sign-in ones. ``AuditRequestMiddleware`` gives every request an id and
ties audit entries to the person asking.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from auditlog.middleware import AuditlogMiddleware
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils import timezone

from .addresses import client_address
from .audit import request_id_current, requester_end, requester_start
from .selectors import user_is_staff
from .two_factor import second_step_owed

STARTED_KEY = "stagewise_session_started"
LAST_SEEN_KEY = "stagewise_session_last_seen"
# Pages a signed-in person may reach before the second step: signing in and out, the step.
SIGN_IN_URL_NAMES = {"login", "logout", "two_factor_verify", "two_factor_enrol"}


def session_limits(*, staff: bool) -> tuple[dt.timedelta, dt.timedelta]:
    """The idle timeout and the absolute lifetime of a staff member's or a patient's session."""
    if staff:
        return (
            dt.timedelta(minutes=settings.STAGEWISE_STAFF_IDLE_MINUTES),
            dt.timedelta(hours=settings.STAGEWISE_STAFF_SESSION_HOURS),
        )
    return (
        dt.timedelta(minutes=settings.STAGEWISE_PATIENT_IDLE_MINUTES),
        dt.timedelta(hours=settings.STAGEWISE_PATIENT_SESSION_HOURS),
    )


class SessionPolicyMiddleware:
    """Ends a session that has been idle too long or has lived too long: the session is
    flushed on the server and the person is sent to sign in again, with the page they asked
    for kept in ``next`` and a message saying why."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            expired = self.expired_because(request)
            if expired:
                logout(request)
                messages.info(request, expired)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    def expired_because(self, request: HttpRequest) -> str | None:
        """Why this session has ended, or None after noting this request as its latest."""
        now = timezone.now().timestamp()
        session = request.session
        started = session.setdefault(STARTED_KEY, now)
        last_seen = session.get(LAST_SEEN_KEY, now)
        idle, lifetime = session_limits(staff=user_is_staff(request.user))
        if now - started > lifetime.total_seconds():
            hours = int(lifetime.total_seconds() // 3600)
            return (
                f"You were signed out: a session lasts at most {hours} hours. Please sign in again."
            )
        if now - last_seen > idle.total_seconds():
            minutes = int(idle.total_seconds() // 60)
            return (
                f"You were signed out after {minutes} minutes without activity. "
                "Please sign in again."
            )
        session[LAST_SEEN_KEY] = now
        return None


def session_start(sender: object, request: HttpRequest | None, **kwargs: object) -> None:
    """Start the session clocks when a person signs in (receiver of ``user_logged_in``)."""
    if request is None or not hasattr(request, "session"):
        return
    now = timezone.now().timestamp()
    request.session[STARTED_KEY] = now
    request.session[LAST_SEEN_KEY] = now


class TwoFactorRequiredMiddleware:
    """Staff reach no page until they have passed the second sign-in step (and are sent to set
    it up first if they have no authenticator yet); a patient who turned it on passes it too.
    The Django admin is behind it as well."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not request.user.is_authenticated:
            return None
        match = request.resolver_match
        if match is not None and match.url_name in SIGN_IN_URL_NAMES:
            return None
        target = second_step_owed(request.user)
        if target is None:
            return None
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{resolve_url(target)}?{query}")


class AuditRequestMiddleware(AuditlogMiddleware):
    """Sets the request id (echoed as ``X-Request-ID``) and auditlog's actor and IP address.

    The IP address is the one the sign-in limits use (``client_address``): ``REMOTE_ADDR``, or
    with ``STAGEWISE_TRUSTED_PROXIES`` set, what our own proxy saw; a client-typed
    ``X-Forwarded-For`` is never believed (docs/audit.md).
    """

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        return client_address(request)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = requester_start(request)
        request_id = request_id_current()
        try:
            response: HttpResponse = super().__call__(request)
        finally:
            requester_end(token)
        response["X-Request-ID"] = request_id or ""
        return response
