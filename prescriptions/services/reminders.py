"""Exercise reminders at each patient's own local times: planned, materialised, sent, swept.

The plan of a day
    The slots are the prescription's ``reminder_times`` sorted, thinned by the frequency phase:
    FLARE uses every time, TAPER the first and the last, MAINTENANCE the first only.

Due window
    Each beat tick (every minute) materialises the slots whose instant lies in
    ``(now - DUE_WINDOW, now]``: ten minutes, so a tick missed by a restarted beat is caught up by
    the next one. A row is never sent more than ``MAX_LATENESS`` (30 minutes) after its instant:
    the sender marks it skipped instead.

Satisfied slot
    Slot k (0-based, in the order of the day's plan) is skipped when that local day already has
    at least k + 1 session logs: the patient has done as many sets as the plan asked for up to
    and including this slot.

Evening follow-up (nudge)
    One more reminder at the plan's ``nudge_time`` when that local day has no logged set yet.
    The patient can turn it off; quiet hours, a pause or a suspension silence it like any slot.
    It is left out when it falls on a time of the plan, which already reminds.

Channel
    E-mail, or a text message through the django-sms backend (``SMS_BACKEND``), as the patient
    chose; a text message needs a phone number, an e-mail an address.

Daylight saving
    A local time that does not exist on a day (spring-forward gap) fires at the first instant
    after the gap; a local time that happens twice (fall-back) fires at its first occurrence.
    Each slot has exactly one instant per local date, so the unique key does the rest.

No patient detail goes into a message (not even a name), only a greeting and links: never a stage,
pain or exercise.
"""

import datetime as dt
import logging
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from ..models import FrequencyPhase, Prescription, Reminder, SessionLog
from .delivery import (
    delivery_error_is_transient,
    delivery_error_reason,
    email_deliver,
    text_message_deliver,
)
from .preferences import reminder_pause_token

logger = logging.getLogger(__name__)

UTC = dt.UTC
# One tick is a minute; ten minutes lets a restarted beat catch up without flooding.
DUE_WINDOW = dt.timedelta(minutes=10)
# A reminder half an hour late is noise, not a prompt (issue 5).
MAX_LATENESS = dt.timedelta(minutes=30)
# Five tries with Celery's backoff span roughly a quarter of an hour, inside MAX_LATENESS.
MAX_ATTEMPTS = 5
SUBJECT = "Time for your exercise session"
NUDGE_SUBJECT = "Your exercise session"

Key = tuple[int, dt.date, str, str]
HHMM = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")


@dataclass(frozen=True)
class DispatchReport:
    """What one pass did: slots due now, rows it inserted, rows an earlier pass had inserted."""

    due: int
    created: int
    already_existed: int
    skipped: int = 0
    created_ids: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, int]:
        return {
            "due": self.due,
            "created": self.created,
            "already_existed": self.already_existed,
            "skipped": self.skipped,
        }


def slot_instant(local_date: dt.date, hhmm: str, zone_name: str) -> dt.datetime:
    """The one UTC instant at which a local "HH:MM" slot of ``local_date`` fires."""
    zone = zoneinfo.ZoneInfo(zone_name)
    wall = dt.datetime.combine(local_date, dt.time.fromisoformat(hhmm))
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # In a gap: the transition lies between the two readings of the wall time; find it.
    low = int(wall.replace(tzinfo=zone, fold=1).timestamp())
    high = int(first.timestamp())
    after = first.astimezone(zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if dt.datetime.fromtimestamp(middle, zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return dt.datetime.fromtimestamp(high, UTC)


def day_slots(reminder_times: list[str], phase: str) -> list[str]:
    """The slots of one day for a frequency phase (clinical spec 2.5).

    A malformed time is left out, so one bad row cannot stop the pass for every patient.
    """
    times = sorted({t for t in reminder_times if isinstance(t, str) and HHMM.fullmatch(t)})
    if phase == FrequencyPhase.MAINTENANCE:
        return times[:1]
    if phase == FrequencyPhase.TAPER and len(times) > 2:
        return [times[0], times[-1]]
    return times


def _in_quiet_hours(hhmm: str, start: dt.time | None, end: dt.time | None) -> bool:
    if start is None or end is None or start == end:
        return False
    slot = dt.time.fromisoformat(hhmm)
    if start < end:
        return start <= slot < end
    return slot >= start or slot < end


def _candidates(now: dt.datetime) -> list[dict[str, Any]]:
    reachable = Q(reminder_channel=Reminder.Channel.EMAIL) & ~Q(patient__email="")
    reachable |= Q(reminder_channel=Reminder.Channel.SMS) & ~Q(patient__phone="")
    rows = (
        Prescription.objects.filter(
            reachable,
            status=Prescription.Status.ACTIVE,
            reminder_consent=True,
            patient__archived_at__isnull=True,
        )
        .exclude(reminder_times=[])
        .filter(Q(reminders_paused_until__isnull=True) | Q(reminders_paused_until__lte=now))
        .values(
            "pk",
            "reminder_times",
            "muted_reminder_times",
            "phase",
            "quiet_start",
            "quiet_end",
            "reminder_channel",
            "nudge_time",
            "nudge_wanted",
            "patient__timezone",
        )
    )
    return [dict(row) for row in rows]


@dataclass(frozen=True)
class _Slot:
    """One slot of one local day whose instant falls in the due window."""

    row: dict[str, Any]
    local_date: dt.date
    hhmm: str
    instant: dt.datetime
    kind: str
    # How many logged sets that day make this slot needless: its place in the plan + 1, or 1
    # for the evening follow-up (any set at all).
    satisfied_by: int


def _day_plan(row: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(time, kind, sets that satisfy it) for one prescription's day."""
    slots = day_slots(row["reminder_times"], row["phase"])
    plan: list[tuple[str, str, int]] = [
        (hhmm, Reminder.Kind.PLAN, index + 1)
        for index, hhmm in enumerate(slots)
        if hhmm not in row["muted_reminder_times"]  # the patient chose not to hear at this time
    ]
    nudge = row["nudge_time"]
    if nudge is not None and row["nudge_wanted"]:
        hhmm = nudge.strftime("%H:%M")
        if hhmm not in slots:
            plan.append((hhmm, Reminder.Kind.NUDGE, 1))
    return plan


def reminders_due(*, now: dt.datetime) -> tuple[list[Reminder], int]:
    """Reminders that should exist now (unsaved), and how many due slots were skipped."""
    planned: list[_Slot] = []
    for row in _candidates(now):
        zone_name = row["patient__timezone"]
        today = now.astimezone(zoneinfo.ZoneInfo(zone_name)).date()
        plan = _day_plan(row)
        for local_date in (today - dt.timedelta(days=1), today, today + dt.timedelta(days=1)):
            for hhmm, kind, satisfied_by in plan:
                instant = slot_instant(local_date, hhmm, zone_name)
                if now - DUE_WINDOW < instant <= now:
                    planned.append(_Slot(row, local_date, hhmm, instant, kind, satisfied_by))
    logs = _log_counts({(slot.row["pk"], slot.local_date) for slot in planned})
    due: list[Reminder] = []
    for slot in planned:
        if logs.get((slot.row["pk"], slot.local_date), 0) >= slot.satisfied_by:
            continue
        if _in_quiet_hours(slot.hhmm, slot.row["quiet_start"], slot.row["quiet_end"]):
            continue
        due.append(
            Reminder(
                prescription_id=slot.row["pk"],
                local_date=slot.local_date,
                slot=slot.hhmm,
                channel=slot.row["reminder_channel"],
                kind=slot.kind,
                due_at=slot.instant,
            )
        )
    return due, len(planned) - len(due)


def _log_counts(days: set[tuple[int, dt.date]]) -> dict[tuple[int, dt.date], int]:
    if not days:
        return {}
    counts = (
        SessionLog.objects.filter(
            prescription_id__in={pk for pk, _ in days},
            local_date__in={local_date for _, local_date in days},
        )
        .values("prescription_id", "local_date")
        .annotate(n=Count("pk"))
    )
    return {(c["prescription_id"], c["local_date"]): c["n"] for c in counts}


def _existing(keys: set[Key]) -> dict[Key, int]:
    if not keys:
        return {}
    rows = Reminder.objects.filter(
        prescription_id__in={k[0] for k in keys},
        local_date__in={k[1] for k in keys},
        channel__in={k[3] for k in keys},
    ).values_list("pk", "prescription_id", "local_date", "slot", "channel")
    found = {(pid, day, slot, channel): pk for pk, pid, day, slot, channel in rows}
    return {key: pk for key, pk in found.items() if key in keys}


@transaction.atomic
def reminders_materialise(*, now: dt.datetime) -> DispatchReport:
    """Insert every reminder due now in one statement; rows that already exist are left alone.

    ``created`` counts the keys missing before the insert and present after it. Should two
    passes overlap, both may count a row, and the sender still sends it once.
    """
    due, skipped = reminders_due(now=now)
    if not due:
        return DispatchReport(due=0, created=0, already_existed=0, skipped=skipped)
    keys = {_key(reminder) for reminder in due}
    before = _existing(keys)
    Reminder.objects.bulk_create(
        [reminder for reminder in due if _key(reminder) not in before], ignore_conflicts=True
    )
    after = _existing(keys)
    created_ids = tuple(sorted(pk for key, pk in after.items() if key not in before))
    return DispatchReport(
        due=len(keys),
        created=len(created_ids),
        already_existed=len(before),
        skipped=skipped,
        created_ids=created_ids,
    )


def _key(reminder: Reminder) -> Key:
    return (reminder.prescription_id, reminder.local_date, reminder.slot, reminder.channel)


@dataclass(frozen=True)
class ReminderMessage:
    """What a reminder says: a greeting, a prompt and links; no name and no health detail."""

    subject: str
    body: str
    text: str  # the short form for a text message


def reminder_message(*, reminder: Reminder) -> ReminderMessage:
    """The words of one reminder, for e-mail and for a text message."""
    site = settings.STAGEWISE_SITE_URL.rstrip("/")
    pause = reverse(
        "prescriptions:reminders_pause",
        kwargs={"token": reminder_pause_token(prescription=reminder.prescription)},
    )
    if reminder.kind == Reminder.Kind.NUDGE:
        subject, prompt = NUDGE_SUBJECT, "A gentle evening reminder: your exercise session."
    else:
        subject, prompt = SUBJECT, "It is time for your exercise session."
    body = (
        "Hello,\n\n"
        f"{prompt}\n\n"
        f"Open Stagewise: {site}/me/\n\n"
        f"No reminders for a day: {site}{pause}\n"
    )
    text = f"Stagewise: {prompt} {site}/me/ · Pause for a day: {site}{pause}"
    return ReminderMessage(subject=subject, body=body, text=text)


def reminder_deliver(*, reminder: Reminder) -> None:
    """Hand one reminder to its channel; raises when the channel refuses it."""
    patient = reminder.prescription.patient
    message = reminder_message(reminder=reminder)
    if reminder.channel == Reminder.Channel.SMS:
        text_message_deliver(body=message.text, to=patient.phone)
    else:
        email_deliver(subject=message.subject, body=message.body, to=[patient.email])


def _claim(reminder_id: int, now: dt.datetime) -> Reminder | None:
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(pk=reminder_id, status=Reminder.Status.PENDING)
            .first()
        )
        if reminder is None:
            return None
        if now - reminder.due_at > MAX_LATENESS:
            reminder.status = Reminder.Status.SKIPPED
            reminder.last_error = "TooLate"
            reminder.save(update_fields=["status", "last_error"])
            return None
        reminder.status = Reminder.Status.SENDING
        reminder.claimed_at = now
        reminder.attempts += 1
        reminder.save(update_fields=["status", "claimed_at", "attempts"])
        return reminder


def reminder_send(*, reminder_id: int, now: dt.datetime | None = None) -> bool:
    """Send one pending reminder; True if this call sent it.

    The row is claimed (pending → sending) and committed before the message goes out, so a
    second worker skips it; a worker that dies mid-send leaves it to ``reminders_sweep_stuck``.
    A transient failure puts it back to pending and re-raises for the task's retry, until
    ``MAX_ATTEMPTS``; a permanent one (a 5xx answer) marks it failed and returns False.
    """
    now = now or timezone.now()
    reminder = _claim(reminder_id, now)
    if reminder is None:
        return False
    reminder = Reminder.objects.select_related("prescription__patient").get(pk=reminder.pk)
    try:
        reminder_deliver(reminder=reminder)
    except Exception as exc:
        retry = delivery_error_is_transient(exc) and reminder.attempts < MAX_ATTEMPTS
        reminder.status = Reminder.Status.PENDING if retry else Reminder.Status.FAILED
        reminder.last_error = delivery_error_reason(exc)
        reminder.save(update_fields=["status", "last_error"])
        logger.warning("reminder %s not sent: %s", reminder.pk, reminder.last_error)
        if retry or not isinstance(exc, OSError):
            raise  # retried by the task; or a fault of ours rather than an answer: let it show
        return False
    reminder.status = Reminder.Status.SENT
    reminder.sent_at = now
    reminder.save(update_fields=["status", "sent_at"])
    logger.info("reminder %s sent", reminder.pk)
    return True


@transaction.atomic
def reminders_sweep_stuck(
    *, now: dt.datetime, older_than: dt.timedelta = dt.timedelta(minutes=5)
) -> int:
    """Put reminders whose worker died while sending back to pending; how many were."""
    return Reminder.objects.filter(
        status=Reminder.Status.SENDING, claimed_at__lt=now - older_than
    ).update(status=Reminder.Status.PENDING)


def reminders_pending_ids(*, now: dt.datetime, limit: int = 500) -> list[int]:
    """Pending reminders still worth sending, oldest first: what the sweep re-queues."""
    return list(
        Reminder.objects.filter(
            status=Reminder.Status.PENDING, due_at__gte=now - MAX_LATENESS, due_at__lte=now
        )
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
