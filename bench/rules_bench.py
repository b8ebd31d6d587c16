"""Benchmark the rules module and the logging service; prints its figures.

    .venv/bin/python bench/rules_bench.py             # both parts (PostgreSQL from DATABASE_URL)
    .venv/bin/python bench/rules_bench.py --rules-only

Part 1: evaluations per second of ``rules.evaluate`` for a patient 30 days into a stage with
4 sets a day and a morning check every day, in one process (one core). Goal: ≥ 2,000/s.
Part 2: ``session_log_create`` end to end on PostgreSQL: queries per call and median time, for
a patient with 1 day and with 30 days of history (the query count must not grow).
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import zoneinfo
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prescriptions import rules

ZONE = zoneinfo.ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 6, 30, 21, 0, tzinfo=ZONE)
DAYS, SETS = 30, 4


def history() -> tuple[rules.Context, list[rules.Session], list[rules.MorningCheck]]:
    start = NOW - dt.timedelta(days=DAYS)
    context = rules.Context(
        stage=rules.Stage.SUPINE,
        stage_started_at=start,
        timezone="Europe/London",
        base_pain=3,
        base_loc=(rules.SymptomLevel.BUTTOCK, rules.SymptomLevel.NONE),
    )
    sessions, mornings = [], []
    for day in range(DAYS):
        date = (start + dt.timedelta(days=day + 1)).date()
        mornings.append(
            rules.MorningCheck(date, 3, (rules.SymptomLevel.BUTTOCK, rules.SymptomLevel.NONE))
        )
        for n in range(SETS):
            started = dt.datetime.combine(date, dt.time(8 + 3 * n), ZONE)
            sessions.append(
                rules.Session(
                    started_at=started,
                    entered_at=started + dt.timedelta(minutes=10),
                    stage=rules.Stage.SUPINE,
                    reps_target=10,
                    reps_done=10,
                    pain_pre=2,
                    pain_during_max=2,
                    pain_post=2,
                    loc_pre=(rules.SymptomLevel.BUTTOCK, rules.SymptomLevel.NONE),
                    loc_post=(rules.SymptomLevel.BACK, rules.SymptomLevel.NONE),
                    ease=rules.Ease.EASY,
                    ces_answers=(False, False, False, False),
                )
            )
    return context, sessions, mornings


def bench_rules(seconds: float = 5.0) -> None:
    context, sessions, mornings = history()
    decision = rules.evaluate(context, sessions, mornings, now=NOW)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        rules.evaluate(context, sessions, mornings, now=NOW)
        count += 1
    elapsed = time.perf_counter() - started
    print(
        f"rules.evaluate: {len(sessions)} sessions, {len(mornings)} morning checks "
        f"-> {decision.outcome.name}"
    )
    print(
        f"rules.evaluate: {count / elapsed:,.0f} evaluations/s on one core "
        f"({elapsed / count * 1e3:.3f} ms each; goal >= 2,000/s)"
    )


def bench_service(calls: int = 40) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    if connection.vendor != "postgresql":
        print("session_log_create: skipped, set DATABASE_URL to a PostgreSQL database")
        return
    setup_test_environment()
    from django.test.utils import get_runner

    runner = get_runner(settings)(verbosity=0, interactive=False)
    old = runner.setup_databases()
    try:
        _measure(calls, CaptureQueriesContext, connection)
    finally:
        runner.teardown_databases(old)


def _measure(calls, capture, connection) -> None:
    import uuid

    from django.core.management import call_command

    from exercises.models import Protocol
    from prescriptions.services import prescription_create, session_log_create
    from tests.factories import ClinicianFactory, PatientFactory
    from tests.prescriptions import conftest as clock
    from tests.prescriptions.conftest import entry, good_days, make_intake

    call_command("seed_catalog", verbosity=0)
    protocol = Protocol.objects.get(slug="lumbar-flexion-progression")
    therapist = ClinicianFactory()
    for label, days in (("1 day", 1), ("30 days", 30)):
        patient = PatientFactory(clinic=therapist.clinic, primary_clinician=therapist)
        make_intake(therapist, patient)
        prescription_create(
            clinician=therapist, patient=patient, protocol=protocol, now=clock.START
        )
        good_days(patient, 0, days - 1, sets_per_day=SETS)
        durations, queries = [], []
        for n in range(calls):
            started = clock.at(days, 6) + dt.timedelta(minutes=31 * n)
            with capture(connection) as captured:
                t0 = time.perf_counter()
                session_log_create(
                    patient=patient,
                    entry=entry(started),
                    idempotency_key=uuid.uuid4(),
                    now=started + dt.timedelta(minutes=5),
                )
                durations.append(time.perf_counter() - t0)
            queries.append(len(captured.captured_queries))
        print(
            f"session_log_create ({label} of history, PostgreSQL): "
            f"{statistics.median(queries):.0f} queries/call (min {min(queries)}, "
            f"max {max(queries)}), median {statistics.median(durations) * 1e3:.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules-only", action="store_true")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    bench_rules(args.seconds)
    if not args.rules_only:
        bench_service()


if __name__ == "__main__":
    main()
