"""Many patients with a reminder due now, written with bulk inserts (thousands per second)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.utils import timezone

from patients.models import Patient
from prescriptions.models import Prescription, Reminder
from tests import factories

ZONE = "Europe/London"


@dataclass(frozen=True)
class Population:
    """Who should get one reminder for the slot ``slot`` of ``local_date``."""

    emails: frozenset[str]
    prescription_ids: frozenset[int]
    local_date: dt.date
    slot: str

    def rows_per_slot(self) -> dict[int, int]:
        """Reminder rows per prescription for this slot: exactly one each when nothing is
        lost and nothing is duplicated."""
        counts = dict.fromkeys(self.prescription_ids, 0)
        for prescription_id in Reminder.objects.filter(
            local_date=self.local_date, slot=self.slot
        ).values_list("prescription_id", flat=True):
            counts[prescription_id] = counts.get(prescription_id, 0) + 1
        return counts


def patients_with_a_reminder_due(
    *, count: int, now: dt.datetime | None = None, domain: str = "sink.test"
) -> Population:
    """``count`` patients (London time) whose one e-mail reminder falls in the minute of
    ``now``; each has an address of its own, so the SMTP sink can count per reminder."""
    now = now or timezone.now()
    local = now.astimezone(zoneinfo.ZoneInfo(ZONE))
    slot = local.strftime("%H:%M")
    therapist = factories.ClinicianFactory()
    protocol = factories.ProtocolFactory()
    started = now - dt.timedelta(days=3)
    offset = Patient.objects.count()
    patients = Patient.objects.bulk_create(
        [
            Patient(
                clinic=therapist.clinic,
                primary_clinician=therapist,
                first_name="Robin",
                last_name="Example",
                date_of_birth=dt.date(1970, 5, 17),
                email=f"p{offset + n}@{domain}",
                timezone=ZONE,
            )
            for n in range(count)
        ],
        batch_size=2000,
    )
    prescriptions = Prescription.objects.bulk_create(
        [
            Prescription(
                patient=patient,
                prescribed_by=therapist,
                protocol=protocol,
                started_at=started,
                stage_started_at=started,
                phase_started_at=started,
                stage_base_pain=3,
                stage_base_level_left=2,
                stage_base_level_right=0,
                reminder_times=[slot],
                nudge_time=None,
            )
            for patient in patients
        ],
        batch_size=2000,
    )
    return Population(
        emails=frozenset(p.email.lower() for p in patients),
        prescription_ids=frozenset(p.pk for p in prescriptions),
        local_date=local.date(),
        slot=slot,
    )
