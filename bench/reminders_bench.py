"""Benchmark the reminder pipeline end to end: one dispatch pass, real Redis, real workers, SMTP.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stagewise \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \\
    .venv/bin/python bench/reminders_bench.py --patients 100000 [--workers 2]

What it does (issue 5, "Benchmark"):

1. Creates a database of its own next to the one ``DATABASE_URL`` names (``<name>_reminders_bench``,
   made from the server's ``postgres`` database, so the one named need not exist; dropped again
   at the end unless ``--keep-db``), migrates it and fills it with bulk SQL: one
   clinic, one therapist and ``--patients`` patients, each with one active programme whose
   reminder falls in the same minute, spread over eight time zones (so eight distinct plans).
   No other clinic's patients are ever touched or reminded.
2. Starts an SMTP sink in a process of its own: Postfix's ``smtp-sink`` when it is found (on
   PATH, in /usr/sbin, or under var/ after ``make bench-sink``, which extracts it from Debian's
   postfix package without installing the mail server), else aiosmtpd (``--sink`` chooses).
   ``smtp-sink`` is written in C and costs the shared cores about 0.2 ms per message; aiosmtpd
   about 0.7 ms, which the figures then include. Then starts ``--workers`` Celery worker
   processes (``--pool=solo`` each, the production settings that matter: acks late, prefetch
   1) on the ``CELERY_BROKER_URL`` Redis, and waits until each answers a ping.
3. Times one dispatch pass (``reminders_dispatch_task``, what beat runs every minute): the
   rows are materialised and the send batches queued when it returns (``materialise_s``).
4. Waits until every row is marked sent (``sent_s``, from the start of the pass) and every
   message has reached the sink; ``sends_per_s`` is rows over the time after the pass. Prints
   the CPU seconds the workers and the sink used meanwhile.
5. With the workers stopped, measures this machine's raw Redis LPUSH rate with redis-py, one
   command per round trip and pipelined 1,000 at a time, for comparison.

Prints a table and one JSON line. Goal: 100,000 materialised in under 10 s and sent in under
3 minutes on 2 cores. PostgreSQL only: SQLite cannot run several workers against one database
with ``SELECT … FOR UPDATE SKIP LOCKED``, so the figures would mean nothing.
"""

import argparse
import datetime as dt
import json
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zoneinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Eight zones on both sides of UTC, with and without daylight saving.
ZONES = (
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
)
NOT_SQLITE = (
    "SQLite cannot serve several worker processes with SELECT … FOR UPDATE SKIP LOCKED, so its "
    "figures would mean nothing. Set DATABASE_URL=postgres://user@host:5432/name."
)
PUSH_PAYLOAD = b"x" * 1024  # about the size of one queued batch of 100 reminder ids


def fail(message: str) -> None:
    print(f"reminders_bench: {message}", file=sys.stderr)
    raise SystemExit(2)


class _SinkHandler:
    """aiosmtpd handler: accept every message, count it and its distinct recipients."""

    def __init__(self, received: Any, distinct: Any) -> None:
        self.received, self.distinct = received, distinct
        self.seen: set[str] = set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.seen.update(envelope.rcpt_tos)
        self.received.value += 1
        self.distinct.value = len(self.seen)
        return "250 Message accepted for delivery"


def _sink_main(port: int, received: Any, distinct: Any, ready: Any, stop: Any) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(_SinkHandler(received, distinct), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class AiosmtpdSink:
    """An SMTP server on localhost, in a process of its own so that it competes with the
    workers for a core as a real mail relay would, not with this process for its GIL."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.port = free_port()
        self._received = context.Value("q", 0, lock=False)
        self._distinct = context.Value("q", 0, lock=False)
        self._ready, self._stop = context.Event(), context.Event()
        self._process = context.Process(
            target=_sink_main,
            args=(self.port, self._received, self._distinct, self._ready, self._stop),
            daemon=True,
        )

    def start(self) -> None:
        self._process.start()
        if not self._ready.wait(timeout=30):
            fail("the SMTP sink did not start")

    def stop(self) -> None:
        if self._process.is_alive():
            self._stop.set()
            self._process.join(timeout=10)

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def received(self) -> int:
        return int(self._received.value)

    @property
    def duplicates(self) -> int:
        return int(self._received.value - self._distinct.value)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bench_database_url(url: str) -> tuple[str, str, str]:
    """(URL of the bench database, its name, URL of the server's maintenance database, from
    which the bench database is created and dropped: the one named need not exist)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        given = parts.scheme or "an empty DATABASE_URL"
        fail(f"needs PostgreSQL, not {given}. {NOT_SQLITE}")
    name = parts.path.lstrip("/") or "postgres"
    bench_name = f"{name}_reminders_bench"
    return (
        urlunsplit(parts._replace(path=f"/{bench_name}")),
        bench_name,
        urlunsplit(parts._replace(path="/postgres")),
    )


def admin_execute(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


def setup_django(database_url: str, broker_url: str, smtp_port: int) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["CELERY_BROKER_URL"] = broker_url
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DJANGO_DEBUG"] = "0"  # no query log in any process
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["CONN_MAX_AGE"] = "60"  # as in production: a connection outlives a task
    import django

    django.setup()


def seed(patients: int) -> None:
    """One clinic, one therapist, ``patients`` patients with one active programme each."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from exercises.models import Protocol
    from patients.models import Clinic, Clinician, Patient
    from prescriptions.models import Prescription

    call_command("seed_catalog", verbosity=0)
    protocol = Protocol.objects.order_by("pk").first()
    assert protocol is not None
    clinic = Clinic.objects.create(name="Benchmark clinic", slug="reminders-bench")
    user = get_user_model().objects.create_user(username="bench-pt", password=None)
    therapist = Clinician.objects.create(user=user, clinic=clinic)
    started = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    patient = Patient.objects.create(
        clinic=clinic,
        primary_clinician=therapist,
        first_name="Bench",
        last_name="Patient",
        date_of_birth=dt.date(1970, 5, 17),
        email="patient-1@bench.invalid",
        timezone=ZONES[1],
    )
    prescription = Prescription.objects.create(
        patient=patient,
        prescribed_by=therapist,
        protocol=protocol,
        started_at=started,
        stage_started_at=started,
        phase_started_at=started,
        stage_base_pain=3,
        stage_base_level_left=2,
        stage_base_level_right=0,
        reminder_times=["08:00"],
        nudge_time=None,
    )
    zones = "ARRAY[" + ", ".join(f"'{zone}'" for zone in ZONES) + "]"
    patient_sql = clone_sql(
        Patient,
        source="t",
        extra_from=f"generate_series(2, {int(patients)}) AS g",
        where=f"t.id = {patient.pk}",
        values={
            "public_id": "gen_random_uuid()",
            "email": "'patient-' || g || '@bench.invalid'",
            "timezone": f"({zones})[1 + g % {len(ZONES)}]",
            "created_at": "now()",
            "updated_at": "now()",
        },
    )
    prescription_sql = clone_sql(
        Prescription,
        source="t",
        extra_from=Patient._meta.db_table + " AS p",
        where=f"t.id = {prescription.pk} AND p.clinic_id = {clinic.pk} AND p.id <> {patient.pk}",
        values={"patient_id": "p.id", "created_at": "now()", "updated_at": "now()"},
    )
    with connection.cursor() as cursor:
        cursor.execute(patient_sql)
        cursor.execute(prescription_sql)
        cursor.execute(f"ANALYZE {Patient._meta.db_table}")
        cursor.execute(f"ANALYZE {Prescription._meta.db_table}")


def clone_sql(model: Any, *, source: str, extra_from: str, where: str, values: dict) -> str:
    """INSERT … SELECT copying one template row of ``model`` once per row of ``extra_from``."""
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    selected = [values.get(column, f"{source}.{column}") for column in columns]
    table = model._meta.db_table
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (bench: no outside input)
        f"SELECT {', '.join(selected)} FROM {table} AS {source}, {extra_from} WHERE {where}"
    )


def plan_this_minute() -> dt.datetime:
    """Give every programme a reminder at the current minute of its patient's local time."""
    from django.db import connection

    from patients.models import Patient
    from prescriptions.models import Prescription

    minute = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    with connection.cursor() as cursor:
        for zone in ZONES:
            local = minute.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%H:%M")
            patients = f"SELECT id FROM {Patient._meta.db_table} WHERE timezone = %s"  # noqa: S608
            cursor.execute(
                f"UPDATE {Prescription._meta.db_table} SET reminder_times = %s::jsonb "  # noqa: S608
                f"WHERE patient_id IN ({patients})",
                [json.dumps([local]), zone],
            )
    return minute


class PostfixSink:
    """Postfix's ``smtp-sink``, the SMTP test server Postfix ships for benchmarks: a C process
    that answers each command at once, so the sink takes little of the cores the bench is
    measuring (aiosmtpd spends about a millisecond of Python on each message). Each mail
    transaction is appended to a dump file; its ``X-Rcpt-Args`` lines are counted."""

    def __init__(self, binary: Path) -> None:
        self.binary, self.port = binary, free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="reminders-bench-sink-"))
        self._dir.chmod(0o733)  # smtp-sink drops to "nobody" when started as root
        self._dump = self._dir / "dump"
        self._process: subprocess.Popen[bytes] | None = None
        self._offset, self._rest, self._received = 0, b"", 0
        self._seen: set[bytes] = set()

    def start(self) -> None:
        env = {**os.environ}
        libraries = self.binary.parent.parent / "lib" / "postfix"  # an extracted package
        if libraries.is_dir():
            env["LD_LIBRARY_PATH"] = str(libraries)
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        self._process = subprocess.Popen(  # noqa: S603 (a path we found or were given)
            [str(self.binary), *user, "-D", str(self._dump), f"127.0.0.1:{self.port}", "256"],
            env=env,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                fail(f"smtp-sink exited: {self._process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        fail("smtp-sink did not listen within 10 s")

    def stop(self) -> None:
        """Stop the server and remove its dump, keeping the counts read from it."""
        if self._process and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._read()
        shutil.rmtree(self._dir, ignore_errors=True)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def _read(self) -> None:
        """Count the recipients of the transactions appended since the last read."""
        if not self._dump.exists():
            return
        with self._dump.open("rb") as dump:
            dump.seek(self._offset)
            chunk = dump.read()
        self._offset += len(chunk)
        lines = (self._rest + chunk).split(b"\n")
        self._rest = lines.pop()
        for line in lines:
            if line.startswith(b"X-Rcpt-Args: "):
                self._received += 1
                self._seen.add(line[13:])

    @property
    def received(self) -> int:
        self._read()
        return self._received

    @property
    def duplicates(self) -> int:
        self._read()
        return self._received - len(self._seen)


def find_smtp_sink(given: str | None) -> Path | None:
    """Postfix's smtp-sink: the path given, on PATH, in /usr/sbin, or extracted by
    ``make bench-sink`` under var/; None when there is none."""
    candidates: list[str | None] = (
        [given]
        if given
        else [
            shutil.which("smtp-sink"),
            "/usr/sbin/smtp-sink",
            str(ROOT / "var" / "smtp-sink" / "usr" / "sbin" / "smtp-sink"),
        ]
    )
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    if given:
        fail(f"--smtp-sink {given}: no executable file there")
    return None


def cpu_seconds(pid: int | None) -> float:
    """User plus system CPU seconds a process has used so far (Linux /proc); 0 if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError, TypeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_workers(count: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ}
    return [
        subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=WARNING",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                f"--hostname=reminders-bench-{n}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for n in range(count)
    ]


def wait_for_workers(workers: list[subprocess.Popen[bytes]], timeout: float = 120.0) -> None:
    from config.celery_app import app

    names = {f"reminders-bench-{n}@{socket.gethostname()}" for n in range(len(workers))}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker in workers:
            if worker.poll() is not None:
                fail(f"a worker exited at start:\n{worker.stderr.read().decode()[-3000:]}")  # type: ignore[union-attr]
        answered = {name for reply in app.control.ping(timeout=1.0) or [] for name in reply}
        if names <= answered:
            return
    fail("the workers did not answer a ping within two minutes")


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def status_counts() -> dict[str, int]:
    from django.db.models import Count

    from prescriptions.models import Reminder

    rows = Reminder.objects.order_by().values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def redis_push_rates(broker_url: str, seconds: float) -> dict[str, float]:
    """LPUSHes per second from one redis-py client: one per round trip, and pipelined."""
    import redis

    client = redis.Redis.from_url(broker_url)
    key = f"reminders-bench:push:{os.getpid()}"
    try:
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            client.lpush(key, PUSH_PAYLOAD)
            count += 1
        single = count / (time.perf_counter() - started)
        client.delete(key)
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            pipe = client.pipeline(transaction=False)
            for _ in range(1000):
                pipe.lpush(key, PUSH_PAYLOAD)
            pipe.execute()
            count += 1000
        pipelined = count / (time.perf_counter() - started)
    finally:
        client.delete(key)
        client.close()
    return {"redis_lpush_per_s": round(single), "redis_lpush_pipelined_per_s": round(pipelined)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    database_url = os.environ.get("DATABASE_URL", "")
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    url, name, admin_url = bench_database_url(database_url)
    if not broker_url.startswith("redis://"):
        fail(
            "needs Redis: set CELERY_BROKER_URL=redis://host:6379/N (a database number of its own)"
        )

    print(f"database {name}: creating and migrating …", flush=True)
    admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    smtp_sink = None if args.sink == "aiosmtpd" else find_smtp_sink(args.smtp_sink)
    if args.sink == "smtp-sink" and smtp_sink is None:
        fail("--sink smtp-sink: none found; run `make bench-sink` or pass --smtp-sink PATH")
    sink: PostfixSink | AiosmtpdSink = PostfixSink(smtp_sink) if smtp_sink else AiosmtpdSink()
    sink_name = f"smtp-sink ({smtp_sink})" if smtp_sink else "aiosmtpd"
    workers: list[subprocess.Popen[bytes]] = []
    try:
        sink.start()
        setup_django(url, broker_url, sink.port)
        from django.core.management import call_command
        from django.db import connection

        from prescriptions.tasks import reminders_dispatch_task

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        seed(args.patients)
        print(f"seeded {args.patients:,} programmes in {time.perf_counter() - started:.1f} s")
        workers = start_workers(args.workers)
        wait_for_workers(workers)
        print(
            f"{args.workers} workers ready; SMTP sink {sink_name} on port {sink.port}", flush=True
        )

        minute = plan_this_minute()
        t0 = time.perf_counter()
        report = reminders_dispatch_task()
        t1 = time.perf_counter()
        cpu_before = {
            "workers": sum(cpu_seconds(w.pid) for w in workers),
            "sink": cpu_seconds(sink.pid),
        }
        print(f"dispatch pass: {report} in {t1 - t0:.2f} s", flush=True)

        deadline = t0 + args.timeout
        t2 = None
        counts: dict[str, int] = {}
        while time.perf_counter() < deadline:
            counts = status_counts()
            finished = sum(counts.get(s, 0) for s in ("sent", "failed", "skipped"))
            if finished >= report["created"] and sink.received >= counts.get("sent", 0):
                t2 = time.perf_counter()
                break
            for worker in workers:
                if worker.poll() is not None:
                    fail(f"a worker died:\n{worker.stderr.read().decode()[-3000:]}")  # type: ignore[union-attr]
            time.sleep(0.5)  # each look counts every row: often enough, and not a load itself
        t_end = t2 or time.perf_counter()
        cpu = {
            "workers_cpu_s": round(
                sum(cpu_seconds(w.pid) for w in workers) - cpu_before["workers"], 1
            ),
            "sink_cpu_s": round(cpu_seconds(sink.pid) - cpu_before["sink"], 1),
        }
        connection.close()
        stop_workers(workers)
        workers = []
        rates = redis_push_rates(broker_url, args.push_seconds)
    finally:
        stop_workers(workers)
        sink.stop()
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    created = report["created"]
    sent = counts.get("sent", 0)
    return {
        "patients": args.patients,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "due_minute": minute.isoformat(),
        "due": report["due"],
        "created": created,
        "materialise_s": round(t1 - t0, 2),
        "sent_s": round(t2 - t0, 2) if t2 else None,
        # Over the time after the pass; when the timeout came first, over the time until then.
        "sends_per_s": round(sent / (t_end - t1)),
        "sent": sent,
        "failed": counts.get("failed", 0),
        "skipped": counts.get("skipped", 0),
        "not_sent": created - sent,
        "smtp_received": sink.received,
        "smtp_duplicates": sink.duplicates,
        "sink": sink_name,
        **cpu,
        **rates,
        "goal_materialise_under_10_s": (t1 - t0) < 10,
        "goal_sent_under_180_s": bool(t2 and (t2 - t0) < 180),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (solo pool)")
    parser.add_argument("--timeout", type=float, default=900.0, help="give up after (s)")
    parser.add_argument("--push-seconds", type=float, default=3.0, help="per Redis measurement")
    parser.add_argument("--keep-db", action="store_true", help="leave the bench database")
    parser.add_argument(
        "--sink",
        choices=("auto", "smtp-sink", "aiosmtpd"),
        default="auto",
        help="SMTP sink: Postfix's smtp-sink when found (auto), or aiosmtpd",
    )
    parser.add_argument("--smtp-sink", metavar="PATH", help="where smtp-sink is")
    args = parser.parse_args()
    if args.patients < 1 or args.workers < 1:
        fail("--patients and --workers must be at least 1")
    result = run(args)
    rows = [
        ("patients (one reminder each, same minute)", f"{result['patients']:,}"),
        ("worker processes / CPUs", f"{result['workers']} / {result['cpus']}"),
        ("rows materialised (created)", f"{result['created']:,}"),
        ("materialise pass, s (goal < 10)", f"{result['materialise_s']:.2f}"),
        ("all sent, s from pass start (goal < 180)", str(result["sent_s"])),
        ("sends per second", str(result["sends_per_s"])),
        ("sent / failed / skipped / not sent", "{sent} / {failed} / {skipped} / {not_sent}"),
        ("messages at the SMTP sink / duplicates", "{smtp_received} / {smtp_duplicates}"),
        ("SMTP sink", "{sink}"),
        ("CPU s while sending: workers / sink", "{workers_cpu_s} / {sink_cpu_s}"),
        ("raw Redis LPUSH per s (1 per round trip)", f"{result['redis_lpush_per_s']:,}"),
        ("raw Redis LPUSH per s (pipelined x1000)", f"{result['redis_lpush_pipelined_per_s']:,}"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value.format(**result)}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
