"""Load the demo network. Idempotent: running it twice changes nothing.

Later stages add their demo records through the `demo_seeders` registry
(`secretariat.demo.register`), so this command knows no app above it.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from secretariat import demo
from secretariat.audit import historical_models
from secretariat.history import acting_as
from secretariat.models import Body
from secretariat.services import system_user


class Command(BaseCommand):
    help = "Seed the demo network (idempotent). --scale N adds N times the synthetic volume."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=int, default=1, help="Synthetic volume multiplier (1 = the plain demo).")

    def handle(self, *args: object, scale: int = 1, **options: object) -> None:
        if scale < 1:
            self.stderr.write("--scale must be 1 or more.")
            raise SystemExit(2)
        started = time.monotonic()
        with transaction.atomic(), acting_as(system_user()):
            network = demo.seed_network()
            for seeder in demo.seeders():
                seeder(network, scale=scale, log=self.stdout.write)
            if scale > 1:
                demo.seed_volume(network, scale=scale)
        took = time.monotonic() - started
        if scale > 1:
            history = sum(model.objects.count() for model in historical_models().values())
            self.stdout.write(f"Bodies: {Body.objects.count()}, history rows: {history:,}.")
        self.stdout.write(self.style.SUCCESS(f"Demo network ready (scale {scale}) in {took:.1f} s."))
