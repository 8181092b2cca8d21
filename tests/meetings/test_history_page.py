"""The history of a meeting: one page over the meeting's eight historical tables."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.urls import reverse
from django.utils import timezone

from meetings import services
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

from .conftest import MINUTES


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


def test_a_delegate_reads_in_the_history_no_draft_and_no_other_delegations_comments(client, network, held):
    """As the minutes page: drafts stay with the secretariat and the chair, comments with their delegation."""
    rev1 = services.create_minutes_version(held, by=network.officer, text=MINUTES)
    services.edit_minutes_version(
        rev1, by=network.officer, text=MINUTES + "\nA sentence added while Rev.1 was a draft."
    )
    services.circulate_minutes(held.minutes, by=network.officer, deadline=timezone.now() + dt.timedelta(days=7))
    services.comment_on_minutes(held.minutes, by=network.sgp, member_state=network.sgp.member_state, text="Ours.")
    theirs = MinutesComment.objects.create(
        version=rev1, member_state=network.mmr.member_state, author=network.mmr, text="Theirs"
    )
    theirs.text = "Theirs, amended in Yangon."
    theirs.save()  # a change row: its text shows in the history of those who may read it
    rev2 = services.create_minutes_version(held, by=network.officer, text=MINUTES)
    services.edit_minutes_version(rev2, by=network.officer, text=MINUTES + "\nRev.2, still a draft.")

    def seen(person) -> tuple[list[str], int, str]:
        client.force_login(person)
        response = client.get(reverse("meetings:history", args=[held.pk]))
        assert response.status_code == 200
        entries = response.context["entries"]
        versions = sorted({e.label for e in entries if e.model == "minutes version"})
        return versions, sum(e.model == "comment on minutes" for e in entries), response.content.decode()

    hidden = ("A sentence added while Rev.1 was a draft.", "Rev.2, still a draft.", "Theirs, amended in Yangon.")
    versions, comments, page = seen(network.officer)
    assert (versions, comments) == (["Minutes Rev.1", "Minutes Rev.2"], 3)  # two comments, one amended
    assert [text for text in hidden if text in page] == list(hidden)
    versions, comments, page = seen(network.sgp)
    assert (versions, comments) == (["Minutes Rev.1"], 1)
    assert [text for text in hidden if text in page] == []
