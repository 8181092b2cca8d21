"""The API of the register: the same access rules as the pages, answers through the same services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from secretariat.documents import services
from secretariat.documents.models import CirculationMode, CirculationStatus
from secretariat.models import User

from .test_pages import _many


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def silence(network, docs):
    return services.circulate_document(
        docs.restricted.versions.get(),
        by=network.officer,
        mode=CirculationMode.SILENCE,
        deadline=timezone.now() + dt.timedelta(days=4),
        bodies=[network.wgai],
    )


def test_documents_carry_id_symbol_title_and_their_versions(api, network, docs):
    api.force_authenticate(network.mmr)
    response = api.get("/api/v1/documents/")
    assert response.status_code == 200
    symbols = {d["symbol"] for d in response.json()["results"]}
    assert symbols == {docs.public.symbol, docs.restricted.symbol, docs.confidential.symbol}
    detail = api.get(f"/api/v1/documents/{docs.restricted.pk}/").json()
    assert detail["id"] == docs.restricted.pk
    assert detail["title"] == docs.restricted.title
    assert detail["url"] == f"/documents/{docs.restricted.pk}/"
    version = detail["versions"][0]
    assert version["label"] == "Rev.1"
    assert version["download_url"] == f"/documents/{docs.restricted.pk}/versions/{version['id']}/download/"
    assert len(version["sha256"]) == 64


def test_a_document_the_user_may_not_see_answers_404(api, network, docs):
    api.force_authenticate(network.mmr)
    assert api.get(f"/api/v1/documents/{docs.adgsom.pk}/").status_code == 404
    api.force_authenticate(network.observer)
    assert api.get(f"/api/v1/documents/{docs.restricted.pk}/").status_code == 404


def test_the_document_list_filters_and_searches(api, network, docs):
    api.force_authenticate(network.officer)
    found = api.get("/api/v1/documents/", {"body": "ADGSOM"}).json()["results"]
    assert [d["id"] for d in found] == [docs.adgsom.pk]
    found = api.get("/api/v1/documents/", {"q": "incident"}).json()["results"]
    assert [d["id"] for d in found] == [docs.confidential.pk]


def test_the_document_list_costs_the_same_queries_at_n_and_ten_n(api, network):
    def count() -> int:
        api.force_authenticate(User.objects.get(pk=network.sgp.pk))  # a fresh user: nothing cached
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/v1/documents/").status_code == 200
        return len(queries)

    _many(network, 3)
    small = count()
    _many(network, 27)
    # Secretariat group, the count, the page of documents, their versions with uploaders.
    assert count() == small == 4


def test_a_delegate_objects_through_the_api_and_silence_is_broken(api, network, silence):
    api.force_authenticate(network.mmr)
    response = api.post(
        f"/api/v1/circulations/{silence.pk}/answers/",
        {"member_state": "MMR", "position": "objection", "text": "Myanmar objects to paragraph 2."},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["answered_by"] == network.mmr.display_name
    circulation = api.get(f"/api/v1/circulations/{silence.pk}/").json()
    assert circulation["status"] == CirculationStatus.SILENCE_BROKEN
    assert circulation["states"] == ["MMR", "SGP"]
    assert circulation["answers"][0]["position"] == "objection"


def test_an_answer_for_another_state_is_refused_through_the_api(api, network, silence):
    api.force_authenticate(network.sgp)
    response = api.post(
        f"/api/v1/circulations/{silence.pk}/answers/",
        {"member_state": "MMR", "position": "no_objection"},
        format="json",
    )
    assert response.status_code == 400
    assert "cannot answer for Myanmar" in response.json()["member_state"][0]
    assert not silence.answers.exists()


def test_an_objection_without_a_reason_is_refused_through_the_api(api, network, silence):
    api.force_authenticate(network.mmr)
    response = api.post(
        f"/api/v1/circulations/{silence.pk}/answers/", {"member_state": "MMR", "position": "objection"}, format="json"
    )
    assert response.status_code == 400
    assert "part of the record" in response.json()["text"][0]


def test_circulations_of_documents_the_user_may_not_see_answer_404(api, network, silence):
    api.force_authenticate(network.observer)
    assert api.get(f"/api/v1/circulations/{silence.pk}/").status_code == 404
    assert api.get("/api/v1/circulations/").json()["results"] == []
    response = api.post(f"/api/v1/circulations/{silence.pk}/answers/", {}, format="json")
    assert response.status_code == 404


def test_a_recipient_acknowledges_through_the_api(api, network, docs):
    circulation = services.circulate_document(
        docs.public.versions.get(), by=network.officer, mode=CirculationMode.INFORMATION, persons=[network.observer]
    )
    api.force_authenticate(network.observer)
    response = api.post(f"/api/v1/circulations/{circulation.pk}/acknowledge/")
    assert response.status_code == 200
    assert response.json()["acknowledged_at"]
    api.force_authenticate(network.outsider)
    assert api.post(f"/api/v1/circulations/{circulation.pk}/acknowledge/").status_code == 403


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/v1/documents/", {"q": "risk\x00"}),
        ("/api/v1/documents/", {"body": "WG\x00AI"}),
        ("/api/v1/documents/", {"classification": "secret"}),
        ("/api/v1/circulations/", {"status": "open\x00"}),
        ("/api/v1/circulations/", {"document": "one"}),
    ],
)
def test_bad_filters_are_refused_clearly_not_with_a_server_error(api, network, url, params):
    api.force_authenticate(network.sgp)
    response = api.get(url, params)
    assert response.status_code == 400
    assert list(response.json()) == list(params)
