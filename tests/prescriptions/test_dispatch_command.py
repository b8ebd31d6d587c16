"""``manage.py dispatch_reminders``: one pass, replayable with --now, countable with --json."""

import datetime as dt
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from prescriptions.models import Reminder
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-06-10T08:00:00+00:00"  # 09:00 in London


@pytest.fixture
def london_plan(db):
    patient = factories.PatientFactory(timezone="Europe/London", email="p@example.com")
    return factories.PrescriptionFactory(patient=patient, reminder_times=["09:00", "18:00"])


def dispatch(*args: str) -> dict[str, object]:
    out = StringIO()
    call_command("dispatch_reminders", *args, stdout=out)
    return json.loads(out.getvalue())


def test_json_reports_one_pass_and_a_replay_creates_nothing(london_plan):
    first = dispatch("--now", NOW, "--json")
    second = dispatch("--now", "2026-06-10T09:05:00+01:00", "--json")

    assert first == {"now": NOW, "due": 1, "created": 1, "already_existed": 0, "skipped": 0}
    assert (second["due"], second["created"], second["already_existed"]) == (1, 0, 1)
    row = Reminder.objects.get()
    assert (row.prescription, row.local_date, row.slot) == (
        london_plan,
        dt.date(2026, 6, 10),
        "09:00",
    )


def test_plain_output_names_the_counts(london_plan):
    out = StringIO()
    call_command("dispatch_reminders", "--now", "2026-06-10T08:00:00Z", stdout=out)
    assert out.getvalue().strip() == "1 due, 1 created, 0 already existed, 0 skipped."


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yesterday", "is not an ISO-8601 date and time"),
        ("2026-13-01T08:00:00Z", "is not an ISO-8601 date and time"),
        ("2026-06-10T08:00:00", "has no UTC offset"),
    ],
)
def test_a_bad_now_is_refused_and_writes_nothing(london_plan, value, message):
    with pytest.raises(CommandError, match=message) as raised:
        call_command("dispatch_reminders", "--now", value, "--json")
    assert str(raised.value).startswith("--now: ")
    assert not Reminder.objects.exists()


def test_a_bad_now_exits_non_zero():
    result = subprocess.run(
        [sys.executable, "manage.py", "dispatch_reminders", "--now", "soon", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": ""},
    )
    assert result.returncode != 0
    assert "--now" in result.stderr
    assert result.stdout == ""
