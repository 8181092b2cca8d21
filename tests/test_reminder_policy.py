"""Issue 6's table of reminder policies (settings.REMINDERS): its defaults, and the check
that refuses a malformed one at start-up rather than in a sweep."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from secretariat import reminder_policy

DAY = dt.timedelta(days=1)


def test_the_defaults_are_the_issues_policies():
    assert reminder_policy.before("meeting_upcoming") == [7 * DAY, DAY]
    assert reminder_policy.before("rsvp_pending") == [10 * DAY]
    assert reminder_policy.before("action_item_due") == [3 * DAY, dt.timedelta(0)]
    assert reminder_policy.every("action_item_overdue") == 7 * DAY
    assert reminder_policy.escalate_after("action_item_overdue") == 2
    assert reminder_policy.before("circulation_deadline") == [2 * DAY, DAY]
    assert reminder_policy.after("minutes_awaiting_chair") == 3 * DAY
    assert reminder_policy.every("minutes_awaiting_chair") == 7 * DAY
    assert reminder_policy.before("comment_window_closing") == [DAY]
    assert reminder_policy.check_reminders() == []


def test_leads_come_longest_first_whatever_the_order_given(settings):
    settings.REMINDERS = {**settings.REMINDERS, "meeting_upcoming": {"before": [DAY, 14 * DAY, 7 * DAY, DAY]}}
    assert reminder_policy.before("meeting_upcoming") == [14 * DAY, 7 * DAY, DAY]


@pytest.mark.parametrize(
    ("lead", "label"),
    [(7 * DAY, "7d"), (dt.timedelta(0), "0d"), (dt.timedelta(hours=48), "2d"), (dt.timedelta(hours=36), "36h")],
)
def test_a_lead_is_named_in_the_largest_whole_unit(lead, label):
    assert reminder_policy.label(lead) == label


@pytest.mark.parametrize(
    ("kind", "entry", "problem"),
    [
        ("action_item_due", None, "REMINDERS['action_item_due'] is missing"),
        ("action_item_due", {"before": []}, "must be a non-empty list of timedeltas"),
        ("action_item_due", {"before": [dt.timedelta(hours=36)]}, "this kind counts in whole days"),
        ("meeting_upcoming", {"before": [7]}, "moments are timedeltas of zero or more"),
        ("meeting_upcoming", {"before": [-DAY]}, "moments are timedeltas of zero or more"),
        ("rsvp_pending", {"before": [10 * DAY, 5 * DAY]}, "takes one lead"),
        ("action_item_overdue", {"every": 7 * DAY, "until": 60 * DAY}, "needs 'escalate_after'"),
        ("action_item_overdue", {"every": dt.timedelta(0), "escalate_after": 2, "until": DAY}, "longer than zero"),
        ("action_item_overdue", {"every": DAY, "escalate_after": -1, "until": DAY}, "a count of reminders"),
        ("minutes_awaiting_chair", {"after": 3 * DAY}, "needs 'every'"),
    ],
)
def test_a_malformed_table_stops_start_up_naming_the_entry(settings, kind, entry, problem):
    table = {**settings.REMINDERS, kind: entry}
    if entry is None:
        del table[kind]
    settings.REMINDERS = table
    errors = reminder_policy.check_reminders()
    assert [e.id for e in errors] == ["secretariat.E010"]
    assert problem in errors[0].msg
    with pytest.raises(SystemCheckError, match=r"secretariat\.E010"):
        call_command("check")


def test_the_latest_lead_reached_is_the_shortest_whose_time_has_come():
    deadline = dt.datetime(2026, 12, 10, 12, 0, tzinfo=dt.UTC)
    hours = dt.timedelta(hours=1)
    # By default 48 and 24 hours before the deadline.
    assert reminder_policy.latest_lead("circulation_deadline", deadline, deadline - 49 * hours) is None
    assert reminder_policy.latest_lead("circulation_deadline", deadline, deadline - 47 * hours) == 2 * DAY
    assert reminder_policy.latest_lead("circulation_deadline", deadline, deadline - 1 * hours) == DAY  # not both
    # A lead whose time came before `since` (the circulation was sent 30 hours before) does not count.
    sent = deadline - 30 * hours
    assert reminder_policy.latest_lead("circulation_deadline", deadline, deadline - 29 * hours, since=sent) is None
    assert reminder_policy.latest_lead("circulation_deadline", deadline, deadline - 23 * hours, since=sent) == DAY
