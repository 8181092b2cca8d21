from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings")

    def ready(self) -> None:
        # Notification kinds join the delivery engine's registry here.
        from . import demo, document_links, reminders  # noqa: F401
