"""Notification kinds of meetings, and the sweep's source of meeting reminders.

Content is rendered when the sweep bundles the notification, from the meeting as
it then stands: an invitation bundled after a change already carries the new
date and SEQUENCE (the services retire what is still unsent when a date moves).

`plan_meeting_reminders` is asked by every sweep what has come due: heads of
delegations that have not answered a meeting starting within a week, and chairs
whose minutes have waited for them for three days. The unique key of a
notification makes asking twice harmless.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from secretariat import delivery
from secretariat.models import Membership, Notification, Role

from . import ics
from .models import GOING_AHEAD, Delegation, Meeting, Minutes, MinutesStatus, MinutesVersion, Rsvp

# A delegation that has not answered hears about it this long before the start.
RSVP_REMINDER_DAYS = 7
# Minutes submitted to the chair this long ago earn the chair a reminder.
MINUTES_WAITING_DAYS = 3

Renderer = Callable[[Notification], delivery.EmailContent]


def _ics_attachment(meeting: Meeting, notification: Notification) -> dict[str, str]:
    content = ics.invitation(meeting, attendee=notification.recipient).decode("utf-8")
    method = "CANCEL" if "METHOD:CANCEL" in content else "REQUEST"
    return {"filename": ics.filename(meeting), "content": content, "mimetype": f"text/calendar; method={method}"}


def _meeting_email(template: str) -> Renderer:
    def render(notification: Notification) -> delivery.EmailContent:
        meeting: Meeting = notification.subject
        content = delivery.render_email(
            template,
            {"meeting": meeting, "meeting_path": meeting.get_absolute_url()},
            recipient=notification.recipient,
        )
        content.attachments = [_ics_attachment(meeting, notification)]
        return content

    return render


def _render_rsvp_reminder(notification: Notification) -> delivery.EmailContent:
    delegation: Delegation = notification.subject
    meeting = delegation.meeting
    return delivery.render_email(
        "meeting_rsvp_reminder",
        {"delegation": delegation, "meeting": meeting, "rsvp_path": reverse("meetings:rsvp", args=[meeting.pk])},
        recipient=notification.recipient,
    )


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
delivery.register_kind(
    "meeting_rsvp_reminder", label=_("Your delegation has not answered yet"), render=_render_rsvp_reminder
)
delivery.register_kind(
    "minutes_waiting", label=_("Minutes still waiting for the chair"), render=_minutes_email("minutes_waiting")
)


@delivery.register_source
def plan_meeting_reminders(now: dt.datetime) -> int:
    """Plan what has come due at `now`; returns how many notifications were written.

    1. Heads of delegation whose delegation is still pending for a meeting going
       ahead within RSVP_REMINDER_DAYS (one reminder per date: a new SEQUENCE,
       after a postponement, reminds again).
    2. The chair, when minutes were submitted MINUTES_WAITING_DAYS ago or more
       (one reminder per submission).
    """
    planned = 0
    pending = (
        Delegation.objects.filter(
            rsvp=Rsvp.PENDING,
            meeting__status__in=GOING_AHEAD,
            meeting__start__gt=now,
            meeting__start__lte=now + dt.timedelta(days=RSVP_REMINDER_DAYS),
        )
        .select_related("meeting", "member_state")
        .order_by("meeting__start")
    )
    pending = list(pending)
    heads: dict[tuple[int, int], list] = {}
    for membership in (
        Membership.objects.current()
        .filter(role=Role.HEAD, body_id__in={d.meeting.body_id for d in pending})
        .select_related("person")
    ):
        heads.setdefault((membership.body_id, membership.member_state_id), []).append(membership.person)
    for delegation in pending:
        for person in heads.get((delegation.meeting.body_id, delegation.member_state_id), []):
            occurrence = f"seq{delegation.meeting.sequence}"
            if delivery.notify("meeting_rsvp_reminder", delegation, recipient=person, occurrence=occurrence):
                planned += 1
    waiting = Minutes.objects.filter(
        status=MinutesStatus.SUBMITTED, submitted_at__lte=now - dt.timedelta(days=MINUTES_WAITING_DAYS)
    ).select_related("meeting", "meeting__body", "meeting__named_chair")
    for minutes in waiting:
        chair = minutes.meeting.chair
        version = minutes.versions.order_by("-number").first()
        if chair is None or version is None:
            continue
        occurrence = f"waiting{minutes.submitted_at:%Y%m%d%H%M%S}"
        if delivery.notify("minutes_waiting", version, recipient=chair, occurrence=occurrence):
            planned += 1
    return planned


# The reminders the sweep derives from meetings and minutes (upcoming, RSVP pending,
# agenda adopted, minutes awaiting the chair, comment window closing).
from .reminder_sources import register as _register_sources  # noqa: E402

_register_sources()
