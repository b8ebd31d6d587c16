"""View decorators that resolve the signed-in person's role once, before the view runs."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .models import Clinician
from .selectors import clinician_for_user, patient_for_user

View = Callable[..., HttpResponse]


def clinician_required(view: View) -> View:
    """Let in active clinic staff only; the staff record is passed as ``clinician``."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        clinician = clinician_for_user(request.user)
        if clinician is None:
            raise PermissionDenied
        return view(request, *args, clinician=clinician, **kwargs)

    return wrapper


def therapist_required(view: View) -> View:
    """Let in active therapists only: clinic admins keep the catalog, not patient records."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        clinician = clinician_for_user(request.user)
        if clinician is None or clinician.role != Clinician.Role.THERAPIST:
            raise PermissionDenied
        return view(request, *args, clinician=clinician, **kwargs)

    return wrapper


def clinic_admin_required(view: View) -> View:
    """Let in active clinic admins only; the staff record is passed as ``clinician``."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        clinician = clinician_for_user(request.user)
        if clinician is None or not clinician.is_clinic_admin:
            raise PermissionDenied
        return view(request, *args, clinician=clinician, **kwargs)

    return wrapper


def patient_required(view: View) -> View:
    """Let in signed-in patients only; their record is passed as ``patient``."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        patient = patient_for_user(request.user)
        if patient is None:
            raise PermissionDenied
        return view(request, *args, patient=patient, **kwargs)

    return wrapper
