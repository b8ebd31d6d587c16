"""Where a request came from, as far as our own proxies vouch for it."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address a request came from: for the sign-in rate limit, the lockout and the audit.

    ``REMOTE_ADDR`` unless ``STAGEWISE_TRUSTED_PROXIES`` says how many proxies of ours stand in
    front of the app (a TLS-terminating proxy: 1); then the address the outermost of them saw,
    read from the right of ``X-Forwarded-For``. Entries further left are typed by the client
    and never trusted, so rotating a forged header dodges neither the limit nor the lockout.
    """
    remote = request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 (a bucket, not a bind)
    hops = settings.STAGEWISE_TRUSTED_PROXIES
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if not forwarded:
        return remote
    candidate = forwarded[-hops] if len(forwarded) >= hops else forwarded[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
