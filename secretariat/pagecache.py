"""The main pages' content, cached per session until the data changes.

A page's own parts (title, breadcrumbs, content, scripts) are rendered by its
view and kept in the cache under a key naming the session, the CSRF cookie, the
URL with its query, the language, the viewer's zone and local date, together with
the *data generation* they were rendered under; they are used again only while
that is still the current generation. The frame around them (header, bell, messages, footer) is
rendered fresh on every request, so the unread count and flash messages are
never stale.

The data generation is a random token in the cache, replaced whenever a row is
written (any model's post_save, post_delete and m2m_changed, and the bulk
history helpers' `bulk_written`): once at the write, so that the same
transaction reads its own writes, and again when the transaction commits, so
that a page rendered from the old rows in between is not kept. A token rather
than a counter: two writers can never leave the same value behind.

Why this is safe:
- The key holds the session, so a person only ever gets back what their own
  view rendered for them; a change of role or membership is a write, which
  changes the generation, and a sign-out or sign-in changes the session.
- A page whose access rule costs no query (the audit log: a role the request's
  user carries) names it as `access`, asked again on every hit: losing the role
  answers 404 at once. Other pages rely on the generation: if the cache refused
  the write that took access away (a Redis that serves reads but refuses writes)
  or access ended with the calendar (a membership's last day, in the project's
  zone), a page the person saw less than `PAGE_CACHE_SECONDS` ago can be served
  to that person until it expires, and never after. Asking the meeting and
  document rules on each hit measured 6 ms a hit (their visibility subqueries),
  half again the cost of a hit, for that bounded window.
- Only a 200 answer to a plain GET is kept (no htmx fragment, no 404).
- What depends on the clock rather than the data ("overdue", "in 3 days") moves
  with the local date in the key, and nothing is kept longer than
  `PAGE_CACHE_SECONDS` (60 s by default; 0 turns the cache off).
- Rows changed by a plain `QuerySet.update()` do not send signals. The tracked
  models refuse it (secretariat.history); the untracked updates (notification
  and message status, reminder plans) are not shown on cached pages.
- If the cache is unreachable, pages are rendered as if there were no cache and
  writes go on; a page may then trail a write by `PAGE_CACHE_SECONDS` at most.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from collections.abc import Callable
from typing import Any

from django.apps import apps as django_apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from .context_processors import unread_key
from .history import bulk_written

logger = logging.getLogger(__name__)

GENERATION_KEY = "pagecache:generation"

# Writes that never change what a cached page shows, and happen often:
# sessions (every sign-in, the second-factor check), the sweep's wake-ups.
IGNORED_MODELS = frozenset({"sessions.session", "usersessions.usersession", "secretariat.sourcewake"})


def generation() -> str | None:
    """The current data generation, or None if the cache cannot be reached."""
    try:
        value = cache.get(GENERATION_KEY)
        if value is None:
            value = secrets.token_hex(8)
            if not cache.add(GENERATION_KEY, value, None):
                value = cache.get(GENERATION_KEY, value)
        return value
    except Exception:  # a cache outage must not take the pages down
        logger.warning("page cache: cannot read the data generation", exc_info=True)
        return None


def bump() -> None:
    """Make every cached page stale."""
    try:
        cache.set(GENERATION_KEY, secrets.token_hex(8), None)
    except Exception:  # a cache outage must not stop a write
        logger.warning("page cache: cannot replace the data generation", exc_info=True)


def data_changed(using: str = "default") -> None:
    """A write happened on `using`: stale now, and again when its transaction commits.

    The generation is kept even with the page cache off: the home page's charts
    (workgroups.plan_views) are keyed by it too.
    """
    bump()
    connection = transaction.get_connection(using)
    if connection.in_atomic_block and not any(entry[1] is bump for entry in connection.run_on_commit):
        transaction.on_commit(bump, using=using)


def _on_write(sender: Any, using: str = "default", **kwargs: Any) -> None:
    # A migration's models live in a registry of their own: no page is served while
    # migrating, and the cache (its table, with the database cache) may not exist yet.
    if sender._meta.apps is django_apps and sender._meta.label_lower not in IGNORED_MODELS:
        data_changed(using)


post_save.connect(_on_write, dispatch_uid="pagecache.post_save", weak=False)
post_delete.connect(_on_write, dispatch_uid="pagecache.post_delete", weak=False)
m2m_changed.connect(_on_write, dispatch_uid="pagecache.m2m_changed", weak=False)
bulk_written.connect(_on_write, dispatch_uid="pagecache.bulk_written", weak=False)


def page_key(request: HttpRequest) -> str | None:
    """The cache key of this request's page, or None if it must not be cached.

    The generation is not part of the key but of the value: the page and the
    current generation are then read in one round trip (with the bell's count).
    """
    user = getattr(request, "user", None)
    session_key = request.session.session_key if hasattr(request, "session") else None
    if (
        not settings.PAGE_CACHE_SECONDS
        or request.method != "GET"
        or user is None
        or not user.is_authenticated
        or not session_key
        or request.headers.get("HX-Request")
    ):
        return None
    identity = "\n".join(
        [
            session_key,
            request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),
            request.get_full_path(),
            translation.get_language() or "",
            timezone.get_current_timezone_name(),
            timezone.localdate().isoformat(),
        ]
    )
    return "page:" + hashlib.sha256(identity.encode()).hexdigest()


Access = Callable[..., bool]


def cached_page(view: Callable[..., HttpResponse] | None = None, *, access: Access | None = None) -> Any:
    """Serve the view's page parts from the cache while the data and the session are the same.

    Put it under the access decorators (login_required, require_GET): they run
    on every request, cached or not. The view's own check (a record the person may
    not see answers 404) runs only when the page is rendered: `access(request,
    *args, **kwargs)`, the same rule in a cheap form, is asked on every hit too,
    and a page the person may no longer see is rendered by the view instead.

    `@cached_page` or `@cached_page(access=...)`.
    """
    if view is None:
        return functools.partial(cached_page, access=access)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = page_key(request)
        if key is None:
            return view(request, *args, **kwargs)
        bell = unread_key(request.user.pk)
        try:
            found = cache.get_many([GENERATION_KEY, key, bell])
        except Exception:
            logger.warning("page cache: cannot read a page", exc_info=True)
            return view(request, *args, **kwargs)
        current = found.get(GENERATION_KEY) or generation()
        if current is None:
            return view(request, *args, **kwargs)
        if bell in found:
            request.unread_count = found[bell]  # read with the page: the context processor need not ask
        kept = found.get(key)
        if kept is not None and kept["generation"] == current and (access is None or access(request, *args, **kwargs)):
            # The parts are our own templates' output, escaped when they were rendered.
            page = {name: mark_safe(html) for name, html in kept["parts"].items()}  # noqa: S308
            response = render(request, "page_cached.html", {"page": page})
            response["X-Page-Cache"] = "hit"
            return response
        request.page_parts = {}  # what base.html's {% page_part %} tags render for this request
        response = view(request, *args, **kwargs)
        captured = request.page_parts
        del request.page_parts
        if response.status_code == 200 and not response.streaming and "content" in captured:
            try:
                cache.set(key, {"generation": current, "parts": dict(captured)}, settings.PAGE_CACHE_SECONDS)
            except Exception:
                logger.warning("page cache: cannot keep a page", exc_info=True)
            response["X-Page-Cache"] = "miss"
        return response

    return wrapper
