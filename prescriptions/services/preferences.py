"""The patient's own reminder settings, within the plan the therapist set."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from patients.models import Patient

from ..exceptions import LogRefused
from ..models import Prescription

RUNNING = (Prescription.Status.ACTIVE, Prescription.Status.PAUSED, Prescription.Status.SUSPENDED)


@transaction.atomic
def reminder_preferences_update(
    *,
    patient: Patient,
    timezone_name: str,
    quiet_start: dt.time | None,
    quiet_end: dt.time | None,
    pause_days: int,
    consent: bool,
    reminded_times: list[str] | None = None,
    now: dt.datetime | None = None,
) -> Prescription:
    """Save when and whether the patient is reminded; the times themselves are the plan's."""
    now = now or timezone.now()
    prescription = (
        Prescription.objects.select_for_update().filter(patient=patient, status__in=RUNNING).first()
    )
    if prescription is None:
        raise LogRefused(LogRefused.NO_PROGRAMME)
    patient.timezone = timezone_name
    patient.full_clean()
    patient.save(update_fields=["timezone", "updated_at"])
    prescription.quiet_start, prescription.quiet_end = quiet_start, quiet_end
    prescription.reminders_paused_until = (
        now + dt.timedelta(days=pause_days) if pause_days else None
    )
    prescription.reminder_consent = consent
    if reminded_times is not None:
        plan = prescription.reminder_times
        prescription.muted_reminder_times = [t for t in plan if t not in set(reminded_times)]
    prescription.full_clean()
    prescription.save()
    return prescription
