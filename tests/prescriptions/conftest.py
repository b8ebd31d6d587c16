"""Programmes built through the real services, on a simulated clock."""

import datetime as dt
import uuid
import zoneinfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from exercises.models import Protocol
from patients.red_flags import INTAKE_QUESTIONS
from patients.services import intake_create
from prescriptions.services import (
    SessionEntry,
    morning_check_create,
    prescription_create,
    session_log_create,
)
from tests.factories import UserFactory

# Real processes for the worker and fault tests: an SMTP sink, a private Redis, workers, beat.
from tests.support.fixtures import redis_server, smtp_sink, start_beat, start_worker

__all__ = ["redis_server", "smtp_sink", "start_beat", "start_worker"]

ZONE = zoneinfo.ZoneInfo("Europe/London")
# A fixed clock far enough in the past that simulated days never reach the real "now".
START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=ZONE)


def at(day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """An instant ``day`` local days after the programme starts."""
    return dt.datetime.combine(START.date() + dt.timedelta(days=day), dt.time(hour, minute), ZONE)


def entry(started_at: dt.datetime, **changes) -> SessionEntry:
    """A set that qualifies: easy, pain-free, leg symptoms unchanged, safety screen negative."""
    values = {
        "started_at": started_at,
        "reps_done": 10,
        "pain_pre": 2,
        "pain_during_max": 2,
        "pain_post": 2,
        "level_pre_left": 2,
        "level_pre_right": 0,
        "level_post_left": 2,
        "level_post_right": 0,
        "ease": "EASY",
        "ces_saddle": False,
        "ces_bladder": False,
        "ces_bowel": False,
        "ces_legs": False,
    }
    values.update(changes)
    return SessionEntry(**values)


def log(patient, started_at, **changes):
    return session_log_create(
        patient=patient,
        entry=entry(started_at, **changes),
        idempotency_key=uuid.uuid4(),
        now=started_at + dt.timedelta(minutes=8),
    )


def morning(patient, day: int, pain: int = 3, left: int = 2, right: int = 0):
    return morning_check_create(
        patient=patient, pain=pain, level_left=left, level_right=right, now=at(day, 7, 30)
    )


def good_days(patient, first_day: int, last_day: int, sets_per_day: int = 3, **changes):
    """Days of easy, settled sets with a morning check each day after the first."""
    result = None
    for day in range(first_day, last_day + 1):
        if day > 0:
            result = morning(patient, day)
        for n in range(sets_per_day):
            result = log(patient, at(day, 9 + 4 * n), **changes)
    return result


@pytest.fixture
def protocol(db):
    call_command("seed_catalog", verbosity=0)
    return Protocol.objects.get(slug="lumbar-flexion-progression")


def make_intake(therapist, patient, *, odi=(2, 1, 2, 1, 2, 2, 1, None, 1, 2), **changes):
    values = {
        "clinician": therapist,
        "patient": patient,
        "odi_answers": list(odi),
        "red_flag_answers": {q.key: False for q in INTAKE_QUESTIONS},
        "baseline_pain": 3,
        "baseline_level_left": 2,
        "baseline_level_right": 0,
        "now": START - dt.timedelta(hours=1),
    }
    values.update(changes)
    return intake_create(**values)


def started_yesterday(therapist, patient, protocol, **options):
    """A programme for ``patient`` started a day ago, after an intake an hour before that;
    ``options`` go to ``prescription_create`` (reminder times, for instance)."""
    make_intake(therapist, patient, now=timezone.now() - dt.timedelta(days=1, hours=1))
    return prescription_create(
        clinician=therapist,
        patient=patient,
        protocol=protocol,
        now=timezone.now() - dt.timedelta(days=1),
        **options,
    )


@pytest.fixture
def live(therapist, patient, protocol):
    """A programme started yesterday for a patient who can sign in."""
    patient.user = UserFactory()
    patient.save()
    return started_yesterday(therapist, patient, protocol)


def set_answers(key, **changes):
    """A set's answers as the patient's phone posts them (a quiet, easy set), with ``changes``."""
    answers = {
        "idempotency_key": str(key),
        "started_minutes_ago": "5",
        "reps_done": "10",
        "pain_pre": "2",
        "pain_during_max": "2",
        "pain_post": "2",
        "level_pre_left": "2",
        "level_pre_right": "0",
        "level_post_left": "2",
        "level_post_right": "0",
        "ease": "EASY",
        "neuro_change": "NONE",
        "ces_saddle": "False",
        "ces_bladder": "False",
        "ces_bowel": "False",
        "ces_legs": "False",
    }
    answers.update(changes)
    return answers


@pytest.fixture
def programme(therapist, patient, protocol):
    """A patient at stage 1 of the flexion progression, started at ``START``."""
    make_intake(therapist, patient)
    return prescription_create(clinician=therapist, patient=patient, protocol=protocol, now=START)
