"""Every transition from every state, in random orders (hypothesis): a workflow
either moves along its graph, recording one history row, or refuses with a clear
ValidationError and changes nothing."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meetings import services as meetings
from meetings.models import MeetingStatus
from tests.meetings.conftest import make_meeting
from tests.workgroups.conftest import make_item
from workgroups import services as work
from workgroups.models import ActionItemStatus

RANDOM = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

MEETING_GRAPH = {
    "schedule": ({MeetingStatus.DRAFT}, MeetingStatus.SCHEDULED),
    "postpone": ({MeetingStatus.SCHEDULED, MeetingStatus.POSTPONED}, MeetingStatus.POSTPONED),
    # A draft may be cancelled too (it was never announced).
    "cancel": ({MeetingStatus.DRAFT, MeetingStatus.SCHEDULED, MeetingStatus.POSTPONED}, MeetingStatus.CANCELLED),
    "held": ({MeetingStatus.SCHEDULED, MeetingStatus.POSTPONED}, MeetingStatus.HELD),
    "close": ({MeetingStatus.HELD}, MeetingStatus.CLOSED),
}


def _meeting_step(meeting, step, by):
    if step == "schedule":
        return meetings.schedule_meeting(meeting, by=by)
    if step == "postpone":
        later = dt.timedelta(days=14)
        return meetings.postpone_meeting(
            meeting, by=by, start=meeting.start + later, end=meeting.end + later, reason="Venue"
        )
    if step == "cancel":
        return meetings.cancel_meeting(meeting, by=by, reason="No quorum")
    if step == "held":
        return meetings.mark_held(meeting, by=by)
    return meetings.close_meeting(meeting, by=by)


@RANDOM
@given(steps=st.lists(st.sampled_from(sorted(MEETING_GRAPH)), min_size=1, max_size=6))
def test_a_meeting_follows_its_workflow_whatever_the_order_of_requests(network, steps):
    meeting = make_meeting(network.officer, network.adgsom, days=-1 if "held" in steps[:1] else 10)
    for step in steps:
        meeting.refresh_from_db()
        before, rows = meeting.status, meeting.history.count()
        allowed_from, target = MEETING_GRAPH[step]
        try:
            _meeting_step(meeting, step, network.officer)
        except ValidationError as exc:
            messages = exc.messages
            assert messages
            meeting.refresh_from_db()
            assert meeting.status == before
            assert meeting.history.count() == rows
        else:
            assert before in allowed_from, f"{step} was accepted from {before}"
            meeting.refresh_from_db()
            assert meeting.status == target
            assert meeting.history.count() > rows


ITEM_GRAPH = {
    "start": ({ActionItemStatus.OPEN}, ActionItemStatus.IN_PROGRESS),
    "complete": ({ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS}, ActionItemStatus.DONE),
    "drop": ({ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS}, ActionItemStatus.DROPPED),
}


@RANDOM
@given(
    steps=st.lists(st.sampled_from(sorted(ITEM_GRAPH)), min_size=1, max_size=5),
    text=st.text(min_size=0, max_size=300),
)
def test_an_action_item_follows_its_workflow_with_any_note(network, steps, text):
    item = make_item(network.officer, network.wgai)
    for step in steps:
        item.refresh_from_db()
        before, rows = item.status, item.history.count()
        allowed_from, target = ITEM_GRAPH[step]
        try:
            if step == "start":
                work.start_action_item(item, by=network.officer, note=text)
            elif step == "complete":
                work.complete_action_item(item, by=network.officer, note=text)
            else:
                work.drop_action_item(item, by=network.officer, reason=text)
        except ValidationError as exc:
            messages = exc.messages
            assert messages
            item.refresh_from_db()
            assert item.status == before
            assert item.history.count() == rows
        else:
            assert before in allowed_from, f"{step} was accepted from {before}"
            item.refresh_from_db()
            assert item.status == target
