"""``manage.py dispatch_reminders``: one reminder pass, the same one beat runs every minute."""

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from prescriptions.tasks import reminders_dispatch_task


def _instant(value: str) -> dt.datetime:
    """An aware instant from ``--now``; a time without an offset is refused, not guessed."""
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--now: {value!r} is not an ISO-8601 date and time.") from exc
    if timezone.is_naive(instant):
        raise CommandError(f"--now: {value!r} has no UTC offset; add one, e.g. Z or +01:00.")
    return instant


class Command(BaseCommand):
    help = "Create the exercise reminders due now and queue them for sending (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now",
            help="Run the pass as at this aware ISO-8601 instant, e.g. 2026-03-29T07:00:00Z.",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print one JSON object with the counts."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = _instant(options["now"]) if options["now"] else timezone.now()
        report = reminders_dispatch_task(now.isoformat())
        if options["json"]:
            self.stdout.write(json.dumps({"now": now.isoformat(), **report}))
            return
        self.stdout.write(
            f"{report['due']} due, {report['created']} created, "
            f"{report['already_existed']} already existed, {report['skipped']} skipped."
        )
