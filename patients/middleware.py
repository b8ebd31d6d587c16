"""Middleware that gives every request an id and ties audit entries to the person asking."""

from auditlog.middleware import AuditlogMiddleware
from django.http import HttpRequest, HttpResponse

from .audit import request_id_current, requester_end, requester_start


class AuditRequestMiddleware(AuditlogMiddleware):
    """Sets the request id (echoed as ``X-Request-ID``) and auditlog's actor and IP address.

    The IP address is ``REMOTE_ADDR``: an ``X-Forwarded-For`` header is only as honest as the
    client that sent it, so a proxy in front must set ``REMOTE_ADDR`` itself (docs/audit.md).
    """

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        return request.META.get("REMOTE_ADDR")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = requester_start(request)
        request_id = request_id_current()
        try:
            response: HttpResponse = super().__call__(request)
        finally:
            requester_end(token)
        response["X-Request-ID"] = request_id or ""
        return response
