"""Reads of the catalog as one clinic sees it: the shipped exercises plus its own."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from patients.models import Clinic, Clinician

from .models import Exercise, Protocol


@dataclass(frozen=True)
class ExerciseCatalog:
    """The catalog page's three sections: the clinic's own, the shipped ones, the retired ones."""

    own: list[Exercise]
    shipped: list[Exercise]
    retired: list[Exercise]


@dataclass(frozen=True)
class ProtocolCatalog:
    """The protocol page's two sections: the clinic's own versions and the shipped ones."""

    own: list[Protocol]
    shipped: list[Protocol]


def exercise_list_for_clinic(*, clinic: Clinic) -> QuerySet[Exercise]:
    """Active exercises a clinic can prescribe: global ones and the clinic's own."""
    return (
        Exercise.objects.filter(Q(clinic__isnull=True) | Q(clinic=clinic), is_active=True)
        .select_related("clinic")
        .order_by("name", "id")
    )


def exercise_list_extension_for_clinic(*, clinic: Clinic) -> QuerySet[Exercise]:
    """Active extension exercises a clinic can offer as counter-movements."""
    return exercise_list_for_clinic(clinic=clinic).filter(direction=Exercise.Direction.EXTENSION)


def exercise_catalog_for_clinic(*, clinic: Clinic) -> ExerciseCatalog:
    """Every exercise a clinic sees, in one query, split into its own, shipped and retired."""
    rows = Exercise.objects.filter(Q(clinic__isnull=True) | Q(clinic=clinic)).order_by("name", "id")
    own: list[Exercise] = []
    shipped: list[Exercise] = []
    retired: list[Exercise] = []
    for exercise in rows:
        if not exercise.is_active:
            retired.append(exercise)
        elif exercise.is_global:
            shipped.append(exercise)
        else:
            own.append(exercise)
    return ExerciseCatalog(own=own, shipped=shipped, retired=retired)


def exercise_get_editable_for_clinician(*, clinician: Clinician, exercise_id: int) -> Exercise:
    """One of the clinician's clinic's own exercises, or 404 (shipped and other clinics' too)."""
    try:
        return Exercise.objects.get(clinic_id=clinician.clinic_id, pk=exercise_id)
    except Exercise.DoesNotExist as exc:
        raise Http404("No such exercise.") from exc


def protocol_list_published_for_clinic(*, clinic: Clinic) -> QuerySet[Protocol]:
    """Published protocols a clinic's therapists can prescribe from."""
    return (
        Protocol.objects.filter(
            Q(clinic__isnull=True) | Q(clinic=clinic), status=Protocol.Status.PUBLISHED
        )
        .prefetch_related("stages__exercise")
        .order_by("name", "-version")
    )


def protocol_catalog_for_clinic(*, clinic: Clinic) -> ProtocolCatalog:
    """Every version of the clinic's own protocols and of the shipped ones, with their stages."""
    rows = (
        Protocol.objects.filter(Q(clinic__isnull=True) | Q(clinic=clinic))
        .prefetch_related("stages__exercise", "stages__counter_movements")
        .order_by("name", "slug", "-version", "id")
    )
    own: list[Protocol] = []
    shipped: list[Protocol] = []
    for protocol in rows:
        (shipped if protocol.clinic_id is None else own).append(protocol)
    return ProtocolCatalog(own=own, shipped=shipped)


def protocol_get_editable_for_clinician(*, clinician: Clinician, protocol_id: int) -> Protocol:
    """One of the clinician's clinic's own protocol versions, or 404."""
    try:
        return Protocol.objects.get(clinic_id=clinician.clinic_id, pk=protocol_id)
    except Protocol.DoesNotExist as exc:
        raise Http404("No such protocol.") from exc


def protocol_get_shipped(*, protocol_id: int) -> Protocol:
    """One shipped (global) protocol version, which any clinic may copy, or 404."""
    try:
        return Protocol.objects.get(clinic__isnull=True, pk=protocol_id)
    except Protocol.DoesNotExist as exc:
        raise Http404("No such protocol.") from exc
