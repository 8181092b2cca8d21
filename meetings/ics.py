"""iCalendar (RFC 5545/5546) for meetings: invitations, updates, cancellations, feeds.

One meeting is one event with a stable UID for its whole life. Every change of
date raises SEQUENCE, so a calendar replaces the event instead of adding a
second one; a cancellation is METHOD:CANCEL for the same UID. Times are written
in the venue's zone with its VTIMEZONE, so every client shows the right local
time whatever its own zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from secretariat.models import User

from .models import Meeting, MeetingStatus

PRODID = "-//ASEAN AI Safety Network//Secretariat//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"


def _status(meeting: Meeting) -> str:
    if meeting.status == MeetingStatus.CANCELLED:
        return "CANCELLED"
    if meeting.status == MeetingStatus.DRAFT:
        return "TENTATIVE"
    return "CONFIRMED"


def _organizer() -> vCalAddress:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = vText(name or "ASEAN AI Safe secretariat")
    return organizer


def _description(meeting: Meeting) -> str:
    lines = [f"{meeting.body.code} — {meeting.body.name}", meeting.get_format_display()]
    if meeting.status_note and meeting.status in (MeetingStatus.POSTPONED, MeetingStatus.CANCELLED):
        lines.append(f"{meeting.get_status_display()}: {meeting.status_note}")
    if meeting.video_link:
        lines.append(f"Video link: {meeting.video_link}")
    lines.append(f"{settings.SITE_URL}{meeting.get_absolute_url()}")
    return "\n".join(lines)


def meeting_event(meeting: Meeting, *, attendee: User | None = None) -> Event:
    event = Event()
    event.add("uid", meeting.ical_uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", meeting.local_start)
    event.add("dtend", meeting.local_end)
    event.add("summary", f"{meeting.title}" + (" (cancelled)" if meeting.status == MeetingStatus.CANCELLED else ""))
    location = meeting.venue or ("Online" if meeting.video_link else "")
    if location:
        event.add("location", location)
    event.add("description", _description(meeting))
    event.add("url", f"{settings.SITE_URL}{meeting.get_absolute_url()}")
    event.add("status", _status(meeting))
    event.add("organizer", _organizer())
    if attendee is not None:
        address = vCalAddress(f"mailto:{attendee.email}")
        address.params["cn"] = vText(attendee.display_name or attendee.email)
        address.params["role"] = vText("REQ-PARTICIPANT")
        address.params["partstat"] = vText("NEEDS-ACTION")
        # Delegations answer in the app, for their state; no reply by e-mail.
        address.params["rsvp"] = vText("FALSE")
        event.add("attendee", address)
    return event


def _calendar(method: str | None, events: Iterable[Event], *, name: str = "") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    starts = []
    for event in events:
        calendar.add_component(event)
        starts.append(event.decoded("dtstart").date())
    if starts:
        # VTIMEZONE rules covering the events only, not a century of transitions.
        calendar.add_missing_timezones(
            first_date=min(starts) - dt.timedelta(days=366), last_date=max(starts) + dt.timedelta(days=366)
        )
    return calendar.to_ical()


def invitation(meeting: Meeting, *, attendee: User | None = None) -> bytes:
    """METHOD:REQUEST (or CANCEL once cancelled) for one meeting, as e-mailed."""
    method = "CANCEL" if meeting.status == MeetingStatus.CANCELLED else "REQUEST"
    return _calendar(method, [meeting_event(meeting, attendee=attendee)])


def attachment(meeting: Meeting, *, attendee: User | None = None) -> dict[str, str]:
    """`invitation` as an e-mail attachment (a message's `attachments` entry)."""
    content = invitation(meeting, attendee=attendee).decode("utf-8")
    method = "CANCEL" if meeting.status == MeetingStatus.CANCELLED else "REQUEST"
    return {"filename": filename(meeting), "content": content, "mimetype": f"text/calendar; method={method}"}


def download(meeting: Meeting) -> bytes:
    """The per-meeting download: a published event (no reply expected)."""
    return _calendar("PUBLISH", [meeting_event(meeting)])


def feed(meetings: Iterable[Meeting], *, name: str) -> bytes:
    return _calendar("PUBLISH", [meeting_event(m) for m in meetings], name=name)


def filename(meeting: Meeting) -> str:
    return f"{meeting.body.code}-{meeting.number}.ics".lower()
