"""The derived reminder sources read their rows in a fixed number of queries, however many
meetings, minutes or circulations are due (not one query per record), and the comment
window's reminder of circulated minutes.

Each test plans for one record, then for three: the second sweep plans new rows too, so
both run every query of the source, and their counts must be equal.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meetings import services
from meetings.models import Meeting, Minutes
from meetings.reminder_sources import plan_meeting_reminders, plan_minutes_reminders
from secretariat.documents import services as documents
from secretariat.documents.models import Circulation, CirculationMode, CirculationRecipient
from secretariat.documents.reminders import plan_circulations
from secretariat.history import save_with_reason
from secretariat.models import Notification
from tests.documents.conftest import make_document

from .conftest import MINUTES, make_meeting

pytestmark = pytest.mark.usefixtures("files_in_tmp")


def _queries(source) -> tuple[int, int]:
    """How many queries one run of the source takes, and how many notifications it planned."""
    for model in (Meeting, Minutes, Circulation, CirculationRecipient):
        ContentType.objects.get_for_model(model)  # the process's first lookups are not the source's
    with CaptureQueriesContext(connection) as captured:
        planned = source(timezone.now()).planned
    return len(captured), planned


def _circulated_minutes(network, body, days: int) -> Minutes:
    meeting = make_meeting(network.officer, body, days=-5, status="held")
    services.create_minutes_version(meeting, by=network.officer, text=MINUTES)
    deadline = timezone.now() + dt.timedelta(days=days)
    return services.circulate_minutes(meeting.minutes, by=network.officer, deadline=deadline)


def test_members_of_the_invited_delegations_are_reminded_a_day_before_the_comment_window_closes(network, tuesday):
    minutes = _circulated_minutes(network, network.wgai, 3)
    closing = Notification.objects.filter(kind="comment_window_closing")
    tuesday.move_to(minutes.comment_deadline - dt.timedelta(hours=25))
    plan_minutes_reminders(timezone.now())
    assert not closing.exists()
    tuesday.move_to(minutes.comment_deadline - dt.timedelta(hours=23))
    plan_minutes_reminders(timezone.now())
    plan_minutes_reminders(timezone.now())  # twice: nothing more
    # The heads and delegates of the states invited; not the observer, who has no state.
    assert sorted(closing.values_list("recipient__email", flat=True)) == [
        "mmr@example.org",
        "sgp2@example.org",
        "sgp@example.org",
    ]
    assert set(closing.values_list("occurrence", flat=True)) == {f"{minutes.comment_deadline.isoformat()}:closing"}
    assert set(closing.values_list("status", flat=True)) == {"pending"}


def test_a_moved_comment_deadline_retires_the_reminder_of_the_old_one(network, tuesday):
    minutes = _circulated_minutes(network, network.wgai, 3)
    old_deadline = minutes.comment_deadline
    tuesday.move_to(old_deadline - dt.timedelta(hours=23))
    plan_minutes_reminders(timezone.now())
    minutes.comment_deadline = old_deadline + dt.timedelta(hours=12)
    save_with_reason(minutes, "Test set-up: the window was extended")
    plan_minutes_reminders(timezone.now())
    rows = Notification.objects.filter(kind="comment_window_closing")
    old = rows.filter(occurrence__startswith=old_deadline.isoformat())
    new = rows.filter(occurrence__startswith=minutes.comment_deadline.isoformat())
    assert list(old.values_list("status", flat=True)) == ["retired"] * 3
    assert not new.exists()  # 35 hours left: not yet
    tuesday.move_to(minutes.comment_deadline - dt.timedelta(hours=23))
    plan_minutes_reminders(timezone.now())
    assert list(new.values_list("status", flat=True)) == ["pending"] * 3


def test_minutes_submitted_to_the_chair_retire_the_reminder_of_their_closed_window(network, tuesday):
    minutes = _circulated_minutes(network, network.adgsom, 3)
    tuesday.move_to(minutes.comment_deadline - dt.timedelta(hours=23))
    plan_minutes_reminders(timezone.now())
    closing = Notification.objects.filter(kind="comment_window_closing")
    assert set(closing.values_list("status", flat=True)) == {"pending"}  # e.g. waiting for 09:00 local
    services.submit_minutes(minutes, by=network.officer)
    plan_minutes_reminders(timezone.now())
    assert set(closing.values_list("status", flat=True)) == {"retired"}


def test_minutes_approved_while_the_chairs_reminder_waits_retire_it(network, tuesday):
    held = make_meeting(network.officer, network.adgsom, days=-3, status="held")
    services.create_minutes_version(held, by=network.officer, text=MINUTES)
    minutes = services.submit_minutes(held.minutes, by=network.officer)
    tuesday.move_to(minutes.submitted_at + dt.timedelta(days=3))
    plan_minutes_reminders(timezone.now())
    waiting = Notification.objects.filter(kind="minutes_awaiting_chair")
    assert list(waiting.values_list("recipient__email", "status")) == [("chair@example.org", "pending")]
    services.approve_minutes(minutes, by=network.chair)
    plan_minutes_reminders(timezone.now())
    assert list(waiting.values_list("status", flat=True)) == ["retired"]


def test_the_meetings_source_reads_three_meetings_in_as_many_queries_as_one(network, tuesday):
    first = services.schedule_meeting(make_meeting(network.officer, network.wgai, days=20), by=network.officer)
    for body in (network.wgai, network.adgsom, network.wgai):
        services.schedule_meeting(make_meeting(network.officer, body, days=40), by=network.officer)
    # Both measured runs find reminders pending from an earlier run (the retiring step reads them).
    tuesday.move_to(first.start - dt.timedelta(days=9))
    plan_meeting_reminders(timezone.now())
    tuesday.move_to(first.start - dt.timedelta(days=6))  # the three others are 26 days away
    one, planned_one = _queries(plan_meeting_reminders)
    tuesday.move_to(first.start + dt.timedelta(days=14))  # the first is over, the three others 6 days away
    three, planned_three = _queries(plan_meeting_reminders)
    assert planned_one
    assert planned_three > planned_one
    assert one == three


def test_the_minutes_source_reads_three_closing_windows_in_as_many_queries_as_one(network, tuesday):
    earlier = _circulated_minutes(network, network.adgsom, 2)
    first = _circulated_minutes(network, network.wgai, 3)
    later = [_circulated_minutes(network, body, 6) for body in (network.wgai, network.adgsom, network.wgai)]
    # Both measured runs find reminders pending from an earlier run (the retiring step reads them).
    tuesday.move_to(earlier.comment_deadline - dt.timedelta(hours=23))
    plan_minutes_reminders(timezone.now())
    tuesday.move_to(first.comment_deadline - dt.timedelta(hours=23))
    one, planned_one = _queries(plan_minutes_reminders)
    tuesday.move_to(later[0].comment_deadline - dt.timedelta(hours=23))
    three, planned_three = _queries(plan_minutes_reminders)
    assert planned_one == 3
    assert planned_three == 7  # 3 in each WG-AI window, the ADGSOM's head of delegation
    assert one == three


def test_the_circulations_source_reads_three_closing_circulations_in_as_many_queries_as_one(network, tuesday):
    def circulate(hours: int) -> Circulation:
        document = make_document(network.officer, network.wgai)
        return documents.circulate_document(
            document.versions.get(),
            by=network.officer,
            mode=CirculationMode.SILENCE,
            deadline=timezone.now() + dt.timedelta(hours=hours),
            bodies=[network.wgai],
        )

    first = circulate(96)
    for _ in range(3):
        circulate(120)
    tuesday.move_to(first.deadline - dt.timedelta(hours=47))  # the others: 71 hours left
    one, planned_one = _queries(plan_circulations)
    tuesday.move_to(first.deadline - dt.timedelta(hours=23))  # the others: 47 hours left
    three, planned_three = _queries(plan_circulations)
    assert planned_one
    assert planned_three == 4 * planned_one  # the first's second reminder too
    assert one == three
