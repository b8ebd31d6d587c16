"""The front door: a landing page for visitors, each role's home page for everyone else."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .selectors import clinician_for_user, patient_for_user


def home(request: HttpRequest) -> HttpResponse:
    """Send a signed-in person to their role's home page; show visitors what Stagewise is."""
    if not request.user.is_authenticated:
        return render(request, "patients/landing.html")
    clinician = clinician_for_user(request.user)
    if clinician is not None:
        if clinician.is_clinic_admin:
            return redirect("exercises:exercise_list")
        return redirect("prescriptions:caseload")
    if patient_for_user(request.user) is not None:
        return redirect("prescriptions:today")
    if request.user.is_superuser:
        return redirect("admin:index")
    return render(request, "patients/no_role.html", status=403)
