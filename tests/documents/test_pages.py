"""Pages of the register: search, query budgets, circulating and answering through the forms, the matrix."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from secretariat.documents import services
from secretariat.documents.models import (
    Circulation,
    CirculationMode,
    CirculationStatus,
    Classification,
    Document,
    DocumentOpen,
    DocumentVersion,
    Position,
)
from secretariat.history import acting_as, bulk_create_with_history
from tests.factories import state

from .conftest import make_document

# Query counts are the views' own: the page cache would answer the second request.
pytestmark = pytest.mark.usefixtures("cold_pages")


def _many(network, n: int, *, body=None, classification=Classification.RESTRICTED) -> list[Document]:
    """`n` documents of WG-AI with two versions each, through the bulk path (no files needed to list them)."""
    body = body or network.wgai
    start = Document.objects.filter(body=body).count()
    year = timezone.localdate().year
    with acting_as(network.officer):
        bulk_create_with_history(
            [
                Document(
                    body=body,
                    year=year,
                    number=start + i,
                    symbol=f"{body.code}/{year}/DOC.{start + i}",
                    title=f"Synthetic paper {start + i}",
                    classification=classification,
                    created_by=network.officer,
                )
                for i in range(1, n + 1)
            ]
        )
        documents = list(Document.objects.filter(body=body, number__gt=start))
        bulk_create_with_history(
            [
                DocumentVersion(
                    document=d,
                    number=k,
                    file=f"documents/{d.pk}/synthetic-{k}.txt",
                    original_name="paper.txt",
                    extension="txt",
                    content_type="text/plain; charset=utf-8",
                    size=10,
                    sha256="0" * 64,
                    uploaded_by=network.officer,
                )
                for d in documents
                for k in (1, 2)
            ]
        )
    return documents


# Every signed-in page pays for the session, the user, the session tracker (savepoint, read,
# user, update, release), the secretariat-group check, and the member state (delegates) or
# the second-factor check (officers): about 9 queries before the view's own.
def _count(client, url: str) -> int:
    client.get(url)  # the first request after sign-in also creates the session tracker's row
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["officer", "sgp"])
def test_the_list_costs_the_same_queries_at_n_and_ten_n_documents(
    client, people, network, role, django_assert_num_queries
):
    client.force_login(people[role])
    url = reverse("documents:list")
    _many(network, 3)
    small = _count(client, url)
    _many(network, 27)
    client.get(url)
    with django_assert_num_queries(small):
        assert client.get(url).status_code == 200
    # The view's own: (the member bodies), the bodies for the filter, the meetings for the
    # filter (one per provider), the count and the page's rows (versions counted in it).
    assert small <= 9 + 5


def test_the_document_page_costs_the_same_queries_at_n_and_ten_n_rows(client, network, docs, django_assert_num_queries):
    document = docs.restricted
    client.force_login(network.officer)
    url = reverse("documents:detail", args=[document.pk])
    version = document.versions.get()

    def grow(n: int) -> None:
        for _ in range(n):
            services.record_open(version, by=network.mmr)
            services.circulate_document(
                version, by=network.officer, mode=CirculationMode.INFORMATION, persons=[network.sgp]
            )

    grow(1)
    small = _count(client, url)
    grow(9)
    client.get(url)
    with django_assert_num_queries(small):
        assert client.get(url).status_code == 200
    # The view's own: document, versions, circulations (answers counted), openings,
    # named readers (none: restricted), links from meetings (one per provider).
    assert small <= 9 + 6


def test_the_circulation_page_costs_the_same_queries_at_n_and_ten_n_answers(
    client, network, docs, django_assert_num_queries
):
    circulation = services.circulate_document(
        docs.public.versions.get(),
        by=network.officer,
        mode=CirculationMode.COMMENTS,
        deadline=timezone.now() + dt.timedelta(days=3),
        bodies=[network.wgai],
    )
    client.force_login(network.officer)
    url = reverse("documents:circulation", args=[docs.public.pk, circulation.pk])
    services.answer_circulation(circulation, by=network.sgp, member_state=state("SGP"), position=Position.NO_COMMENTS)
    small = _count(client, url)
    services.answer_circulation(
        circulation, by=network.mmr, member_state=state("MMR"), position=Position.COMMENTS, text="Para 2."
    )
    for _ in range(5):
        services.record_open(docs.public.versions.get(), by=network.mmr)
    client.get(url)
    with django_assert_num_queries(small):
        assert client.get(url).status_code == 200


def test_search_ranks_title_matches_and_understands_word_forms_and_symbols(client, network, docs):
    make_document(network.officer, network.wgai, title="Guide to AI risk assessments", description="Testing regimes.")
    make_document(network.officer, network.wgai, title="Work plan", description="Mentions risk assessment once.")
    client.force_login(network.sgp)
    page = client.get(reverse("documents:list"), {"q": "risk assessment"})
    titles = [d.title for d in page.context["page"].object_list]
    assert titles == ["Guide to AI risk assessments", "Work plan"]

    symbol = docs.adgsom.symbol
    found = client.get(reverse("documents:list"), {"q": symbol}).context["page"].object_list
    assert [d.symbol for d in found] == [symbol]


def test_search_never_returns_what_the_user_may_not_see(client, network, docs):
    client.force_login(network.mmr)
    found = client.get(reverse("documents:list"), {"q": "ADGSOM restricted brief"}).context["page"].object_list
    assert list(found) == []
    client.force_login(network.sgp)
    found = client.get(reverse("documents:list"), {"q": "Confidential incident"}).context["page"].object_list
    assert list(found) == []


def test_the_list_filters_by_body_and_classification(client, network, docs):
    client.force_login(network.officer)
    found = client.get(reverse("documents:list"), {"body": network.wgai.pk, "classification": "confidential"})
    assert [d.pk for d in found.context["page"].object_list] == [docs.confidential.pk]


def test_an_invalid_filter_is_named_and_the_others_still_apply(client, network, docs):
    client.force_login(network.officer)
    response = client.get(reverse("documents:list"), {"body": network.wgai.pk, "classification": "top-secret"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Select a valid choice" in page
    assert 'id="id_classification_error"' in page
    bodies = {d.body_id for d in response.context["page"].object_list}
    assert bodies == {network.wgai.pk}


def test_the_page_tells_readers_that_opening_is_recorded(client, network, docs):
    client.force_login(network.mmr)
    page = client.get(reverse("documents:detail", args=[docs.confidential.pk])).content.decode()
    assert "Opening a file is recorded" in page
    assert "carries your name and the date on every page" in page


def test_the_secretariat_registers_a_document_and_uploads_a_revision(client, network):
    from .conftest import upload

    client.force_login(network.officer)
    response = client.post(
        reverse("documents:create"),
        {"body": network.wgai.pk, "title": "Terms of reference", "classification": "restricted", "file": upload()},
    )
    document = Document.objects.get()
    assert response["Location"] == document.get_absolute_url()
    response = client.post(
        reverse("documents:version_add", args=[document.pk]),
        {"kind": "rev", "file": upload(), "note": "Para 3 amended"},
    )
    assert response.status_code == 302
    assert [v.label for v in document.versions.order_by("pk")] == ["Rev.1", "Rev.2"]


def test_an_oversize_upload_is_refused_on_the_page(client, network, docs, settings):
    from .conftest import upload

    settings.DOCUMENT_MAX_UPLOAD_BYTES = 100
    client.force_login(network.officer)
    response = client.post(
        reverse("documents:version_add", args=[docs.restricted.pk]), {"kind": "rev", "file": upload()}
    )
    assert response.status_code == 200
    assert "the limit is 100" in response.context["form"].errors["file"][0]
    assert docs.restricted.versions.count() == 1


def test_a_silence_deadline_under_72_hours_is_refused_on_the_page(client, network, docs):
    client.force_login(network.officer)
    soon = timezone.localtime(timezone.now() + dt.timedelta(hours=48), network.officer.zone)
    response = client.post(
        reverse("documents:circulate", args=[docs.restricted.pk]),
        {
            "version": docs.restricted.versions.get().pk,
            "mode": "silence",
            "deadline": soon.strftime("%Y-%m-%dT%H:%M"),
            "bodies": [network.wgai.pk],
        },
    )
    assert response.status_code == 200
    assert "at least 72 hours" in response.context["form"].errors["deadline"][0]
    assert not Circulation.objects.exists()


def test_a_delegate_objects_on_the_page_and_everyone_sees_silence_broken(client, network, docs):
    circulation = services.circulate_document(
        docs.restricted.versions.get(),
        by=network.officer,
        mode=CirculationMode.SILENCE,
        deadline=timezone.now() + dt.timedelta(days=4),
        bodies=[network.wgai],
    )
    url = reverse("documents:answer", args=[docs.restricted.pk, circulation.pk])
    client.force_login(network.mmr)
    response = client.post(url, {"member_state": state("MMR").pk, "position": "objection", "text": ""})
    assert response.status_code == 400
    assert "part of the record" in response.content.decode()

    response = client.post(
        url, {"member_state": state("MMR").pk, "position": "objection", "text": "Paragraph 5 needs more work."}
    )
    assert response.status_code == 302
    circulation.refresh_from_db()
    assert circulation.status == CirculationStatus.SILENCE_BROKEN

    client.force_login(network.sgp)
    page = client.get(circulation.get_absolute_url()).content.decode()
    assert "Silence broken." in page
    assert "Paragraph 5 needs more work." in page


def test_a_delegate_cannot_answer_for_another_state_through_the_form(client, network, docs):
    circulation = services.circulate_document(
        docs.restricted.versions.get(),
        by=network.officer,
        mode=CirculationMode.SILENCE,
        deadline=timezone.now() + dt.timedelta(days=4),
        bodies=[network.wgai],
    )
    client.force_login(network.sgp)
    response = client.post(
        reverse("documents:answer", args=[docs.restricted.pk, circulation.pk]),
        {"member_state": state("MMR").pk, "position": "objection", "text": "On Myanmar's behalf"},
    )
    assert response.status_code == 400
    assert not circulation.answers.exists()


def test_the_secretariat_sees_who_answered_who_opened_and_who_did_nothing(client, network, docs):
    circulation = services.circulate_document(
        docs.public.versions.get(),
        by=network.officer,
        mode=CirculationMode.AD_REFERENDUM,
        deadline=timezone.now() + dt.timedelta(days=4),
        bodies=[network.wgai, network.adgsom],
    )
    services.answer_circulation(circulation, by=network.sgp, member_state=state("SGP"), position=Position.CONFIRMED)
    client.force_login(network.officer)
    matrix = client.get(circulation.get_absolute_url()).context["matrix"]
    assert {row.state.code: row.status for row in matrix.states} == {"SGP": "answered", "MMR": "nothing"}
    assert [p.recipient.person for p in matrix.people] == [network.chair]

    services.record_open(docs.public.versions.get(), by=network.mmr)
    response = client.get(circulation.get_absolute_url())
    assert {row.state.code: row.status for row in response.context["matrix"].states} == {
        "SGP": "answered",
        "MMR": "opened",
    }
    assert "Opened, no answer" in response.content.decode()

    client.force_login(network.sgp)
    assert "matrix" not in client.get(circulation.get_absolute_url()).context
    assert DocumentOpen.objects.count() == 1
