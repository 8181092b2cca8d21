from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkgroupsConfig(AppConfig):
    name = "workgroups"
    verbose_name = _("Working groups")

    def ready(self) -> None:
        # Notification kinds and the due-date source join the delivery engine; open
        # work is handed over when people leave; demo records join seed_demo.
        from . import demo, receivers, reminders  # noqa: F401
