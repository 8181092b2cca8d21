"""Run the delivery sweep in the foreground: once, or in a loop (`--loop`).

The embedded default (`make run`) uses the loop instead of Celery beat and
workers: it needs no broker. Safe beside other sweeps: claims are conditional.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from secretariat import delivery
from secretariat.history import acting_as
from secretariat.services import system_user


class Command(BaseCommand):
    help = "Send the notifications that are due (one sweep; --loop keeps sweeping)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep sweeping until interrupted.")
        parser.add_argument("--interval", type=float, default=15.0, help="Seconds between sweeps in a loop.")

    def handle(self, *args: object, loop: bool = False, interval: float = 15.0, **options: object) -> None:
        while True:
            with acting_as(system_user()):
                result = delivery.sweep()
            if result.planned or result.bundled or result.sent or not loop:
                self.stdout.write(f"Sweep: {result}.")
            if not loop:
                return
            close_old_connections()
            try:
                time.sleep(interval)
            except KeyboardInterrupt:
                return
