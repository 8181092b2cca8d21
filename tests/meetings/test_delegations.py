"""Delegations answer for their own state; the secretariat records attendance; decisions per item."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from meetings import services
from meetings.models import Decision, DecisionKind, MeetingStatus, Participant, ParticipantRole, Purpose, Rsvp
from secretariat.models import Notification

from .conftest import make_meeting


def _delegation(meeting, code):
    return meeting.delegations.get(member_state__code=code)


def test_the_head_of_delegation_answers_for_its_state_naming_its_delegates(network, wgai_meeting):
    singapore = _delegation(wgai_meeting, "SGP")
    services.answer_rsvp(
        singapore, by=network.sgp, answer=Rsvp.ATTENDING, people=[network.sgp_delegate, network.sgp], note="Two"
    )
    singapore.refresh_from_db()
    assert singapore.rsvp == Rsvp.ATTENDING
    assert singapore.answered_by == network.sgp
    roles = {p.person: p.role for p in singapore.participants.all()}
    assert roles == {network.sgp: ParticipantRole.HEAD, network.sgp_delegate: ParticipantRole.DELEGATE}
    assert singapore.history.first().history_change_reason == "Singapore answered: Attending"


def test_a_delegate_of_the_state_may_answer_too_and_a_new_answer_replaces_the_old(network, wgai_meeting):
    singapore = _delegation(wgai_meeting, "SGP")
    services.answer_rsvp(singapore, by=network.sgp, answer=Rsvp.ATTENDING, people=[network.sgp])
    services.answer_rsvp(singapore, by=network.sgp_delegate, answer=Rsvp.NOT_ATTENDING)
    singapore.refresh_from_db()
    assert singapore.rsvp == Rsvp.NOT_ATTENDING
    assert not singapore.participants.exists()


def test_a_delegate_cannot_answer_for_another_state(network, wgai_meeting):
    singapore = _delegation(wgai_meeting, "SGP")
    with pytest.raises(PermissionDenied, match="You cannot answer for Singapore"):
        services.answer_rsvp(singapore, by=network.mmr, answer=Rsvp.NOT_ATTENDING)
    singapore.refresh_from_db()
    assert singapore.rsvp == Rsvp.PENDING


@pytest.mark.parametrize("who", ["officer", "chair", "observer", "outsider"])
def test_nobody_outside_the_delegation_answers_for_it(network, wgai_meeting, who):
    with pytest.raises(PermissionDenied):
        services.answer_rsvp(_delegation(wgai_meeting, "MMR"), by=getattr(network, who), answer=Rsvp.ATTENDING)


def test_an_attending_delegation_names_only_its_own_members(network, wgai_meeting):
    with pytest.raises(ValidationError, match="do not sit in the delegation of Singapore"):
        services.answer_rsvp(
            _delegation(wgai_meeting, "SGP"), by=network.sgp, answer=Rsvp.ATTENDING, people=[network.mmr]
        )
    with pytest.raises(ValidationError, match="at least one delegate"):
        services.answer_rsvp(_delegation(wgai_meeting, "SGP"), by=network.sgp, answer=Rsvp.ATTENDING)
    assert not Participant.objects.exists()


def test_a_meeting_that_is_over_or_cancelled_takes_no_answer(network, wgai_meeting):
    with (
        time_machine.travel(wgai_meeting.end + dt.timedelta(minutes=1)),
        pytest.raises(ValidationError, match="no longer takes answers"),
    ):
        services.answer_rsvp(_delegation(wgai_meeting, "MMR"), by=network.mmr, answer=Rsvp.NOT_ATTENDING)
    services.cancel_meeting(wgai_meeting, by=network.officer, reason="x")
    with pytest.raises(ValidationError, match="no longer takes answers"):
        services.answer_rsvp(_delegation(wgai_meeting, "MMR"), by=network.mmr, answer=Rsvp.NOT_ATTENDING)


def test_a_guest_is_invited_at_once_and_answers_for_itself(network, wgai_meeting):
    guest = services.invite_guest(wgai_meeting, by=network.officer, person=network.observer)
    assert Notification.objects.filter(kind="meeting_invitation", address="observer@example.org").exists()
    with pytest.raises(PermissionDenied):
        services.answer_guest_rsvp(guest, by=network.sgp, answer=Rsvp.ATTENDING)
    services.answer_guest_rsvp(guest, by=network.observer, answer=Rsvp.ATTENDING)
    guest.refresh_from_db()
    assert guest.rsvp == Rsvp.ATTENDING


def test_a_guest_is_invited_once(network, wgai_meeting):
    services.invite_guest(wgai_meeting, by=network.officer, person=network.observer)
    with pytest.raises(ValidationError, match="already on the list"):
        services.invite_guest(wgai_meeting, by=network.officer, person=network.observer)


def test_attendance_is_recorded_after_the_start_and_shows_who_was_absent(network, wgai_meeting):
    services.answer_rsvp(_delegation(wgai_meeting, "SGP"), by=network.sgp, answer=Rsvp.ATTENDING, people=[network.sgp])
    head = Participant.objects.get(person=network.sgp)
    singapore = _delegation(wgai_meeting, "SGP")
    with pytest.raises(ValidationError, match="once the meeting has started"):
        services.record_attendance(wgai_meeting, by=network.officer, present_states=[singapore.member_state_id])
    with time_machine.travel(wgai_meeting.start + dt.timedelta(hours=1)):
        services.record_attendance(
            wgai_meeting, by=network.officer, present_states=[singapore.member_state_id], present_people=[head.pk]
        )
    attended = {d.member_state.code: d.attended for d in wgai_meeting.delegations.all()}
    assert attended == {"MMR": False, "SGP": True}
    head.refresh_from_db()
    assert head.attended is True


def test_a_delegate_cannot_record_attendance(network, held):
    with pytest.raises(PermissionDenied):
        services.record_attendance(held, by=network.sgp, present_states=[])


# --- Decisions ------------------------------------------------------------------


@pytest.fixture
def item(network, held):
    return services.add_agenda_item(held, by=network.officer, title="Work plan", purpose=Purpose.ENDORSEMENT)


def test_a_decision_is_recorded_under_an_agenda_item(network, held, item):
    decision = services.record_decision(
        held, by=network.officer, agenda_item=item, kind=DecisionKind.ENDORSED, text="Endorsed the work plan."
    )
    assert list(held.decisions.all()) == [decision]
    assert decision.history.first().history_change_reason == "Decision recorded"


def test_no_decision_before_the_meeting_starts_nor_after_it_closes(network, scheduled, held, item):
    other_item = services.add_agenda_item(scheduled, by=network.officer, title="x", purpose=Purpose.NOTING)
    with pytest.raises(ValidationError, match="once the meeting has started"):
        services.record_decision(scheduled, by=network.officer, agenda_item=other_item, kind="noted", text="x")
    held.status = MeetingStatus.CLOSED
    held.save()
    with pytest.raises(ValidationError, match="until it is closed"):
        services.record_decision(held, by=network.officer, agenda_item=item, kind="noted", text="x")


def test_a_decision_needs_text_and_an_item_of_the_same_meeting(network, held, item):
    with pytest.raises(ValidationError, match="Write the decision"):
        services.record_decision(held, by=network.officer, agenda_item=item, kind="noted", text="   ")
    other = make_meeting(network.officer, network.adgsom, days=-10, status=MeetingStatus.HELD)
    with pytest.raises(ValidationError, match="another meeting"):
        services.record_decision(other, by=network.officer, agenda_item=item, kind="noted", text="x")
    assert not Decision.objects.exists()


def test_a_delegate_cannot_record_a_decision(network, held, item):
    with pytest.raises(PermissionDenied):
        services.record_decision(held, by=network.sgp, agenda_item=item, kind="noted", text="x")
