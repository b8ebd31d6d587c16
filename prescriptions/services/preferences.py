"""The patient's own reminder settings, within the plan the therapist set."""

import datetime as dt

from django.core import signing
from django.db import transaction
from django.utils import timezone

from patients.models import Patient

from ..exceptions import LogRefused, PauseLinkInvalid
from ..models import Prescription


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
    channel: str | None = None,
    nudge_wanted: bool | None = None,
    now: dt.datetime | None = None,
) -> Prescription:
    """Save when and whether the patient is reminded; the times themselves are the plan's."""
    now = now or timezone.now()
    prescription = (
        Prescription.objects.select_for_update()
        .filter(patient=patient, status__in=Prescription.RUNNING_STATUSES)
        .first()
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
    if channel is not None:
        prescription.reminder_channel = channel
    if nudge_wanted is not None:
        prescription.nudge_wanted = nudge_wanted
    if reminded_times is not None:
        plan = prescription.reminder_times
        prescription.muted_reminder_times = [t for t in plan if t not in set(reminded_times)]
    prescription.full_clean()
    prescription.save()
    return prescription


PAUSE_SALT = "stagewise.reminders.pause"
PAUSE_LINK_DAYS = 14  # a link in an old e-mail stops working after two weeks
PAUSE_FOR = dt.timedelta(days=1)


def reminder_pause_token(*, prescription: Prescription) -> str:
    """An opaque, signed token for the one-click pause link in reminder e-mails."""
    return signing.dumps(prescription.pk, salt=PAUSE_SALT, compress=True)


@transaction.atomic
def reminders_pause_by_token(*, token: str, now: dt.datetime | None = None) -> Prescription:
    """Pause a programme's reminders for a day from the link in an e-mail (no sign-in needed).

    The token names the programme only; a tampered or expired token is refused.
    """
    now = now or timezone.now()
    try:
        prescription_id = signing.loads(token, salt=PAUSE_SALT, max_age=PAUSE_LINK_DAYS * 86400)
    except signing.BadSignature as exc:
        raise PauseLinkInvalid from exc
    prescription = Prescription.objects.select_for_update().filter(pk=prescription_id).first()
    if prescription is None:
        raise PauseLinkInvalid
    prescription.reminders_paused_until = max(
        prescription.reminders_paused_until or now, now + PAUSE_FOR
    )
    prescription.save(update_fields=["reminders_paused_until", "updated_at"])
    return prescription
