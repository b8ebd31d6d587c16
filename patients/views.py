"""The front door, and the therapist's pages for registering, screening and inviting a patient."""

from dataclasses import asdict

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from prescriptions.rules import Config

from .access import clinic_admin_required, clinician_required, therapist_required
from .audit import access_log_for_patient, record_access
from .exceptions import PatientError
from .forms import (
    ClinicianInviteForm,
    IntakeForm,
    PatientForm,
    RuleDefaultsForm,
    form_status,
    submitted,
)
from .models import Clinician
from .selectors import (
    clinician_for_user,
    clinician_get_for_admin,
    clinician_list_for_clinic,
    patient_for_user,
    patient_get_for_clinician,
    patient_list_for_clinician,
)
from .services import (
    clinic_rule_defaults_update,
    clinician_deactivate,
    clinician_invite,
    intake_create,
    patient_create,
    patient_invite,
)


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
        request, "patients/patient_form.html", {"form": form}, status=form_status(form.is_bound)
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
    return render(request, "patients/intake_form.html", context, status=form_status(form.is_bound))


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


ACCESS_LOG_PAGE_SIZE = 100


@clinician_required
def access_log(request: HttpRequest, public_id: str, *, clinician: Clinician) -> HttpResponse:
    """Who created, changed or looked at this patient's record, and when (newest first)."""
    patient = patient_get_for_clinician(clinician=clinician, public_id=public_id)
    record_access(instance=patient)
    entries = access_log_for_patient(patient=patient)
    page = Paginator(entries, ACCESS_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"patient": patient, "page": page, "clinician": clinician}
    return render(request, "patients/access_log.html", context)


@clinic_admin_required
def access_logs(request: HttpRequest, *, clinician: Clinician) -> HttpResponse:
    """The clinic admin's way to a patient's access log: the clinic's current patients, each
    linked to who created, changed or looked at their record. Names only, no clinical detail."""
    patients = patient_list_for_clinician(clinician=clinician)
    page = Paginator(patients, ACCESS_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "patients/access_logs.html", {"page": page})


# --- clinic admin: staff and rule defaults -----------------------------------------------------


@clinic_admin_required
def staff(request: HttpRequest, *, clinician: Clinician) -> HttpResponse:
    """The clinic's staff, with an invitation form for a new member."""
    form = ClinicianInviteForm(submitted(request))
    if form.is_bound and form.is_valid():
        try:
            clinician_invite(admin=clinician, **form.cleaned_data)
        except PatientError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, "Invitation sent.")
            return redirect("patients:staff")
    context = {"form": form, "staff": clinician_list_for_clinic(clinic=clinician.clinic)}
    return render(request, "patients/staff_list.html", context, status=form_status(form.is_bound))


@require_POST
@clinic_admin_required
def staff_deactivate(
    request: HttpRequest, clinician_id: int, *, clinician: Clinician
) -> HttpResponse:
    """Stop a member of staff from signing in; what they recorded stays."""
    member = clinician_get_for_admin(admin=clinician, clinician_id=clinician_id)
    try:
        clinician_deactivate(admin=clinician, clinician=member)
    except PatientError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Deactivated.")
    return redirect("patients:staff")


@clinic_admin_required
def rule_defaults(request: HttpRequest, *, clinician: Clinician) -> HttpResponse:
    """The clinic's own rule thresholds (therapists can still override them per patient)."""
    current = {**asdict(Config()), **clinician.clinic.rule_defaults}
    form = RuleDefaultsForm(
        submitted(request),
        current=current,
        reminder_times=clinician.clinic.default_reminder_times,
    )
    if form.is_bound and form.is_valid():
        clinic_rule_defaults_update(
            admin=clinician,
            values=form.thresholds(),
            reminder_times=form.cleaned_data["reminder_times"],
        )
        messages.success(request, "Rule defaults saved.")
        return redirect("patients:rule_defaults")
    return render(
        request, "patients/clinic_rules.html", {"form": form}, status=form_status(form.is_bound)
    )
