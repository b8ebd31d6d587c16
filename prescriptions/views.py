"""Pages of the programme: the therapist's caseload and patient page, the patient's day."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from patients.access import clinician_required, patient_required
from patients.models import Clinician, Patient
from patients.selectors import patient_get_for_clinician

from .selectors import (
    caseload_for_clinician,
    evaluation_list_for_prescription,
    prescription_running_for_patient,
)


@clinician_required
def caseload(request: HttpRequest, *, clinician: Clinician) -> HttpResponse:
    """The therapist's patients, those with the most urgent open alert first."""
    context = {"clinician": clinician, "patients": caseload_for_clinician(clinician=clinician)}
    return render(request, "prescriptions/caseload.html", context)


@clinician_required
def patient_detail(request: HttpRequest, public_id: str, *, clinician: Clinician) -> HttpResponse:
    """One patient's programme and its recent decisions."""
    patient = patient_get_for_clinician(clinician=clinician, public_id=public_id)
    prescription = prescription_running_for_patient(patient=patient)
    evaluations = (
        evaluation_list_for_prescription(prescription=prescription) if prescription else []
    )
    context = {"patient": patient, "prescription": prescription, "evaluations": evaluations}
    return render(request, "prescriptions/patient_detail.html", context)


@patient_required
def today(request: HttpRequest, *, patient: Patient) -> HttpResponse:
    """The patient's exercise for today, as prescribed for their current stage."""
    prescription = prescription_running_for_patient(patient=patient)
    stage = None
    if prescription is not None:
        stage = next(
            (s for s in prescription.stages.all() if s.number == prescription.current_stage), None
        )
    context = {"patient": patient, "prescription": prescription, "stage": stage}
    return render(request, "prescriptions/today.html", context)
