"""Pages of the programme: the therapist's caseload, patient page and alert queue; the patient's
day, morning check, set log and the decision that follows."""

import datetime as dt
import zoneinfo
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from exercises.selectors import protocol_list_published_for_clinic
from patients.access import patient_required, therapist_required
from patients.audit import record_access
from patients.forms import form_status, submitted
from patients.models import Clinician, Patient
from patients.selectors import odi_list_for_patient, patient_get_for_clinician

from . import rules
from .exceptions import PrescriptionError
from .forms import (
    CaseloadFilterForm,
    MorningCheckForm,
    PrescribeForm,
    ReasonForm,
    ReminderSettingsForm,
    SessionLogForm,
    StatusForm,
    ThresholdOverrideForm,
)
from .models import Alert, Prescription
from .selectors import (
    alert_get_for_clinician,
    alert_list_open_for_clinician,
    caseload_for_clinician,
    caseload_metrics,
    evaluation_get_for_patient,
    evaluation_list_for_prescription,
    history_series,
    morning_check_due,
    prescription_running_for_patient,
    safety_screen_due,
    transition_list_for_prescription,
)
from .services import (
    advance_approve,
    alert_acknowledge,
    maintenance_approve,
    morning_check_create,
    prescription_create,
    prescription_set_status,
    proposal_decline,
    reminder_preferences_update,
    reminders_pause_by_token,
    session_log_create,
    suspension_clear,
    threshold_override_set,
)

CASELOAD_PAGE_SIZE = 50


# --- therapist --------------------------------------------------------------------------------


# The name a therapist searches for is kept in the session, never in the URL: a patient's name
# in a URL ends up in access logs, browser history and Referer headers.
CASELOAD_SEARCH_KEY = "caseload_search"
# Every other filter of the form may stay in the URL (a new one does too, unless named here).
CASELOAD_URL_FILTERS = tuple(name for name in CaseloadFilterForm.base_fields if name != "q")


@therapist_required
def caseload(request: HttpRequest, *, clinician: Clinician) -> HttpResponse:
    """The therapist's patients, most urgent first, 50 a page, with filters and search.

    The filter form is posted: the search text goes into the session and the browser is sent
    back to the caseload with only the other filters (no patient detail) in the query string.
    """
    if request.method == "POST":
        posted = CaseloadFilterForm(request.POST)
        posted.is_valid()  # a bad value is ignored, as on the page itself
        request.session[CASELOAD_SEARCH_KEY] = posted.cleaned_data.get("q", "")
        kept = {name: request.POST[name] for name in CASELOAD_URL_FILTERS if request.POST.get(name)}
        url = reverse("prescriptions:caseload")
        return redirect(f"{url}?{urlencode(kept)}" if kept else url)
    data = request.GET.copy()
    data["q"] = request.session.get(CASELOAD_SEARCH_KEY, "")  # a name in the URL is ignored
    filters = CaseloadFilterForm(data)
    options = filters.cleaned_data if filters.is_valid() else {}
    rows = caseload_for_clinician(
        clinician=clinician,
        now=timezone.now(),
        only_mine=not options.get("everyone"),
        search=options.get("q", ""),
        stage=options.get("stage"),
        needs_attention=bool(options.get("needs_attention")),
        inactive=bool(options.get("inactive")),
    )
    page = Paginator(rows, CASELOAD_PAGE_SIZE).get_page(request.GET.get("page"))
    caseload_metrics(list(page.object_list))
    query = request.GET.copy()
    for name in ("page", "q"):
        query.pop(name, None)
    context = {"page": page, "filters": filters, "query": query.urlencode()}
    return render(request, "prescriptions/caseload.html", context)


@therapist_required
def patient_detail(request: HttpRequest, public_id: str, *, clinician: Clinician) -> HttpResponse:
    """One patient's plan, progress chart, stage timeline, ODI history and recent decisions."""
    patient = patient_get_for_clinician(clinician=clinician, public_id=public_id)
    record_access(instance=patient)
    prescription = prescription_running_for_patient(patient=patient)
    context: dict[str, object] = {
        "patient": patient,
        "prescription": prescription,
        "odi_history": odi_list_for_patient(patient=patient),
    }
    if prescription is not None:
        context |= {
            "overrides": prescription.threshold_overrides.filter(revoked_at__isnull=True),
            "override_form": ThresholdOverrideForm(),
            "evaluations": evaluation_list_for_prescription(prescription=prescription),
            "series": history_series(prescription=prescription),
            "transitions": transition_list_for_prescription(prescription=prescription),
        }
    return render(request, "prescriptions/patient_detail.html", context)


@therapist_required
def alert_queue(request: HttpRequest, *, clinician: Clinician) -> HttpResponse:
    """Open alerts on the therapist's patients, red flags on top, each with its actions."""
    alerts = alert_list_open_for_clinician(clinician=clinician)
    return render(request, "prescriptions/alert_list.html", {"alerts": alerts})


ALERT_ACTIONS: dict[tuple[str, str], Callable[..., object]] = {
    ("approve", Alert.Kind.ADVANCE_PROPOSED): advance_approve,
    ("approve", Alert.Kind.MAINTENANCE_PROPOSED): maintenance_approve,
    ("decline", Alert.Kind.ADVANCE_PROPOSED): proposal_decline,
    ("decline", Alert.Kind.MAINTENANCE_PROPOSED): proposal_decline,
    ("acknowledge", Alert.Kind.REGRESSED): alert_acknowledge,
    ("acknowledge", Alert.Kind.REVIEW): alert_acknowledge,
    ("clear", Alert.Kind.SUSPENDED): suspension_clear,
    ("clear", Alert.Kind.RED_FLAG): suspension_clear,
}


@require_POST
@therapist_required
def alert_action(
    request: HttpRequest, alert_id: int, action: str, *, clinician: Clinician
) -> HttpResponse:
    """Approve, decline, acknowledge or clear one alert, with the therapist's reason."""
    alert = alert_get_for_clinician(clinician=clinician, alert_id=alert_id)
    service = ALERT_ACTIONS.get((action, alert.kind))
    if service is None:
        raise Http404("That action does not apply to this alert.")
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, str(form.errors["reason"][0]))
        return redirect("prescriptions:alert_queue")
    try:
        service(clinician=clinician, alert=alert, reason=form.cleaned_data["reason"])
    except PrescriptionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Done: {action} — {alert.get_kind_display()}.")
    return redirect("prescriptions:alert_queue")


@therapist_required
def prescribe(request: HttpRequest, public_id: str, *, clinician: Clinician) -> HttpResponse:
    """Prescribe a published protocol after the intake: the ODI gate decides what is allowed."""
    patient = patient_get_for_clinician(clinician=clinician, public_id=public_id)
    protocols = protocol_list_published_for_clinic(clinic=clinician.clinic)
    times = clinician.clinic.default_reminder_times
    initial = {"reminder_times": ", ".join(times)} if times else {}
    form = PrescribeForm(submitted(request), protocols=protocols, initial=initial)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            prescription_create(
                clinician=clinician,
                patient=patient,
                protocol=data["protocol"],
                start_stage=data["start_stage"],
                override_reason=data["override_reason"],
                doses=form.doses(),
                reminder_times=data["reminder_times"],
                nudge_time=data["nudge_time"],
                auto_advance=data["auto_advance"],
                extension_enabled=data["extension_enabled"],
            )
        except PrescriptionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Programme started. Invite the patient to sign in.")
            return redirect(patient.get_absolute_url())
    context = {"form": form, "patient": patient}
    return render(
        request, "prescriptions/prescribe_form.html", context, status=form_status(form.is_bound)
    )


@require_POST
@therapist_required
def threshold_override(
    request: HttpRequest, public_id: str, *, clinician: Clinician
) -> HttpResponse:
    """Change one rule threshold for this patient, with the reason; red flags have none."""
    patient = patient_get_for_clinician(clinician=clinician, public_id=public_id)
    prescription = _running(patient)
    form = ThresholdOverrideForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(patient.get_absolute_url())
    try:
        threshold_override_set(clinician=clinician, prescription=prescription, **form.cleaned_data)
    except PrescriptionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Threshold changed for this patient.")
    return redirect(patient.get_absolute_url())


@require_POST
@therapist_required
def status_change(request: HttpRequest, public_id: str, *, clinician: Clinician) -> HttpResponse:
    """Pause, resume or discharge the patient's programme, with a reason."""
    patient = patient_get_for_clinician(clinician=clinician, public_id=public_id)
    prescription = _running(patient)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(patient.get_absolute_url())
    try:
        prescription_set_status(
            clinician=clinician,
            prescription=prescription,
            to_status=form.cleaned_data["to_status"],
            reason=form.cleaned_data["reason"],
        )
    except PrescriptionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Programme updated.")
    return redirect(patient.get_absolute_url())


# --- patient ----------------------------------------------------------------------------------


def _running(patient: Patient) -> Prescription:
    prescription = prescription_running_for_patient(patient=patient)
    if prescription is None:
        raise Http404("No running programme.")
    return prescription


def _local_today(patient: Patient) -> dt.date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(patient.timezone)).date()


@patient_required
def today(request: HttpRequest, *, patient: Patient) -> HttpResponse:
    """The patient's exercise for today, as prescribed for their current stage."""
    prescription = prescription_running_for_patient(patient=patient)
    record_access(instance=prescription or patient)
    context: dict[str, object] = {"patient": patient, "prescription": prescription}
    if prescription is not None:
        local_today = _local_today(patient)
        stage = next(
            (s for s in prescription.stages.all() if s.number == prescription.current_stage), None
        )
        context |= {
            "stage": stage,
            "morning_due": morning_check_due(prescription=prescription, local_date=local_today),
            "sets_today": prescription.session_logs.filter(local_date=local_today).count(),
        }
    return render(request, "prescriptions/today.html", context)


@patient_required
def reminder_settings(request: HttpRequest, *, patient: Patient) -> HttpResponse:
    """The patient's reminder settings: time zone, quiet hours, a pause, on or off."""
    prescription = _running(patient)
    initial = {
        "timezone": patient.timezone,
        "quiet_start": prescription.quiet_start,
        "quiet_end": prescription.quiet_end,
        "consent": prescription.reminder_consent,
        "channel": prescription.reminder_channel,
        "nudge_wanted": prescription.nudge_wanted,
        "reminded_times": [
            t for t in prescription.reminder_times if t not in prescription.muted_reminder_times
        ],
    }
    form = ReminderSettingsForm(
        submitted(request),
        initial=initial,
        plan=prescription.reminder_times,
        has_phone=bool(patient.phone),
        has_nudge=prescription.nudge_time is not None,
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        reminder_preferences_update(
            patient=patient,
            timezone_name=data["timezone"],
            quiet_start=data["quiet_start"],
            quiet_end=data["quiet_end"],
            pause_days=data["pause_days"],
            consent=data["consent"],
            reminded_times=data["reminded_times"],
            channel=data["channel"] or None,
            nudge_wanted=data.get("nudge_wanted", prescription.nudge_wanted),
        )
        messages.success(request, "Reminder settings saved.")
        return redirect("prescriptions:today")
    context = {"form": form, "prescription": prescription}
    return render(
        request, "prescriptions/reminder_settings.html", context, status=form_status(form.is_bound)
    )


@patient_required
def history(request: HttpRequest, *, patient: Patient) -> HttpResponse:
    """The patient's own progress: pain and how far symptoms reach, and the stages reached."""
    prescription = _running(patient)
    record_access(instance=prescription)
    context = {
        "prescription": prescription,
        "series": history_series(prescription=prescription),
        "transitions": transition_list_for_prescription(prescription=prescription),
    }
    return render(request, "prescriptions/history.html", context)


@patient_required
def morning_check(request: HttpRequest, *, patient: Patient) -> HttpResponse:
    """The morning check: how things are on waking, before the first set."""
    _running(patient)
    form = MorningCheckForm(submitted(request))
    if form.is_bound and form.is_valid():
        try:
            result = morning_check_create(patient=patient, **form.cleaned_data)
        except PrescriptionError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("prescriptions:decision", evaluation_id=result.evaluation.pk)
    return render(
        request,
        "prescriptions/morningcheck_form.html",
        {"form": form},
        status=form_status(form.is_bound),
    )


@patient_required
def session_log(request: HttpRequest, *, patient: Patient) -> HttpResponse:
    """Log one set in under a minute; the decision follows at once."""
    prescription = _running(patient)
    stage = prescription.stages.get(number=prescription.current_stage)
    form = SessionLogForm(
        submitted(request),
        initial={"idempotency_key": SessionLogForm.new_key()},
        ask_safety=safety_screen_due(prescription=prescription, local_date=_local_today(patient)),
        extension=prescription.extension_enabled,
        reps_target=stage.reps,
        usual_levels=(prescription.stage_base_level_left, prescription.stage_base_level_right),
    )
    if form.is_bound and form.is_valid():
        try:
            result = session_log_create(
                patient=patient,
                entry=form.entry(now=timezone.now()),
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except PrescriptionError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("prescriptions:decision", evaluation_id=result.evaluation.pk)
    context = {"form": form, "stage": stage}
    return render(
        request, "prescriptions/sessionlog_form.html", context, status=form_status(form.is_bound)
    )


@patient_required
def decision(request: HttpRequest, evaluation_id: int, *, patient: Patient) -> HttpResponse:
    """What the rules decided, in plain words; the emergency message cannot be missed."""
    evaluation = evaluation_get_for_patient(patient=patient, evaluation_id=evaluation_id)
    record_access(instance=evaluation)
    outcome = rules.Outcome[evaluation.outcome]
    context = {
        "evaluation": evaluation,
        "message": rules.PATIENT_MESSAGES[outcome],
        "urgent": outcome is rules.Outcome.URGENT_RED_FLAG,
        "stop": outcome is rules.Outcome.SUSPEND_CONTACT_PT,
    }
    return render(request, "prescriptions/decision.html", context)


def reminders_pause(request: HttpRequest, token: str) -> HttpResponse:
    """The pause link in a reminder e-mail: a page with one button, which pauses for a day.

    A GET never changes anything, so mail scanners that open links cannot pause reminders.
    """
    if request.method == "POST":
        try:
            reminders_pause_by_token(token=token)
        except PrescriptionError as exc:
            return render(
                request, "prescriptions/reminders_pause.html", {"error": str(exc)}, status=400
            )
        return render(request, "prescriptions/reminders_pause.html", {"done": True})
    return render(request, "prescriptions/reminders_pause.html", {})
