"""Reads of clinic, staff and patient records, always scoped to the person asking."""

import uuid

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from .models import Clinic, Clinician, OdiAssessment, Patient


def clinician_for_user(user: AbstractBaseUser | AnonymousUser) -> Clinician | None:
    """The active clinic staff record behind a signed-in user, if they are staff of a clinic."""
    if not user.is_authenticated:
        return None
    return (
        Clinician.objects.select_related("clinic", "user")
        .filter(user_id=user.pk, is_active=True)
        .first()
    )


def patient_for_user(user: AbstractBaseUser | AnonymousUser) -> Patient | None:
    """The patient record a signed-in patient owns, unless it is archived."""
    if not user.is_authenticated:
        return None
    return (
        Patient.objects.select_related("clinic")
        .filter(user_id=user.pk, archived_at__isnull=True)
        .first()
    )


def patient_list_for_clinician(*, clinician: Clinician) -> QuerySet[Patient]:
    """Every current patient of the clinician's clinic; another clinic's patients never appear."""
    return (
        Patient.objects.filter(clinic_id=clinician.clinic_id, archived_at__isnull=True)
        .select_related("primary_clinician__user")
        .order_by("last_name", "first_name", "id")
    )


def patient_get_for_clinician(*, clinician: Clinician, public_id: uuid.UUID | str) -> Patient:
    """One patient of the clinician's clinic, or 404 — the same answer whether it exists or not."""
    try:
        return patient_list_for_clinician(clinician=clinician).get(public_id=public_id)
    except (Patient.DoesNotExist, ValueError) as exc:
        raise Http404("No such patient.") from exc


def odi_list_for_patient(*, patient: Patient) -> QuerySet[OdiAssessment]:
    """The patient's ODI questionnaires, newest first (the patient is already scoped)."""
    return OdiAssessment.objects.filter(patient=patient).order_by("-taken_at")


def clinician_list_for_clinic(*, clinic: Clinic) -> QuerySet[Clinician]:
    """The clinic's staff, active first."""
    return (
        Clinician.objects.filter(clinic=clinic)
        .select_related("user")
        .order_by("-is_active", "user__last_name", "user__first_name", "id")
    )


def clinician_get_for_admin(*, admin: Clinician, clinician_id: int) -> Clinician:
    """A member of the admin's own clinic, or 404."""
    try:
        return clinician_list_for_clinic(clinic=admin.clinic).get(pk=clinician_id)
    except Clinician.DoesNotExist as exc:
        raise Http404("No such member of staff.") from exc


def user_is_staff(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether a signed-in person works for a clinic or runs the site (therapists, clinic
    admins, superusers): they sign in with a second factor and have the shorter sessions."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False) or getattr(user, "is_staff", False):
        return True
    return Clinician.objects.filter(user_id=user.pk, is_active=True).exists()
