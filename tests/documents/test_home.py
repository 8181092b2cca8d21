"""My work: circulations awaiting my state's answer (or my acknowledgement), deadlines in my zone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from secretariat.documents import rules, services
from secretariat.documents.models import CirculationMode, Position
from tests.factories import state

# Query counts are the views' own: the page cache would answer the second request.
pytestmark = pytest.mark.usefixtures("cold_pages")


@pytest.fixture
def silence(network, docs):
    return services.circulate_document(
        docs.restricted.versions.get(),
        by=network.officer,
        mode=CirculationMode.SILENCE,
        deadline=timezone.now() + dt.timedelta(days=4),
        bodies=[network.wgai],
    )


def test_a_delegate_sees_what_its_state_has_not_answered_with_the_deadline_in_its_zone(client, network, silence):
    client.force_login(network.mmr)
    page = client.get(reverse("workgroups:home"))
    awaiting = page.context["awaiting_circulations"]
    assert [(a.circulation, a.member_state.code) for a in awaiting] == [(silence, "MMR")]
    html = page.content.decode()
    assert "Circulations awaiting your answer" in html
    assert "Yangon, UTC+6:30" in html


def test_an_answer_from_any_delegate_of_the_state_clears_it_for_the_whole_delegation(network, silence):
    assert len(rules.circulations_awaiting(network.sgp_delegate)) == 1
    services.answer_circulation(silence, by=network.sgp, member_state=state("SGP"), position=Position.NO_OBJECTION)
    assert rules.circulations_awaiting(network.sgp_delegate) == []
    assert rules.circulations_awaiting(network.sgp) == []
    assert len(rules.circulations_awaiting(network.mmr)) == 1


def test_nothing_awaits_the_secretariat_or_an_observer_not_asked(network, silence):
    assert rules.circulations_awaiting(network.officer) == []
    assert rules.circulations_awaiting(network.observer) == []


def test_a_recipient_of_a_document_for_information_is_asked_to_acknowledge(network, docs):
    circulation = services.circulate_document(
        docs.public.versions.get(), by=network.officer, mode=CirculationMode.INFORMATION, persons=[network.observer]
    )
    awaiting = rules.circulations_awaiting(network.observer)
    assert [(a.circulation, a.member_state) for a in awaiting] == [(circulation, None)]
    services.acknowledge_circulation(circulation, by=network.observer)
    assert rules.circulations_awaiting(network.observer) == []


def test_the_list_costs_two_queries_whatever_the_number_of_circulations(network, docs, django_assert_num_queries):
    deadline = timezone.now() + dt.timedelta(days=4)
    for document in (docs.public, docs.restricted):
        services.circulate_document(
            document.versions.get(),
            by=network.officer,
            mode=CirculationMode.COMMENTS,
            deadline=deadline,
            bodies=[network.wgai],
        )
    network.mmr.is_secretariat  # noqa: B018 (cached by the request's middleware in real use)
    with django_assert_num_queries(2):
        assert len(rules.circulations_awaiting(network.mmr)) == 2
