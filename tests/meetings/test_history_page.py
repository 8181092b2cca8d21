"""The history of a meeting: one page over the meeting's eight historical tables."""

from __future__ import annotations

import zoneinfo

from django.urls import reverse
from django.utils import timezone

from meetings.models import (
    AgendaItem,
    Decision,
    Delegation,
    Meeting,
    Minutes,
    MinutesComment,
    MinutesVersion,
    Participant,
)
from secretariat import audit


def _per_table(meeting: Meeting) -> list[audit.Entry]:
    """The entries as the page built them before: every table read on its own, then merged."""
    minutes = Minutes.objects.get(meeting=meeting)
    records = [
        *Meeting.history.filter(id=meeting.pk),
        *AgendaItem.history.filter(meeting_id=meeting.pk),
        *Delegation.history.filter(meeting_id=meeting.pk),
        *Participant.history.filter(meeting_id=meeting.pk),
        *Decision.history.filter(meeting_id=meeting.pk),
        *Minutes.history.filter(id=minutes.pk),
        *MinutesVersion.history.filter(minutes_id=minutes.pk),
        *MinutesComment.history.filter(version__minutes=minutes),
    ]
    return audit.entries(records)


def _shape(entries: list[audit.Entry]) -> list[tuple]:
    rows = [
        (e.when, e.kind, e.model, e.label, e.reason, str(e.who), [(c.field, c.old, c.new) for c in e.changes])
        for e in entries
    ]
    return sorted(rows, key=lambda row: (row[0], row[3]))


def test_the_history_page_shows_each_change_with_who_when_and_why_as_the_tables_record_it(client, network, submitted):
    meeting = submitted.meeting
    client.force_login(network.officer)
    response = client.get(reverse("meetings:history", args=[meeting.pk]))
    assert response.status_code == 200
    entries = response.context["entries"]
    with timezone.override(zoneinfo.ZoneInfo(network.officer.time_zone)):  # as the page renders it
        assert _shape(entries) == _shape(_per_table(meeting))
    submitted_at = next(c for e in entries for c in e.changes if c.field == "submitted at")
    assert submitted_at.new.endswith("(Kuala Lumpur, UTC+8)")  # a changed moment, too, in the viewer's zone
    assert {e.model for e in entries} >= {"meeting", "delegation", "minutes", "minutes version"}
    held = next(e for e in entries if e.reason == "Test set-up: held")
    assert [c.field for c in held.changes] == ["status"]
    assert held.who is None  # set up outside a service: the page says "the system"
    created = next(e for e in entries if e.model == "meeting" and e.kind == "created")
    assert created.who == network.officer
    page = response.content.decode()
    assert "Test set-up: held" in page
    assert "(Kuala Lumpur, UTC+8)</time>" in page  # when, in the viewer's zone, named
    assert "<del>Draft</del></td><td><ins>Held</ins>" in page
