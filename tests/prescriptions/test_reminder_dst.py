"""Daylight saving: every slot fires exactly once per local date, in every zone.

The rule: a local time inside a spring-forward gap fires at the first instant after the gap; a
local time that happens twice (fall-back) fires at its first occurrence.
"""

import datetime as dt
import zoneinfo
from functools import cache

import pytest

from prescriptions.models import Reminder
from prescriptions.services.reminders import reminders_materialise, slot_instant
from tests import factories

UTC = dt.UTC
SECOND = dt.timedelta(seconds=1)
DAYS = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(730)]  # 2026 and 2027
TIMES = ("00:30", "02:30", "08:00", "23:59")
ALL_MINUTES = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]


def midnight_offset(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.timedelta | None:
    return dt.datetime.combine(day, dt.time(0), zone).utcoffset()


@cache
def offset_change_days(zone_name: str, days: tuple[dt.date, ...]) -> list[dt.date]:
    """Days whose offset at the next midnight differs from their own: a transition inside."""
    zone = zoneinfo.ZoneInfo(zone_name)
    offsets = [midnight_offset(day, zone) for day in (*days, days[-1] + dt.timedelta(days=1))]
    return [day for index, day in enumerate(days) if offsets[index] != offsets[index + 1]]


def transition_days(zone_name: str) -> set[dt.date]:
    """The days of 2026–2027 that need care minute by minute.

    A gap at midnight reads with the offset before it, so it counts on the day it opens.
    """
    return set(offset_change_days(zone_name, tuple(DAYS)))


def assert_rule(instant: dt.datetime, day: dt.date, hhmm: str, zone: zoneinfo.ZoneInfo) -> None:
    """The instant obeys the gap and fold rules for the local time ``hhmm`` of ``day``."""
    assert instant.utcoffset() == dt.timedelta(0)
    wall = dt.datetime.combine(day, dt.time.fromisoformat(hhmm))
    local = instant.astimezone(zone)
    if local.replace(tzinfo=None) == wall:
        assert local.fold == 0, "a repeated time fires at its first occurrence"
        return
    just_before = (instant - SECOND).astimezone(zone)
    assert local.replace(tzinfo=None) > wall, "a missing time moves later, never earlier"
    assert just_before.replace(tzinfo=None) < wall, "…to the first valid instant after the gap"
    assert just_before.utcoffset() != local.utcoffset()


@pytest.mark.parametrize("zone_name", sorted(zoneinfo.available_timezones()))
def test_one_instant_per_local_date_in_every_zone(zone_name):
    zone = zoneinfo.ZoneInfo(zone_name)
    transitions = transition_days(zone_name)
    for day in DAYS:
        times = ALL_MINUTES if day in transitions else TIMES
        previous = None
        for hhmm in times:
            instant = slot_instant(day, hhmm, zone_name)
            if day in transitions:
                assert_rule(instant, day, hhmm, zone)
                assert previous is None or previous <= instant, "slots keep their order"
                previous = instant
            else:
                expected = dt.datetime.combine(day, dt.time.fromisoformat(hhmm), zone)
                assert instant == expected
                assert instant.astimezone(zone).date() == day


@pytest.mark.parametrize(
    ("zone_name", "day", "hhmm", "expected"),
    [
        ("America/New_York", dt.date(2026, 3, 8), "02:30", dt.datetime(2026, 3, 8, 7, 0)),
        ("America/New_York", dt.date(2026, 11, 1), "01:30", dt.datetime(2026, 11, 1, 5, 30)),
        ("Europe/London", dt.date(2026, 3, 29), "01:30", dt.datetime(2026, 3, 29, 1, 0)),
        ("Europe/London", dt.date(2026, 10, 25), "01:30", dt.datetime(2026, 10, 25, 0, 30)),
        ("Australia/Sydney", dt.date(2026, 10, 4), "02:30", dt.datetime(2026, 10, 3, 16, 0)),
        ("Australia/Sydney", dt.date(2026, 4, 5), "02:30", dt.datetime(2026, 4, 4, 15, 30)),
        ("America/Santiago", dt.date(2026, 9, 6), "00:30", dt.datetime(2026, 9, 6, 4, 0)),
        ("America/Santiago", dt.date(2026, 4, 4), "23:30", dt.datetime(2026, 4, 5, 2, 30)),
        ("Australia/Lord_Howe", dt.date(2026, 10, 4), "02:15", dt.datetime(2026, 10, 3, 15, 30)),
    ],
)
def test_known_transitions(zone_name, day, hhmm, expected):
    assert slot_instant(day, hhmm, zone_name) == expected.replace(tzinfo=UTC)


SIMULATED_ZONES = ("America/New_York", "Europe/London", "Australia/Sydney", "America/Santiago")
# Each zone's gap and repeated hour hold one of these: 00:30 (Santiago's gap), 01:30 (London's
# gap, New York's and London's repeated hour), 02:30 (New York's and Sydney's gap, Sydney's
# repeated hour), 23:59 (Santiago's repeated hour).
SIMULATED_TIMES = ["00:30", "01:30", "02:30", "08:00", "23:59"]
CASES = [
    (zone_name, day)
    for zone_name in SIMULATED_ZONES
    for day in offset_change_days(zone_name, tuple(DAYS[:365]))
]


def test_the_simulated_days_are_the_2026_transitions():
    assert len(CASES) == 8
    assert ("America/New_York", dt.date(2026, 3, 8)) in CASES


@pytest.mark.django_db
@pytest.mark.parametrize(("zone_name", "day"), CASES, ids=[f"{z}-{d}" for z, d in CASES])
def test_a_beat_tick_every_minute_sends_each_slot_once_on_time(zone_name, day):
    patient = factories.PatientFactory(timezone=zone_name, email="p@example.com")
    factories.PrescriptionFactory(patient=patient, reminder_times=SIMULATED_TIMES)
    start = slot_instant(day, "00:00", zone_name) - dt.timedelta(minutes=15)
    end = slot_instant(day + dt.timedelta(days=1), "00:00", zone_name) + dt.timedelta(minutes=15)
    created_at: dict[int, dt.datetime] = {}
    tick = start
    while tick <= end:
        report = reminders_materialise(now=tick)
        assert report.created == report.due - report.already_existed
        created_at.update(dict.fromkeys(report.created_ids, tick))
        tick += dt.timedelta(minutes=1)

    rows = Reminder.objects.filter(local_date=day)
    assert sorted(row.slot for row in rows) == SIMULATED_TIMES
    for row in rows:
        assert row.due_at == slot_instant(row.local_date, row.slot, zone_name)
        assert dt.timedelta(0) <= created_at[row.pk] - row.due_at < dt.timedelta(minutes=1)
