"""Reminders the sweep derives from meetings: upcoming, RSVP pending, moved dates."""

from __future__ import annotations

import datetime as dt

import time_machine

from meetings import ics, services
from meetings.models import Purpose
from meetings.reminder_sources import plan_meeting_reminders
from secretariat import delivery
from secretariat.models import Notification

from .conftest import make_meeting


def _rows(kind: str, status: str = "pending"):
    return Notification.objects.filter(kind=kind, status=status)


def test_invited_delegates_are_reminded_seven_days_and_one_day_before(network):
    meeting = services.schedule_meeting(make_meeting(network.officer, network.adgsom, days=20), by=network.officer)
    with time_machine.travel(meeting.start - dt.timedelta(days=8)):
        plan_meeting_reminders(delivery_now())
        assert not _rows("meeting_upcoming").exists()
    with time_machine.travel(meeting.start - dt.timedelta(days=6)):
        plan_meeting_reminders(delivery_now())
        assert {n.address for n in _rows("meeting_upcoming")} == {"sgp@example.org"}
        assert {n.occurrence.rsplit(":", 1)[1] for n in _rows("meeting_upcoming")} == {"7d"}
        plan_meeting_reminders(delivery_now())  # twice: nothing more
        assert _rows("meeting_upcoming").count() == 1
    with time_machine.travel(meeting.start - dt.timedelta(hours=20)):
        plan_meeting_reminders(delivery_now())
        assert {n.occurrence.rsplit(":", 1)[1] for n in Notification.objects.filter(kind="meeting_upcoming")} == {
            "7d",
            "1d",
        }


def test_a_sweep_that_comes_late_reminds_of_the_latest_lead_only(network):
    meeting = services.schedule_meeting(make_meeting(network.officer, network.adgsom, days=20), by=network.officer)
    with time_machine.travel(meeting.start - dt.timedelta(hours=20)):  # no sweep ran since 8 days before
        plan_meeting_reminders(delivery_now())
    assert [n.occurrence.rsplit(":", 1)[1] for n in _rows("meeting_upcoming")] == ["1d"]


def test_an_agenda_adopted_weeks_ahead_is_announced_when_it_is_adopted(network):
    meeting = services.schedule_meeting(make_meeting(network.officer, network.adgsom, days=40), by=network.officer)
    services.add_agenda_item(meeting, by=network.officer, title="Opening", purpose=Purpose.NOTING)
    services.adopt_agenda(meeting, by=network.officer)
    delivery.plan(delivery_now())
    assert [n.address for n in _rows("agenda_adopted")] == ["sgp@example.org"]
    assert not _rows("rsvp_pending").exists()  # 40 days ahead: not yet
    assert not _rows("meeting_upcoming").exists()


def test_heads_of_delegation_that_have_not_answered_are_reminded_ten_days_before(network):
    meeting = services.schedule_meeting(make_meeting(network.officer, network.adgsom, days=20), by=network.officer)
    with time_machine.travel(meeting.start - dt.timedelta(days=9)):
        plan_meeting_reminders(delivery_now())
    assert [n.address for n in _rows("rsvp_pending")] == ["sgp@example.org"]


def test_a_moved_meeting_retires_what_was_pending_for_the_old_date(network):
    meeting = services.schedule_meeting(make_meeting(network.officer, network.adgsom, days=20), by=network.officer)
    with time_machine.travel(meeting.start - dt.timedelta(days=9)):
        plan_meeting_reminders(delivery_now())
        old = list(_rows("rsvp_pending"))
        assert old
        services.postpone_meeting(
            meeting,
            by=network.officer,
            start=meeting.start + dt.timedelta(days=30),
            end=meeting.end + dt.timedelta(days=30),
            reason="Venue unavailable",
        )
        plan_meeting_reminders(delivery_now())
    for row in old:
        row.refresh_from_db()
        assert row.status == "retired"
    assert not _rows("rsvp_pending").exists()


def delivery_now():
    from django.utils import timezone

    return timezone.now()


def test_the_sweep_sends_the_reminder_once_with_the_meeting_named(network, mailoutbox):
    meeting = services.schedule_meeting(make_meeting(network.officer, network.adgsom, days=20), by=network.officer)
    with time_machine.travel(meeting.start - dt.timedelta(days=5)):
        delivery.sweep()
        delivery.sweep()
    # Due together with the invitation and the RSVP reminder: one digest lists them.
    mails = [m for m in mailoutbox if m.to == ["sgp@example.org"]]
    assert sum(f"A meeting is coming up: {meeting}" in m.subject + m.body for m in mails) == 1


def test_a_meeting_reminder_carries_the_meetings_calendar_entry(network, mailoutbox):
    meeting = services.schedule_meeting(make_meeting(network.officer, network.adgsom, days=20), by=network.officer)
    with time_machine.travel(meeting.start - dt.timedelta(days=15)):
        delivery.sweep()  # the invitation
    mailoutbox.clear()
    with time_machine.travel(meeting.start - dt.timedelta(days=6, hours=-2)):
        delivery.sweep()  # the RSVP and 7-day reminders, in one digest
    [mail] = [m for m in mailoutbox if m.to == ["sgp@example.org"]]
    assert f"A meeting is coming up: {meeting}" in mail.body
    calendars = [(name, content, kind) for name, content, kind in mail.attachments if kind.startswith("text/calendar")]
    [(name, content, _kind)] = calendars  # the RSVP and 7-day reminders' digest: the meeting's entry once
    assert name == ics.filename(meeting)
    assert f"UID:{meeting.ical_uid}" in content
    assert "METHOD:REQUEST" in content
