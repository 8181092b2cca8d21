"""Notification kinds of meetings, registered with the delivery engine when the app is ready.

Content is rendered when the message's first sender writes it, from the meeting
as it then stands: an invitation written after a change already carries the new
date and SEQUENCE (the services retire what is still unsent when a date moves).
The reminders the sweep derives (upcoming meetings, pending RSVPs, minutes
awaiting the chair) live in `reminder_sources`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from secretariat import delivery
from secretariat.models import Notification

from . import ics
from .models import Meeting, MinutesVersion

Renderer = Callable[[Notification], delivery.EmailContent]


def _meeting_email(template: str) -> Renderer:
    def render(notification: Notification) -> delivery.EmailContent:
        meeting: Meeting = notification.subject
        content = delivery.render_email(
            template,
            {"meeting": meeting, "meeting_path": meeting.get_absolute_url()},
            recipient=notification.recipient,
        )
        content.attachments = [ics.attachment(meeting, attendee=notification.recipient)]
        return content

    return render


def _minutes_email(template: str) -> Renderer:
    def render(notification: Notification) -> delivery.EmailContent:
        version: MinutesVersion = notification.subject
        meeting = version.minutes.meeting
        return delivery.render_email(
            template,
            {
                "version": version,
                "minutes": version.minutes,
                "meeting": meeting,
                "minutes_path": reverse("meetings:minutes", args=[meeting.pk]),
            },
            recipient=notification.recipient,
        )

    return render


# What the e-mails read of their subject (the meeting's body, in the text and the .ics;
# a version's minutes and meeting), fetched once for a sender's batch.
MEETING = {"prefetch": ("body",)}
VERSION = {"prefetch": ("minutes__meeting__body",)}

delivery.register_kind(
    "meeting_invitation", label=_("Invitation to a meeting"), render=_meeting_email("meeting_invitation"), **MEETING
)
delivery.register_kind(
    "meeting_update", label=_("A meeting's date or place changed"), render=_meeting_email("meeting_update"), **MEETING
)
delivery.register_kind(
    "meeting_cancelled",
    label=_("A meeting was cancelled"),
    render=_meeting_email("meeting_cancelled"),
    urgent=True,
    **MEETING,
)
for name, label in (
    ("minutes_circulated", _("Minutes circulated for comments")),
    ("minutes_submitted", _("Minutes submitted for approval")),
    ("minutes_approved", _("Minutes approved")),
    ("minutes_returned", _("Minutes returned")),
):
    delivery.register_kind(name, label=label, render=_minutes_email(name), **VERSION)

# The reminders the sweep derives from meetings and minutes (upcoming, RSVP pending,
# agenda adopted, minutes awaiting the chair, comment window closing).
from .reminder_sources import register as _register_sources  # noqa: E402

_register_sources()
