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


delivery.register_kind(
    "meeting_invitation", label=_("Invitation to a meeting"), render=_meeting_email("meeting_invitation")
)
delivery.register_kind(
    "meeting_update", label=_("A meeting's date or place changed"), render=_meeting_email("meeting_update")
)
delivery.register_kind(
    "meeting_cancelled", label=_("A meeting was cancelled"), render=_meeting_email("meeting_cancelled"), urgent=True
)
delivery.register_kind(
    "minutes_circulated", label=_("Minutes circulated for comments"), render=_minutes_email("minutes_circulated")
)
delivery.register_kind(
    "minutes_submitted", label=_("Minutes submitted for approval"), render=_minutes_email("minutes_submitted")
)
delivery.register_kind("minutes_approved", label=_("Minutes approved"), render=_minutes_email("minutes_approved"))
delivery.register_kind("minutes_returned", label=_("Minutes returned"), render=_minutes_email("minutes_returned"))

# The reminders the sweep derives from meetings and minutes (upcoming, RSVP pending,
# agenda adopted, minutes awaiting the chair, comment window closing).
from .reminder_sources import register as _register_sources  # noqa: E402

_register_sources()
