"""Every change to a meeting goes through a function here.

Each is one transaction (`@service`), takes the actor as `by=`, checks the
transition and the permission, locks the row it changes where two people could
act at once, writes with a change reason, and plans its e-mails as notification
rows in the same transaction (the delivery sweep sends them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, ProtectedError, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from secretariat import delivery
from secretariat.history import save_with_reason, service
from secretariat.models import Body, Membership, MemberState, Role, User, validate_time_zone

from . import rules
from .markup import paragraph_count
from .models import (
    GOING_AHEAD,
    MINUTES_MAX_CHARS,
    AgendaItem,
    AgendaStatus,
    CalendarFeed,
    Decision,
    Delegation,
    Meeting,
    MeetingDocument,
    MeetingFormat,
    MeetingStatus,
    Minutes,
    MinutesComment,
    MinutesStatus,
    MinutesVersion,
    Participant,
    ParticipantRole,
    Rsvp,
    new_feed_token,
    ordinal,
    text_sha256,
)

# Fields whose change a calendar must hear about (a new SEQUENCE is sent).
CALENDAR_FIELDS = {"start", "end", "time_zone", "venue", "format", "video_link", "title"}
MEETING_FIELDS = {
    "title",
    "number",
    "format",
    "venue",
    "host_state",
    "video_link",
    "start",
    "end",
    "time_zone",
    "named_chair",
}


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValidationError(message)


def _manage(by: User) -> None:
    if not rules.can_manage_meetings(by):
        raise PermissionDenied(_("Only the secretariat can do this."))


def _lock(obj: Meeting | Minutes) -> None:
    """Re-read `obj` under a row lock: two people acting at once are serialised here."""
    obj.refresh_from_db(from_queryset=type(obj).objects.select_for_update())


def _when(moment: dt.datetime, zone: str) -> str:
    return formats.date_format(timezone.localtime(moment, timezone=_zone(zone)), "j F Y, H:i")


def _zone(name: str):
    import zoneinfo

    return zoneinfo.ZoneInfo(name)


# --- Recipients ------------------------------------------------------------------


def meeting_recipients(meeting: Meeting) -> list[User]:
    """Who hears about a meeting: its body's officers, the delegations invited, guests, the chair."""
    invited_states = meeting.delegations.values("member_state_id")
    members = (
        Membership.objects.current()
        .filter(body_id=meeting.body_id)
        .filter(
            Q(role__in=rules.DELEGATION_ROLES, member_state__in=invited_states)
            | Q(role__in=[Role.CHAIR, Role.VICE_CHAIR, Role.RAPPORTEUR])
        )
        .select_related("person")
    )
    people = {m.person for m in members}
    people |= {p.person for p in meeting.participants.filter(person__isnull=False).select_related("person")}
    if meeting.chair is not None:
        people.add(meeting.chair)
    return sorted((p for p in people if p.is_active), key=lambda p: p.email)


def _delegation_members(meeting: Meeting) -> list[User]:
    invited_states = meeting.delegations.values("member_state_id")
    members = (
        Membership.objects.current()
        .filter(body_id=meeting.body_id, role__in=rules.DELEGATION_ROLES, member_state__in=invited_states)
        .select_related("person")
    )
    return sorted({m.person for m in members if m.person.is_active}, key=lambda p: p.email)


def _announce(kind: str, meeting: Meeting, *, retire: Iterable[str] = ()) -> None:
    """Plan `kind` for every recipient, retiring what is still unsent of older kinds."""
    for old in retire:
        delivery.retire(old, meeting)
    for person in meeting_recipients(meeting):
        delivery.notify(kind, meeting, recipient=person, occurrence=f"seq{meeting.sequence}")


# --- Meetings -----------------------------------------------------------------------


def _validate_slot(start: dt.datetime | None, end: dt.datetime | None, time_zone: str) -> None:
    errors: dict[str, str] = {}
    try:
        validate_time_zone(time_zone)
    except ValidationError as exc:
        errors["time_zone"] = exc.messages[0]
    if start is None:
        errors["start"] = _("Give the start of the meeting.")
    if end is None:
        errors["end"] = _("Give the end of the meeting.")
    if start and end and end <= start:
        errors["end"] = _("The meeting must end after it starts.")
    if errors:
        raise ValidationError(errors)


def _validate_place(format: str, venue: str) -> None:
    if format in (MeetingFormat.IN_PERSON, MeetingFormat.HYBRID) and not venue.strip():
        raise ValidationError({"venue": _("An in-person or hybrid meeting needs a venue.")})


def _check_number(body: Body, number: int, meeting: Meeting | None = None) -> None:
    clash = Meeting.objects.filter(body=body, number=number)
    if meeting is not None and meeting.pk:
        clash = clash.exclude(pk=meeting.pk)
    if clash.exists():
        raise ValidationError(
            {"number": _("%(body)s already has a meeting numbered %(n)s.") % {"body": body.code, "n": number}}
        )


def _sync_delegations(meeting: Meeting) -> int:
    """Invite every member state that has a delegation in the body today; returns how many were added."""
    states = set(
        Membership.objects.current()
        .filter(body_id=meeting.body_id, role__in=rules.DELEGATION_ROLES, member_state__isnull=False)
        .values_list("member_state_id", flat=True)
    )
    have = set(meeting.delegations.values_list("member_state_id", flat=True))
    added = 0
    for state_id in sorted(states - have):
        save_with_reason(Delegation(meeting=meeting, member_state_id=state_id), "Delegation invited")
        added += 1
    return added


@service
def create_meeting(
    *,
    by: User,
    body: Body,
    start: dt.datetime,
    end: dt.datetime,
    time_zone: str,
    format: str = MeetingFormat.IN_PERSON,
    venue: str = "",
    host_state: MemberState | None = None,
    video_link: str = "",
    title: str = "",
    number: int | None = None,
    named_chair: User | None = None,
) -> Meeting:
    """Create a draft meeting, numbered after the body's last one, with its delegations."""
    _manage(by)
    _validate_slot(start, end, time_zone)
    _validate_place(format, venue)
    Body.objects.select_for_update().filter(pk=body.pk).first()  # one number per body at a time
    if number is None:
        number = (Meeting.objects.filter(body=body).aggregate(n=Max("number"))["n"] or 0) + 1
    _check_number(body, number)
    meeting = Meeting(
        body=body,
        number=number,
        title=title.strip() or f"{ordinal(number)} {body.code}",
        format=format,
        venue=venue,
        host_state=host_state,
        video_link=video_link,
        start=start,
        end=end,
        time_zone=time_zone,
        named_chair=named_chair,
    )
    save_with_reason(meeting, "Meeting created as a draft")
    _sync_delegations(meeting)
    return meeting


@service
def update_meeting(meeting: Meeting, *, by: User, **changes: object) -> Meeting:
    """Edit a meeting's details. A change of date or place on a scheduled meeting sends an update."""
    _manage(by)
    _lock(meeting)
    unknown = set(changes) - MEETING_FIELDS
    if unknown:
        raise TypeError(f"Not editable here: {sorted(unknown)}")
    _require(
        meeting.status not in (MeetingStatus.CANCELLED, MeetingStatus.CLOSED),
        _("A %(status)s meeting cannot be edited.") % {"status": meeting.get_status_display().lower()},
    )
    changed = {field for field, value in changes.items() if getattr(meeting, field) != value}
    if meeting.status == MeetingStatus.HELD and changed & {"start", "end", "time_zone"}:
        raise ValidationError(_("The meeting was held: its dates are part of the record and cannot change."))
    for field in changed:
        setattr(meeting, field, changes[field])
    _validate_slot(meeting.start, meeting.end, meeting.time_zone)
    _validate_place(meeting.format, meeting.venue)
    if "number" in changed:
        _check_number(meeting.body, meeting.number, meeting)
    if not changed:
        return meeting
    announce = meeting.is_going_ahead and bool(changed & CALENDAR_FIELDS)
    if announce:
        meeting.sequence += 1
    meeting.__dict__.pop("chair", None)
    save_with_reason(meeting, "Details changed: " + ", ".join(sorted(changed)))
    if announce:
        _announce("meeting_update", meeting, retire=["meeting_invitation", "meeting_update"])
    return meeting


@service
def schedule_meeting(meeting: Meeting, *, by: User) -> Meeting:
    """Draft → scheduled: the invitations (with an .ics) go out to every delegation."""
    _manage(by)
    _lock(meeting)
    _require(
        meeting.status == MeetingStatus.DRAFT,
        _("Only a draft can be scheduled; this meeting is %(status)s.")
        % {"status": meeting.get_status_display().lower()},
    )
    _require(meeting.start > timezone.now(), _("The meeting's start has passed: set a new date before scheduling."))
    _sync_delegations(meeting)
    _require(
        meeting.delegations.exists() or meeting.participants.exists(),
        _("Nobody would be invited: %(body)s has no delegation today.") % {"body": meeting.body.code},
    )
    meeting.status = MeetingStatus.SCHEDULED
    save_with_reason(meeting, "Scheduled; invitations sent")
    _announce("meeting_invitation", meeting)
    return meeting


@service
def postpone_meeting(meeting: Meeting, *, by: User, start: dt.datetime, end: dt.datetime, reason: str) -> Meeting:
    """Scheduled → postponed to a later date; calendars get the same event with a higher SEQUENCE."""
    _manage(by)
    _lock(meeting)
    _require(
        meeting.status in GOING_AHEAD,
        _("Only a scheduled meeting can be postponed; this one is %(status)s.")
        % {"status": meeting.get_status_display().lower()},
    )
    _validate_slot(start, end, meeting.time_zone)
    _require(
        start > meeting.start,
        _("A postponement moves the meeting later than %(when)s; to change the time otherwise, edit the meeting.")
        % {"when": _when(meeting.start, meeting.time_zone)},
    )
    _require(start > timezone.now(), _("The new date has passed already."))
    _require(bool(reason.strip()), _("Give the reason for the postponement; delegations will read it."))
    meeting.start, meeting.end = start, end
    meeting.status = MeetingStatus.POSTPONED
    meeting.status_note = reason.strip()
    meeting.sequence += 1
    meeting.__dict__.pop("chair", None)
    save_with_reason(meeting, f"Postponed to {_when(start, meeting.time_zone)}: {reason.strip()}")
    _announce("meeting_update", meeting, retire=["meeting_invitation", "meeting_update"])
    return meeting


@service
def cancel_meeting(meeting: Meeting, *, by: User, reason: str) -> Meeting:
    """Draft, scheduled or postponed → cancelled; calendars get METHOD:CANCEL for the same UID."""
    _manage(by)
    _lock(meeting)
    _require(
        meeting.status in (MeetingStatus.DRAFT, *GOING_AHEAD),
        _("A %(status)s meeting cannot be cancelled.") % {"status": meeting.get_status_display().lower()},
    )
    _require(bool(reason.strip()), _("Give the reason for the cancellation; delegations will read it."))
    was_announced = meeting.is_going_ahead
    meeting.status = MeetingStatus.CANCELLED
    meeting.status_note = reason.strip()
    meeting.sequence += 1
    save_with_reason(meeting, f"Cancelled: {reason.strip()}")
    if was_announced:
        _announce("meeting_cancelled", meeting, retire=["meeting_invitation", "meeting_update"])
    return meeting


@service
def mark_held(meeting: Meeting, *, by: User) -> Meeting:
    _manage(by)
    _lock(meeting)
    _require(
        meeting.status in GOING_AHEAD,
        _("Only a scheduled meeting can be marked as held; this one is %(status)s.")
        % {"status": meeting.get_status_display().lower()},
    )
    _require(meeting.has_started, _("The meeting has not started yet."))
    meeting.status = MeetingStatus.HELD
    save_with_reason(meeting, "Marked as held")
    return meeting


@service
def close_meeting(meeting: Meeting, *, by: User) -> Meeting:
    """Held → closed, once the minutes are approved: the record is complete."""
    _manage(by)
    _lock(meeting)
    _require(
        meeting.status == MeetingStatus.HELD,
        _("Only a held meeting can be closed; this one is %(status)s.")
        % {"status": meeting.get_status_display().lower()},
    )
    minutes = Minutes.objects.filter(meeting=meeting).first()
    _require(
        minutes is not None and minutes.status == MinutesStatus.APPROVED,
        _("Close the meeting once its minutes are approved."),
    )
    meeting.status = MeetingStatus.CLOSED
    save_with_reason(meeting, "Closed")
    return meeting


@service
def invite_guest(meeting: Meeting, *, by: User, person: User, designation: str = "") -> Participant:
    """Invite a person by name (an observer, an expert); a scheduled meeting's invitation goes at once."""
    _manage(by)
    _require(
        meeting.status in (MeetingStatus.DRAFT, *GOING_AHEAD),
        _("Guests are invited before the meeting takes place."),
    )
    _require(
        not meeting.participants.filter(person=person).exists(),
        _("%(person)s is already on the list of this meeting.") % {"person": person},
    )
    guest = Participant(
        meeting=meeting, person=person, role=ParticipantRole.GUEST, designation=designation or person.organisation
    )
    save_with_reason(guest, "Invited by name")
    if meeting.is_going_ahead:
        delivery.notify("meeting_invitation", meeting, recipient=person, occurrence=f"seq{meeting.sequence}")
    return guest


@service
def remove_guest(guest: Participant, *, by: User) -> None:
    _manage(by)
    _require(guest.is_guest, _("Only a guest invited by name can be removed here."))
    _require(guest.meeting.status in (MeetingStatus.DRAFT, *GOING_AHEAD), _("The meeting has taken place."))
    guest._change_reason = "Invitation withdrawn"
    guest.delete()


# --- Delegations and attendance -------------------------------------------------


@service
def answer_rsvp(
    delegation: Delegation,
    *,
    by: User,
    answer: str,
    people: Iterable[User] = (),
    note: str = "",
) -> Delegation:
    """A delegation answers for its state: attending (naming its delegates) or not attending."""
    meeting = delegation.meeting
    if not rules.can_answer_for(by, delegation):
        raise PermissionDenied(
            _("You cannot answer for %(state)s: only its head of delegation or its delegates can.")
            % {"state": delegation.member_state}
        )
    _require(
        meeting.accepts_rsvp,
        _("This meeting no longer takes answers (it is %(status)s or over).")
        % {"status": meeting.get_status_display().lower()},
    )
    _require(answer in (Rsvp.ATTENDING, Rsvp.NOT_ATTENDING), _("Answer attending or not attending."))
    people = list(people)
    roles = {
        m.person_id: m.role
        for m in Membership.objects.current().filter(
            body_id=meeting.body_id, member_state_id=delegation.member_state_id, role__in=rules.DELEGATION_ROLES
        )
    }
    strangers = [p for p in people if p.pk not in roles]
    if strangers:
        raise ValidationError(
            {
                "people": _("%(names)s do not sit in the delegation of %(state)s.")
                % {"names": ", ".join(str(p) for p in strangers), "state": delegation.member_state}
            }
        )
    if answer == Rsvp.ATTENDING and not people:
        raise ValidationError({"people": _("Name at least one delegate who will attend.")})
    for old in delegation.participants.all():
        old._change_reason = "Replaced by the delegation's new answer"
        old.delete()
    if answer == Rsvp.ATTENDING:
        for person in people:
            role = ParticipantRole.HEAD if roles[person.pk] == Role.HEAD else ParticipantRole.DELEGATE
            participant = Participant(
                meeting=meeting,
                delegation=delegation,
                person=person,
                role=role,
                rsvp=Rsvp.ATTENDING,
                designation=person.organisation,
            )
            save_with_reason(participant, f"Named by {delegation.member_state}")
    delegation.rsvp = answer
    delegation.rsvp_note = note.strip()[:500]
    delegation.answered_at = timezone.now()
    delegation.answered_by = by
    save_with_reason(delegation, f"{delegation.member_state} answered: {Rsvp(answer).label}")
    return delegation


@service
def answer_guest_rsvp(guest: Participant, *, by: User, answer: str) -> Participant:
    if guest.person_id != by.pk:
        raise PermissionDenied(_("Guests answer for themselves only."))
    _require(guest.meeting.accepts_rsvp, _("This meeting no longer takes answers."))
    _require(answer in (Rsvp.ATTENDING, Rsvp.NOT_ATTENDING), _("Answer attending or not attending."))
    guest.rsvp = answer
    save_with_reason(guest, f"Answered: {Rsvp(answer).label}")
    return guest


@service
def record_attendance(
    meeting: Meeting,
    *,
    by: User,
    present_states: Iterable[int],
    present_people: Iterable[int] = (),
) -> Meeting:
    """After the meeting, the secretariat records which delegations and people attended."""
    _manage(by)
    _require(
        meeting.status == MeetingStatus.HELD or (meeting.is_going_ahead and meeting.has_started),
        _("Attendance is recorded once the meeting has started."),
    )
    present_states, present_people = set(present_states), set(present_people)
    for delegation in meeting.delegations.all():
        attended = delegation.member_state_id in present_states
        if delegation.attended is not attended:
            delegation.attended = attended
            save_with_reason(delegation, "Attendance recorded")
    for participant in meeting.participants.select_related("delegation"):
        attended = participant.pk in present_people and (
            participant.delegation is None or participant.delegation.member_state_id in present_states
        )
        if participant.attended is not attended:
            participant.attended = attended
            save_with_reason(participant, "Attendance recorded")
    return meeting


@service
def add_participant(
    meeting: Meeting, *, by: User, delegation: Delegation, name: str, designation: str = ""
) -> Participant:
    """Add a delegate without an account (an adviser) to a delegation's list."""
    _manage(by)
    _require(delegation.meeting_id == meeting.pk, _("This delegation is not invited to this meeting."))
    _require(bool(name.strip()), _("Give the participant's name."))
    participant = Participant(
        meeting=meeting, delegation=delegation, name=name.strip(), designation=designation.strip(), rsvp=Rsvp.ATTENDING
    )
    save_with_reason(participant, "Added to the list of participants")
    return participant


# --- Agenda -----------------------------------------------------------------


def _agenda_open(meeting: Meeting) -> None:
    _require(
        meeting.status not in (MeetingStatus.CANCELLED, MeetingStatus.CLOSED),
        _("The agenda of a %(status)s meeting cannot change.") % {"status": meeting.get_status_display().lower()},
    )


def _agenda_reason(meeting: Meeting, text: str) -> str:
    return f"{text} after the agenda was adopted" if meeting.agenda_status == AgendaStatus.ADOPTED else text


def _check_parent(meeting: Meeting, parent: AgendaItem | None, item: AgendaItem | None = None) -> None:
    if parent is None:
        return
    _require(parent.meeting_id == meeting.pk, _("The parent item belongs to another meeting."))
    _require(parent.parent_id is None, _("Sub-items go one level deep: choose a top-level item."))
    if item is not None:
        _require(parent.pk != item.pk, _("An item cannot sit under itself."))
        _require(not item.children.exists(), _("An item with sub-items stays at the top level."))


@service
def add_agenda_item(
    meeting: Meeting,
    *,
    by: User,
    title: str,
    purpose: str,
    parent: AgendaItem | None = None,
    presenter_state: MemberState | None = None,
    presenter_person: User | None = None,
    notes: str = "",
    outcome: str = "",
) -> AgendaItem:
    _manage(by)
    _agenda_open(meeting)
    _require(bool(title.strip()), _("Give the item a title."))
    _check_parent(meeting, parent)
    last = meeting.agenda_items.filter(parent=parent).aggregate(p=Max("position"))["p"]
    item = AgendaItem(
        meeting=meeting,
        parent=parent,
        position=0 if last is None else last + 1,
        title=title.strip(),
        purpose=purpose,
        presenter_state=presenter_state,
        presenter_person=presenter_person,
        notes=notes,
        outcome=outcome,
    )
    save_with_reason(item, _agenda_reason(meeting, "Item added"))
    return item


@service
def update_agenda_item(item: AgendaItem, *, by: User, **changes: object) -> AgendaItem:
    _manage(by)
    meeting = item.meeting
    _agenda_open(meeting)
    if "parent" in changes and changes["parent"] != item.parent:
        _check_parent(meeting, changes["parent"], item)  # type: ignore[arg-type]
        last = meeting.agenda_items.filter(parent=changes["parent"]).aggregate(p=Max("position"))["p"]
        item.position = 0 if last is None else last + 1
    for field, value in changes.items():
        setattr(item, field, value)
    _require(bool(item.title.strip()), _("Give the item a title."))
    save_with_reason(item, _agenda_reason(meeting, "Item changed"))
    return item


@service
def delete_agenda_item(item: AgendaItem, *, by: User) -> None:
    _manage(by)
    meeting = item.meeting
    _agenda_open(meeting)
    _require(
        not Decision.objects.filter(Q(agenda_item=item) | Q(agenda_item__parent=item)).exists(),
        _("Decisions were recorded under this item: it stays on the agenda."),
    )
    for child in item.children.all():
        child._change_reason = _agenda_reason(meeting, "Removed with its parent item")
        _delete_unreferenced(child)
    item._change_reason = _agenda_reason(meeting, "Item removed")
    _delete_unreferenced(item)


def _delete_unreferenced(item: AgendaItem) -> None:
    """Delete an agenda item, or refuse with a message naming what still refers to it.

    Records of later apps (action items, linked documents) protect the item; this
    module does not know them by name, so it reads them from the protection error.
    """
    try:
        item.delete()
    except ProtectedError as error:
        kinds = sorted({str(obj._meta.verbose_name_plural) for obj in error.protected_objects})
        raise ValidationError(
            _("“%(title)s” is referred to by %(kinds)s: move or unlink them first; nothing was removed.")
            % {"title": item.title, "kinds": ", ".join(kinds)}
        ) from error


@service
def move_agenda_item(item: AgendaItem, *, by: User, direction: str) -> AgendaItem:
    """Swap an item with its neighbour among its siblings ("up" or "down")."""
    _manage(by)
    meeting = item.meeting
    _agenda_open(meeting)
    Meeting.objects.select_for_update().filter(pk=meeting.pk).first()  # one reorder at a time
    _require(direction in ("up", "down"), _("Move an item up or down."))
    siblings = list(meeting.agenda_items.filter(parent_id=item.parent_id).order_by("position", "pk"))
    index = next(i for i, s in enumerate(siblings) if s.pk == item.pk)
    other = index - 1 if direction == "up" else index + 1
    _require(
        0 <= other < len(siblings),
        _("“%(title)s” is already %(where)s.")
        % {"title": item.title, "where": _("first") if direction == "up" else _("last")},
    )
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            sibling.position = position
            save_with_reason(sibling, _agenda_reason(meeting, "Agenda reordered"))
    item.position = siblings.index(next(s for s in siblings if s.pk == item.pk))
    return item


@service
def adopt_agenda(meeting: Meeting, *, by: User) -> Meeting:
    if not rules.can_adopt_agenda(by, meeting):
        raise PermissionDenied(_("Only the chair or the secretariat adopts the agenda."))
    _lock(meeting)
    _agenda_open(meeting)
    _require(meeting.agenda_status == AgendaStatus.DRAFT, _("The agenda was adopted already."))
    _require(meeting.agenda_items.exists(), _("The agenda has no item yet."))
    meeting.agenda_status = AgendaStatus.ADOPTED
    meeting.agenda_adopted_at = timezone.now()
    meeting.agenda_adopted_by = by
    save_with_reason(meeting, "Agenda adopted")
    return meeting


# --- Decisions --------------------------------------------------------------


def _decisions_open(meeting: Meeting) -> None:
    _require(
        meeting.status == MeetingStatus.HELD or (meeting.is_going_ahead and meeting.has_started),
        _("Decisions are recorded once the meeting has started and until it is closed."),
    )


def _decision_text(text: str) -> str:
    text = text.strip()
    _require(bool(text), _("Write the decision."))
    _require(len(text) <= 5000, _("A decision is at most 5,000 characters."))
    return text


@service
def record_decision(meeting: Meeting, *, by: User, agenda_item: AgendaItem, kind: str, text: str) -> Decision:
    _manage(by)
    _decisions_open(meeting)
    _require(agenda_item.meeting_id == meeting.pk, _("This agenda item belongs to another meeting."))
    decision = Decision(meeting=meeting, agenda_item=agenda_item, kind=kind, text=_decision_text(text), recorded_by=by)
    save_with_reason(decision, "Decision recorded")
    return decision


@service
def update_decision(decision: Decision, *, by: User, kind: str, text: str) -> Decision:
    _manage(by)
    _decisions_open(decision.meeting)
    decision.kind = kind
    decision.text = _decision_text(text)
    save_with_reason(decision, "Decision corrected")
    return decision


# --- Minutes ------------------------------------------------------------------


def _minutes_text(text: str) -> str:
    _require(bool(text.strip()), _("The minutes are empty."))
    _require(
        len(text) <= MINUTES_MAX_CHARS,
        _("The minutes are %(n)s characters long; the limit is %(max)s. Split annexes into documents.")
        % {"n": f"{len(text):,}", "max": f"{MINUTES_MAX_CHARS:,}"},
    )
    return text.replace("\r\n", "\n")


def latest_version(minutes: Minutes) -> MinutesVersion | None:
    return minutes.versions.order_by("-number").first()


@service
def create_minutes_version(meeting: Meeting, *, by: User, text: str) -> MinutesVersion:
    """Start the minutes (Rev.1) or a new revision: after comments, a return, or as a correction."""
    _manage(by)
    _require(
        meeting.status in (MeetingStatus.HELD, MeetingStatus.CLOSED),
        _("Minutes are drafted once the meeting has been held."),
    )
    text = _minutes_text(text)
    minutes, _created = Minutes.objects.get_or_create(meeting=meeting)
    _lock(minutes)
    latest = latest_version(minutes)
    _require(
        minutes.status != MinutesStatus.SUBMITTED,
        _("%(rev)s is with the chair: wait until it is approved or returned.")
        % {"rev": latest.label if latest else ""},
    )
    _require(
        latest is None or latest.is_locked,
        _("%(rev)s is still a draft: edit it instead of starting a new version.")
        % {"rev": latest.label if latest else ""},
    )
    version = MinutesVersion(minutes=minutes, number=(latest.number + 1) if latest else 1, text=text, created_by=by)
    save_with_reason(version, "Draft started" if latest is None else f"New version after {latest.label}")
    if minutes.status != MinutesStatus.DRAFT:
        reason = {
            MinutesStatus.CIRCULATED: "Circulation closed by a new version",
            MinutesStatus.APPROVED: f"Correction of the approved {latest.label if latest else ''}",
        }[MinutesStatus(minutes.status)]
        minutes.status = MinutesStatus.DRAFT
        save_with_reason(minutes, reason)
    return version


@service
def edit_minutes_version(version: MinutesVersion, *, by: User, text: str) -> MinutesVersion:
    _manage(by)
    _lock(version.minutes)
    version = MinutesVersion.objects.get(pk=version.pk)  # as stored now, not as the caller saw it
    latest = latest_version(version.minutes)
    _require(latest is not None and latest.pk == version.pk, _("Only the latest version can be edited."))
    if version.is_approved:
        raise ValidationError(
            _("%(rev)s was approved and is frozen; a correction is a new version.") % {"rev": version.label}
        )
    _require(
        not version.is_locked,
        _("%(rev)s has been circulated or submitted; changes go in a new version.") % {"rev": version.label},
    )
    version.text = _minutes_text(text)
    save_with_reason(version, "Draft edited")
    return version


@service
def circulate_minutes(minutes: Minutes, *, by: User, deadline: dt.datetime) -> Minutes:
    """Draft → circulated to the delegations for comments by `deadline`."""
    _manage(by)
    _lock(minutes)
    _require(
        minutes.status == MinutesStatus.DRAFT,
        _("Only draft minutes can be circulated; these are %(status)s.")
        % {"status": minutes.get_status_display().lower()},
    )
    version = latest_version(minutes)
    _require(version is not None, _("There is no version to circulate."))
    _require(not version.is_locked, _("%(rev)s went out already; start a new version.") % {"rev": version.label})
    _require(deadline > timezone.now(), _("The deadline for comments must be in the future."))
    now = timezone.now()
    version.circulated_at = now
    save_with_reason(version, "Circulated for comments")
    minutes.status = MinutesStatus.CIRCULATED
    minutes.comment_deadline = deadline
    save_with_reason(minutes, f"{version.label} circulated for comments")
    for person in _delegation_members(minutes.meeting):
        delivery.notify("minutes_circulated", version, recipient=person)
    return minutes


@service
def comment_on_minutes(
    minutes: Minutes, *, by: User, member_state: MemberState, text: str, paragraph: int | None = None
) -> MinutesComment:
    """A delegation comments on the circulated version, on the whole or on one paragraph."""
    if member_state.pk not in rules.comment_states(by, minutes):
        raise PermissionDenied(
            _("You cannot comment for %(state)s: only its head of delegation or its delegates can.")
            % {"state": member_state}
        )
    _require(minutes.status == MinutesStatus.CIRCULATED, _("The minutes are not open for comments."))
    _require(minutes.comments_open, _("The deadline for comments has passed."))
    version = minutes.versions.filter(circulated_at__isnull=False).order_by("-number").first()
    text = text.strip()
    _require(bool(text), _("Write a comment."))
    _require(len(text) <= 5000, _("A comment is at most 5,000 characters."))
    if paragraph is not None:
        count = paragraph_count(version.text)
        _require(
            1 <= paragraph <= count,
            _("There is no paragraph %(n)s: %(rev)s has %(count)s.")
            % {"n": paragraph, "rev": version.label, "count": count},
        )
    comment = MinutesComment(version=version, member_state=member_state, author=by, paragraph=paragraph, text=text)
    save_with_reason(comment, f"Comment by {member_state}")
    return comment


@service
def submit_minutes(minutes: Minutes, *, by: User) -> Minutes:
    """Draft or circulated → submitted to the chair for approval."""
    _manage(by)
    _lock(minutes)
    _require(
        minutes.status in (MinutesStatus.DRAFT, MinutesStatus.CIRCULATED),
        _("These minutes are %(status)s; they cannot be submitted now.")
        % {"status": minutes.get_status_display().lower()},
    )
    version = latest_version(minutes)
    _require(version is not None, _("There is no version to submit."))
    _require(not version.is_approved, _("%(rev)s is approved already.") % {"rev": version.label})
    chair = minutes.meeting.chair
    _require(
        chair is not None,
        _("%(body)s had no chair on the meeting's date: name the meeting's chair before submitting.")
        % {"body": minutes.meeting.body.code},
    )
    now = timezone.now()
    version.submitted_at = now
    save_with_reason(version, "Submitted to the chair")
    minutes.status = MinutesStatus.SUBMITTED
    minutes.submitted_at = now
    minutes.submitted_by = by
    save_with_reason(minutes, f"{version.label} submitted to {chair}")
    delivery.notify("minutes_submitted", version, recipient=chair, occurrence=f"at{now:%Y%m%d%H%M%S%f}")
    return minutes


def _decided_already(minutes: Minutes) -> str:
    version = latest_version(minutes)
    if minutes.status == MinutesStatus.APPROVED and version is not None and version.approved_at:
        return _("These minutes were approved already (%(rev)s, by %(who)s on %(when)s); nothing was changed.") % {
            "rev": version.label,
            "who": version.approved_by,
            "when": _when(version.approved_at, minutes.meeting.time_zone),
        }
    return _("These minutes are no longer waiting for the chair (they are %(status)s); nothing was changed.") % {
        "status": minutes.get_status_display().lower()
    }


@service
def approve_minutes(minutes: Minutes, *, by: User) -> MinutesVersion:
    """Submitted → approved by the chair: the version is frozen and sealed with its SHA-256.

    The minutes row is locked and its status re-read, so of two approvals racing
    exactly one wins; the other is told it came second.
    """
    if not rules.can_decide_on_minutes(by, minutes.meeting):
        raise PermissionDenied(_("Only the chair of this meeting approves its minutes."))
    _lock(minutes)
    _require(minutes.status == MinutesStatus.SUBMITTED, _decided_already(minutes))
    version = latest_version(minutes)
    now = timezone.now()
    version.approved_at = now
    version.approved_by = by
    version.sha256 = text_sha256(version.text)
    save_with_reason(version, f"Approved by the chair; SHA-256 {version.sha256}")
    minutes.status = MinutesStatus.APPROVED
    save_with_reason(minutes, f"{version.label} approved by {by}")
    if minutes.submitted_by_id:
        delivery.notify("minutes_approved", version, recipient=minutes.submitted_by)
    return version


@service
def return_minutes(minutes: Minutes, *, by: User, comments: str) -> MinutesVersion:
    """Submitted → back to draft, with the chair's comments."""
    if not rules.can_decide_on_minutes(by, minutes.meeting):
        raise PermissionDenied(_("Only the chair of this meeting returns its minutes."))
    _lock(minutes)
    _require(minutes.status == MinutesStatus.SUBMITTED, _decided_already(minutes))
    comments = comments.strip()
    _require(bool(comments), _("Say what should change: the secretariat reads your comments."))
    _require(len(comments) <= 5000, _("Comments are at most 5,000 characters."))
    version = latest_version(minutes)
    now = timezone.now()
    version.returned_at = now
    version.return_comments = comments
    save_with_reason(version, "Returned by the chair with comments")
    minutes.status = MinutesStatus.DRAFT
    save_with_reason(minutes, f"{version.label} returned by {by}")
    if minutes.submitted_by_id:
        delivery.notify(
            "minutes_returned", version, recipient=minutes.submitted_by, occurrence=f"at{now:%Y%m%d%H%M%S%f}"
        )
    return version


# --- Calendar feed ------------------------------------------------------------


@service
def enable_calendar_feed(*, by: User) -> CalendarFeed:
    """Give `by` a secret feed address, or a fresh one if the old was revoked."""
    feed = CalendarFeed.objects.filter(user=by).first()
    if feed is None:
        feed = CalendarFeed(user=by)
        save_with_reason(feed, "Calendar feed created")
    elif not feed.is_active:
        feed.token = new_feed_token()
        feed.revoked_at = None
        feed.created_at = timezone.now()
        save_with_reason(feed, "Calendar feed created with a new address")
    return feed


@service
def revoke_calendar_feed(*, by: User) -> CalendarFeed | None:
    """Kill the feed address at once; calendars that use it stop updating."""
    feed = CalendarFeed.objects.filter(user=by, revoked_at__isnull=True).first()
    if feed is None:
        return None
    feed.revoked_at = timezone.now()
    feed.token = new_feed_token()  # the old address can never come back
    save_with_reason(feed, "Calendar feed revoked")
    return feed


# --- Documents on the agenda ----------------------------------------------------------


@service
def link_document(meeting: Meeting, *, by: User, document, agenda_item: AgendaItem | None = None) -> MeetingDocument:
    """Put a document of the register on the meeting's agenda (under an item, or for the whole meeting)."""
    _manage(by)
    if agenda_item is not None and agenda_item.meeting_id != meeting.pk:
        raise ValidationError({"agenda_item": _("Choose an item of this meeting's agenda.")})
    existing = MeetingDocument.objects.filter(meeting=meeting, agenda_item=agenda_item, document=document)
    if existing.exists():
        raise ValidationError({"document": _("%(symbol)s is already linked there.") % {"symbol": document.symbol}})
    link = MeetingDocument(meeting=meeting, agenda_item=agenda_item, document=document, added_by=by)
    where = f"item “{agenda_item.title}”" if agenda_item else "the meeting"
    save_with_reason(link, f"{document.symbol} linked to {where}")
    return link


@service
def unlink_document(link: MeetingDocument, *, by: User) -> None:
    _manage(by)
    link._change_reason = f"{link.document.symbol} unlinked"
    link.delete()
