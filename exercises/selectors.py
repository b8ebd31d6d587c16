"""Reads of the catalog as one clinic sees it: the shipped exercises plus its own."""

from django.db.models import Q, QuerySet

from patients.models import Clinic

from .models import Exercise, Protocol


def exercise_list_for_clinic(*, clinic: Clinic) -> QuerySet[Exercise]:
    """Active exercises a clinic can prescribe: global ones and the clinic's own."""
    return (
        Exercise.objects.filter(Q(clinic__isnull=True) | Q(clinic=clinic), is_active=True)
        .select_related("clinic")
        .order_by("name", "id")
    )


def protocol_list_published_for_clinic(*, clinic: Clinic) -> QuerySet[Protocol]:
    """Published protocols a clinic's therapists can prescribe from."""
    return (
        Protocol.objects.filter(
            Q(clinic__isnull=True) | Q(clinic=clinic), status=Protocol.Status.PUBLISHED
        )
        .prefetch_related("stages__exercise")
        .order_by("name", "-version")
    )
