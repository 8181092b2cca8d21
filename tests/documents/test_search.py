"""The header's search: meetings, agenda items, decisions, action items and documents, ranked, within what the user may see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import services as meeting_services
from meetings.models import MeetingStatus, Purpose
from secretariat.documents.models import Classification
from tests.meetings.conftest import make_meeting
from workgroups import search as search_module
from workgroups import services as work_services

from .conftest import make_document
from .test_pages import _many


@pytest.fixture
def record(network, docs):
    """A held WG-AI meeting on watermarking, an item, a decision and an action item; an ADGSOM document on it too."""
    meeting = make_meeting(
        network.officer, network.wgai, days=-2, status=MeetingStatus.HELD, title="Special session on watermarking"
    )
    item = meeting_services.add_agenda_item(
        meeting, by=network.officer, title="Watermarking of AI-generated content", purpose=Purpose.NOTING
    )
    meeting_services.record_decision(
        meeting, by=network.officer, agenda_item=item, kind="noted", text="The meeting noted the watermarking survey."
    )
    work_services.create_action_item(
        by=network.officer,
        title="Compile national watermarking practices",
        due_date=timezone.localdate() + dt.timedelta(days=30),
        body=network.wgai,
        owner_kind="secretariat",
    )
    make_document(network.officer, network.wgai, title="Watermarking survey", classification=Classification.PUBLIC)
    make_document(network.officer, network.adgsom, title="ADGSOM note", description="Mentions watermarking in passing.")
    return meeting


def _results(client, q: str):
    response = client.get(reverse("workgroups:search"), {"q": q})
    assert response.status_code == 200
    return response.context["results"]


def test_search_finds_every_kind_with_its_kind_shown(client, network, record):
    client.force_login(network.sgp)
    results = _results(client, "watermarking")
    assert {r.kind for r in results} == {"Meeting", "Agenda item", "Decision", "Action item", "Document"}
    page = client.get(reverse("workgroups:search"), {"q": "watermarking"}).content.decode()
    assert "Agenda item" in page
    assert "Special session on watermarking" in page


def test_search_ranks_title_matches_above_passing_mentions(client, network, record):
    client.force_login(network.sgp)
    documents = [r.title for r in _results(client, "watermarking") if r.kind == "Document"]
    assert documents[0].endswith("Watermarking survey")
    assert documents[-1].endswith("ADGSOM note")


def test_search_never_shows_what_the_user_may_not_see(client, network, record):
    client.force_login(network.mmr)  # WG-AI only: the ADGSOM note stays hidden
    assert "ADGSOM note" not in {r.title.split(" — ")[-1] for r in _results(client, "watermarking")}
    client.force_login(network.outsider)  # no body: public documents only
    assert [(r.kind, r.title.split(" — ")[-1]) for r in _results(client, "watermarking")] == [
        ("Document", "Watermarking survey")
    ]


def test_search_costs_one_query_per_kind_whatever_the_size(client, network, record):
    client.force_login(network.sgp)
    url = reverse("workgroups:search")

    def count() -> int:
        client.get(url, {"q": "synthetic"})
        with CaptureQueriesContext(connection) as queries:
            client.get(url, {"q": "synthetic"})
        return len(queries)

    _many(network, 3)
    small = count()
    _many(network, 27)
    assert count() == small


def test_search_falls_back_to_plain_matching_without_postgresql(client, network, record, monkeypatch):
    monkeypatch.setattr(search_module, "is_postgresql", lambda: False)
    client.force_login(network.sgp)
    results = _results(client, "watermark")
    assert {r.kind for r in results} == {"Meeting", "Agenda item", "Decision", "Action item", "Document"}
    assert results[0].rank == 1.0


def test_an_empty_search_shows_the_box_only(client, network):
    client.force_login(network.sgp)
    response = client.get(reverse("workgroups:search"))
    assert response.status_code == 200
    assert response.context["results"] == []


def test_a_nul_byte_in_the_search_is_dropped_not_a_server_error(client, network, record):
    client.force_login(network.sgp)
    assert _results(client, "water\x00marking")
