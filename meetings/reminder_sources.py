"""What the sweep derives from meetings and minutes (issue 6's policies).

Each source reads the rows that are due now and plans notifications whose
occurrence names the date they are about ("2026-12-03T02:00:00+00:00:7d"): a
meeting moved to a new date gets new occurrences, and what was still pending for
the old date is retired here, so nothing is ever sent for the old date. Planning
twice is a no-op (the notification's unique key).

Each source also tells the sweep the next moment at which its rules could plan
something new (a meeting entering its 10-, 7- or 1-day window, minutes reaching
their next chair reminder, a comment window entering its last day); the sweep
skips it until then, unless a meeting, delegation, membership or minutes row
changes (`register_source(..., watch=...)`).

With the defaults of settings.REMINDERS:

- meeting upcoming: 7 days and 1 day before, to delegates invited (attending or pending);
- RSVP pending: 10 days before, to heads of delegation that have not answered;
- agenda adopted: once, to the invited delegations' members;
- minutes awaiting the chair: 3 days after submission, then weekly;
- comment window closing: 1 day before the deadline, to the invited delegations' members.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Min, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from secretariat import delivery, reminder_policy
from secretariat.models import Membership, Notification, NotificationStatus, Role, User

from . import ics
from .models import GOING_AHEAD, AgendaStatus, Delegation, Meeting, Minutes, MinutesStatus, Rsvp
from .rules import DELEGATION_ROLES

# How far back an adopted agenda is still announced by a sweep (the meeting's own
# reminders take over inside its leads).
ADOPTED_WITHIN = dt.timedelta(days=7)


def _members(meetings: Iterable[Meeting], *, roles: Iterable[str]) -> dict[int, list[Membership]]:
    """The current members with these roles of the meetings' bodies, by body: one query for a
    sweep's meetings, however many (`_pick` chooses among them)."""
    grouped: dict[int, list[Membership]] = {}
    bodies = {meeting.body_id for meeting in meetings}
    if bodies:
        rows = (
            Membership.objects.current()
            .filter(body_id__in=bodies, role__in=list(roles), member_state__isnull=False)
            .select_related("person", "person__member_state")
        )
        for membership in rows:
            grouped.setdefault(membership.body_id, []).append(membership)
    return grouped


def _pick(memberships: Iterable[Membership], roles: Iterable[str], states: Iterable[int]) -> list[User]:
    roles, states = set(roles), set(states)
    people = {m.person for m in memberships if m.role in roles and m.member_state_id in states}
    return sorted(people, key=lambda p: p.email)


def _plan(kind: str, subject: object, people: Iterable[User], occurrence: str, due_at: dt.datetime) -> list:
    """The notifications to plan; each source hands them to `delivery.notify_many` at once, so a
    sweep that finds them planned already writes nothing (one INSERT that skips what exists)."""
    return [delivery.Planned(kind, subject, person, occurrence, due_at) for person in people]


def _retire_stale(model: type, kinds: Iterable[str], fields: Iterable[str], current: Callable[..., str | None]) -> None:
    """Retire the pending reminders of `kinds` about rows of `model` that no longer hold:
    each occurrence must start with what `current(kind, *fields)` says of its row now (None:
    nothing of that kind is current, e.g. a cancelled meeting, approved minutes). A row gone
    retires its reminders too. Pending reminders are few (they go out within a sweep or a
    night): two reads and one UPDATE, whatever the number of rows."""
    rows = list(
        Notification.objects.filter(
            kind__in=list(kinds),
            content_type=ContentType.objects.get_for_model(model),
            status=NotificationStatus.PENDING,
        ).values_list("pk", "object_id", "kind", "occurrence")
    )
    if not rows:
        return
    now_reads = {
        pk: values for pk, *values in model.objects.filter(pk__in={row[1] for row in rows}).values_list("pk", *fields)
    }
    stale = []
    for pk, object_id, kind, occurrence in rows:
        prefix = current(kind, *now_reads[object_id]) if object_id in now_reads else None
        if prefix is None or not occurrence.startswith(prefix):
            stale.append(pk)
    if stale:
        Notification.objects.filter(pk__in=stale, status=NotificationStatus.PENDING).update(
            status=NotificationStatus.RETIRED
        )


MEETING_KINDS = ("meeting_upcoming", "rsvp_pending", "agenda_adopted")
MINUTES_KINDS = ("minutes_awaiting_chair", "comment_window_closing")


def _meeting_now(kind: str, start: dt.datetime, status: str) -> str | None:
    """A meeting's reminders hold while it goes ahead on the date they name."""
    return start.isoformat() if status in GOING_AHEAD else None


def _minutes_now(kind: str, status: str, submitted_at: dt.datetime | None, deadline: dt.datetime | None) -> str | None:
    """The chair's reminders hold while the minutes wait for the chair since the submission they
    name; the comment window's, while they are circulated with the deadline it names."""
    if kind == "minutes_awaiting_chair" and status == MinutesStatus.SUBMITTED and submitted_at:
        return f"{submitted_at.isoformat()}:chair:"
    if kind == "comment_window_closing" and status == MinutesStatus.CIRCULATED and deadline:
        return f"{deadline.isoformat()}:closing"
    return None


def plan_meeting_reminders(now: dt.datetime) -> delivery.Planning:
    """Plan the reminders of meetings starting within their longest lead (indexed by start),
    and the notice of an agenda just adopted, however far ahead its meeting is."""
    _retire_stale(Meeting, MEETING_KINDS, ("start", "status"), _meeting_now)
    planned: list[delivery.Planned] = []
    rsvp = reminder_policy.before("rsvp_pending")[0]
    horizon = max(rsvp, *reminder_policy.before("meeting_upcoming"))
    # Meetings inside the longest lead, and any whose agenda was just adopted, however far
    # ahead: that notice goes when it happens (a week back covers a sweep that was down).
    soon = Meeting.objects.filter(
        Q(start__lte=now + horizon) | Q(agenda_status=AgendaStatus.ADOPTED, agenda_adopted_at__gt=now - ADOPTED_WITHIN),
        status__in=GOING_AHEAD,
        start__gt=now,
    ).prefetch_related("delegations")
    reminded = []
    for meeting in soon:
        delegations = list(meeting.delegations.all())
        going = {d.member_state_id for d in delegations if d.rsvp != Rsvp.NOT_ATTENDING}
        pending = {d.member_state_id for d in delegations if d.rsvp == Rsvp.PENDING and meeting.start - rsvp <= now}
        # The latest lead reached only: a sweep that comes late (or a meeting scheduled inside
        # the 7 days) reminds once, not once per lead it missed.
        lead = reminder_policy.latest_lead("meeting_upcoming", meeting.start, now)
        adopted = meeting.agenda_status == AgendaStatus.ADOPTED and meeting.agenda_adopted_at
        if lead is not None or pending or adopted:
            reminded.append((meeting, going, pending, lead, adopted))
    # The delegations of every meeting reminded in one query, whichever reminders need them.
    members = _members([meeting for meeting, *_ in reminded], roles={*DELEGATION_ROLES, Role.HEAD})
    for meeting, going, pending, lead, adopted in reminded:
        stamp = meeting.start.isoformat()
        rows = members.get(meeting.body_id, [])
        people = _pick(rows, DELEGATION_ROLES, going)
        if lead is not None:
            label = reminder_policy.label(lead)
            planned += _plan("meeting_upcoming", meeting, people, f"{stamp}:{label}", meeting.start - lead)
        if pending:
            heads = _pick(rows, [Role.HEAD], pending)
            planned += _plan("rsvp_pending", meeting, heads, f"{stamp}:rsvp", meeting.start - rsvp)
        if adopted:
            planned += _plan("agenda_adopted", meeting, people, f"{stamp}:agenda", meeting.agenda_adopted_at)
    return delivery.Planning(delivery.notify_many(planned, now=now), _next_meeting_moment(now))


def _next_meeting_moment(now: dt.datetime) -> dt.datetime | None:
    """The first moment after `now` at which a meeting going ahead enters a window of the
    rules above (settings.REMINDERS): by default 10 days before (RSVP, agenda), 7 days and
    1 day before (upcoming).

    For each lead, the first meeting to enter it is the first starting after now + lead.
    """
    upcoming = {reminder_policy.label(lead): lead for lead in reminder_policy.before("meeting_upcoming")}
    leads = {"rsvp": reminder_policy.before("rsvp_pending")[0], **upcoming}
    found = Meeting.objects.filter(status__in=GOING_AHEAD, start__gt=now).aggregate(
        **{label: Min("start", filter=Q(start__gt=now + lead)) for label, lead in leads.items()}
    )
    return min((found[label] - lead for label, lead in leads.items() if found[label]), default=None)


def plan_minutes_reminders(now: dt.datetime) -> delivery.Planning:
    """Minutes waiting for the chair (by default 3 days after submission, then weekly) and
    comment windows closing (by default 1 day before): settings.REMINDERS."""
    _retire_stale(Minutes, MINUTES_KINDS, ("status", "submitted_at", "comment_deadline"), _minutes_now)
    planned: list[delivery.Planned] = []
    first = reminder_policy.after("minutes_awaiting_chair")
    waiting = Minutes.objects.filter(status=MinutesStatus.SUBMITTED, submitted_at__lte=now - first)
    for minutes in waiting.select_related("meeting", "meeting__body", "meeting__named_chair__member_state"):
        chair = minutes.meeting.chair
        if chair is None:
            continue
        week, at = _chair_reminder(minutes.submitted_at, now)
        occurrence = f"{minutes.submitted_at.isoformat()}:chair:{week}"
        planned += _plan("minutes_awaiting_chair", minutes, [chair], occurrence, at)
    closing_lead = reminder_policy.before("comment_window_closing")[0]
    closing = Minutes.objects.filter(
        Q(comment_deadline__gt=now, comment_deadline__lte=now + closing_lead), status=MinutesStatus.CIRCULATED
    )
    closing = list(closing.select_related("meeting").prefetch_related("meeting__delegations"))
    members = _members([minutes.meeting for minutes in closing], roles=DELEGATION_ROLES)
    for minutes in closing:
        states = [d.member_state_id for d in minutes.meeting.delegations.all()]
        people = _pick(members.get(minutes.meeting.body_id, []), DELEGATION_ROLES, states)
        stamp = minutes.comment_deadline.isoformat()
        planned += _plan(
            "comment_window_closing", minutes, people, f"{stamp}:closing", minutes.comment_deadline - closing_lead
        )
    return delivery.Planning(delivery.notify_many(planned, now=now), _next_minutes_moment(now))


def _chair_reminder(submitted_at: dt.datetime, now: dt.datetime) -> tuple[int, dt.datetime]:
    """The chair's reminder last due at `now` (`after` submission or later): its week, 0 first, and moment."""
    first = submitted_at + reminder_policy.after("minutes_awaiting_chair")
    every = reminder_policy.every("minutes_awaiting_chair")
    week = int((now - first) / every)
    return week, first + week * every


def _next_minutes_moment(now: dt.datetime) -> dt.datetime | None:
    """The first moment after `now` at which minutes reach their next chair reminder
    or a comment window its reminder (settings.REMINDERS)."""
    moments = []
    after, every = reminder_policy.after("minutes_awaiting_chair"), reminder_policy.every("minutes_awaiting_chair")
    submitted = Minutes.objects.filter(status=MinutesStatus.SUBMITTED, submitted_at__isnull=False)
    for submitted_at in submitted.values_list("submitted_at", flat=True):
        first = submitted_at + after
        moments.append(first if first > now else _chair_reminder(submitted_at, now)[1] + every)
    closing_lead = reminder_policy.before("comment_window_closing")[0]
    closing = Minutes.objects.filter(status=MinutesStatus.CIRCULATED, comment_deadline__gt=now + closing_lead)
    deadline = closing.aggregate(first=Min("comment_deadline"))["first"]
    if deadline is not None:
        moments.append(deadline - closing_lead)
    return min(moments, default=None)


def _render(title: str, *, link_of: Callable[[Any], str]) -> Callable[[Notification], delivery.EmailContent]:
    def render(notification: Notification) -> delivery.EmailContent:
        subject = notification.subject
        meeting = subject if isinstance(subject, Meeting) else subject.meeting
        content = delivery.render_email(
            "meeting_reminder",
            {
                "title": title,
                "meeting": meeting,
                "minutes": subject if isinstance(subject, Minutes) else None,
                "kind": notification.kind,
                "path": link_of(subject),
            },
            recipient=notification.recipient,
        )
        if isinstance(subject, Meeting):
            # A reminder of a meeting carries its calendar entry, as the invitation did: the
            # same UID and SEQUENCE, so a calendar that has it already changes nothing.
            content.attachments = [ics.attachment(meeting, attendee=notification.recipient)]
        return content

    return render


def _meeting_path(meeting: Meeting) -> str:
    return meeting.get_absolute_url()


def _minutes_path(minutes: Minutes) -> str:
    return reverse("meetings:minutes", args=[minutes.meeting_id])


# What the reminder e-mail reads of its subject (the meeting's body), fetched once for a sweep's batch.
MEETING_PREFETCH = ("body",)
MINUTES_PREFETCH = ("meeting__body",)


def register() -> None:
    delivery.register_kind(
        "meeting_upcoming",
        label=_("A meeting you are invited to is coming up"),
        render=_render(_("A meeting is coming up"), link_of=_meeting_path),
        mandatory=False,
        prefetch=MEETING_PREFETCH,
    )
    delivery.register_kind(
        "rsvp_pending",
        label=_("Your delegation has not answered an invitation"),
        render=_render(_("Your delegation has not answered yet"), link_of=_meeting_path),
        prefetch=MEETING_PREFETCH,
    )
    delivery.register_kind(
        "agenda_adopted",
        label=_("An agenda was adopted and its documents are available"),
        render=_render(_("The agenda was adopted"), link_of=_meeting_path),
        mandatory=False,
        prefetch=MEETING_PREFETCH,
    )
    delivery.register_kind(
        "minutes_awaiting_chair",
        label=_("Minutes wait for your approval"),
        render=_render(_("Minutes wait for your approval"), link_of=_minutes_path),
        prefetch=MINUTES_PREFETCH,
    )
    delivery.register_kind(
        "comment_window_closing",
        label=_("The comment window on minutes closes tomorrow"),
        render=_render(_("Comments on the minutes close tomorrow"), link_of=_minutes_path),
        mandatory=False,
        prefetch=MINUTES_PREFETCH,
    )
    # The people come from memberships (delegations, heads, the body's chair on the day).
    delivery.register_source(plan_meeting_reminders, watch=(Meeting, Delegation, Membership))
    delivery.register_source(plan_minutes_reminders, watch=(Minutes, Meeting, Delegation, Membership))
