from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkgroupsConfig(AppConfig):
    name = "workgroups"
    verbose_name = _("Working groups")

    def ready(self) -> None:
        # Notification kinds and the due-date source join the delivery engine; open
        # work is handed over when people leave; demo records join seed_demo;
        # saved action items start a new generation of the home page's charts.
        from . import demo, plan_views, receivers, reminders  # noqa: F401
