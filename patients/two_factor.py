"""The second sign-in step: a time-based code from an authenticator app (TOTP, django-otp).

Staff must set one up before they reach any page; patients may. A code is accepted once: the
device remembers the last time step it accepted, so a code seen over a shoulder is useless.
"""

from base64 import b32encode

import segno
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django_otp import user_has_device
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from .selectors import user_is_staff

DEVICE_NAME = "Authenticator app"


def passed_second_step(user: object) -> bool:
    """Whether this request's person typed an authenticator code this session (django-otp's
    ``OTPMiddleware`` gives the user ``is_verified``)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def second_step_owed(user: AbstractBaseUser | AnonymousUser) -> str | None:
    """The page a signed-in person must pass before any other, by URL name: the code page
    when they have an authenticator and typed no code this session, the set-up page for staff
    who have none yet; None when nothing is owed (a patient may go without)."""
    if passed_second_step(user):
        return None
    if user_has_device(user, confirmed=True):
        return "two_factor_verify"
    if user_is_staff(user):
        return "two_factor_enrol"
    return None


def totp_device_pending(*, user: AbstractBaseUser | AnonymousUser) -> TOTPDevice:
    """The authenticator being set up for ``user``: made once, reused until it is confirmed,
    so reloading the page does not change the code the person just scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice, token: str) -> bool:
    """Turn the authenticator on once the person types a code it shows; False if the code is
    wrong. Other half-finished set-ups of the same person are dropped."""
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user_id=device.user_id, confirmed=False).exclude(
        pk=device.pk
    ).delete()
    return True


def totp_secret(*, device: TOTPDevice) -> str:
    """The device's key as the base-32 text an authenticator app accepts typed in."""
    return b32encode(device.bin_key).decode()


def totp_code_now(*, device: TOTPDevice) -> str:
    """The code the device's authenticator app shows at this moment, with its leading zeros
    (printed by ``manage.py demo_code`` for the demo's published key, and typed by tests)."""
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{code:0{device.digits}d}"


def totp_qr_svg(*, device: TOTPDevice) -> str:
    """The set-up link as an inline SVG QR code (drawn here: no external service sees it)."""
    return str(segno.make(device.config_url, error="m").svg_inline(scale=5, border=2))
