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

import contextlib
import datetime as dt
import json
import logging
import re
import smtplib
import time
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from django import db
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Field, Q, TextField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from ..models import FrequencyPhase, Prescription, Reminder, SessionLog
from .delivery import (
    EmailStencils,
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


# The columns of a plan, in the order ``_candidates`` returns them after (pk, channel). The
# JSON lists come as their text, so rows sharing a plan share a key without being decoded.
_PLAN_COLUMNS = (
    "patient__timezone",
    "reminder_times",
    "phase",
    "muted_reminder_times",
    "nudge_time",
    "nudge_wanted",
    "quiet_start",
    "quiet_end",
)


def _candidates(now: dt.datetime) -> list[tuple[Any, ...]]:
    """(pk, channel, *plan) of every programme that may be reminded now."""
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
        .order_by()
        .annotate(
            times_text=Cast("reminder_times", TextField()),
            muted_text=Cast("muted_reminder_times", TextField()),
        )
        .values_list(
            "pk",
            "reminder_channel",
            *(
                {"reminder_times": "times_text", "muted_reminder_times": "muted_text"}.get(c, c)
                for c in _PLAN_COLUMNS
            ),
        )
    )
    return list(rows)


def _plan(key: tuple[Any, ...]) -> dict[str, Any]:
    """The plan named by a key of ``_candidates``' plan columns, its JSON lists decoded."""
    plan = dict(zip(_PLAN_COLUMNS, key, strict=True))
    plan["reminder_times"] = json.loads(plan["reminder_times"])
    plan["muted_reminder_times"] = json.loads(plan["muted_reminder_times"] or "[]")
    return plan


@dataclass(frozen=True)
class _Slot:
    """One slot of one local day whose instant falls in the due window."""

    local_date: dt.date
    hhmm: str
    instant: dt.datetime
    kind: str
    # How many logged sets that day make this slot needless: its place in the plan + 1, or 1
    # for the evening follow-up (any set at all).
    satisfied_by: int
    quiet: bool  # inside the patient's quiet hours: never sent


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


def _due_slots(row: dict[str, Any], now: dt.datetime) -> list[_Slot]:
    """The slots of one plan whose instant lies in the due window ending at ``now``."""
    zone_name = row["patient__timezone"]
    today = now.astimezone(zoneinfo.ZoneInfo(zone_name)).date()
    plan = _day_plan(row)
    slots: list[_Slot] = []
    for local_date in (today - dt.timedelta(days=1), today, today + dt.timedelta(days=1)):
        for hhmm, kind, satisfied_by in plan:
            instant = slot_instant(local_date, hhmm, zone_name)
            if now - DUE_WINDOW < instant <= now:
                quiet = _in_quiet_hours(hhmm, row["quiet_start"], row["quiet_end"])
                slots.append(_Slot(local_date, hhmm, instant, kind, satisfied_by, quiet))
    return slots


# (prescription id, local date, slot, channel, kind, due at): one reminder row to insert.
DueRow = tuple[int, dt.date, str, str, str, dt.datetime]


def _due_rows(now: dt.datetime) -> tuple[list[DueRow], int]:
    """The reminder rows due now, one per key, and how many due slots were skipped."""
    # Thousands of patients share a clinic's default plan in one time zone: the programmes are
    # grouped by plan, and each distinct plan is decoded and its due slots computed once.
    groups: dict[tuple[Any, ...], list[tuple[int, str]]] = {}
    for row in _candidates(now):
        groups.setdefault(row[2:], []).append(row[:2])
    due_groups = [
        (slot, members) for key, members in groups.items() for slot in _due_slots(_plan(key), now)
    ]
    planned = sum(len(members) for _, members in due_groups)
    dates = {slot.local_date for slot, _ in due_groups if not slot.quiet}
    ids = None
    if planned <= _LONG_ID_LIST:
        ids = {pk for slot, members in due_groups if not slot.quiet for pk, _ in members}
    logs = _log_counts(dates=dates, prescription_ids=ids)
    rows: list[DueRow] = []
    for slot, members in due_groups:
        if slot.quiet:
            continue
        rows.extend(
            (pk, slot.local_date, slot.hhmm, channel, slot.kind, slot.instant)
            for pk, channel in members
            if logs.get((pk, slot.local_date), 0) < slot.satisfied_by
        )
    return rows, planned - len(rows)


def reminders_due(*, now: dt.datetime) -> tuple[list[Reminder], int]:
    """Reminders that should exist now (unsaved), and how many due slots were skipped."""
    rows, skipped = _due_rows(now)
    return [_reminder_from_row(row) for row in rows], skipped


def _reminder_from_row(row: DueRow) -> Reminder:
    """An unsaved reminder from a due row (prescription id, local date, slot, channel, kind,
    due instant)."""
    prescription_id, local_date, slot, channel, kind, due_at = row
    return Reminder(
        prescription_id=prescription_id,
        local_date=local_date,
        slot=slot,
        channel=channel,
        kind=kind,
        due_at=due_at,
    )


# Above this many programmes the log counts are read through a join rather than a list of ids.
_LONG_ID_LIST = 1000


def _log_counts(
    *, dates: set[dt.date], prescription_ids: set[int] | None
) -> dict[tuple[int, dt.date], int]:
    """Sets logged per (programme, local date) on ``dates``, for the programmes named or, with
    ``None`` (too many to list), for every active programme."""
    if not dates or prescription_ids == set():
        return {}
    logs = SessionLog.objects.filter(local_date__in=dates)
    if prescription_ids is not None:
        logs = logs.filter(prescription_id__in=prescription_ids)
    else:
        logs = logs.filter(prescription__status=Prescription.Status.ACTIVE)
    counts = logs.order_by().values("prescription_id", "local_date").annotate(n=Count("pk"))
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


def _insert_returning_ids(rows: list[DueRow]) -> list[int]:
    """PostgreSQL: insert the rows in one statement, ``ON CONFLICT DO NOTHING`` on the unique
    prescription/date/slot/channel key; the ids of the rows this statement inserted."""
    meta = Reminder._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(cast(Field, meta.get_field(name)).column) for name in _INSERTED)
    # Only the model's own table and column names are formatted in; every value is a parameter.
    sql = _INSERT_SQL.format(
        table=quote(meta.db_table),
        columns=columns,
        constraint=quote("reminder_one_per_slot"),
        pk=quote(meta.pk.column),
    )
    params: list[Any] = [Reminder.Status.PENDING.value]
    for values in zip(*rows, strict=True):
        texts = {value: str(value) for value in set(values)}  # few distinct dates and instants
        params.append(",".join([texts[value] for value in values]))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(pk for (pk,) in cursor.fetchall())


# The values arrive as one comma-separated text per column (quick to build and to send even
# for 100,000 rows; none of the values holds a comma); unnest turns them back into rows.
_INSERT_SQL = (
    "INSERT INTO {table} ({columns}) "
    "SELECT u.p, u.d, u.s, u.c, u.k, u.t, %s, 0, '' FROM unnest("
    "string_to_array(%s, ',')::bigint[], string_to_array(%s, ',')::date[], "
    "string_to_array(%s, ','), string_to_array(%s, ','), string_to_array(%s, ','), "
    "string_to_array(%s, ',')::timestamptz[]"
    ") AS u(p, d, s, c, k, t) "
    "ON CONFLICT ON CONSTRAINT {constraint} DO NOTHING RETURNING {pk}"
)
_INSERTED = (
    "prescription",
    "local_date",
    "slot",
    "channel",
    "kind",
    "due_at",
    "status",
    "attempts",
    "last_error",
)


@transaction.atomic
def reminders_materialise(*, now: dt.datetime) -> DispatchReport:
    """Insert every reminder due now in one statement; rows that already exist are left alone.

    On PostgreSQL one ``INSERT … ON CONFLICT DO NOTHING … RETURNING id`` does it, and
    ``created`` is exactly what that statement inserted: of two overlapping passes, only one
    counts a row. Elsewhere (SQLite in development) ``created`` counts the keys missing before
    the insert and present after it; should two passes overlap, both may count a row, and the
    sender still sends it once.
    """
    rows, skipped = _due_rows(now)
    if not rows:
        return DispatchReport(due=0, created=0, already_existed=0, skipped=skipped)
    if connection.vendor == "postgresql":
        created_ids = tuple(_insert_returning_ids(rows))
        return DispatchReport(
            due=len(rows),
            created=len(created_ids),
            already_existed=len(rows) - len(created_ids),
            skipped=skipped,
            created_ids=created_ids,
        )
    keys = {row[:4] for row in rows}
    before = _existing(keys)
    Reminder.objects.bulk_create(
        [_reminder_from_row(row) for row in rows if row[:4] not in before],
        ignore_conflicts=True,
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


def reminder_deliver(
    *,
    reminder: Reminder,
    mail_connection: BaseEmailBackend | None = None,
    stencils: EmailStencils | None = None,
) -> None:
    """Hand one reminder to its channel; raises when the channel refuses it.

    ``mail_connection`` is an open e-mail connection shared by a batch; without it the message
    opens and closes its own. ``stencils`` are the batch's rendered e-mail headers.
    """
    patient = reminder.prescription.patient
    message = reminder_message(reminder=reminder)
    if reminder.channel == Reminder.Channel.SMS:
        text_message_deliver(body=message.text, to=patient.phone)
    else:
        email_deliver(
            subject=message.subject,
            body=message.body,
            to=[patient.email],
            connection=mail_connection,
            stencils=stencils,
        )


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


# PostgreSQL: the same claim as ``_claim`` in one statement, so one round trip instead of four
# (begin, lock, update, commit): on a busy machine each round trip waits for the database
# process to be scheduled, and a batch makes one claim per reminder. The row is still locked
# with SKIP LOCKED, so two workers never claim it both, and one too late is skipped.
# The same statement marks the batch's previous reminder sent (the "marked" part; it runs
# whether or not the claim finds its row), so a batch makes one statement per reminder.
_CLAIM_SQL = (
    "WITH marked AS (UPDATE {table} SET status = %(sent)s, sent_at = %(sent_at)s "
    "WHERE id = %(sent_id)s) "
    "UPDATE {table} AS r SET "
    "status = CASE WHEN r.due_at < %(oldest)s THEN %(skipped)s ELSE %(sending)s END, "
    "last_error = CASE WHEN r.due_at < %(oldest)s THEN 'TooLate' ELSE r.last_error END, "
    "claimed_at = CASE WHEN r.due_at < %(oldest)s THEN r.claimed_at ELSE %(now)s END, "
    "attempts = CASE WHEN r.due_at < %(oldest)s THEN r.attempts ELSE r.attempts + 1 END "
    "WHERE r.id = (SELECT id FROM {table} WHERE id = %(id)s AND status = %(pending)s "
    "FOR UPDATE SKIP LOCKED) "
    "RETURNING r.status, r.attempts"
)


class SentUnmarked(NamedTuple):
    """A reminder a batch has sent and not yet marked sent, and when it went out. The batch
    marks it in the statement that claims its next reminder (see ``_CLAIM_SQL``), or on its
    own when there is no next one."""

    reminder: Reminder
    sent_at: dt.datetime


def _mark_and_claim(
    reminder: Reminder, now: dt.datetime, *, mark: SentUnmarked | None = None
) -> Reminder | None:
    """Mark ``mark`` sent (if given) and claim an already loaded reminder as ``_claim`` does,
    in one round trip on PostgreSQL; the claimed reminder (the same object), or None."""
    if connection.vendor != "postgresql":
        if mark is not None:
            _mark_sent(*mark)
        claimed = _claim(reminder.pk, now)
        if claimed is not None:
            claimed.prescription = reminder.prescription
        return claimed
    sql = _CLAIM_SQL.format(table=connection.ops.quote_name(Reminder._meta.db_table))
    params: dict[str, Any] = {
        "id": reminder.pk,
        "now": now,
        "oldest": now - MAX_LATENESS,
        "pending": Reminder.Status.PENDING.value,
        "sending": Reminder.Status.SENDING.value,
        "skipped": Reminder.Status.SKIPPED.value,
        "sent": Reminder.Status.SENT.value,
        "sent_id": mark.reminder.pk if mark else None,
        "sent_at": mark.sent_at if mark else None,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        result = cursor.fetchone()
    if mark is not None:
        mark.reminder.status, mark.reminder.sent_at = Reminder.Status.SENT, mark.sent_at
    if result is None or result[0] != Reminder.Status.SENDING:
        return None
    reminder.status, reminder.attempts, reminder.claimed_at = result[0], result[1], now
    return reminder


def _record_failure(reminder: Reminder, exc: BaseException) -> bool:
    """After a failed send: back to pending when another try may work (True), else failed."""
    retry = delivery_error_is_transient(exc) and reminder.attempts < MAX_ATTEMPTS
    reminder.status = Reminder.Status.PENDING if retry else Reminder.Status.FAILED
    reminder.last_error = delivery_error_reason(exc)
    Reminder.objects.filter(pk=reminder.pk).update(
        status=reminder.status, last_error=reminder.last_error
    )
    logger.warning("reminder %s not sent: %s", reminder.pk, reminder.last_error)
    return retry


def _mark_sent(reminder: Reminder, now: dt.datetime) -> None:
    reminder.status = Reminder.Status.SENT
    reminder.sent_at = now
    Reminder.objects.filter(pk=reminder.pk).update(status=reminder.status, sent_at=now)


def reminder_send(*, reminder_id: int, now: dt.datetime | None = None) -> bool:
    """Send one pending reminder on its own; True if this call sent it.

    The one-row form of ``reminders_send_batch`` (the workers send batches), made of the same
    claim, failure and mark steps, so those steps can be proved one row at a time. The row is
    claimed (pending → sending) and committed before the message goes out, so a second worker
    skips it; a worker that dies mid-send leaves it to ``reminders_sweep_stuck``. A transient
    failure puts it back to pending and re-raises for the caller to retry, until
    ``MAX_ATTEMPTS``; a permanent one (a 5xx answer) marks it failed and returns False.
    """
    now = now or timezone.now()
    reminder = (
        Reminder.objects.select_related("prescription__patient").filter(pk=reminder_id).first()
    )
    if reminder is None or reminder.status != Reminder.Status.PENDING:
        return False
    reminder = _mark_and_claim(reminder, now)
    if reminder is None:
        return False
    try:
        reminder_deliver(reminder=reminder)
    except Exception as exc:
        retry = _record_failure(reminder, exc)
        if retry or not isinstance(exc, OSError):
            raise  # retried by the task; or a fault of ours rather than an answer: let it show
        return False
    _mark_sent(reminder, now)
    logger.info("reminder %s sent", reminder.pk)
    return True


# How many reminders one task sends over one mail connection (see ``reminders_send_batch``).
SEND_BATCH_SIZE = 250
# A batch stops starting new sends after this long and hands the rest to a new task, well
# inside the task's soft time limit (60 s), so a slow mail server cannot get a batch killed.
SEND_BATCH_SECONDS = 30.0


@dataclass
class BatchReport:
    """What one batch did with each of its reminders, by id.

    ``failed``: refused for good (a 5xx answer, or an error of ours building the message, which
    would fail the same way again); marked failed with the reason.
    ``retry``: a transient failure put the row back to pending; try it again after a backoff.
    ``unattempted``: never claimed because the batch stopped early (the mail connection broke,
    or the time budget ran out); still pending.
    ``passed``: not this batch's to send (no longer pending, claimed by another worker, gone, or
    too late and skipped).
    """

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    unattempted: list[int] = field(default_factory=list)
    passed: list[int] = field(default_factory=list)
    out_of_time: bool = False


def _mark_sent_despite(unmarked: SentUnmarked | None) -> None:
    """When a batch fails, still mark the reminder it sent last; if the database is what
    failed this fails too, and the error that stopped the batch is the one to report (the row
    stays in sending, and the sweep may send it once more)."""
    if unmarked is not None:
        with contextlib.suppress(db.Error):  # DatabaseError, or InterfaceError: connection gone
            _mark_sent(*unmarked)


def _send_in_turn(
    reminder_ids: Sequence[int],
    loaded: dict[int, Reminder],
    mail: BaseEmailBackend,
    report: BatchReport,
    *,
    now: dt.datetime | None,
    deadline: float,
) -> None:
    """The body of ``reminders_send_batch``: claim, send and mark each reminder in turn, noting
    what became of each in ``report``. Each mark rides on the next claim; the last is made on
    its own, and attempted even when the batch stops on an error."""
    stencils = EmailStencils()
    unmarked: SentUnmarked | None = None
    try:
        for position, reminder_id in enumerate(reminder_ids):
            if time.monotonic() > deadline:
                report.out_of_time = True
                report.unattempted.extend(reminder_ids[position:])
                break
            row = loaded.get(reminder_id)
            claimed = None
            if row is not None and row.status == Reminder.Status.PENDING:
                claimed = _mark_and_claim(row, now or timezone.now(), mark=unmarked)
                unmarked = None
            if claimed is None:
                report.passed.append(reminder_id)
                continue
            try:
                reminder_deliver(reminder=claimed, mail_connection=mail, stencils=stencils)
            except Exception as exc:
                retry = _record_failure(claimed, exc)
                (report.retry if retry else report.failed).append(reminder_id)
                if _breaks_the_connection(exc):
                    report.unattempted.extend(reminder_ids[position + 1 :])
                    break
                continue
            unmarked = SentUnmarked(claimed, now or timezone.now())
            report.sent.append(reminder_id)
    except BaseException:
        _mark_sent_despite(unmarked)
        raise
    if unmarked is not None:
        _mark_sent(*unmarked)


def _breaks_the_connection(exc: BaseException) -> bool:
    """A failure of the mail connection itself (timeout, refused, dropped), not an answer about
    one message: the rest of the batch would fail the same way."""
    answered = (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused)
    return isinstance(exc, OSError) and not isinstance(exc, answered)


def reminders_send_batch(
    *,
    reminder_ids: Sequence[int],
    now: dt.datetime | None = None,
    time_budget: float = SEND_BATCH_SECONDS,
) -> BatchReport:
    """Send a batch of pending reminders over one mail connection, one at a time.

    Each reminder is claimed on its own (pending → sending, ``SKIP LOCKED``, committed) just
    before its message goes out, and marked sent before the next message goes out, by the
    statement that claims the next one; so a worker that dies mid-batch leaves at most one row
    in sending (one possible duplicate, freed by the sweep) and the rest pending for the
    redelivered task. A 5xx answer fails only that row; a 4xx answer puts it back for a retry;
    a broken connection stops the batch, the rest left pending. The e-mails' headers are
    rendered once (``EmailStencils``).
    """
    report = BatchReport()
    loaded = Reminder.objects.select_related("prescription__patient").in_bulk(list(reminder_ids))
    deadline = time.monotonic() + time_budget
    mail = get_connection()
    try:
        with _unflushed_status_commits():
            _send_in_turn(reminder_ids, loaded, mail, report, now=now, deadline=deadline)
    finally:
        with contextlib.suppress(Exception):  # a connection that broke may fail to close
            mail.close()
    logger.info(
        "reminder batch: %s sent, %s failed, %s to retry, %s left, %s passed",
        len(report.sent),
        len(report.failed),
        len(report.retry),
        len(report.unattempted),
        len(report.passed),
    )
    return report


# PostgreSQL waits for the disk at every commit (a few milliseconds); a batch commits twice per
# reminder, which would cap sending at a few hundred a second whatever the cores. The batch's
# status changes are therefore committed without waiting for the flush ("synchronous_commit
# off"): they are visible to every other worker at once and survive any crash of a worker; only
# a crash of the database server itself can lose the last fraction of a second of them, and
# those reminders are then sent again (never lost: a lost mark leaves the row pending or
# sending, and the sweep sends it). Set False to wait for the flush at every status change.
UNFLUSHED_STATUS_COMMITS = True


@contextlib.contextmanager
def _unflushed_status_commits() -> Iterator[None]:
    """On PostgreSQL, commit without waiting for the WAL flush inside the block (see above)."""
    if not UNFLUSHED_STATUS_COMMITS or connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO DEFAULT")


@transaction.atomic
def reminders_sweep_stuck(
    *, now: dt.datetime, older_than: dt.timedelta = dt.timedelta(minutes=5)
) -> int:
    """Put reminders whose worker died while sending back to pending; how many were."""
    return Reminder.objects.filter(
        status=Reminder.Status.SENDING, claimed_at__lt=now - older_than
    ).update(status=Reminder.Status.PENDING)


def reminders_pending_ids(*, now: dt.datetime, limit: int = 20_000) -> list[int]:
    """Pending reminders still worth sending, oldest first: what the sweep re-queues."""
    return list(
        Reminder.objects.filter(
            status=Reminder.Status.PENDING, due_at__gte=now - MAX_LATENESS, due_at__lte=now
        )
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
