"""The main pages' cache (secretariat.pagecache): kept per session, dropped by any write, never shared."""

from __future__ import annotations

import datetime as dt
import re
import time
from unittest import mock

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache.backends.redis import RedisCache
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import services as meeting_services
from meetings.models import Meeting
from secretariat import pagecache
from secretariat.context_processors import forget_unread_count
from secretariat.history import bulk_create_with_history
from secretariat.models import SECRETARIAT_GROUP, Body, Notification, NotificationStatus
from tests.documents.conftest import make_document
from tests.meetings.conftest import make_meeting


def _get(client: Client, url: str, **headers: str):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    return response


def _main(response) -> str:
    """The page's <main>, without the per-request CSRF masks."""
    html = response.content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", main)


def _sign_in(client: Client, user) -> Client:
    """Signed in, with the CSRF cookie a browser has from the sign-in form (it is part of the key)."""
    client.force_login(user)
    _get(client, reverse("profile"))
    return client


@pytest.fixture
def officer_client(client: Client, network) -> Client:
    return _sign_in(client, network.officer)


@pytest.fixture
def meeting(network) -> Meeting:
    return meeting_services.schedule_meeting(make_meeting(network.officer, network.adgsom), by=network.officer)


MAIN_PAGES = [
    "workgroups:home",
    "meetings:list",
    "workgroups:action_items",
    "documents:list",
    "audit_log",
]


@pytest.mark.parametrize("name", MAIN_PAGES)
def test_a_main_page_seen_again_comes_from_the_cache_in_at_most_two_queries(officer_client, meeting, name):
    url = reverse(name)
    first = _get(officer_client, url)
    assert first["X-Page-Cache"] == "miss"
    with CaptureQueriesContext(connection) as queries:
        again = _get(officer_client, url)
    assert again["X-Page-Cache"] == "hit"
    assert _main(again) == _main(first)
    # The person with their state and role; the bell and the session come from the cache.
    assert len(queries) <= 2, [q["sql"][:120] for q in queries.captured_queries]
    assert again.content.decode().count("<title>") == 1


def test_the_frame_around_a_cached_page_is_fresh_the_bell_and_the_messages(officer_client, network, meeting):
    url = meeting.get_absolute_url()
    _get(officer_client, url)
    # A notification planned in bulk sends no post_save: the page stays cached, the bell still counts it.
    Notification.objects.bulk_create(
        [
            Notification(
                kind="meeting_upcoming",
                content_type=ContentType.objects.get_for_model(meeting),
                object_id=meeting.pk,
                recipient=network.officer,
                address=network.officer.email,
            )
        ]
    )
    forget_unread_count(network.officer.pk)
    storage = CookieStorage(RequestFactory().get(url))
    officer_client.cookies["messages"] = storage._encode([Message(constants.SUCCESS, "Minutes circulated.")])
    again = _get(officer_client, url)
    assert again["X-Page-Cache"] == "hit"
    html = again.content.decode()
    assert 'bell__count bell__count--unread">1<' in html
    assert "Minutes circulated." in html
    assert meeting.title in html


def test_a_write_anywhere_makes_the_cached_pages_stale(officer_client, network, meeting):
    url = reverse("meetings:list")
    _get(officer_client, url)
    assert _get(officer_client, url)["X-Page-Cache"] == "hit"

    meeting_services.update_meeting(meeting, by=network.officer, title="Renamed by the secretariat")
    after_save = _get(officer_client, url)
    assert after_save["X-Page-Cache"] == "miss"
    assert "Renamed by the secretariat" in after_save.content.decode()

    # A bulk write through the history helpers sends `bulk_written`, not post_save.
    bulk_create_with_history([Body(code="TF-EVAL", name="Task Force on Model Evaluations")], reason="Bulk import")
    assert _get(officer_client, url)["X-Page-Cache"] == "miss"


def test_a_cached_page_is_never_given_to_another_person_or_session(client, network, meeting):
    draft = make_meeting(network.officer, network.adgsom, title="Draft the delegations may not see")
    officer = _sign_in(Client(), network.officer)
    _get(officer, draft.get_absolute_url())
    assert _get(officer, draft.get_absolute_url())["X-Page-Cache"] == "hit"

    _sign_in(client, network.outsider)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert "Draft the delegations may not see" not in client.get(reverse("meetings:list")).content.decode()

    same_person_new_session = _sign_in(Client(), network.officer)
    assert _get(same_person_new_session, draft.get_absolute_url())["X-Page-Cache"] == "miss"


def test_losing_access_is_a_write_and_the_page_answers_404_at_once(client, network):
    meeting = make_meeting(network.officer, network.wgai)
    meeting_services.schedule_meeting(meeting, by=network.officer)
    _sign_in(client, network.mmr)  # a WG-AI delegate
    _get(client, meeting.get_absolute_url())
    assert _get(client, meeting.get_absolute_url())["X-Page-Cache"] == "hit"
    membership = network.mmr.memberships.get(body=network.wgai)
    membership.end = timezone.localdate() - dt.timedelta(days=1)
    membership.save()
    assert client.get(meeting.get_absolute_url()).status_code == 404


def test_only_a_plain_get_answered_200_is_kept(officer_client, meeting):
    url = meeting.get_absolute_url()
    assert "X-Page-Cache" not in _get(officer_client, url, HX_Request="true")
    assert _get(officer_client, url)["X-Page-Cache"] == "miss"
    missing = reverse("meetings:detail", args=[meeting.pk + 1000])
    assert officer_client.get(missing).status_code == 404
    assert officer_client.get(missing).status_code == 404
    assert "X-Page-Cache" not in officer_client.get(missing)


def test_the_next_local_day_renders_the_page_again(officer_client, meeting):
    url = reverse("workgroups:action_items")
    _get(officer_client, url)
    assert _get(officer_client, url)["X-Page-Cache"] == "hit"
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        assert _get(officer_client, url)["X-Page-Cache"] == "miss"


def test_a_write_changes_the_generation_at_once_and_again_at_commit(db, django_capture_on_commit_callbacks):
    before = pagecache.generation()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        pagecache.data_changed()
        during = pagecache.generation()
        pagecache.data_changed()  # a second write in the same transaction: one commit callback
    assert before != during
    assert len([c for c in callbacks if c is pagecache.bump]) == 1
    assert pagecache.generation() != during


def test_pages_and_writes_go_on_when_the_cache_is_unreachable(officer_client, network, meeting):
    # A real Redis client to a port where nothing listens (sessions keep the working cache).
    down = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
    with mock.patch.object(pagecache, "cache", down):
        response = _get(officer_client, meeting.get_absolute_url())
        assert "X-Page-Cache" not in response
        meeting_services.update_meeting(meeting, by=network.officer, title="Edited while Redis is down")
    assert Meeting.objects.get(pk=meeting.pk).title == "Edited while Redis is down"


def test_notifications_retired_in_bulk_do_not_make_pages_stale_and_are_not_shown_on_them(officer_client, network):
    # The untracked bulk updates of the sweep (status of notifications) leave the pages cached:
    # none of the cached pages shows a notification's status.
    url = reverse("workgroups:home")
    _get(officer_client, url)
    Notification.objects.filter(recipient=network.officer).update(status=NotificationStatus.RETIRED)
    assert _get(officer_client, url)["X-Page-Cache"] == "hit"


def test_the_models_of_a_migration_leave_the_cache_alone(db):
    # `migrate` runs before `createcachetable` in `make run`: its data migrations must not write to the cache.
    state = MigrationExecutor(connection).loader.project_state()
    before = pagecache.generation()
    pagecache._on_write(sender=state.apps.get_model("secretariat", "Body"), using="default")
    assert pagecache.generation() == before
    pagecache._on_write(sender=Body, using="default")
    assert pagecache.generation() != before


def test_the_audit_log_asks_its_access_rule_on_every_hit(client, network):
    """The role is asked again on each hit: even if the cache refused the write that took it away
    (the generation was not replaced), the person is turned away at once, nothing cached shown."""
    person, url = network.officer, reverse("audit_log")
    _sign_in(client, person)
    _get(client, url)
    assert _get(client, url)["X-Page-Cache"] == "hit"
    with mock.patch.object(pagecache, "bump"):  # the cache refuses every write from here
        person.groups.remove(person.groups.get(name=SECRETARIAT_GROUP))
        response = client.get(url)
    assert response.status_code == 404
    assert "Audit log" not in response.content.decode()


@pytest.mark.parametrize("page", ["meeting", "document"])
def test_a_page_kept_when_the_cache_refused_the_write_lives_no_longer_than_its_expiry(client, network, settings, page):
    """A record page relies on the generation: if the cache refused the write that took access
    away, the person's own page may be served until it expires, and never after (404)."""
    settings.PAGE_CACHE_SECONDS = 3
    person = network.mmr  # a WG-AI delegate
    if page == "meeting":
        record = meeting_services.schedule_meeting(make_meeting(network.officer, network.wgai), by=network.officer)
    else:
        record = make_document(network.officer, network.wgai, title="Restricted WG-AI working draft")
    url = record.get_absolute_url()
    _sign_in(client, person)
    assert _get(client, url)["X-Page-Cache"] == "miss"  # rendered, and kept
    with mock.patch.object(pagecache, "bump"):  # the cache refuses every write from here
        membership = person.memberships.get(body=network.wgai)
        membership.end = timezone.localdate() - dt.timedelta(days=1)
        membership.save()
        assert _get(client, url)["X-Page-Cache"] == "hit"  # the window: the page the person saw, kept
        time.sleep(3.1)  # Redis expires the page (its own clock, not time-machine's)
        response = client.get(url)
    assert response.status_code == 404
    assert record.title not in response.content.decode()
