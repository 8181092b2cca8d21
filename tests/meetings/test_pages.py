"""Meeting pages: forms, warnings, agenda reordering with and without htmx, RSVP, times."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings import services
from meetings.models import AgendaStatus, Meeting, MeetingStatus, Purpose, Rsvp, numbered_agenda
from secretariat.models import Role
from tests.factories import BodyFactory, MembershipFactory, UserFactory, state

from .conftest import at, make_meeting

# Query counts are the views' own: the page cache would answer the second request.
pytestmark = pytest.mark.usefixtures("cold_pages")


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def task_force(network):
    """A body with delegations from Malaysia, Thailand, Myanmar and Timor-Leste."""
    body = BodyFactory(code="TF-SAFETY", name="Task Force on AI Safety Testing", parent=network.wgai)
    for code in ("MYS", "THA", "MMR", "TLS"):
        MembershipFactory(person=UserFactory(member_state=state(code)), body=body, role=Role.HEAD)
    return body


# --- Time zones ---------------------------------------------------------------------


def test_the_meeting_page_shows_the_viewers_zone_the_venue_and_every_state(client, network, task_force):
    meeting = make_meeting(network.officer, task_force, hour=10)
    client.force_login(network.officer)  # Kuala Lumpur
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "10:00 (Kuala Lumpur, UTC+8)" in page
    for local, zone in (("09:00", "Bangkok, UTC+7"), ("08:30", "Yangon, UTC+6:30"), ("11:00", "Dili, UTC+9")):
        assert local in page
        assert zone in page


def test_a_viewer_in_yangon_sees_its_own_time_and_the_venues(client, network, task_force):
    meeting = make_meeting(network.officer, task_force, hour=10, time_zone="Asia/Dili")
    viewer = UserFactory(member_state=state("MMR"), time_zone="Asia/Yangon")
    MembershipFactory(person=viewer, body=task_force, role=Role.DELEGATE)
    services.schedule_meeting(meeting, by=network.officer)
    client.force_login(viewer)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "07:30 (Yangon, UTC+6:30)" in page
    assert "10:00 (Dili, UTC+9)" in page


# --- Creating and scheduling -----------------------------------------------------------


def _form(body, start: dt.datetime, **extra) -> dict:
    return {
        "body": body.pk,
        "format": "in_person",
        "time_zone": "Asia/Kuala_Lumpur",
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "venue": "Sasana Kijang, Kuala Lumpur",
        **extra,
    }


def test_the_secretariat_creates_a_meeting_in_the_venues_time(client, network):
    client.force_login(network.officer)
    start = at(14, 10)
    response = client.post(reverse("meetings:create"), _form(network.adgsom, start, time_zone="Asia/Jakarta"))
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert meeting.title == "1st ADGSOM"
    assert meeting.start.astimezone(meeting.zone).strftime("%H:%M") == "10:00"
    assert meeting.start == start.replace(tzinfo=meeting.zone)


def test_a_slot_outside_working_hours_is_saved_with_a_warning_naming_the_delegations(client, network, task_force):
    client.force_login(network.officer)
    response = client.post(reverse("meetings:create"), _form(task_force, at(14, 8)), follow=True)
    assert Meeting.objects.count() == 1
    warning = next(m for m in _messages(response) if "outside 08:00–18:00" in m)
    assert "Myanmar (06:30–09:30, Yangon, UTC+6:30)" in warning
    assert "Thailand" in warning
    assert "Timor-Leste" not in warning
    assert "Malaysia" not in warning


def test_the_form_refuses_an_end_before_the_start_and_an_unknown_zone(client, network):
    client.force_login(network.officer)
    start = at(14, 10)
    data = _form(network.adgsom, start, end=(start - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    response = client.post(reverse("meetings:create"), data)
    assert response.status_code == 200
    assert "The meeting must end after it starts." in response.content.decode()
    response = client.post(reverse("meetings:create"), _form(network.adgsom, start, time_zone="Mars/Olympus"))
    assert "is not a known time zone" in response.content.decode()
    assert not Meeting.objects.exists()


def test_scheduling_from_the_page_sends_the_invitations(client, network, draft):
    client.force_login(network.officer)
    response = client.post(reverse("meetings:schedule", args=[draft.pk]), follow=True)
    draft.refresh_from_db()
    assert draft.status == MeetingStatus.SCHEDULED
    assert any("invitations are on their way" in m for m in _messages(response))


def test_a_refused_transition_explains_itself(client, network, scheduled):
    client.force_login(network.officer)
    response = client.post(reverse("meetings:held", args=[scheduled.pk]), follow=True)
    assert "The meeting has not started yet." in _messages(response)


def test_postponing_from_the_page(client, network, scheduled):
    client.force_login(network.officer)
    later = scheduled.start.astimezone(scheduled.zone) + dt.timedelta(days=7)
    response = client.post(
        reverse("meetings:postpone", args=[scheduled.pk]),
        {
            "start": later.strftime("%Y-%m-%dT%H:%M"),
            "end": (later + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "Host's national holiday",
        },
    )
    assert response.status_code == 302
    scheduled.refresh_from_db()
    assert (scheduled.status, scheduled.start) == (MeetingStatus.POSTPONED, later)


# --- Agenda ----------------------------------------------------------------------------


@pytest.fixture
def items(network, scheduled):
    return [
        services.add_agenda_item(scheduled, by=network.officer, title=title, purpose=Purpose.NOTING)
        for title in ("Opening", "Reports", "Closing")
    ]


def _titles(meeting) -> list[str]:
    return [n.item.title for n in numbered_agenda(meeting.agenda_items.all())]


def test_reordering_with_htmx_answers_the_editor_fragment(client, network, scheduled, items):
    client.force_login(network.officer)
    url = reverse("meetings:agenda_move", args=[scheduled.pk, items[2].pk])
    response = client.post(url, {"direction": "up"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div id="agenda-editor"')
    assert "<html" not in html
    assert f'hx-post="{url}"' in html
    assert "hx-on" not in html
    assert "<script" not in html
    assert _titles(scheduled) == ["Opening", "Closing", "Reports"]


def test_reordering_without_javascript_posts_and_comes_back(client, network, scheduled, items):
    client.force_login(network.officer)
    response = client.post(reverse("meetings:agenda_move", args=[scheduled.pk, items[0].pk]), {"direction": "down"})
    assert response.status_code == 302
    assert response["Location"] == reverse("meetings:agenda", args=[scheduled.pk])
    assert _titles(scheduled) == ["Reports", "Opening", "Closing"]


def test_the_chair_adopts_the_agenda_from_the_meeting_page(client, network, scheduled, items):
    client.force_login(network.chair)
    page = client.get(scheduled.get_absolute_url()).content.decode()
    assert "Adopt the agenda" in page
    client.post(reverse("meetings:agenda_adopt", args=[scheduled.pk]))
    scheduled.refresh_from_db()
    assert scheduled.agenda_status == AgendaStatus.ADOPTED


# --- RSVP --------------------------------------------------------------------------------


def test_a_head_of_delegation_answers_from_the_page(client, network, wgai_meeting):
    client.force_login(network.sgp)
    url = reverse("meetings:rsvp", args=[wgai_meeting.pk])
    page = client.get(url).content.decode()
    assert "Singapore" in page
    response = client.post(url, {"answer": Rsvp.ATTENDING, "people": [network.sgp.pk, network.sgp_delegate.pk]})
    assert response.status_code == 302
    singapore = wgai_meeting.delegations.get(member_state__code="SGP")
    assert singapore.rsvp == Rsvp.ATTENDING
    assert singapore.participants.count() == 2


def test_the_rsvp_form_offers_only_the_users_own_delegates(client, network, wgai_meeting):
    client.force_login(network.mmr)
    response = client.post(
        reverse("meetings:rsvp", args=[wgai_meeting.pk]), {"answer": Rsvp.ATTENDING, "people": [network.sgp.pk]}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert wgai_meeting.delegations.get(member_state__code="SGP").rsvp == Rsvp.PENDING


# --- Query counts --------------------------------------------------------------------------


def _many_meetings(network, count: int, offset: int = 0) -> None:
    for n in range(count):
        make_meeting(network.officer, network.adgsom, days=3 + offset + n, status=MeetingStatus.SCHEDULED)


def _queries(client, url: str) -> int:
    client.get(url)  # warm: the session's second-factor verdict is cached after the first request
    with CaptureQueriesContext(connection) as context:
        client.get(url)
    return len(context)


def test_the_meeting_list_costs_the_same_queries_at_3_and_30_meetings(client, network):
    client.force_login(network.sgp)
    _many_meetings(network, 3)
    small = _queries(client, reverse("meetings:list"))
    _many_meetings(network, 27, offset=3)
    assert _queries(client, reverse("meetings:list")) == small


def _big_agenda(network, meeting, count: int) -> None:
    for n in range(count):
        top = services.add_agenda_item(meeting, by=network.officer, title=f"Item {n}", purpose=Purpose.NOTING)
        services.add_agenda_item(meeting, by=network.officer, title=f"Sub {n}", purpose=Purpose.NOTING, parent=top)
        services.record_decision(meeting, by=network.officer, agenda_item=top, kind="noted", text=f"Noted {n}.")


def test_the_meeting_page_costs_the_same_queries_at_2_and_20_agenda_items(client, network, held):
    client.force_login(network.sgp)
    _big_agenda(network, held, 2)
    small = _queries(client, held.get_absolute_url())
    _big_agenda(network, held, 18)
    assert _queries(client, held.get_absolute_url()) == small
