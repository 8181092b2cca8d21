"""The meetings API: same rules as the pages, times with offsets, a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from meetings import services
from meetings.models import MeetingStatus, Purpose, Rsvp

from .conftest import make_meeting, request_overhead


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


@pytest.mark.parametrize("size", [3, 30])
def test_the_api_list_runs_a_fixed_number_of_queries(client, network, django_assert_num_queries, size):
    for n in range(size):
        make_meeting(network.officer, network.adgsom, days=3 + n, status=MeetingStatus.SCHEDULED)
    client.force_login(network.sgp)
    overhead = request_overhead(client, api=True) - 1  # an API response shows no notification bell
    # 1 count for the paginator, 2 the page of meetings with bodies, host states, minutes and chairs.
    with django_assert_num_queries(overhead + 2):
        response = client.get(reverse("meeting-list"))
    assert len(response.json()["results"]) == size


@pytest.mark.parametrize("size", [2, 20])
def test_the_api_detail_runs_a_fixed_number_of_queries(client, network, submitted, django_assert_num_queries, size):
    held = submitted.meeting
    for n in range(size):
        top = services.add_agenda_item(held, by=network.officer, title=f"Item {n}", purpose=Purpose.NOTING)
        services.record_decision(held, by=network.officer, agenda_item=top, kind="noted", text=f"Noted {n}.")
    client.force_login(network.sgp)
    overhead = request_overhead(client, api=True) - 1  # an API response shows no notification bell
    # 1 the meeting with body, host state, minutes and named chair; 2 agenda items; 3 delegations;
    # 4 their participants; 5 guests; 6 decisions; 7 minutes versions; 8 the body's chair on the day.
    with django_assert_num_queries(overhead + 8):
        response = client.get(reverse("meeting-detail", args=[held.pk]))
    assert len(response.json()["agenda_items"]) == size
