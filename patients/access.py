"""View decorators that resolve the signed-in person's role once, before the view runs.

Anonymous visitors are sent to sign in; a signed-in person of another role gets 403. The
resolved record is passed to the view as a keyword argument (``clinician`` or ``patient``).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .audit import requester_bind
from .models import Clinician
from .selectors import clinician_for_user, patient_for_user

View = Callable[..., HttpResponse]
Decorator = Callable[[View], View]


def role_required(
    resolve: Callable[[Any], object | None], keyword: str, allowed: Callable[[Any], bool]
) -> Decorator:
    """A decorator letting in people whom ``resolve`` finds and ``allowed`` accepts."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            record = resolve(request.user)
            if record is None or not allowed(record):
                raise PermissionDenied
            requester_bind(record)
            return view(request, *args, **{keyword: record}, **kwargs)

        return wrapper

    return decorator


# Active clinic staff of any role.
clinician_required = role_required(clinician_for_user, "clinician", lambda c: True)
# Therapists only: clinic admins keep the catalog, not patient records.
therapist_required = role_required(
    clinician_for_user, "clinician", lambda c: c.role == Clinician.Role.THERAPIST
)
# The clinic's administrators only.
clinic_admin_required = role_required(clinician_for_user, "clinician", lambda c: c.is_clinic_admin)
# Signed-in patients with a current record.
patient_required = role_required(patient_for_user, "patient", lambda p: True)
