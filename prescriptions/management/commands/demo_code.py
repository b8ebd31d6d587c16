"""``manage.py demo_code USERNAME``: the code a demo staff account's authenticator shows now."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

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
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        self.stdout.write(f"{totp.token():0{device.digits}d}")
