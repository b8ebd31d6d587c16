"""The benchmarks stay runnable and count right: a small reminder run end to end, and the
counting of Postfix's smtp-sink dump."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_reminders_bench():
    spec = importlib.util.spec_from_file_location(
        "reminders_bench", ROOT / "bench" / "reminders_bench.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def transaction(recipient: str) -> bytes:
    """One mail transaction as smtp-sink appends it to its dump."""
    return (
        b"X-Client-Addr: 127.0.0.1\nX-Client-Proto: ESMTP\nX-Helo-Args: localhost\n"
        b"X-Mail-Args: <noreply@localhost>\n"
        b"X-Rcpt-Args: <" + recipient.encode() + b">\n"
        b"Subject: Time for your exercise session\n\nHello,\n.\n"
    )


def test_the_smtp_sink_dump_is_counted_across_partial_reads_and_after_stop():
    bench = load_reminders_bench()
    sink = bench.PostfixSink(Path("/nonexistent/smtp-sink"))
    dump = b"".join(transaction(r) for r in ("p1@x.test", "p2@x.test", "p1@x.test"))
    cut = dump.index(b"X-Rcpt-Args: <p2") + 6  # the read ends half-way through a recipient line
    sink._dump.write_bytes(dump[:cut])
    assert (sink.received, sink.duplicates) == (1, 0)

    with sink._dump.open("ab") as more:
        more.write(dump[cut:])
    assert (sink.received, sink.duplicates) == (3, 1)

    sink.stop()  # removes the dump; the counts stay
    assert not sink._dump.exists()
    assert (sink.received, sink.duplicates) == (3, 1)


@pytest.mark.postgres
@pytest.mark.redis
def test_the_reminder_benchmark_sends_everything_once_and_prints_its_figures():
    broker = urlsplit(os.environ["CELERY_BROKER_URL"])
    env = {
        **os.environ,
        # A Redis database of its own, so its workers take none of the suite's tasks.
        "CELERY_BROKER_URL": urlunsplit(broker._replace(path="/13")),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    finished = subprocess.run(
        [
            sys.executable,
            "bench/reminders_bench.py",
            "--patients",
            "40",
            "--workers",
            "1",
            "--sink",
            "aiosmtpd",
            "--push-seconds",
            "0.2",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    assert (result["created"], result["sent"], result["not_sent"]) == (40, 40, 0)
    assert (result["smtp_received"], result["smtp_duplicates"]) == (40, 0)
    assert result["sink"] == "aiosmtpd"
    assert result["sent_s"] is not None
    assert result["redis_lpush_per_s"] > 0
    assert "all sent, s from pass start (goal < 180)" in finished.stdout
