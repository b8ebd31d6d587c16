"""The clinical invariants live in the database: raw SQL that breaks one is refused."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from prescriptions.models import Ease, FrequencyPhase, NeuroChange, SessionLog
from prescriptions.rules import Ease as RulesEase
from prescriptions.rules import FrequencyPhase as RulesPhase
from prescriptions.rules import NeuroChange as RulesNeuro
from tests.factories import MorningCheckFactory, ReminderFactory, SessionLogFactory

pytestmark = pytest.mark.django_db


def run_sql(sql: str, params: list[object]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("pain_pre", 11),
        ("pain_during_max", 11),
        ("pain_post", 11),
        ("level_pre_left", 6),
        ("level_post_right", 6),
        ("stage", 4),
        ("stage", 0),
        ("reps_target", 31),
    ],
)
def test_session_log_range_violation_is_refused(column, value):
    log = SessionLogFactory()
    with pytest.raises(IntegrityError):
        run_sql(f"UPDATE prescriptions_sessionlog SET {column} = %s WHERE id = %s", [value, log.pk])  # noqa: S608


def test_session_log_in_range_update_is_accepted():
    log = SessionLogFactory()
    run_sql("UPDATE prescriptions_sessionlog SET pain_pre = 10 WHERE id = %s", [log.pk])
    log.refresh_from_db()
    assert log.pain_pre == 10


def test_negative_reps_are_refused():
    log = SessionLogFactory()
    with pytest.raises(IntegrityError):
        run_sql("UPDATE prescriptions_sessionlog SET reps_done = -1 WHERE id = %s", [log.pk])


def test_entered_before_started_is_refused():
    log = SessionLogFactory()
    with pytest.raises(IntegrityError):
        run_sql(
            "UPDATE prescriptions_sessionlog SET entered_at = %s WHERE id = %s",
            [log.started_at - dt.timedelta(minutes=1), log.pk],
        )


def test_morning_check_pain_11_is_refused():
    check = MorningCheckFactory()
    with pytest.raises(IntegrityError):
        run_sql("UPDATE prescriptions_morningcheck SET pain = 11 WHERE id = %s", [check.pk])


def test_second_morning_check_for_one_local_date_is_refused():
    first = MorningCheckFactory()
    second = MorningCheckFactory(
        prescription=first.prescription, local_date=first.local_date - dt.timedelta(days=1)
    )
    with pytest.raises(IntegrityError):
        run_sql(
            "UPDATE prescriptions_morningcheck SET local_date = %s WHERE id = %s",
            [first.local_date, second.pk],
        )


def test_duplicate_reminder_for_one_slot_is_refused():
    first = ReminderFactory()
    second = ReminderFactory(prescription=first.prescription, slot="18:00")
    with pytest.raises(IntegrityError):
        run_sql("UPDATE prescriptions_reminder SET slot = %s WHERE id = %s", ["08:00", second.pk])


def test_same_slot_on_another_channel_is_accepted():
    first = ReminderFactory()
    ReminderFactory(prescription=first.prescription, channel="sms")
    assert first.prescription.reminders.count() == 2


def test_intake_baseline_level_6_is_refused(patient, therapist):
    from django.utils import timezone

    from patients.models import Intake, OdiAssessment, RedFlagScreen

    now = timezone.now()
    odi = OdiAssessment.objects.create(
        patient=patient, occasion="intake", answers=[1] * 10, percent=20, taken_at=now
    )
    screen = RedFlagScreen.objects.create(patient=patient, kind="intake", answers={}, taken_at=now)
    intake = Intake.objects.create(
        patient=patient,
        recorded_by=therapist,
        recorded_at=now,
        odi=odi,
        red_flag_screen=screen,
        baseline_pain=3,
        baseline_level_left=2,
        baseline_level_right=0,
    )
    with pytest.raises(IntegrityError):
        run_sql("UPDATE patients_intake SET baseline_level_left = 6 WHERE id = %s", [intake.pk])


def test_choice_values_match_the_rules_module_names():
    assert [c.value for c in Ease] == [m.name for m in RulesEase]
    assert [c.value for c in NeuroChange] == [m.name for m in RulesNeuro]
    assert [c.value for c in FrequencyPhase] == [m.name for m in RulesPhase]
    assert SessionLog._meta.get_field("ease").choices == Ease.choices
