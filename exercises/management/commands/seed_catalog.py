"""``manage.py seed_catalog``: install the shipped exercises and the flexion protocol."""

from typing import Any

from django.core.management.base import BaseCommand

from exercises.services import catalog_seed


class Command(BaseCommand):
    help = "Install or refresh the shipped exercise catalog and flexion protocol (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = catalog_seed()
        self.stdout.write(
            self.style.SUCCESS(
                f"Catalog: {report.exercises_created} exercises created, "
                f"{report.exercises_updated} refreshed, "
                f"{report.protocols_created} protocols created."
            )
        )
