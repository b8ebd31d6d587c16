"""``manage.py demo_code USERNAME``: the code a demo staff account's authenticator shows now."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients.two_factor import totp_code_now
from prescriptions.demo import DEMO_CLINIC_SLUG, DEMO_TOTP_KEY_HEX


class Command(BaseCommand):
    help = "Print the current sign-in code of a demo staff account (demo clinic only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        # Only the demo clinic's published key: a real account's code is never printed.
        device = TOTPDevice.objects.filter(
            user__username=options["username"],
            user__clinician__clinic__slug=DEMO_CLINIC_SLUG,
            key=DEMO_TOTP_KEY_HEX,
            confirmed=True,
        ).first()
        if device is None:
            raise CommandError("No demo staff account of that name (run `manage.py seed_demo`).")
        self.stdout.write(totp_code_now(device=device))
