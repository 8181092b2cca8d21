from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Min, Q
from django.http import HttpRequest
from django.utils import timezone


def site(request: HttpRequest) -> dict[str, object]:
    return {"DEMO": settings.DEMO, "SITE_NAME": "ASEAN AI Safe", "unread_notifications": _UnreadCount(request)}


# The bell's count is kept in the cache this long at most. A new notification and
# marking read clear it at once (forget_unread_count); the longest a change made
# by a bulk UPDATE elsewhere (a retired reminder) can show is this.
UNREAD_TTL = 60


def unread_key(user_id: int) -> str:
    return f"bell:{user_id}"


def forget_unread_count(user_id: int | None) -> None:
    """Drop the cached count of one person's bell (a notification was created or read)."""
    if user_id is not None:
        cache.delete(unread_key(user_id))


def forget_unread_counts(user_ids: Iterable[int | None]) -> None:
    """The same for many people at once (notifications planned in bulk): one cache call."""
    keys = [unread_key(user_id) for user_id in user_ids if user_id is not None]
    if keys:
        cache.delete_many(keys)


def forget_bells(user_ids: Iterable[int | None]) -> None:
    """Notifications of these people were written: drop their counts now and again on commit,
    so that a page rendered in between cannot put an old count back for long."""
    ids = sorted({user_id for user_id in user_ids if user_id is not None})
    if ids:
        forget_unread_counts(ids)
        transaction.on_commit(functools.partial(forget_unread_counts, ids))


def unread_count(user_id: int) -> int:
    """The bell's count, from the cache or one query.

    The query also finds when the next unread notification falls due, so the
    cached count expires then: a reminder planned for later shows on time.
    """
    from .models import Notification, NotificationStatus

    key = unread_key(user_id)
    cached = cache.get(key)
    if cached is not None:
        return cached
    now = timezone.now()
    row = (
        Notification.objects.filter(recipient_id=user_id, read_at__isnull=True)
        .exclude(status=NotificationStatus.RETIRED)
        .aggregate(due=Count("pk", filter=Q(due_at__lte=now)), next_due=Min("due_at", filter=Q(due_at__gt=now)))
    )
    ttl = UNREAD_TTL
    if row["next_due"] is not None:
        ttl = max(1, min(ttl, int((row["next_due"] - now) / dt.timedelta(seconds=1)) + 1))
    cache.set(key, row["due"], ttl)
    return row["due"]


class _UnreadCount:
    """The bell's count, looked up only if a template shows it."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self._value: int | None = None

    def _count(self) -> int:
        if self._value is None:
            user = getattr(self.request, "user", None)
            prefetched = getattr(self.request, "unread_count", None)  # secretariat.pagecache read it already
            if prefetched is not None:
                self._value = prefetched
            else:
                self._value = unread_count(user.pk) if user is not None and user.is_authenticated else 0
        return self._value

    def __int__(self) -> int:
        return self._count()

    def __str__(self) -> str:
        return str(self._count())

    def __bool__(self) -> bool:
        return self._count() > 0
