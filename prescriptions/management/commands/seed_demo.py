"""``manage.py seed_demo``: the demo clinic, its staff and patients with weeks of history."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from exercises.models import Protocol
from prescriptions.demo import (
    ACCOUNTS,
    DEMO_PASSWORD,
    demo_authenticators_add,
    demo_seed,
    demo_totp_key_base32,
)


class Command(BaseCommand):
    help = "Create the demo clinic with three to four weeks of history (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not Protocol.objects.filter(clinic__isnull=True, status="published").exists():
            raise CommandError("Run `manage.py seed_catalog` first: the demo needs the protocol.")
        created = demo_seed()
        if created:
            self.stdout.write(self.style.SUCCESS("Demo clinic created."))
        else:
            self.stdout.write("Demo clinic already present; nothing changed.")
        demo_authenticators_add()
        self.stdout.write(f"Demo sign-ins (password “{DEMO_PASSWORD}”):")
        for account in ACCOUNTS:
            self.stdout.write(f"  {account.username:<11} {account.role}")
        self.stdout.write(
            "Staff then type a code from an authenticator app holding the demo key "
            f"{demo_totp_key_base32()}\n"
            "(or print the current code: .venv/bin/python manage.py demo_code therapist)."
        )
