"""Walk the audit hash chains; exit 0 when intact, 1 naming the first broken link."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from secretariat import audit, audit_chain


class Command(BaseCommand):
    help = "Verify the history tables against their seals (edited, deleted or inserted rows)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="List every broken link, not only the first.")

    def handle(self, *args, all: bool = False, **options) -> None:
        history_models = list(audit.historical_models().values())
        broken = 0
        for problem in audit_chain.verify(history_models):
            broken += 1
            self.stderr.write(f"Broken: {problem}")
            if not all:
                break
        if broken:
            raise CommandError("The audit chain is broken: a history row was changed outside the app.", returncode=1)
        rows = sum(model.objects.count() for model in history_models)
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {rows} history rows in {len(history_models)} tables.")
        )
