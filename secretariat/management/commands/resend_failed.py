"""Queue the failed e-mails again (after the SMTP server is mended); the sweep sends them."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from secretariat import delivery


class Command(BaseCommand):
    help = "Give every failed message a fresh set of attempts; the next sweep sends them."

    def handle(self, *args: object, **options: object) -> None:
        count = delivery.requeue_failed()
        self.stdout.write(f"Queued {count} failed message(s) again.")
