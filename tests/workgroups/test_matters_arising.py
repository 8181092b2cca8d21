"""Matters arising: a meeting's agenda shows the body's items open at its start; its page lists the items arising from it.

The meetings app does not import this one: it reaches the items through the
reverse relations `Body.action_items` and `Meeting.action_items`.
"""

from __future__ import annotations

import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from meetings import services as meeting_services
from meetings.models import DecisionKind, MeetingStatus, Purpose
from tests.factories import state
from tests.meetings.conftest import make_meeting
from workgroups import services
from workgroups.models import ActionItem, OwnerKind

from .conftest import days, make_item


def _section(page: str, heading_id: str) -> str:
    match = re.search(rf'aria-labelledby="{heading_id}">(.*?)</section>', page, re.S)
    return match.group(1) if match else ""


def test_the_agenda_of_an_upcoming_meeting_lists_the_bodys_open_items(client, work):
    meeting = meeting_services.schedule_meeting(make_meeting(work.officer, work.wgai), by=work.officer)
    services.complete_action_item(work.mmr_item, by=work.mmr, note="Translated")
    client.force_login(work.sgp)
    page = client.get(meeting.get_absolute_url()).content.decode()
    arising = _section(page, "matters-arising")
    assert work.sgp_item.title in arising
    assert work.shared_item.title in arising
    assert work.mmr_item.title not in arising  # done before the meeting
    assert work.adgsom_item.title not in arising  # another body's


def test_a_past_meetings_agenda_shows_the_items_open_when_it_started(client, work):
    with time_machine.travel(days(-20)):
        open_then = make_item(work.officer, work.wgai, title="Open at the meeting, done since", due=30)
        closed_before = make_item(work.officer, work.wgai, title="Done before the meeting", due=30)
    with time_machine.travel(days(-15)):
        services.complete_action_item(closed_before, by=work.officer, note="Delivered early")
    meeting = make_meeting(work.officer, work.wgai, days=-10, status=MeetingStatus.HELD)
    with time_machine.travel(days(-5)):
        services.complete_action_item(open_then, by=work.officer, note="Delivered after the meeting")
    titles = [i.title for i in meeting.matters_arising(work.officer)]
    assert "Open at the meeting, done since" in titles
    assert "Done before the meeting" not in titles
    assert work.sgp_item.title not in titles  # recorded after the meeting started


def test_an_observer_invited_to_the_meeting_sees_only_the_items_shared_with_observers(client, work):
    meeting = meeting_services.schedule_meeting(make_meeting(work.officer, work.wgai), by=work.officer)
    meeting_services.invite_guest(meeting, by=work.officer, person=work.observer)
    client.force_login(work.observer)
    arising = _section(client.get(meeting.get_absolute_url()).content.decode(), "matters-arising")
    assert work.shared_item.title in arising
    assert work.sgp_item.title not in arising


def test_the_meeting_page_lists_the_action_items_arising_from_its_decisions(client, work):
    meeting = make_meeting(work.officer, work.wgai, days=-2, status=MeetingStatus.HELD)
    agenda_item = meeting_services.add_agenda_item(
        meeting, by=work.officer, title="ASEAN Responsible AI Roadmap: national uptake", purpose=Purpose.ENDORSEMENT
    )
    decision = meeting_services.record_decision(
        meeting,
        by=work.officer,
        agenda_item=agenda_item,
        kind=DecisionKind.ENDORSED,
        text="The Meeting endorsed the roadmap and tasked Singapore with a survey of national uptake.",
    )
    client.force_login(work.officer)
    response = client.post(
        reverse("workgroups:action_item_create") + f"?decision={decision.pk}",
        {
            "decision": decision.pk,
            "body": work.wgai.pk,
            "title": "Survey national uptake of the Roadmap",
            "owner_kind": OwnerKind.STATE,
            "owner_state": state("SGP").pk,
            "due_date": days(60).isoformat(),
            "priority": 1,
        },
    )
    item = ActionItem.objects.get(title="Survey national uptake of the Roadmap")
    assert response["Location"] == item.get_absolute_url()
    assert (item.meeting, item.agenda_item, item.decision, item.body) == (meeting, agenda_item, decision, work.wgai)

    client.force_login(work.mmr)
    page = client.get(meeting.get_absolute_url()).content.decode()
    arising = _section(page, "actions-arising")
    assert "Survey national uptake of the Roadmap" in arising
    assert "Singapore" in arising
    item_page = client.get(item.get_absolute_url()).content.decode()
    assert f'href="{meeting.get_absolute_url()}"' in item_page


def test_a_due_date_before_the_meeting_it_arises_from_is_refused(work):
    meeting = make_meeting(work.officer, work.wgai, days=-2, status=MeetingStatus.HELD)
    agenda_item = meeting_services.add_agenda_item(
        meeting, by=work.officer, title="Any other business", purpose=Purpose.NOTING
    )
    with pytest.raises(ValidationError, match="before the meeting it arises from"):
        services.create_action_item(
            by=work.officer,
            title="Backdated",
            due_date=days(-5),
            agenda_item=agenda_item,
            owner_kind=OwnerKind.SECRETARIAT,
        )


def test_an_item_cannot_arise_from_another_bodys_meeting(work):
    meeting = make_meeting(work.officer, work.adgsom, days=-2, status=MeetingStatus.HELD)
    agenda_item = meeting_services.add_agenda_item(meeting, by=work.officer, title="Reports", purpose=Purpose.NOTING)
    with pytest.raises(ValidationError, match="belongs to the body of its meeting or task"):
        services.create_action_item(
            by=work.officer,
            body=work.wgai,
            title="Wrong body",
            due_date=days(5),
            agenda_item=agenda_item,
            owner_kind=OwnerKind.SECRETARIAT,
        )


def test_an_agenda_item_with_action_items_stays_with_a_clear_message(client, work):
    meeting = meeting_services.schedule_meeting(make_meeting(work.officer, work.wgai), by=work.officer)
    parent = meeting_services.add_agenda_item(meeting, by=work.officer, title="Reports", purpose=Purpose.NOTING)
    child = meeting_services.add_agenda_item(
        meeting, by=work.officer, title="Institutes' survey", purpose=Purpose.NOTING, parent=parent
    )
    make_item(work.officer, work.wgai, title="Circulate the survey", agenda_item=child, owner_state=state("SGP"))

    with pytest.raises(ValidationError, match="referred to by action items"):
        meeting_services.delete_agenda_item(parent, by=work.officer)
    assert set(meeting.agenda_items.values_list("title", flat=True)) == {"Reports", "Institutes' survey"}

    client.force_login(work.officer)
    url = reverse("meetings:agenda_delete", args=[meeting.pk, child.pk])
    page = client.post(url, follow=True).content.decode()
    assert "referred to by action items" in page
    assert meeting.agenda_items.filter(pk=child.pk).exists()
