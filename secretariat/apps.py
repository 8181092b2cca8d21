from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecretariatConfig(AppConfig):
    name = "secretariat"
    verbose_name = _("Secretariat")

    def ready(self) -> None:
        # Each app registers its notification kinds and reminder sources here.
        from . import pagecache, reminder_policy, reminders, signals  # noqa: F401
        from .documents import demo as document_demo  # noqa: F401
        from .documents import reminders as document_reminders  # noqa: F401
