"""Meeting status: draft → scheduled → held → closed; scheduled → postponed or cancelled."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from meetings import services
from meetings.models import Meeting, MeetingStatus, MinutesStatus
from secretariat.history import save_with_reason
from secretariat.models import Notification, NotificationStatus

from .conftest import MINUTES, at, make_meeting


def _kinds(meeting: Meeting) -> list[tuple[str, str, str]]:
    rows = Notification.objects.filter(object_id=meeting.pk, kind__startswith="meeting_")
    return sorted((n.kind, n.address, n.occurrence) for n in rows.exclude(status=NotificationStatus.RETIRED))


# --- Creating ---------------------------------------------------------------


def test_secretariat_creates_drafts_numbered_in_order_per_body(network):
    first = make_meeting(network.officer, network.adgsom)
    second = make_meeting(network.officer, network.adgsom, days=40)
    other = make_meeting(network.officer, network.wgai)
    assert (first.number, first.title) == (1, "1st ADGSOM")
    assert (second.number, second.title) == (2, "2nd ADGSOM")
    assert (other.number, other.title) == (1, "1st WG-AI")
    assert first.status == MeetingStatus.DRAFT


def test_a_draft_invites_every_delegation_of_the_body(network):
    meeting = make_meeting(network.officer, network.wgai)
    assert sorted(d.member_state.code for d in meeting.delegations.all()) == ["MMR", "SGP"]


def test_number_and_title_can_be_given(network):
    meeting = make_meeting(network.officer, network.adgsom, number=6, title="6th ADGSOM (Special Session)")
    assert meeting.number == 6
    assert meeting.title == "6th ADGSOM (Special Session)"
    assert make_meeting(network.officer, network.adgsom, days=30).title == "7th ADGSOM"


def test_a_number_already_taken_is_refused(network):
    make_meeting(network.officer, network.adgsom, number=3)
    with pytest.raises(ValidationError, match="already has a meeting numbered 3"):
        make_meeting(network.officer, network.adgsom, number=3)


@pytest.mark.parametrize("who", ["chair", "sgp", "mmr", "observer", "outsider"])
def test_only_the_secretariat_creates_meetings(network, who):
    with pytest.raises(PermissionDenied):
        make_meeting(getattr(network, who), network.adgsom)
    assert not Meeting.objects.exists()


def test_a_meeting_that_ends_before_it_starts_is_refused(network):
    start = at(10)
    with pytest.raises(ValidationError) as exc:
        services.create_meeting(
            by=network.officer,
            body=network.adgsom,
            start=start,
            end=start - dt.timedelta(hours=1),
            time_zone="Asia/Kuala_Lumpur",
            venue="KLCC",
        )
    assert exc.value.message_dict["end"] == ["The meeting must end after it starts."]
    assert not Meeting.objects.exists()


def test_an_unknown_zone_is_refused(network):
    start = at(10)
    with pytest.raises(ValidationError) as exc:
        services.create_meeting(
            by=network.officer,
            body=network.adgsom,
            start=start,
            end=start + dt.timedelta(hours=2),
            time_zone="Asia/Atlantis",
            venue="KLCC",
        )
    assert "not a known time zone" in exc.value.message_dict["time_zone"][0]


def test_an_in_person_meeting_needs_a_venue(network):
    with pytest.raises(ValidationError, match="needs a venue"):
        make_meeting(network.officer, network.adgsom, venue="")
    assert make_meeting(network.officer, network.adgsom, venue="", format="virtual").venue == ""


# --- Scheduling ---------------------------------------------------------------


def test_scheduling_sends_invitations_to_the_delegations_and_the_chair(network, draft):
    services.schedule_meeting(draft, by=network.officer)
    draft.refresh_from_db()
    assert draft.status == MeetingStatus.SCHEDULED
    assert _kinds(draft) == [
        ("meeting_invitation", "chair@example.org", "seq0"),
        ("meeting_invitation", "sgp@example.org", "seq0"),
    ]
    assert draft.history.first().history_change_reason == "Scheduled; invitations sent"
    assert draft.history.first().history_user == network.officer


def test_a_scheduled_meeting_cannot_be_scheduled_again(network, scheduled):
    with pytest.raises(ValidationError, match="Only a draft can be scheduled; this meeting is scheduled"):
        services.schedule_meeting(scheduled, by=network.officer)


def test_a_meeting_whose_start_has_passed_cannot_be_scheduled(network):
    meeting = make_meeting(network.officer, network.adgsom, days=-1)
    with pytest.raises(ValidationError, match="start has passed"):
        services.schedule_meeting(meeting, by=network.officer)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.DRAFT


def test_a_delegate_cannot_schedule(network, draft):
    with pytest.raises(PermissionDenied):
        services.schedule_meeting(draft, by=network.sgp)


# --- Postponing, rescheduling, cancelling -----------------------------------------


def test_postponing_moves_the_meeting_later_raises_the_sequence_and_sends_an_update(network, scheduled):
    new_start = scheduled.start + dt.timedelta(days=14)
    services.postpone_meeting(
        scheduled, by=network.officer, start=new_start, end=new_start + dt.timedelta(hours=3), reason="Venue flooded"
    )
    scheduled.refresh_from_db()
    assert scheduled.status == MeetingStatus.POSTPONED
    assert scheduled.start == new_start
    assert scheduled.sequence == 1
    assert scheduled.status_note == "Venue flooded"
    assert _kinds(scheduled) == [
        ("meeting_update", "chair@example.org", "seq1"),
        ("meeting_update", "sgp@example.org", "seq1"),
    ]
    assert scheduled.history.first().history_change_reason.startswith("Postponed to ")


def test_a_postponement_must_move_the_meeting_later(network, scheduled):
    earlier = scheduled.start - dt.timedelta(days=2)
    with pytest.raises(ValidationError, match="moves the meeting later"):
        services.postpone_meeting(
            scheduled, by=network.officer, start=earlier, end=earlier + dt.timedelta(hours=1), reason="x"
        )


def test_a_postponement_needs_a_reason_and_changes_nothing_without_one(network, scheduled):
    later = scheduled.start + dt.timedelta(days=2)
    with pytest.raises(ValidationError, match="reason"):
        services.postpone_meeting(
            scheduled, by=network.officer, start=later, end=later + dt.timedelta(hours=1), reason="  "
        )
    scheduled.refresh_from_db()
    assert (scheduled.status, scheduled.sequence) == (MeetingStatus.SCHEDULED, 0)


def test_a_postponed_meeting_can_be_postponed_again(network, scheduled):
    for n in (1, 2):
        later = scheduled.start + dt.timedelta(days=7)
        services.postpone_meeting(
            scheduled, by=network.officer, start=later, end=later + dt.timedelta(hours=2), reason=f"Round {n}"
        )
    scheduled.refresh_from_db()
    assert scheduled.sequence == 2


def test_changing_the_time_of_a_scheduled_meeting_sends_an_update(network, scheduled):
    start = scheduled.start - dt.timedelta(hours=1)
    services.update_meeting(scheduled, by=network.officer, start=start, end=scheduled.end)
    scheduled.refresh_from_db()
    assert scheduled.sequence == 1
    assert {kind for kind, *_ in _kinds(scheduled)} == {"meeting_update"}


def test_changing_the_host_state_sends_no_calendar_update(network, scheduled):
    services.update_meeting(scheduled, by=network.officer, host_state=network.sgp.member_state)
    scheduled.refresh_from_db()
    assert scheduled.sequence == 0


def test_editing_a_draft_sends_nothing(network, draft):
    services.update_meeting(draft, by=network.officer, venue="Sasana Kijang, Kuala Lumpur")
    assert _kinds(draft) == []


def test_cancelling_announces_it_retires_unsent_invitations_and_raises_the_sequence(network, scheduled):
    services.cancel_meeting(scheduled, by=network.officer, reason="Superseded by the special session")
    scheduled.refresh_from_db()
    assert scheduled.status == MeetingStatus.CANCELLED
    assert scheduled.sequence == 1
    assert {kind for kind, *_ in _kinds(scheduled)} == {"meeting_cancelled"}
    retired = Notification.objects.filter(object_id=scheduled.pk, kind="meeting_invitation")
    assert {n.status for n in retired} == {NotificationStatus.RETIRED}


def test_cancelling_a_draft_tells_nobody(network, draft):
    services.cancel_meeting(draft, by=network.officer, reason="Not needed")
    assert _kinds(draft) == []


def test_a_cancelled_meeting_cannot_be_edited(network, scheduled):
    services.cancel_meeting(scheduled, by=network.officer, reason="x")
    with pytest.raises(ValidationError, match="cannot be edited"):
        services.update_meeting(scheduled, by=network.officer, venue="Elsewhere")


def test_the_dates_of_a_held_meeting_are_part_of_the_record(network, held):
    with pytest.raises(ValidationError, match="part of the record"):
        services.update_meeting(held, by=network.officer, start=held.start - dt.timedelta(hours=1))


# --- Held and closed -----------------------------------------------------------


def test_a_meeting_is_marked_held_once_it_has_started(network, scheduled):
    with pytest.raises(ValidationError, match="has not started"):
        services.mark_held(scheduled, by=network.officer)
    with time_machine.travel(scheduled.start + dt.timedelta(minutes=5)):
        services.mark_held(scheduled, by=network.officer)
    scheduled.refresh_from_db()
    assert scheduled.status == MeetingStatus.HELD


def test_a_held_meeting_closes_only_once_its_minutes_are_approved(network, held):
    with pytest.raises(ValidationError, match="minutes are approved"):
        services.close_meeting(held, by=network.officer)
    services.create_minutes_version(held, by=network.officer, text=MINUTES)
    services.submit_minutes(held.minutes, by=network.officer)
    services.approve_minutes(held.minutes, by=network.chair)
    services.close_meeting(held, by=network.officer)
    held.refresh_from_db()
    assert held.status == MeetingStatus.CLOSED
    assert held.minutes.status == MinutesStatus.APPROVED


INVALID = [
    (MeetingStatus.SCHEDULED, "schedule"),
    (MeetingStatus.POSTPONED, "schedule"),
    (MeetingStatus.CANCELLED, "schedule"),
    (MeetingStatus.HELD, "schedule"),
    (MeetingStatus.CLOSED, "schedule"),
    (MeetingStatus.DRAFT, "postpone"),
    (MeetingStatus.CANCELLED, "postpone"),
    (MeetingStatus.HELD, "postpone"),
    (MeetingStatus.CLOSED, "postpone"),
    (MeetingStatus.CANCELLED, "cancel"),
    (MeetingStatus.HELD, "cancel"),
    (MeetingStatus.CLOSED, "cancel"),
    (MeetingStatus.DRAFT, "mark_held"),
    (MeetingStatus.CANCELLED, "mark_held"),
    (MeetingStatus.HELD, "mark_held"),
    (MeetingStatus.CLOSED, "mark_held"),
    (MeetingStatus.DRAFT, "close"),
    (MeetingStatus.SCHEDULED, "close"),
    (MeetingStatus.POSTPONED, "close"),
    (MeetingStatus.CANCELLED, "close"),
    (MeetingStatus.CLOSED, "close"),
]


@pytest.mark.parametrize(("status", "action"), INVALID)
def test_an_invalid_transition_is_refused_with_a_message_and_changes_nothing(network, status, action):
    meeting = make_meeting(network.officer, network.adgsom, days=-1)
    meeting.status = status
    save_with_reason(meeting, "Test set-up")
    later = at(20)
    call = {
        "schedule": lambda: services.schedule_meeting(meeting, by=network.officer),
        "postpone": lambda: services.postpone_meeting(
            meeting, by=network.officer, start=later, end=later + dt.timedelta(hours=2), reason="x"
        ),
        "cancel": lambda: services.cancel_meeting(meeting, by=network.officer, reason="x"),
        "mark_held": lambda: services.mark_held(meeting, by=network.officer),
        "close": lambda: services.close_meeting(meeting, by=network.officer),
    }[action]
    with pytest.raises(ValidationError) as exc:
        call()
    assert str(MeetingStatus(status).label).lower() in exc.value.messages[0]
    meeting.refresh_from_db()
    assert meeting.status == status
    assert meeting.sequence == 0


# --- The chair --------------------------------------------------------------


def test_the_chair_is_the_bodys_chair_on_the_meetings_date(network, draft):
    assert draft.chair == network.chair


def test_a_meeting_may_name_its_own_chair(network):
    meeting = make_meeting(network.officer, network.adgsom, named_chair=network.sgp)
    assert meeting.chair == network.sgp


def test_a_body_without_a_chair_on_the_day_gives_no_chair(network):
    meeting = make_meeting(network.officer, network.wgai)
    assert meeting.chair is None
