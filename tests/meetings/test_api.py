"""The meetings API: same rules as the pages, times with offsets, a fixed number of queries."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings import services
from meetings.models import MeetingStatus, Purpose, Rsvp

from .conftest import make_meeting


def test_a_delegate_lists_the_meetings_of_its_bodies_with_iso_times_and_offsets(client, network, scheduled, draft):
    wgai = services.schedule_meeting(make_meeting(network.officer, network.wgai, days=20), by=network.officer)
    client.force_login(network.sgp)
    data = client.get(reverse("meeting-list")).json()
    assert {m["id"] for m in data["results"]} == {scheduled.pk, wgai.pk}
    listed = next(m for m in data["results"] if m["id"] == scheduled.pk)
    assert listed["title"] == "1st ADGSOM"
    assert listed["start"].endswith("+08:00")
    assert dt.datetime.fromisoformat(listed["start"]) == scheduled.start
    assert listed["time_zone"] == "Asia/Kuala_Lumpur"
    assert listed["minutes_status"] is None


def test_the_list_filters_by_body_and_status(client, network, scheduled, held):
    client.force_login(network.officer)
    data = client.get(reverse("meeting-list"), {"body": "adgsom", "status": "held"}).json()
    assert [m["id"] for m in data["results"]] == [held.pk]


def test_the_detail_carries_agenda_attendance_and_minutes_status(client, network, wgai_meeting):
    opening = services.add_agenda_item(wgai_meeting, by=network.officer, title="Opening", purpose=Purpose.NOTING)
    services.add_agenda_item(wgai_meeting, by=network.officer, title="Remarks", purpose=Purpose.NOTING, parent=opening)
    services.answer_rsvp(
        wgai_meeting.delegations.get(member_state__code="SGP"),
        by=network.sgp,
        answer=Rsvp.ATTENDING,
        people=[network.sgp],
    )
    client.force_login(network.mmr)
    data = client.get(reverse("meeting-detail", args=[wgai_meeting.pk])).json()
    assert data["id"] == wgai_meeting.pk
    assert data["start"].endswith("+06:30")  # Myanmar's delegate reads Yangon time
    assert [(i["number"], i["title"]) for i in data["agenda_items"]] == [("1", "Opening"), ("1.1", "Remarks")]
    delegations = {d["member_state"]: d for d in data["delegations"]}
    assert delegations["SGP"]["rsvp"] == "attending"
    assert [p["name"] for p in delegations["SGP"]["participants"]] == ["Siew Ling (SGP)"]
    assert delegations["MMR"]["rsvp"] == "pending"
    assert data["minutes"] is None


def test_the_minutes_status_shows_the_approved_hash(client, network, submitted):
    version = services.approve_minutes(submitted, by=network.chair)
    client.force_login(network.sgp)
    data = client.get(reverse("meeting-detail", args=[submitted.meeting_id])).json()
    assert data["minutes_status"] == "approved"
    assert data["minutes"]["approved_revision"] == 1
    assert data["minutes"]["approved_sha256"] == version.sha256


def test_a_meeting_the_caller_may_not_see_answers_404(client, network, scheduled):
    client.force_login(network.mmr)
    assert client.get(reverse("meeting-detail", args=[scheduled.pk])).status_code == 404


def test_an_anonymous_caller_is_refused(client, scheduled):
    assert client.get(reverse("meeting-list")).status_code == 403


def _queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as context:
        client.get(url)
    return len(context)


def test_the_api_list_costs_the_same_queries_at_3_and_30_meetings(client, network):
    client.force_login(network.sgp)
    for n in range(3):
        make_meeting(network.officer, network.adgsom, days=3 + n, status=MeetingStatus.SCHEDULED)
    small = _queries(client, reverse("meeting-list"))
    for n in range(27):
        make_meeting(network.officer, network.adgsom, days=6 + n, status=MeetingStatus.SCHEDULED)
    assert _queries(client, reverse("meeting-list")) == small


def test_the_api_detail_costs_the_same_queries_at_2_and_20_agenda_items(client, network, submitted):
    held = submitted.meeting
    client.force_login(network.sgp)

    def grow(count: int) -> None:
        for n in range(count):
            top = services.add_agenda_item(held, by=network.officer, title=f"Item {n}", purpose=Purpose.NOTING)
            services.record_decision(held, by=network.officer, agenda_item=top, kind="noted", text=f"Noted {n}.")

    grow(2)
    small = _queries(client, reverse("meeting-detail", args=[held.pk]))
    grow(18)
    assert _queries(client, reverse("meeting-detail", args=[held.pk])) == small
