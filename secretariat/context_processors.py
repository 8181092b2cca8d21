from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {"DEMO": settings.DEMO, "SITE_NAME": "ASEAN AI Safe", "unread_notifications": _UnreadCount(request)}


class _UnreadCount:
    """The bell's count, queried only if a template shows it."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self._value: int | None = None

    def _count(self) -> int:
        if self._value is None:
            from .models import Notification

            user = getattr(self.request, "user", None)
            self._value = (
                Notification.objects.inbox(user).filter(read_at__isnull=True).count()
                if user is not None and user.is_authenticated
                else 0
            )
        return self._value

    def __int__(self) -> int:
        return self._count()

    def __str__(self) -> str:
        return str(self._count())

    def __bool__(self) -> bool:
        return self._count() > 0
