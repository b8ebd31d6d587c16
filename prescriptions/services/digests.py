"""The therapist's daily digest: how many alerts are open and how many patients have gone
quiet, written to the outbox once a day per therapist.

Quiet patient
    A patient of the therapist with an active programme that started at least three days ago
    and no set logged in the last three days.

The digest carries counts and a link, never a name: the details are behind sign-in. A day with
nothing to report sends nothing. The dedupe key (therapist, clinic-local date) makes a second
pass on the same day write nothing, however many beats run.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.urls import reverse

from patients.models import Clinic, Clinician

from ..models import Alert, OutboxMessage, Prescription, SessionLog

QUIET_DAYS = 3
SUBJECT = "Stagewise: your daily summary"


@dataclass(frozen=True)
class DigestReport:
    """What one pass did: therapists whose digest time had come, digests written."""

    due: int
    written: int


def _digest_time() -> dt.time:
    return dt.time.fromisoformat(settings.STAGEWISE_DIGEST_TIME)


def digest_counts(*, clinic: Clinic, now: dt.datetime) -> dict[int, tuple[int, int]]:
    """Per therapist id of the clinic: (open alerts, quiet patients), in two grouped queries."""
    quiet_since = now - dt.timedelta(days=QUIET_DAYS)
    alerts = (
        Alert.objects.filter(
            status=Alert.Status.OPEN,
            prescription__patient__clinic=clinic,
            prescription__patient__archived_at__isnull=True,
        )
        .values("prescription__patient__primary_clinician_id")
        .annotate(n=Count("pk"))
    )
    quiet = (
        Prescription.objects.filter(
            status=Prescription.Status.ACTIVE,
            patient__clinic=clinic,
            patient__archived_at__isnull=True,
            started_at__lte=quiet_since,
        )
        .filter(
            ~Exists(
                SessionLog.objects.filter(prescription=OuterRef("pk"), started_at__gte=quiet_since)
            )
        )
        .values("patient__primary_clinician_id")
        .annotate(n=Count("pk"))
    )
    counts: dict[int, tuple[int, int]] = {}
    for row in alerts:
        key = row["prescription__patient__primary_clinician_id"]
        counts[key] = (row["n"], counts.get(key, (0, 0))[1])
    for row in quiet:
        key = row["patient__primary_clinician_id"]
        counts[key] = (counts.get(key, (0, 0))[0], row["n"])
    return counts


def digest_body(*, first_name: str, open_alerts: int, quiet_patients: int) -> str:
    """The digest's words: counts and links only."""
    site = settings.STAGEWISE_SITE_URL.rstrip("/")
    queue = site + reverse("prescriptions:alert_queue")
    caseload = site + reverse("prescriptions:caseload") + "?inactive=on"
    return (
        f"Hello {first_name},\n\n"
        f"Open alerts on your patients: {open_alerts}\n{queue}\n\n"
        f"Patients with no set logged for {QUIET_DAYS} days or more: {quiet_patients}\n"
        f"{caseload}\n\n"
        "This message contains no patient details; sign in to see them.\n"
    )


@transaction.atomic
def pt_digests_write(*, now: dt.datetime) -> DigestReport:
    """Write today's digest for every active therapist whose clinic has reached digest time."""
    due = written = 0
    for clinic in Clinic.objects.order_by("pk"):
        local = now.astimezone(zoneinfo.ZoneInfo(clinic.timezone))
        if local.time() < _digest_time():
            continue
        therapists = Clinician.objects.filter(
            clinic=clinic,
            role=Clinician.Role.THERAPIST,
            is_active=True,
            user__is_active=True,
        ).select_related("user")
        counts = digest_counts(clinic=clinic, now=now)
        for therapist in therapists:
            due += 1
            open_alerts, quiet_patients = counts.get(therapist.pk, (0, 0))
            if not (open_alerts or quiet_patients) or not therapist.user.email:
                continue
            message, created = OutboxMessage.objects.get_or_create(
                dedupe_key=f"digest:{therapist.pk}:{local.date().isoformat()}",
                defaults={
                    "kind": OutboxMessage.Kind.PT_DIGEST,
                    "recipients": [therapist.user.email],
                    "subject": SUBJECT,
                    "body": digest_body(
                        first_name=therapist.user.first_name or "there",
                        open_alerts=open_alerts,
                        quiet_patients=quiet_patients,
                    ),
                },
            )
            if created:
                written += 1
                from ..tasks import outbox_send_task, task_queue_on_commit

                task_queue_on_commit(outbox_send_task, message.pk)
    return DigestReport(due=due, written=written)
