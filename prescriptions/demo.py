"""The demo clinic: staff, a dozen patients and three to four weeks of history.

The history is made by calling the app's own services with a simulated clock, so every stage,
evaluation and alert in the demo is what the rules really decide.
"""

import datetime as dt
import random
import uuid
import zoneinfo
from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from exercises.models import Protocol
from patients.models import Clinic, Clinician, Patient
from patients.red_flags import INTAKE_QUESTIONS
from patients.services import (
    clinician_create,
    intake_create,
    patient_account_create,
    patient_create,
)

from .exceptions import LogRefused
from .models import Alert
from .services import (
    SessionEntry,
    StageDose,
    advance_approve,
    morning_check_create,
    prescription_create,
    session_log_create,
)

DEMO_PASSWORD = "stagewise-demo"  # noqa: S105 (published demo credentials)
# The demo staff's authenticator key, published like the password: add it to any authenticator
# app (base 32: DEMO_TOTP_KEY_BASE32), or print the current code with
# ``manage.py demo_code USERNAME``. Only the demo clinic's accounts ever get it.
DEMO_TOTP_KEY_HEX = b"stagewise-demo-totp!".hex()
DEMO_CLINIC_SLUG = "demo"
DEMO_ZONE = "Europe/London"
HISTORY_DAYS = 24
SET_TIMES = (dt.time(9, 0), dt.time(13, 0), dt.time(18, 30))
NUDGE_TIME = dt.time(20, 30)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str


ACCOUNTS = (
    DemoAccount("admin", "clinic admin"),
    DemoAccount("therapist", "therapist"),
    DemoAccount("therapist2", "therapist"),
    DemoAccount("patient", "patient (Alex Morgan)"),
)
# The seeded staff accounts, the only ones given the published authenticator: a colleague
# later invited into the demo clinic never gets a key the world knows.
DEMO_STAFF = tuple(a.username for a in ACCOUNTS if not a.role.startswith("patient"))


def _entry(
    started_at: dt.datetime,
    *,
    pre: int,
    during: int,
    post: int,
    levels: tuple[int, int, int, int] = (2, 0, 1, 0),
    ease: str = "EASY",
    ces_bladder: bool = False,
) -> SessionEntry:
    return SessionEntry(
        started_at=started_at,
        reps_done=10,
        pain_pre=pre,
        pain_during_max=during,
        pain_post=post,
        level_pre_left=levels[0],
        level_pre_right=levels[1],
        level_post_left=levels[2],
        level_post_right=levels[3],
        ease=ease,
        ces_saddle=False,
        ces_bladder=ces_bladder,
        ces_bowel=False,
        ces_legs=False,
        hold_seconds=3,
    )


def good(rng: random.Random) -> dict[str, Any]:
    """Easy and pain-free, leg symptoms retreating: what progression looks like."""
    pre = rng.choice((1, 2))
    return {"pre": pre, "during": min(pre, 2), "post": max(pre - 1, 0)}


def held(rng: random.Random) -> dict[str, Any]:
    """Manageable but achy: the programme holds at the current stage."""
    pre = rng.choice((3, 4))
    return {"pre": pre, "during": pre, "post": pre, "ease": "MANAGEABLE", "levels": (2, 0, 2, 0)}


@dataclass(frozen=True)
class Story:
    """One demo patient: who they are and how their weeks went."""

    first_name: str
    last_name: str
    therapist: str
    profile: Callable[[random.Random], dict[str, Any]]
    days: int = HISTORY_DAYS
    approve_advances: bool = True
    last_logged_day: int | None = None
    spread_on_day: int | None = None
    red_flag_on_day: int | None = None
    username: str = ""


STORIES = (
    Story("Alex", "Morgan", "therapist", good, username="patient"),
    Story("Priya", "Shah", "therapist", held),
    Story("Tom", "Gallagher", "therapist", good, spread_on_day=20),
    Story("Maria", "Okafor", "therapist", good, red_flag_on_day=HISTORY_DAYS - 1),
    Story("Ben", "Lewis", "therapist", good, last_logged_day=9),
    Story("Hannah", "Kowalski", "therapist", good, approve_advances=False),
    Story("Omar", "Haddad", "therapist", good, days=5),
    Story("Sofia", "Rossi", "therapist", held, days=12),
    Story("Grace", "Nwosu", "therapist2", good),
    Story("Lucas", "Martin", "therapist2", held),
    Story("Ella", "Fitzgerald", "therapist2", good, days=9),
    Story("Noah", "Andersson", "therapist2", good, last_logged_day=14),
)


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=zoneinfo.ZoneInfo(DEMO_ZONE))


def _staff(clinic: Clinic) -> dict[str, Clinician]:
    people = {
        "admin": ("Dana", "Whitfield", Clinician.Role.CLINIC_ADMIN),
        "therapist": ("Sam", "Patel", Clinician.Role.THERAPIST),
        "therapist2": ("Jo", "Reyes", Clinician.Role.THERAPIST),
    }
    return {
        username: clinician_create(
            clinic=clinic,
            username=username,
            email=f"{username}@demo.stagewise.invalid",
            first_name=first,
            last_name=last,
            role=role,
            password=DEMO_PASSWORD,
        )
        for username, (first, last, role) in people.items()
    }


def _enrol(story: Story, clinician: Clinician, protocol: Protocol, start: dt.datetime) -> Patient:
    patient = patient_create(
        clinician=clinician,
        first_name=story.first_name,
        last_name=story.last_name,
        date_of_birth=dt.date(1961 + len(story.last_name) * 3, 3, 14),
        timezone_name=DEMO_ZONE,
        email=f"{story.first_name.lower()}@demo.stagewise.invalid",
    )
    intake_create(
        clinician=clinician,
        patient=patient,
        odi_answers=[2, 1, 2, 1, 2, 2, 1, None, 1, 2],
        red_flag_answers={q.key: False for q in INTAKE_QUESTIONS},
        baseline_pain=3,
        baseline_level_left=2,
        baseline_level_right=0,
        now=start - dt.timedelta(hours=1),
    )
    prescription_create(
        clinician=clinician,
        patient=patient,
        protocol=protocol,
        doses={n: StageDose(times_per_day=len(SET_TIMES)) for n in (1, 2, 3)},
        reminder_times=[t.strftime("%H:%M") for t in SET_TIMES],
        nudge_time=NUDGE_TIME,
        now=start,
    )
    if story.username:
        patient_account_create(patient=patient, username=story.username, password=DEMO_PASSWORD)
    return patient


def _live_day(
    story: Story,
    patient: Patient,
    clinician: Clinician,
    day_index: int,
    day: dt.date,
    rng: random.Random,
) -> None:
    """One day of a patient's life: morning check, then the day's sets."""
    now_limit = timezone.now()
    morning = _at(day, dt.time(7, 30))
    if day_index > 0 and morning < now_limit:
        morning_check_create(
            patient=patient, pain=rng.choice((2, 3)), level_left=2, level_right=0, now=morning
        )
    for slot, time in enumerate(SET_TIMES):
        started = _at(day, time)
        if started + dt.timedelta(minutes=10) > now_limit:
            return
        proposal = Alert.objects.filter(
            prescription__patient=patient, status="open", kind=Alert.Kind.ADVANCE_PROPOSED
        ).first()
        if proposal is not None and story.approve_advances:
            advance_approve(
                clinician=clinician,
                alert=proposal,
                reason="Reviewed the logs: easy and settled.",
                now=started,
            )
        values = story.profile(rng)
        if day_index == story.spread_on_day and slot == 0:
            values = {"pre": 2, "during": 3, "post": 3, "levels": (2, 0, 3, 0)}
        if day_index == story.red_flag_on_day and slot == 1:
            values = {**values, "ces_bladder": True}
        entry = _entry(started, **values)
        session_log_create(
            patient=patient,
            entry=entry,
            idempotency_key=uuid.uuid4(),
            now=started + dt.timedelta(minutes=8),
        )


def demo_totp_key_base32() -> str:
    """The demo authenticator key as an authenticator app takes it typed in."""
    return b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode()


def demo_authenticators_add() -> None:
    """Give each seeded demo staff account the published demo authenticator (staff sign in in
    two steps); accounts that have one keep it."""
    for clinician in Clinician.objects.filter(
        clinic__slug=DEMO_CLINIC_SLUG, user__username__in=DEMO_STAFF
    ).select_related("user"):
        TOTPDevice.objects.get_or_create(
            user=clinician.user,
            name="Demo authenticator",
            defaults={"key": DEMO_TOTP_KEY_HEX, "confirmed": True},
        )


def demo_seed(*, seed: int = 2026) -> bool:
    """Create the demo clinic with its history; False (and no change) if it already exists."""
    if Clinic.objects.filter(slug=DEMO_CLINIC_SLUG).exists():
        return False
    with transaction.atomic():
        clinic = Clinic.objects.create(
            name="Riverside Physiotherapy (demo)",
            slug=DEMO_CLINIC_SLUG,
            timezone=DEMO_ZONE,
            fallback_alert_email="alerts@demo.stagewise.invalid",
        )
        staff = _staff(clinic)
        protocol = Protocol.objects.get(
            clinic__isnull=True, slug="lumbar-flexion-progression", status=Protocol.Status.PUBLISHED
        )
        today = timezone.now().astimezone(zoneinfo.ZoneInfo(DEMO_ZONE)).date()
        rng = random.Random(seed)  # noqa: S311 (repeatable demo data, not security)
        for story in STORIES:
            first_day = today - dt.timedelta(days=story.days)
            clinician = staff[story.therapist]
            patient = _enrol(story, clinician, protocol, _at(first_day, dt.time(8, 0)))
            last = story.days if story.last_logged_day is None else story.last_logged_day
            for index in range(last + 1):
                try:
                    _live_day(
                        story, patient, clinician, index, first_day + dt.timedelta(days=index), rng
                    )
                except LogRefused:
                    break  # suspended: the patient stops until the therapist calls
    return True
