"""One-click links from circulation e-mails: signed, expiring, single use, and only the POST records."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from secretariat import delivery
from secretariat.documents import services, tokens
from secretariat.documents.models import (
    CirculationAnswer,
    CirculationMode,
    CirculationRecipient,
    CirculationStatus,
    Position,
)
from secretariat.models import Notification
from tests.factories import state


@pytest.fixture
def silence(network, docs):
    return services.circulate_document(
        docs.restricted.versions.get(),
        by=network.officer,
        mode=CirculationMode.SILENCE,
        deadline=timezone.now() + dt.timedelta(days=4),
        bodies=[network.wgai],
    )


def _row(circulation, person) -> CirculationRecipient:
    return CirculationRecipient.objects.get(circulation=circulation, person=person)


def _link(circulation, person, action="no_objection") -> str:
    return reverse("documents:link", args=[action, tokens.make_token(_row(circulation, person), action)])


def test_the_circulation_email_carries_a_one_click_link_and_the_deadline_in_the_recipients_zone(network, silence):
    notification = Notification.objects.get(kind="circulation_sent", recipient=network.mmr)
    content = delivery.kinds()["circulation_sent"].render(notification)
    assert "Yangon, UTC+6:30" in content.text
    assert "/documents/answer/no_objection/" in content.text
    assert "Opening the document is recorded." in content.text
    path = content.text.split("/documents/answer/no_objection/")[1].split("/")[0]
    assert tokens.row_from_token("no_objection", path, network.mmr) == _row(silence, network.mmr)


def test_opening_a_link_changes_nothing_and_asks_to_confirm(client, network, silence):
    client.force_login(network.mmr)
    response = client.get(_link(silence, network.mmr))
    assert response.status_code == 200
    assert "Nothing is recorded until you press the button below." in response.content.decode()
    assert "No objection" in response.content.decode()
    assert not CirculationAnswer.objects.exists()
    assert _row(silence, network.mmr).history.count() == 1


def test_the_post_from_the_confirmation_page_records_the_answer_once(client, network, silence):
    client.force_login(network.mmr)
    url = _link(silence, network.mmr)
    response = client.post(url)
    assert response.status_code == 302
    answer = CirculationAnswer.objects.get()
    assert (answer.member_state.code, answer.position, answer.answered_by) == (
        "MMR",
        Position.NO_OBJECTION,
        network.mmr,
    )

    again = client.post(url)
    assert again.status_code == 400
    assert "already been used" in again.content.decode()
    assert client.get(url).status_code == 400
    assert CirculationAnswer.objects.get().history.count() == 1


def test_a_forged_link_is_refused(client, network, silence):
    client.force_login(network.mmr)
    token = tokens.make_token(_row(silence, network.mmr), "no_objection")
    forged = signing.dumps({"r": _row(silence, network.sgp).pk, "n": "guess"}, salt="not-our-salt")
    for bad in (token[:-3] + "abc", forged):
        response = client.post(reverse("documents:link", args=["no_objection", bad]))
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    assert not CirculationAnswer.objects.exists()


def test_a_link_for_one_action_cannot_do_another(client, network, silence):
    client.force_login(network.mmr)
    token = tokens.make_token(_row(silence, network.mmr), "no_objection")
    response = client.post(reverse("documents:link", args=["confirm", token]))
    assert response.status_code == 400
    assert not CirculationAnswer.objects.exists()


def test_an_expired_link_is_refused(client, network, silence, settings):
    settings.CIRCULATION_LINK_VALID_DAYS = 1
    url = _link(silence, network.mmr)
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, seconds=1)):
        client.force_login(network.mmr)
        assert silence.accepts_answers
        response = client.post(url)
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert not CirculationAnswer.objects.exists()


def test_a_link_sent_to_someone_else_is_refused(client, network, silence):
    client.force_login(network.sgp)
    response = client.post(_link(silence, network.mmr))
    assert response.status_code == 400
    assert "sent to someone else" in response.content.decode()
    assert not CirculationAnswer.objects.exists()


def test_a_link_to_a_closed_circulation_is_refused(client, network, silence):
    url = _link(silence, network.mmr)
    services.answer_circulation(
        silence, by=network.sgp, member_state=state("SGP"), position=Position.OBJECTION, text="Singapore objects."
    )
    client.force_login(network.mmr)
    response = client.post(url)
    assert response.status_code == 400
    assert "closed (silence broken)" in response.content.decode()
    silence.refresh_from_db()
    assert silence.status == CirculationStatus.SILENCE_BROKEN


def test_an_anonymous_visitor_is_sent_to_sign_in_first(client, network, silence):
    url = _link(silence, network.mmr)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_link_acknowledges_a_document_circulated_for_information(client, network, docs):
    circulation = services.circulate_document(
        docs.public.versions.get(), by=network.officer, mode=CirculationMode.INFORMATION, persons=[network.observer]
    )
    client.force_login(network.observer)
    url = _link(circulation, network.observer, "acknowledge")
    assert client.get(url).status_code == 200
    assert _row(circulation, network.observer).acknowledged_at is None
    with time_machine.travel(timezone.now(), tick=False):
        assert client.post(url).status_code == 302
        assert _row(circulation, network.observer).acknowledged_at == timezone.now()
