"""The front door, and the therapist's pages for registering, screening and inviting a patient."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from .access import therapist_required
from .exceptions import PatientError
from .forms import IntakeForm, PatientForm, submitted
from .models import Clinician
from .selectors import clinician_for_user, patient_for_user, patient_get_for_clinician
from .services import intake_create, patient_create, patient_invite


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


def _status(form_is_bound: bool) -> int:
    return 400 if form_is_bound else 200


@therapist_required
def patient_new(request: HttpRequest, *, clinician: Clinician) -> HttpResponse:
    """Register a patient in the therapist's clinic; the intake comes next."""
    form = PatientForm(submitted(request))
    if form.is_bound and form.is_valid():
        patient = patient_create(
            clinician=clinician,
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            date_of_birth=form.cleaned_data["date_of_birth"],
            timezone_name=form.cleaned_data["timezone"],
            email=form.cleaned_data["email"],
            phone=form.cleaned_data["phone"],
        )
        return redirect("patients:intake", public_id=patient.public_id)
    return render(
        request, "patients/patient_form.html", {"form": form}, status=_status(form.is_bound)
    )


@therapist_required
def intake(request: HttpRequest, public_id: str, *, clinician: Clinician) -> HttpResponse:
    """Screen the patient: ODI (scored as it is filled in), red flags, contraindications."""
    patient = patient_get_for_clinician(clinician=clinician, public_id=public_id)
    form = IntakeForm(submitted(request))
    if form.is_bound and form.is_valid():
        try:
            intake_create(clinician=clinician, patient=patient, **form.service_kwargs())  # type: ignore[arg-type]
        except PatientError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Intake saved.")
            return redirect("prescriptions:prescribe", public_id=patient.public_id)
    context = {"form": form, "patient": patient}
    return render(request, "patients/intake_form.html", context, status=_status(form.is_bound))


@require_POST
@therapist_required
def invite(request: HttpRequest, public_id: str, *, clinician: Clinician) -> HttpResponse:
    """E-mail the patient a one-time link to set their password."""
    patient = patient_get_for_clinician(clinician=clinician, public_id=public_id)
    try:
        patient_invite(clinician=clinician, patient=patient)
    except PatientError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Invitation sent.")
    return redirect(patient.get_absolute_url())


class InviteAcceptView(auth_views.PasswordResetConfirmView):
    """The patient follows the invitation link and chooses a password."""

    template_name = "registration/invite_accept.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        messages.success(self.request, "Your password is set. Sign in to see your programme.")
        return super().form_valid(form)
