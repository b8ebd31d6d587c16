"""Catalog pages for clinic staff: everyone sees the catalog; the clinic admin keeps it."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patients.access import clinic_admin_required, clinician_required
from patients.forms import form_status
from patients.models import Clinician

from . import services
from .exceptions import CatalogError, ProtocolReadOnly
from .forms import BaseStageFormSet, ExerciseForm, ProtocolForm, stage_formset, stage_initial
from .models import Protocol
from .selectors import (
    exercise_catalog_for_clinic,
    exercise_get_editable_for_clinician,
    protocol_catalog_for_clinic,
    protocol_get_editable_for_clinician,
    protocol_get_shipped,
    protocol_list_published_for_clinic,
)

View = Callable[..., HttpResponse]


# --- exercises --------------------------------------------------------------------------------


@clinician_required
def exercise_list(request: HttpRequest, *, clinician: Clinician) -> HttpResponse:
    """The clinic's own, shipped and retired exercises, and the published protocols."""
    context = {
        "catalog": exercise_catalog_for_clinic(clinic=clinician.clinic),
        "protocols": protocol_list_published_for_clinic(clinic=clinician.clinic),
        "clinician": clinician,
    }
    return render(request, "exercises/exercise_list.html", context)


@clinic_admin_required
def exercise_create(request: HttpRequest, *, clinician: Clinician) -> HttpResponse:
    """Add an exercise to the clinic's catalog."""
    form = ExerciseForm(request.POST, request.FILES) if request.method == "POST" else ExerciseForm()
    if form.is_valid():
        try:
            exercise = services.exercise_create(
                clinic=clinician.clinic,
                details=form.details(),
                illustration=form.cleaned_data["illustration"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Added “%(name)s”.") % {"name": exercise.name})
            return redirect("exercises:exercise_list")
    context = {"form": form, "exercise": None}
    return render(
        request, "exercises/exercise_form.html", context, status=form_status(form.is_bound)
    )


@clinic_admin_required
def exercise_update(
    request: HttpRequest, exercise_id: int, *, clinician: Clinician
) -> HttpResponse:
    """Change one of the clinic's own exercises; shipped ones answer 404."""
    exercise = exercise_get_editable_for_clinician(clinician=clinician, exercise_id=exercise_id)
    if request.method == "POST":
        form = ExerciseForm(request.POST, request.FILES)
    else:
        form = ExerciseForm(initial=ExerciseForm.initial_for(exercise))
    if form.is_valid():
        try:
            services.exercise_update(
                exercise=exercise,
                details=form.details(),
                illustration=form.cleaned_data["illustration"],
            )
        except (ValidationError, CatalogError) as exc:
            form.add_error(None, getattr(exc, "messages", [str(exc)]))
        else:
            messages.success(request, _("Saved “%(name)s”.") % {"name": exercise.name})
            return redirect("exercises:exercise_list")
    context = {"form": form, "exercise": exercise}
    return render(
        request, "exercises/exercise_form.html", context, status=form_status(form.is_bound)
    )


@clinic_admin_required
@require_POST
def exercise_retire(
    request: HttpRequest, exercise_id: int, *, clinician: Clinician
) -> HttpResponse:
    """Take one of the clinic's own exercises out of use; it is kept, never deleted."""
    exercise = exercise_get_editable_for_clinician(clinician=clinician, exercise_id=exercise_id)
    try:
        services.exercise_retire(exercise=exercise)
    except CatalogError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Retired “%(name)s”.") % {"name": exercise.name})
    return redirect("exercises:exercise_list")


# --- protocols --------------------------------------------------------------------------------


@clinician_required
def protocol_list(request: HttpRequest, *, clinician: Clinician) -> HttpResponse:
    """The clinic's own protocol versions and the shipped ones, with their stages."""
    context = {"catalog": protocol_catalog_for_clinic(clinic=clinician.clinic)}
    return render(request, "exercises/protocol_list.html", {**context, "clinician": clinician})


@clinic_admin_required
def protocol_create(request: HttpRequest, *, clinician: Clinician) -> HttpResponse:
    """Start a new clinic protocol as a draft, then go on to its stages."""
    form = ProtocolForm(request.POST) if request.method == "POST" else ProtocolForm()
    if form.is_valid():
        protocol = services.protocol_create_draft(clinic=clinician.clinic, **form.cleaned_data)
        messages.success(request, _("Draft created: now choose its three stages."))
        return redirect("exercises:protocol_update", protocol_id=protocol.pk)
    status = form_status(form.is_bound)
    return render(request, "exercises/protocol_create.html", {"form": form}, status=status)


@clinic_admin_required
def protocol_update(
    request: HttpRequest, protocol_id: int, *, clinician: Clinician
) -> HttpResponse:
    """Change a draft's name and its three stages."""
    protocol = protocol_get_editable_for_clinician(clinician=clinician, protocol_id=protocol_id)
    if protocol.status != Protocol.Status.DRAFT:
        messages.error(request, ProtocolReadOnly.NOT_DRAFT)
        return redirect("exercises:protocol_list")
    form, formset = _protocol_forms(request, protocol, clinician=clinician)
    if form.is_valid() and formset.is_valid():
        try:
            services.protocol_update_stages(
                protocol=protocol, stages=formset.stages(), **form.cleaned_data
            )
        except (ValidationError, CatalogError) as exc:
            form.add_error(None, getattr(exc, "messages", [str(exc)]))
        else:
            messages.success(request, _("Draft saved. Publish it when it is ready."))
            return redirect("exercises:protocol_update", protocol_id=protocol.pk)
    context = {"protocol": protocol, "form": form, "formset": formset}
    status = form_status(form.is_bound)
    return render(request, "exercises/protocol_edit.html", context, status=status)


def _protocol_forms(
    request: HttpRequest, protocol: Protocol, *, clinician: Clinician
) -> tuple[ProtocolForm, BaseStageFormSet]:
    if request.method == "POST":
        return ProtocolForm(request.POST), stage_formset(clinic=clinician.clinic, data=request.POST)
    initial = {"name": protocol.name, "description": protocol.description}
    stages = stage_initial(protocol.stages.prefetch_related("counter_movements"))
    return ProtocolForm(initial=initial), stage_formset(clinic=clinician.clinic, initial=stages)


@clinic_admin_required
@require_POST
def protocol_publish(
    request: HttpRequest, protocol_id: int, *, clinician: Clinician
) -> HttpResponse:
    """Publish a draft; the version published before it is retired."""
    protocol = protocol_get_editable_for_clinician(clinician=clinician, protocol_id=protocol_id)
    try:
        protocol = services.protocol_publish(protocol=protocol)
    except CatalogError as exc:
        messages.error(request, str(exc))
        return redirect("exercises:protocol_list")
    messages.success(request, _("Published %(protocol)s.") % {"protocol": protocol})
    return redirect("exercises:protocol_list")


@clinic_admin_required
@require_POST
def protocol_new_version(
    request: HttpRequest, protocol_id: int, *, clinician: Clinician
) -> HttpResponse:
    """Start the next version of a published clinic protocol as a draft."""
    protocol = protocol_get_editable_for_clinician(clinician=clinician, protocol_id=protocol_id)
    try:
        draft = services.protocol_new_version(protocol=protocol)
    except CatalogError as exc:
        messages.error(request, str(exc))
        return redirect("exercises:protocol_list")
    messages.success(request, _("Draft %(protocol)s created.") % {"protocol": draft})
    return redirect("exercises:protocol_update", protocol_id=draft.pk)


@clinic_admin_required
@require_POST
def protocol_copy(request: HttpRequest, protocol_id: int, *, clinician: Clinician) -> HttpResponse:
    """Copy a shipped protocol into the clinic as a draft it can change."""
    protocol = protocol_get_shipped(protocol_id=protocol_id)
    try:
        draft = services.protocol_copy_to_clinic(protocol=protocol, clinic=clinician.clinic)
    except CatalogError as exc:
        messages.error(request, str(exc))
        return redirect("exercises:protocol_list")
    messages.success(request, _("Clinic copy %(protocol)s created.") % {"protocol": draft})
    return redirect("exercises:protocol_update", protocol_id=draft.pk)
