"""In-app notifications, preferences, daily digest and signed unsubscribe links."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from secretariat import delivery
from secretariat.models import Notification
from secretariat.tokens import unsubscribe_token


def _render(notification):
    return delivery.EmailContent(
        subject=f"News about {notification.subject}", text="Something happened.\n", html="<p>Something happened.</p>"
    )


@pytest.fixture(autouse=True)
def kinds():
    delivery.register_kind("test-news", label="Test news", render=_render, mandatory=False)
    delivery.register_kind("test-duty", label="Test duty", render=_render, mandatory=True)


def _yangon(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=zoneinfo.ZoneInfo("Asia/Yangon"))


def test_the_bell_counts_unread_notifications_and_the_list_marks_them_read(client, network):
    delivery.notify("test-news", network.wgai, recipient=network.mmr, due_at=_yangon("2026-01-05 10:00"))
    delivery.notify("test-duty", network.wgai, recipient=network.mmr, due_at=_yangon("2026-01-05 10:00"))
    client.force_login(network.mmr)
    home = client.get("/").content.decode()
    assert 'bell__count bell__count--unread">2<' in home
    page = client.get(reverse("notifications")).content.decode()
    assert "Test news" in page
    assert "WG-AI" in page
    client.post(reverse("notification_read"))
    assert Notification.objects.filter(recipient=network.mmr, read_at__isnull=True).count() == 0
    assert 'bell__count">0<' in client.get("/").content.decode()


def test_a_person_cannot_mark_someone_elses_notification_read(client, network):
    row = delivery.notify("test-news", network.wgai, recipient=network.mmr, due_at=_yangon("2026-01-05 10:00"))
    client.force_login(network.sgp)
    client.post(reverse("notification_read"), {"id": row.pk})
    row.refresh_from_db()
    assert row.read_at is None


def test_optional_kinds_can_be_switched_off_and_mandatory_ones_say_why(client, network, mailoutbox):
    client.force_login(network.mmr)
    page = client.get(reverse("notification_preferences")).content.decode()
    assert "cannot be switched off" in page
    assert "Test duty" in page
    response = client.post(reverse("notification_preferences"), {"digest_mode": "immediate", "enabled": []})
    assert response.status_code == 302
    network.mmr.refresh_from_db()
    assert "test-news" in network.mmr.muted_kinds
    assert "test-duty" not in network.mmr.muted_kinds
    delivery.notify("test-news", network.wgai, recipient=network.mmr, due_at=_yangon("2026-01-05 10:00"))
    delivery.notify("test-duty", network.adgsom, recipient=network.mmr, due_at=_yangon("2026-01-05 10:00"))
    delivery.sweep()
    assert [m.subject for m in mailoutbox] == ["News about ADGSOM"]
    assert Notification.objects.filter(recipient=network.mmr).count() == 2  # both still in the app


def test_the_preferences_page_shows_when_each_reminder_is_sent_from_the_settings_table(client, network, settings):
    client.force_login(network.mmr)
    page = client.get(reverse("notification_preferences")).content.decode()
    assert "When reminders are sent" in page
    assert "7 days and 1 day before the meeting starts" in page
    assert "3 days before the due date and on the day" in page
    assert (
        "The day after the due date, then every 7 days for up to 60 days; after 2 reminders also to the head"
        " of delegation and the secretariat" in page
    )
    assert "2 days and 1 day before the deadline, while your member state has not answered" in page
    assert "3 days after the minutes are submitted, then every 7 days" in page
    settings.REMINDERS = {
        **settings.REMINDERS,
        "circulation_deadline": {"before": [dt.timedelta(hours=36), dt.timedelta(hours=12), dt.timedelta(hours=6)]},
    }
    page = client.get(reverse("notification_preferences")).content.decode()
    assert "36 hours, 12 hours and 6 hours before the deadline" in page


def test_every_optional_email_carries_a_signed_unsubscribe_link(network, mailoutbox):
    delivery.notify("test-news", network.wgai, recipient=network.mmr, due_at=_yangon("2026-01-05 10:00"))
    delivery.sweep()
    assert "/notifications/unsubscribe/" in mailoutbox[0].body
    assert "/notifications/unsubscribe/" in mailoutbox[0].alternatives[0][0]


def test_the_unsubscribe_link_asks_first_and_only_the_post_switches_the_kind_off(client, network):
    url = reverse("unsubscribe", args=[unsubscribe_token(network.mmr, "test-news")])
    page = client.get(url)
    assert page.status_code == 200
    network.mmr.refresh_from_db()
    assert network.mmr.muted_kinds == []
    client.post(url)
    network.mmr.refresh_from_db()
    assert network.mmr.muted_kinds == ["test-news"]


def test_a_forged_or_mandatory_unsubscribe_link_is_refused(client, network):
    forged = unsubscribe_token(network.mmr, "test-news")[:-2] + "xx"
    assert client.get(reverse("unsubscribe", args=[forged])).status_code == 400
    mandatory = unsubscribe_token(network.mmr, "test-duty")
    assert client.post(reverse("unsubscribe", args=[mandatory])).status_code == 400
    network.mmr.refresh_from_db()
    assert network.mmr.muted_kinds == []


def test_a_daily_digest_person_gets_optional_reminders_at_nine_next_working_day(network):
    network.mmr.digest_mode = "daily"
    network.mmr.save()
    with time_machine.travel(_yangon("2026-12-02 11:30"), tick=False):  # a Wednesday
        row = delivery.notify("test-news", network.wgai, recipient=network.mmr)
        duty = delivery.notify("test-duty", network.adgsom, recipient=network.mmr)
    assert row.due_at.astimezone(zoneinfo.ZoneInfo("Asia/Yangon")).strftime("%a %H:%M") == "Thu 09:00"
    assert duty.due_at == _yangon("2026-12-02 11:30")


def test_the_bell_hears_of_notifications_planned_in_bulk_at_once(client, network):
    from secretariat.context_processors import unread_count

    with time_machine.travel(_yangon("2026-01-05 10:00"), tick=False):
        assert unread_count(network.mmr.pk) == 0  # now cached for up to a minute
        planned = delivery.notify_many(
            [delivery.Planned("test-duty", network.wgai, network.mmr, due_at=_yangon("2026-01-05 10:00"))]
        )
        assert planned == 1
        assert unread_count(network.mmr.pk) == 1
