"""Catalog pages for clinic staff."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from patients.access import clinician_required
from patients.models import Clinician

from .selectors import exercise_list_for_clinic, protocol_list_published_for_clinic


@clinician_required
def exercise_list(request: HttpRequest, *, clinician: Clinician) -> HttpResponse:
    """The exercises and published protocols the clinic can prescribe."""
    context = {
        "exercises": exercise_list_for_clinic(clinic=clinician.clinic),
        "protocols": protocol_list_published_for_clinic(clinic=clinician.clinic),
        "clinician": clinician,
    }
    return render(request, "exercises/exercise_list.html", context)
