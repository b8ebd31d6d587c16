"""Signing in: the password form behind a per-address rate limit, then the second step.

The order of the defences on a login POST: the rate limit (no password hash computed when an
address sends too many attempts), then django-axes (a username locked out from this address is
refused before the hash), then the password, then the authenticator code.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_ratelimit.core import is_ratelimited

from .addresses import client_address
from .forms import OneTimeCodeForm, form_status, submitted
from .selectors import user_is_staff
from .two_factor import (
    second_step_owed,
    totp_device_confirm,
    totp_device_pending,
    totp_qr_svg,
    totp_secret,
)


def too_many_attempts(request: HttpRequest, *, group: str) -> bool:
    """Whether more attempts than the limit allows came this minute: password attempts counted
    per address, code attempts per signed-in person (counted in the cache, so the check costs
    no password hash and no database query)."""
    key = client_address(request) if group == "sign-in" else f"user:{request.user.pk}"
    return is_ratelimited(
        request,
        group=group,
        key=lambda _group, _request: key,
        rate=settings.STAGEWISE_SIGN_IN_RATE,
        method="POST",
        increment=True,
    )


def too_many_attempts_response(request: HttpRequest) -> HttpResponse:
    """429 with a page saying to wait a minute."""
    response = render(request, "registration/too_many_attempts.html", status=429)
    response["Retry-After"] = "60"
    return response


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: object
) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in: 429 and how long to wait (the lock lifts
    by itself after the cool-off; it is never permanent)."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


class SignInView(auth_views.LoginView):
    """The password form; an address over the rate limit gets 429 before any password check."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if too_many_attempts(request, group="sign-in"):
            return too_many_attempts_response(request)
        return super().post(request, *args, **kwargs)


def safe_next(request: HttpRequest) -> str:
    """Where to go after the second step: the ``next`` asked for if it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else resolve_url(settings.LOGIN_REDIRECT_URL)


def with_query(url_name: str, request: HttpRequest) -> str:
    """The other step's page, keeping this request's query (its ``next``)."""
    query = request.GET.urlencode()
    return f"{resolve_url(url_name)}?{query}" if query else resolve_url(url_name)


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step: the code from the person's authenticator app, accepted once."""
    user = request.user
    owed = second_step_owed(user)
    if owed == "two_factor_enrol":
        return redirect(with_query(owed, request))
    if owed is None:
        return redirect(safe_next(request))
    form = OneTimeCodeForm(submitted(request))
    if form.is_bound:
        if too_many_attempts(request, group="two-factor"):
            return too_many_attempts_response(request)
        if form.is_valid():
            device = match_token(user, form.cleaned_data["token"])
            if device is not None:
                otp_login(request, device)
                return redirect(safe_next(request))
            form.add_error(
                "token",
                "That code is not right, or it was already used. Wait for the next code "
                "your app shows and type it in.",
            )
    context = {"form": form, "next": safe_next(request)}
    return render(
        request, "registration/two_factor_verify.html", context, status=form_status(form.is_bound)
    )


@login_required
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the key), then type one code.
    Required for staff before any other page; offered to patients on their settings page."""
    user = request.user
    if second_step_owed(user) == "two_factor_verify":
        # Adding a second authenticator must not be a way around the first.
        return redirect(with_query("two_factor_verify", request))
    if user_has_device(user, confirmed=True):
        if request.method == "POST":
            messages.info(request, "Two-step sign-in is already on.")
            return redirect(safe_next(request))
        return render(request, "registration/two_factor_enrol.html", {"enrolled": True})
    device = totp_device_pending(user=user)
    form = OneTimeCodeForm(submitted(request))
    if form.is_bound:
        if too_many_attempts(request, group="two-factor"):
            return too_many_attempts_response(request)
        if form.is_valid():
            if totp_device_confirm(device=device, token=form.cleaned_data["token"]):
                otp_login(request, device)
                messages.success(request, "Two-step sign-in is on.")
                return redirect(safe_next(request))
            form.add_error("token", "That code is not right. Type the code your app shows now.")
    context = {
        "form": form,
        "next": safe_next(request),
        "qr_svg": totp_qr_svg(device=device),
        "secret": totp_secret(device=device),
        "required": user_is_staff(user),
    }
    return render(
        request, "registration/two_factor_enrol.html", context, status=form_status(form.is_bound)
    )
